package mof

import (
	"math"
	"strings"

	"github.com/redset/redset/cim"
)

// valueError is a problem with a literal, at the literal's position.
type valueError struct {
	pos Pos
	msg string
}

// value converts a literal to a value of type t. promote lets a scalar
// stand for a one-element array (as qualifier values may).
func (c *compiler) value(lit *Literal, t cim.Type, isArray, promote bool) (cim.Value, *valueError) {
	switch {
	case lit.Kind == LitNull:
		return cim.Null(t, isArray), nil
	case lit.Kind == LitArray && !isArray:
		return cim.Value{}, &valueError{lit.Pos, "array value given for scalar type " + t.String()}
	case lit.Kind == LitArray:
		return c.arrayValue(lit, t)
	case isArray && !promote:
		return cim.Value{}, &valueError{lit.Pos, "scalar value given for array type " + t.String() + "[] (use { })"}
	}
	v, verr := c.scalarValue(lit, t)
	if verr != nil || !isArray {
		return v, verr
	}
	arr, err := cim.NewArray(t, []cim.Value{v})
	if err != nil {
		return cim.Value{}, &valueError{lit.Pos, errText(err)}
	}
	return arr, nil
}

func (c *compiler) arrayValue(lit *Literal, t cim.Type) (cim.Value, *valueError) {
	elems := make([]cim.Value, len(lit.Elems))
	for i := range lit.Elems {
		e := &lit.Elems[i]
		if e.Kind == LitNull {
			return cim.Value{}, &valueError{e.Pos, "array elements cannot be null"}
		}
		v, verr := c.scalarValue(e, t)
		if verr != nil {
			return cim.Value{}, verr
		}
		elems[i] = v
	}
	arr, err := cim.NewArray(t, elems)
	if err != nil {
		return cim.Value{}, &valueError{lit.Pos, errText(err)}
	}
	return arr, nil
}

// scalarValue converts a non-array literal to type t.
func (c *compiler) scalarValue(lit *Literal, t cim.Type) (cim.Value, *valueError) {
	v, msg := c.scalar(lit, t)
	if msg != "" {
		return cim.Value{}, &valueError{lit.Pos, msg}
	}
	return v, nil
}

func (c *compiler) scalar(lit *Literal, t cim.Type) (cim.Value, string) {
	switch lit.Kind {
	case LitBool:
		if t == cim.Boolean {
			return cim.NewBool(lit.Bool), ""
		}
	case LitInt:
		return intValue(lit, t)
	case LitReal:
		if t.IsReal() {
			return cim.NewReal(t, lit.Real), ""
		}
	case LitString:
		return stringValue(lit.Str, t)
	case LitChar:
		if t == cim.Char16 {
			return cim.NewChar16(lit.Char), ""
		}
	case LitAlias:
		return c.aliasValue(lit.Str, t)
	case LitNull:
		return cim.Null(t, false), ""
	}
	return cim.Value{}, literalName(lit) + " does not fit type " + t.String()
}

func literalName(lit *Literal) string {
	names := [...]string{LitNull: "null", LitBool: "boolean value", LitInt: "integer value",
		LitReal: "real value", LitString: "string value", LitChar: "char16 value",
		LitAlias: "alias", LitArray: "array value"}
	return names[lit.Kind]
}

// intValue converts an integer literal to an integer or real type,
// checking the range.
func intValue(lit *Literal, t cim.Type) (cim.Value, string) {
	var v cim.Value
	var err error
	switch {
	case t.IsReal():
		f := float64(lit.Uint)
		if lit.Neg {
			f = -f
		}
		return cim.NewReal(t, f), ""
	case !t.IsInteger():
		return v, "integer value does not fit type " + t.String()
	case !t.IsSigned():
		if lit.Neg && lit.Uint != 0 {
			return v, "value -" + utoa(lit.Uint) + " out of range for " + t.String()
		}
		v, err = cim.NewUint(t, lit.Uint)
	case lit.Neg && lit.Uint > 1<<63, !lit.Neg && lit.Uint > math.MaxInt64:
		return v, "value out of range for " + t.String()
	case lit.Neg:
		v, err = cim.NewSint(t, int64(-lit.Uint)) // two's complement wraps 1<<63 correctly
	default:
		v, err = cim.NewSint(t, int64(lit.Uint))
	}
	if err != nil {
		return v, errText(err)
	}
	return v, ""
}

func utoa(u uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			return string(b[i:])
		}
	}
}

// stringValue converts a string literal to string, datetime or reference
// (an object path).
func stringValue(s string, t cim.Type) (cim.Value, string) {
	switch t {
	case cim.String:
		return cim.NewString(s), ""
	case cim.Datetime:
		d, err := cim.ParseDateTime(s)
		if err != nil {
			return cim.Value{}, errText(err)
		}
		return cim.NewDateTime(d), ""
	case cim.Reference:
		p, err := cim.ParseObjectPath(s)
		if err != nil {
			return cim.Value{}, errText(err)
		}
		return cim.NewReference(p), ""
	}
	return cim.Value{}, "string value does not fit type " + t.String()
}

func (c *compiler) aliasValue(name string, t cim.Type) (cim.Value, string) {
	if t != cim.Reference {
		return cim.Value{}, "alias $" + name + " used for non-reference type " + t.String()
	}
	p, ok := c.aliases[strings.ToLower(name)]
	if !ok {
		return cim.Value{}, "alias $" + name + " is not defined"
	}
	return cim.NewReference(p), ""
}
