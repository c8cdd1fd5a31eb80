package cim

import (
	"math"
	"slices"
	"unicode/utf8"
)

// Value is an immutable typed CIM value: a scalar, an array of scalars of
// one type, or null (of a type, scalar or array). The zero Value is a null
// of type Invalid.
//
// Constructors check their input; accessors never fail: asking for the
// wrong kind (Str of a uint16) returns the zero value of the accessor's
// result. Values are safe to share between goroutines.
type Value struct {
	typ   Type
	array bool
	set   bool        // false: null
	bits  uint64      // boolean, char16, integers (signed as two's complement), reals (IEEE bits)
	str   string      // string, datetime text
	ref   *ObjectPath // reference (never shared with callers)
	elems []Value     // array elements (never shared with callers)
}

// NewBool returns a boolean value.
func NewBool(b bool) Value {
	v := Value{typ: Boolean, set: true}
	if b {
		v.bits = 1
	}
	return v
}

// NewString returns a string value.
func NewString(s string) Value { return Value{typ: String, set: true, str: s} }

// NewChar16 returns a char16 value. Runes outside the Basic Multilingual
// Plane, negative runes and UTF-16 surrogate halves (U+D800..U+DFFF) become
// U+FFFD, since char16 holds exactly one UCS-2 code unit.
func NewChar16(r rune) Value {
	if r < 0 || r > 0xFFFF || !utf8.ValidRune(r) {
		r = utf8.RuneError
	}
	return Value{typ: Char16, set: true, bits: uint64(r)}
}

// NewUint returns an unsigned integer value of type t (uint8..uint64). It
// fails with StatusTypeMismatch when t is not unsigned and
// StatusInvalidParameter when v does not fit t.
func NewUint(t Type, v uint64) (Value, error) {
	if !t.IsInteger() || t.IsSigned() {
		return Value{}, Errorf(StatusTypeMismatch, "%s is not an unsigned integer type", t)
	}
	if v > t.uintMax() {
		return Value{}, rangeError(t, formatUint(v))
	}
	return Value{typ: t, set: true, bits: v}, nil
}

// NewSint returns a signed integer value of type t (sint8..sint64). It
// fails with StatusTypeMismatch when t is not signed and
// StatusInvalidParameter when v does not fit t.
func NewSint(t Type, v int64) (Value, error) {
	if !t.IsSigned() {
		return Value{}, Errorf(StatusTypeMismatch, "%s is not a signed integer type", t)
	}
	if lo, hi := t.sintRange(); v < lo || v > hi {
		return Value{}, rangeError(t, formatSint(v))
	}
	return Value{typ: t, set: true, bits: uint64(v)}, nil
}

// NewReal returns a real value. t is Real32 or Real64; any other t gives a
// real64. A real32 holds f rounded to single precision (values beyond its
// range become infinities).
func NewReal(t Type, f float64) Value {
	if t == Real32 {
		f = float64(float32(f))
	} else {
		t = Real64
	}
	return Value{typ: t, set: true, bits: math.Float64bits(f)}
}

// NewDateTime returns a datetime value.
func NewDateTime(d DateTime) Value { return Value{typ: Datetime, set: true, str: d.String()} }

// NewReference returns a reference value holding a copy of p.
func NewReference(p ObjectPath) Value {
	c := p.clone()
	return Value{typ: Reference, set: true, ref: &c}
}

// NewArray returns an array of type t holding copies of elems. Every
// element must be a non-null scalar of type t (StatusTypeMismatch
// otherwise). A nil or empty elems gives an empty, non-null array.
func NewArray(t Type, elems []Value) (Value, error) {
	if !t.Valid() {
		return Value{}, Errorf(StatusTypeMismatch, "invalid array element type %s", t)
	}
	for i, e := range elems {
		if e.typ != t || e.array || !e.set {
			return Value{}, Errorf(StatusTypeMismatch, "array element %d is %s, want non-null %s", i, e.describe(), t)
		}
	}
	return Value{typ: t, array: true, set: true, elems: slices.Clone(elems)}, nil
}

// Null returns the null value of type t, scalar or array.
func Null(t Type, isArray bool) Value { return Value{typ: t, array: isArray} }

// MustUint8 returns a uint8 value.
func MustUint8(v uint8) Value { return Value{typ: Uint8, set: true, bits: uint64(v)} }

// MustUint16 returns a uint16 value.
func MustUint16(v uint16) Value { return Value{typ: Uint16, set: true, bits: uint64(v)} }

// MustUint32 returns a uint32 value.
func MustUint32(v uint32) Value { return Value{typ: Uint32, set: true, bits: uint64(v)} }

