package cim

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// ValidateInstance checks inst against the effective class c (see Derive)
// and returns nil or one *Error describing every violation, joined by
// "; ", with the status of the first. Violations lists them separately.
//
// The rules: every property of inst is declared by c (NoSuchProperty) and
// named once; values have the declared type and array-ness (TypeMismatch;
// an integer of another width that does not fit is reported as out of
// range, InvalidParameter); and the qualifiers of each property hold for
// its effective value (the instance's value, else the class default):
//
//   - Key, Required: not null
//   - MaxLen, MinLen: string length in characters, for each array element
//   - MinValue, MaxValue: numeric bounds, for each array element
//   - ValueMap: integer entries with ranges "a..b", "..b", "a.." and ".."
//     (the gap between the neighbouring entries), or string entries; when
//     there is no ValueMap, Values allows 0..len(Values)-1
//   - ArraySize: a fixed-size array holds at most that many elements
//   - ArrayType: Bag, Ordered or Indexed on an array property
//
// All other violations are InvalidParameter. Messages name the property,
// the rule and the offending value, for example
// "property Caption: MaxLen 64 exceeded by value of length 70".
func ValidateInstance(c *Class, inst Instance) error {
	return joinViolations(Violations(c, inst))
}

// ValidateModification checks a client's change of instance old into new.
// new may be partial: its properties are laid over old, and the result
// must pass ValidateInstance. Then every property whose effective value
// changes must be writable (Write(true)) and not a key; each refused change
// is an InvalidParameter violation naming the property and both values.
func ValidateModification(c *Class, old, new Instance) error {
	merged := old.Clone()
	for _, p := range new.Properties {
		merged.Set(p.Name, p.Value)
	}
	errs := Violations(c, merged)
	for _, p := range new.Properties {
		if e := checkChange(c, old, p); e != nil {
			errs = append(errs, e)
		}
	}
	return joinViolations(errs)
}

// checkChange refuses a change of a read-only or key property.
func checkChange(c *Class, old Instance, pv PropertyValue) *Error {
	prop, ok := c.Property(pv.Name)
	if !ok {
		return nil
	}
	before := effectiveValue(prop, old)
	if before.Equal(pv.Value) || pv.Value.IsNull() && before.IsNull() {
		return nil
	}
	rule := "read-only (no Write qualifier)"
	if prop.IsKey() {
		rule = "Key"
	} else if !prop.IsReadOnly() {
		return nil
	}
	return Errorf(StatusInvalidParameter, "property %s: %s, cannot change from %s to %s",
		prop.Name, rule, before.MOF(), pv.Value.MOF())
}

// Violations returns every rule of ValidateInstance that inst breaks, in
// property order; nil when it is valid.
func Violations(c *Class, inst Instance) []*Error {
	var errs []*Error
	if inst.ClassName != "" && !strings.EqualFold(inst.ClassName, c.Name) {
		errs = append(errs, Errorf(StatusInvalidClass, "instance of %s checked against class %s", inst.ClassName, c.Name))
	}
	seen := map[string]bool{}
	for _, pv := range inst.Properties {
		if seen[strings.ToLower(pv.Name)] {
			errs = append(errs, Errorf(StatusInvalidParameter, "property %s given twice", pv.Name))
		}
		seen[strings.ToLower(pv.Name)] = true
		if _, ok := c.Property(pv.Name); !ok {
			errs = append(errs, Errorf(StatusNoSuchProperty, "no property %s in class %s", pv.Name, c.Name))
		}
	}
	for i := range c.Properties {
		prop := &c.Properties[i]
		errs = append(errs, checkProperty(prop, effectiveValue(prop, inst))...)
	}
	return errs
}

// effectiveValue is the instance's value of prop, else its default.
func effectiveValue(prop *Property, inst Instance) Value {
	if v, ok := inst.Get(prop.Name); ok {
		return v
	}
	return prop.Default
}

func joinViolations(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Message
	}
	return &Error{Status: errs[0].Status, Message: strings.Join(msgs, "; ")}
}

// checkProperty applies every rule to one property's effective value.
func checkProperty(p *Property, v Value) []*Error {
	if v.IsNull() {
		return checkNull(p)
	}
	if e := checkType(p, v); e != nil {
		return []*Error{e}
	}
	var errs []*Error
	errs = appendIf(errs, checkArrayShape(p, v))
	if !v.array {
		return append(errs, checkElement(p, v, "value")...)
	}
	for i, e := range v.elems {
		errs = append(errs, checkElement(p, e, "element "+formatSint(int64(i)))...)
	}
	return errs
}

