package cim

import (
	"math"
	"strconv"
)

// Convert returns v as a value of type t, for assigning a literal or a
// decoded value to a declared property, parameter or qualifier:
//
//   - null stays null (of type t, keeping array-ness)
//   - arrays convert element by element
//   - integers convert to any integer type whose range holds them, and to
//     reals
//   - reals convert between real32 and real64 (finite values must fit)
//   - strings are parsed with ParseValue into any type
//   - a char16 converts to a one-character string
//
// Range errors are *Error with StatusInvalidParameter ("value 256 out of
// range for uint8"); impossible conversions have StatusTypeMismatch.
func Convert(v Value, t Type) (Value, error) {
	switch {
	case !t.Valid():
		return Value{}, Errorf(StatusTypeMismatch, "cannot convert to %s", t)
	case v.IsNull():
		return Null(t, v.array), nil
	case v.array:
		return convertArray(v, t)
	}
	return convertScalar(v, t)
}

func convertArray(v Value, t Type) (Value, error) {
	elems := make([]Value, len(v.elems))
	for i, e := range v.elems {
		c, err := convertScalar(e, t)
		if err != nil {
			return Value{}, err
		}
		elems[i] = c
	}
	return Value{typ: t, array: true, set: true, elems: elems}, nil
}

func convertScalar(v Value, t Type) (Value, error) {
	switch {
	case v.typ == t:
		return v, nil
	case v.typ == String:
		return ParseValue(t, v.str)
	case t.IsInteger() && v.typ.IsInteger():
		return convertInteger(v, t)
	case t.IsReal() && v.typ.IsNumeric():
		return convertReal(v, t)
	case t == String && v.typ == Char16:
		return NewString(v.scalarText()), nil
	}
	return Value{}, Errorf(StatusTypeMismatch, "cannot convert %s value %s to %s", v.typ, v.MOF(), t)
}

func convertInteger(v Value, t Type) (Value, error) {
	if v.typ.IsSigned() && v.Sint() < 0 {
		mag := uint64(-(v.Sint() + 1)) + 1
		return integerValue(t, true, mag, formatSint(v.Sint()))
	}
	return integerValue(t, false, v.Uint(), formatUint(v.Uint()))
}

func convertReal(v Value, t Type) (Value, error) {
	f := v.Real()
	if t == Real32 && !math.IsInf(f, 0) && math.IsInf(float64(float32(f)), 0) {
		return Value{}, rangeError(t, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return NewReal(t, f), nil
}
