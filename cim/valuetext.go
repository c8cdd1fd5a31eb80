package cim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseValue parses the textual form of a scalar of type t, as carried by
// a CIM-XML VALUE element (DSP0201 clause 5.2.2):
//
//   - boolean: "true" or "false", any case
//   - integers: decimal with optional sign, or hexadecimal with a 0x prefix
//   - reals: decimal or exponent notation, "NaN", "INF", "-INF"
//   - char16: exactly one character of the Basic Multilingual Plane
//   - datetime: either 25-character form (see DateTime)
//   - reference: an object path (see ParseObjectPath)
//   - string: the text itself
//
// Leading and trailing white space is ignored for every type but string
// and char16. Errors are *Error with StatusInvalidParameter; they name the
// type and the text, and range errors say "out of range for uint8".
func ParseValue(t Type, s string) (Value, error) {
	switch {
	case t == String:
		return NewString(s), nil
	case t == Char16:
		return parseChar16(s)
	case t.IsInteger():
		return parseInteger(t, strings.TrimSpace(s))
	case t.IsReal():
		return parseReal(t, strings.TrimSpace(s))
	}
	return parseOther(t, s)
}

// parseOther handles boolean, datetime and reference.
func parseOther(t Type, s string) (Value, error) {
	trimmed := strings.TrimSpace(s)
	switch t {
	case Boolean:
		return parseBool(trimmed)
	case Datetime:
		d, err := ParseDateTime(trimmed)
		if err != nil {
			return Value{}, err
		}
		return NewDateTime(d), nil
	case Reference:
		p, err := ParseObjectPath(trimmed)
		if err != nil {
			return Value{}, err
		}
		return NewReference(p), nil
	}
	return Value{}, Errorf(StatusTypeMismatch, "cannot parse a value of type %s", t)
}

func parseBool(s string) (Value, error) {
	switch {
	case strings.EqualFold(s, "true"):
		return NewBool(true), nil
	case strings.EqualFold(s, "false"):
		return NewBool(false), nil
	}
	return Value{}, syntaxError(Boolean, s)
}

func parseChar16(s string) (Value, error) {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) || r == utf8.RuneError || r > 0xFFFF {
		return Value{}, syntaxError(Char16, s)
	}
	return NewChar16(r), nil
}

// parseInteger accepts [+-]digits or [+-]0x hexdigits.
func parseInteger(t Type, s string) (Value, error) {
	neg, body := false, s
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg, body = body[0] == '-', body[1:]
	}
	base := 10
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		base, body = 16, body[2:]
	}
	if body == "" || body[0] == '+' || body[0] == '-' || strings.Contains(body, "_") {
		return Value{}, syntaxError(t, s)
	}
	mag, err := strconv.ParseUint(body, base, 64)
	if err != nil {
		if err.(*strconv.NumError).Err == strconv.ErrRange {
			return Value{}, rangeError(t, s)
		}
		return Value{}, syntaxError(t, s)
	}
	return integerValue(t, neg, mag, s)
}

// integerValue builds a value of integer type t from a sign and magnitude,
// using text in range errors.
func integerValue(t Type, neg bool, mag uint64, text string) (Value, error) {
	if !t.IsSigned() {
		if neg && mag != 0 {
			return Value{}, rangeError(t, text)
		}
		if mag > t.uintMax() {
			return Value{}, rangeError(t, text)
		}
		return Value{typ: t, set: true, bits: mag}, nil
	}
	lo, hi := t.sintRange()
	if (!neg && mag > uint64(hi)) || (neg && mag > uint64(-(lo+1))+1) {
		return Value{}, rangeError(t, text)
	}
	v := int64(mag)
	if neg {
		v = -v
	}
	return Value{typ: t, set: true, bits: uint64(v)}, nil
}

