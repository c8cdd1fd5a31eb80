package cim

import "strings"

// Type is a CIM intrinsic data type (DSP0004 clause 5.2). The zero value,
// Invalid, means "no type". A Type says nothing about arrays: array-ness is
// carried separately (Value.IsArray, Property.IsArray).
type Type uint8

// The CIM intrinsic types. Datetime is the datetime type; it is spelled
// with a lower-case t because the name DateTime belongs to the Go type that
// holds a datetime value.
const (
	Invalid Type = iota
	Boolean
	String
	Char16
	Datetime
	Uint8
	Sint8
	Uint16
	Sint16
	Uint32
	Sint32
	Uint64
	Sint64
	Real32
	Real64
	Reference
)

// typeNames holds the MOF and CIM-XML spelling of each type, indexed by Type.
var typeNames = [...]string{
	Invalid:   "invalid",
	Boolean:   "boolean",
	String:    "string",
	Char16:    "char16",
	Datetime:  "datetime",
	Uint8:     "uint8",
	Sint8:     "sint8",
	Uint16:    "uint16",
	Sint16:    "sint16",
	Uint32:    "uint32",
	Sint32:    "sint32",
	Uint64:    "uint64",
	Sint64:    "sint64",
	Real32:    "real32",
	Real64:    "real64",
	Reference: "reference",
}

// String returns the MOF / CIM-XML name of the type, such as "uint16",
// "datetime" or "reference". Unknown values give "invalid".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// ParseType maps a type name to its Type, ignoring case. It accepts every
// name String produces except "invalid", and "ref" as another spelling of
// "reference".
func ParseType(s string) (Type, bool) {
	if strings.EqualFold(s, "ref") {
		return Reference, true
	}
	for t := Boolean; t <= Reference; t++ {
		if strings.EqualFold(s, typeNames[t]) {
			return t, true
		}
	}
	return Invalid, false
}

// Valid reports whether t is one of the intrinsic types.
func (t Type) Valid() bool { return t >= Boolean && t <= Reference }

// IsInteger reports whether t is one of the eight integer types.
func (t Type) IsInteger() bool { return t >= Uint8 && t <= Sint64 }

// IsSigned reports whether t is a signed integer type.
func (t Type) IsSigned() bool {
	return t == Sint8 || t == Sint16 || t == Sint32 || t == Sint64
}

// IsReal reports whether t is real32 or real64.
func (t Type) IsReal() bool { return t == Real32 || t == Real64 }

// IsNumeric reports whether t is an integer or real type.
func (t Type) IsNumeric() bool { return t.IsInteger() || t.IsReal() }

// Bits returns the width in bits of a numeric type (8 for uint8, 32 for
// real32, ...), 16 for char16, and 0 for every other type.
func (t Type) Bits() int {
	switch t {
	case Uint8, Sint8:
		return 8
	case Uint16, Sint16, Char16:
		return 16
	case Uint32, Sint32, Real32:
		return 32
	case Uint64, Sint64, Real64:
		return 64
	}
	return 0
}

// uintMax returns the largest value of an unsigned integer type.
func (t Type) uintMax() uint64 {
	if b := t.Bits(); b < 64 {
		return 1<<b - 1
	}
	return 1<<64 - 1
}

// sintRange returns the smallest and largest value of a signed type.
func (t Type) sintRange() (lo, hi int64) {
	b := t.Bits()
	if b >= 64 {
		return -1 << 63, 1<<63 - 1
	}
	return -1 << (b - 1), 1<<(b-1) - 1
}