// MustUint64 returns a uint64 value.
func MustUint64(v uint64) Value { return Value{typ: Uint64, set: true, bits: v} }

// MustSint32 returns a sint32 value.
func MustSint32(v int32) Value { return Value{typ: Sint32, set: true, bits: uint64(int64(v))} }

// MustSint64 returns a sint64 value.
func MustSint64(v int64) Value { return Value{typ: Sint64, set: true, bits: uint64(v)} }

// MustUint16Array returns a uint16[] value.
func MustUint16Array(vs []uint16) Value {
	elems := make([]Value, len(vs))
	for i, v := range vs {
		elems[i] = MustUint16(v)
	}
	return Value{typ: Uint16, array: true, set: true, elems: elems}
}

// NewStringArray returns a string[] value.
func NewStringArray(ss []string) Value {
	elems := make([]Value, len(ss))
	for i, s := range ss {
		elems[i] = NewString(s)
	}
	return Value{typ: String, array: true, set: true, elems: elems}
}

// Type returns the value's CIM type (the element type for arrays).
func (v Value) Type() Type { return v.typ }

// IsArray reports whether v is an array (possibly null or empty).
func (v Value) IsArray() bool { return v.array }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return !v.set }

// isScalar reports whether v is a non-null scalar of type t.
func (v Value) isScalar(t Type) bool { return v.set && !v.array && v.typ == t }

// Bool returns a boolean's value; false for anything else.
func (v Value) Bool() bool { return v.isScalar(Boolean) && v.bits == 1 }

// Str returns a string's value; "" for anything else.
func (v Value) Str() string {
	if v.isScalar(String) {
		return v.str
	}
	return ""
}

// Char returns a char16's value; 0 for anything else.
func (v Value) Char() rune {
	if v.isScalar(Char16) {
		return rune(v.bits)
	}
	return 0
}

// Uint returns an integer's value as a uint64 (signed values are
// converted, so -1 becomes 1<<64-1); 0 for anything else.
func (v Value) Uint() uint64 {
	if v.set && !v.array && v.typ.IsInteger() {
		return v.bits
	}
	return 0
}

// Sint returns an integer's value as an int64 (a uint64 above 1<<63-1
// wraps); 0 for anything else.
func (v Value) Sint() int64 { return int64(v.Uint()) }

// Real returns a real's value, or an integer's value converted to
// float64; 0 for anything else.
func (v Value) Real() float64 {
	switch {
	case v.set && !v.array && v.typ.IsReal():
		return math.Float64frombits(v.bits)
	case v.typ.IsSigned():
		return float64(v.Sint())
	}
	return float64(v.Uint())
}

// Time returns a datetime's value; the zero DateTime for anything else.
func (v Value) Time() DateTime {
	if v.isScalar(Datetime) {
		return DateTime{text: v.str}
	}
	return DateTime{}
}

// Ref returns a copy of a reference's object path; the zero ObjectPath
// for anything else.
func (v Value) Ref() ObjectPath {
	if v.isScalar(Reference) && v.ref != nil {
		return v.ref.clone()
	}
	return ObjectPath{}
}

// Len returns the number of elements of an array; 0 for null arrays and
// scalars.
func (v Value) Len() int { return len(v.elems) }

// Index returns element i of an array; the zero Value when i is out of
// range or v is not an array.
func (v Value) Index(i int) Value {
	if i < 0 || i >= len(v.elems) {
		return Value{}
	}
	return v.elems[i]
}

// Elems returns a copy of an array's elements; nil for scalars and nulls.
func (v Value) Elems() []Value { return slices.Clone(v.elems) }

// Equal reports whether a and b have the same type, array-ness, nullness
// and contents. Reals compare by value (NaN equals NaN, 0 equals -0);
// references compare as object paths (ObjectPath.Equal).
func (a Value) Equal(b Value) bool {
	if a.typ != b.typ || a.array != b.array || a.set != b.set {
		return false
	}
	if a.array {
		return slices.EqualFunc(a.elems, b.elems, Value.Equal)
	}
	return a.scalarEqual(b)
}

func (a Value) scalarEqual(b Value) bool {
	switch {
	case !a.set:
		return true
	case a.typ.IsReal():
		x, y := math.Float64frombits(a.bits), math.Float64frombits(b.bits)
		return x == y || (x != x && y != y)
	case a.typ == Reference:
		return a.Ref().Equal(b.Ref())
	}
	return a.bits == b.bits && a.str == b.str
}

// describe names v's kind for error messages: "uint16", "string[]",
// "null sint8".
func (v Value) describe() string {
	s := v.typ.String()
	if v.array {
		s += "[]"
	}
	if !v.set {
		s = "null " + s
	}
	return s
}