func appendIf(errs []*Error, e *Error) []*Error {
	if e != nil {
		return append(errs, e)
	}
	return errs
}

func checkNull(p *Property) []*Error {
	switch {
	case p.IsKey():
		return []*Error{violation(p, "Key must not be null")}
	case p.Qualifiers.Has("Required"):
		return []*Error{violation(p, "Required must not be null")}
	}
	return nil
}

// checkType reports a value whose type or array-ness differs from p's.
func checkType(p *Property, v Value) *Error {
	if v.typ == p.Type && v.array == p.IsArray {
		return nil
	}
	if v.array == p.IsArray && v.typ.IsInteger() && p.Type.IsInteger() {
		if _, err := Convert(v, p.Type); err != nil {
			var ce *Error
			errors.As(err, &ce)
			return violation(p, ce.Message)
		}
	}
	return Errorf(StatusTypeMismatch, "property %s: value of type %s where %s is declared",
		p.Name, v.describe(), typeName(p.Type, p.IsArray))
}

// checkArrayShape applies ArraySize and ArrayType.
func checkArrayShape(p *Property, v Value) *Error {
	if v.array && p.ArraySize > 0 && len(v.elems) > p.ArraySize {
		return violation(p, "ArraySize %d exceeded by %d elements", p.ArraySize, len(v.elems))
	}
	q, ok := p.Qualifiers.Get("ArrayType")
	if !ok || q.Value.IsNull() {
		return nil
	}
	switch s := q.Value.Str(); {
	case !p.IsArray:
		return violation(p, "ArrayType %q on a property that is not an array", s)
	case !strings.EqualFold(s, "Bag") && !strings.EqualFold(s, "Ordered") && !strings.EqualFold(s, "Indexed"):
		return violation(p, "ArrayType %q is not Bag, Ordered or Indexed", s)
	}
	return nil
}

// checkElement applies the per-value rules to a scalar or array element.
func checkElement(p *Property, v Value, what string) []*Error {
	var errs []*Error
	if v.typ == String {
		errs = appendIf(errs, checkLength(p, v, what))
	}
	if v.typ.IsNumeric() {
		errs = appendIf(errs, checkBounds(p, v, what))
	}
	return appendIf(errs, checkValueMap(p, v, what))
}

func checkLength(p *Property, v Value, what string) *Error {
	n := int64(utf8.RuneCountInString(v.str))
	if max, ok := qualifierInt(p.Qualifiers, "MaxLen"); ok && n > max {
		return violation(p, "MaxLen %d exceeded by %s of length %d", max, what, n)
	}
	if min, ok := qualifierInt(p.Qualifiers, "MinLen"); ok && n < min {
		return violation(p, "MinLen %d not met by %s of length %d", min, what, n)
	}
	return nil
}

func checkBounds(p *Property, v Value, what string) *Error {
	if min, ok := qualifierInt(p.Qualifiers, "MinValue"); ok && compareBound(v, min) < 0 {
		return violation(p, "MinValue %d not met by %s %s", min, what, v)
	}
	if max, ok := qualifierInt(p.Qualifiers, "MaxValue"); ok && compareBound(v, max) > 0 {
		return violation(p, "MaxValue %d exceeded by %s %s", max, what, v)
	}
	return nil
}

// compareBound compares a numeric value with an integer bound: -1, 0, 1.
func compareBound(v Value, bound int64) int {
	switch {
	case v.typ.IsReal():
		return compareOrdered(v.Real(), float64(bound))
	case v.typ.IsSigned():
		return compareOrdered(v.Sint(), bound)
	case bound < 0:
		return 1
	}
	return compareOrdered(v.Uint(), uint64(bound))
}

func compareOrdered[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// qualifierInt reads an integer qualifier value (also from its text).
func qualifierInt(qs Qualifiers, name string) (int64, bool) {
	q, ok := qs.Get(name)
	if !ok || q.Value.IsNull() || q.Value.array {
		return 0, false
	}
	v, err := Convert(q.Value, Sint64)
	if err != nil {
		return 0, false
	}
	return v.Sint(), true
}

func violation(p *Property, format string, args ...any) *Error {
	return Errorf(StatusInvalidParameter, "property "+p.Name+": "+format, args...)
}