func parseReal(t Type, s string) (Value, error) {
	switch strings.ToUpper(s) {
	case "INF", "+INF":
		return NewReal(t, math.Inf(1)), nil
	case "-INF":
		return NewReal(t, math.Inf(-1)), nil
	case "NAN":
		return NewReal(t, math.NaN()), nil
	}
	if s == "" || strings.ContainsAny(s, "_xXpPnNiI") {
		return Value{}, syntaxError(t, s)
	}
	f, err := strconv.ParseFloat(s, t.Bits())
	if err != nil {
		if err.(*strconv.NumError).Err == strconv.ErrRange {
			return Value{}, rangeError(t, s)
		}
		return Value{}, syntaxError(t, s)
	}
	return NewReal(t, f), nil
}

func syntaxError(t Type, s string) *Error {
	return Errorf(StatusInvalidParameter, "invalid %s value %q", t, s)
}

func rangeError(t Type, s string) *Error {
	return Errorf(StatusInvalidParameter, "value %s out of range for %s", s, t)
}

func formatUint(v uint64) string { return strconv.FormatUint(v, 10) }

func formatSint(v int64) string { return strconv.FormatInt(v, 10) }

// String returns the textual form of v that ParseValue reads back: for a
// scalar exactly what a CIM-XML VALUE element carries; for an array the
// elements' forms joined by ", " inside braces; "NULL" for null values.
func (v Value) String() string {
	switch {
	case !v.set:
		return "NULL"
	case v.array:
		return v.joinElems(Value.String)
	}
	return v.scalarText()
}

// scalarText formats a non-null scalar.
func (v Value) scalarText() string {
	switch {
	case v.typ == Boolean:
		return strconv.FormatBool(v.bits == 1)
	case v.typ == String, v.typ == Datetime:
		return v.str
	case v.typ == Char16:
		return string(rune(v.bits))
	case v.typ.IsSigned():
		return formatSint(int64(v.bits))
	case v.typ.IsInteger():
		return formatUint(v.bits)
	case v.typ.IsReal():
		return formatReal(v.typ, math.Float64frombits(v.bits))
	case v.typ == Reference:
		return v.Ref().String()
	}
	return ""
}

// formatReal writes the shortest text that parses back to f at t's width.
func formatReal(t Type, f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, t.Bits())
}

func (v Value) joinElems(format func(Value) string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range v.elems {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(format(e))
	}
	b.WriteByte('}')
	return b.String()
}

// MOF returns v as a MOF literal (DSP0004 Annex A): NULL, true/false,
// integers in decimal, reals with a decimal point or exponent, strings,
// datetimes and references as double-quoted escaped strings, char16 as
// 'c', arrays as {a, b}. Infinite and NaN reals have no MOF form and are
// written as INF, -INF and NaN.
func (v Value) MOF() string {
	switch {
	case !v.set:
		return "NULL"
	case v.array:
		return v.joinElems(Value.MOF)
	case v.typ == Char16:
		return "'" + escapeMOF(string(rune(v.bits)), '\'') + "'"
	case v.typ == String, v.typ == Datetime, v.typ == Reference:
		return `"` + escapeMOF(v.scalarText(), '"') + `"`
	case v.typ.IsReal():
		return realMOF(v.scalarText())
	}
	return v.scalarText()
}

// realMOF makes sure a real's text cannot be read as an integer literal.
func realMOF(s string) string {
	if strings.ContainsAny(s, ".eEIN") {
		return s
	}
	return s + ".0"
}

// escapeMOF escapes backslash, the quote character and control characters
// with MOF escape sequences.
func escapeMOF(s string, quote byte) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(controlEscape(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func controlEscape(r rune) string {
	switch r {
	case '\b':
		return `\b`
	case '\t':
		return `\t`
	case '\n':
		return `\n`
	case '\f':
		return `\f`
	case '\r':
		return `\r`
	}
	return fmt.Sprintf(`\x%04X`, r) // four digits, so a following hex digit cannot join the escape
}
