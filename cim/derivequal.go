package cim

import "strings"

// standardFlavors holds the default flavors DSP0004 gives its standard
// qualifiers, used when Derive is called without declarations or a
// declaration does not name a flavor. Keys are lower case; qualifiers not
// listed get DefaultFlavor.
var standardFlavors = map[string]Flavor{
	"abstract":     EnableOverride | Restricted,
	"aggregate":    DisableOverride | ToSubclass,
	"aggregation":  DisableOverride | ToSubclass,
	"arraytype":    DisableOverride | ToSubclass,
	"association":  DisableOverride | ToSubclass,
	"composition":  DisableOverride | ToSubclass,
	"description":  EnableOverride | ToSubclass | Translatable,
	"displayname":  EnableOverride | ToSubclass | Translatable,
	"exception":    DisableOverride | ToSubclass,
	"experimental": EnableOverride | Restricted,
	"in":           DisableOverride | ToSubclass,
	"indication":   DisableOverride | ToSubclass,
	"key":          DisableOverride | ToSubclass,
	"octetstring":  DisableOverride | ToSubclass,
	"out":          DisableOverride | ToSubclass,
	"override":     EnableOverride | Restricted,
	"required":     DisableOverride | ToSubclass,
	"static":       DisableOverride | ToSubclass,
	"version":      EnableOverride | Restricted | Translatable,
	"weak":         DisableOverride | ToSubclass,
}

// deriver carries what Derive needs while it walks one class.
type deriver struct {
	class string
	decls map[string]QualifierDecl
}

// decl finds the declaration of a qualifier, ignoring case.
func (d *deriver) decl(name string) (QualifierDecl, bool) {
	if q, ok := d.decls[name]; ok {
		return q, true
	}
	for k, q := range d.decls {
		if strings.EqualFold(k, name) {
			return q, true
		}
	}
	return QualifierDecl{}, false
}

// defaultFlavor is the flavor a use of name gets when it names none.
func (d *deriver) defaultFlavor(name string) Flavor {
	f := standardFlavors[strings.ToLower(name)]
	if q, ok := d.decl(name); ok {
		f = q.Flavor.Resolve(f)
	}
	return f.Resolve(0)
}

// resolve checks the qualifiers written on one element and returns them
// with flavors resolved. With declarations, every qualifier must be
// declared, allowed in scope, and have a value convertible to the
// declared type (a boolean qualifier without a value is true).
func (d *deriver) resolve(where string, scope Scope, qs Qualifiers) (Qualifiers, error) {
	out := make(Qualifiers, 0, len(qs))
	for _, q := range qs {
		if _, dup := out.Get(q.Name); dup {
			return nil, d.errorf(where, "qualifier %s given twice", q.Name)
		}
		q, err := d.checkDecl(where, scope, q)
		if err != nil {
			return nil, err
		}
		q.Flavor = q.Flavor.Resolve(d.defaultFlavor(q.Name))
		q.Propagated = false
		out = append(out, q)
	}
	return out, nil
}

// checkDecl validates one qualifier use against its declaration.
func (d *deriver) checkDecl(where string, scope Scope, q Qualifier) (Qualifier, error) {
	if d.decls == nil {
		return q, nil
	}
	decl, ok := d.decl(q.Name)
	if !ok {
		return q, d.errorf(where, "qualifier %s is not declared", q.Name)
	}
	if decl.Scope&scope == 0 {
		return q, d.errorf(where, "qualifier %s is not allowed here (scope %s)", q.Name, decl.Scope)
	}
	v, err := declValue(decl, q.Value)
	if err != nil {
		return q, d.errorf(where, "qualifier %s: value %s does not fit declared type %s", q.Name, q.Value.MOF(), declTypeName(decl))
	}
	q.Value = v
	return q, nil
}

// declValue converts a qualifier's value to its declared type: a boolean
// qualifier without a value is true, a null takes the declared shape, and
// a scalar given for an array qualifier becomes a one-element array.
func declValue(decl QualifierDecl, v Value) (Value, error) {
	switch {
	case v.IsNull() && decl.Type == Boolean && !decl.IsArray:
		return NewBool(true), nil
	case v.IsNull():
		return Null(decl.Type, decl.IsArray), nil
	case decl.IsArray && !v.array:
		v = Value{typ: v.typ, array: true, set: true, elems: []Value{v}}
	case !decl.IsArray && v.array:
		return Value{}, Errorf(StatusTypeMismatch, "array for a scalar qualifier")
	}
	return Convert(v, decl.Type)
}

func declTypeName(q QualifierDecl) string {
	if q.IsArray {
		return q.Type.String() + "[]"
	}
	return q.Type.String()
}

// propagating returns copies of the qualifiers of inherited that pass to
// a subclass or overriding element, marked Propagated.
func propagating(inherited Qualifiers) Qualifiers {
	var out Qualifiers
	for _, q := range inherited {
		if q.Flavor.Propagates() {
			q.Propagated = true
			out = append(out, q)
		}
	}
	return out
}

// merge combines the propagating qualifiers of an inherited element with
// the resolved local ones. A local qualifier replaces an inherited one,
// except that a DisableOverride qualifier may only be repeated with the
// same value (it then keeps the inherited flavor).
func (d *deriver) merge(where string, inherited, local Qualifiers) (Qualifiers, error) {
	out := propagating(inherited)
	for _, q := range local {
		if iq, ok := out.Get(q.Name); ok && !iq.Flavor.Overridable() {
			if !sameQualifierValue(iq.Value, q.Value) {
				return nil, d.errorf(where, "qualifier %s has DisableOverride; value %s cannot change to %s",
					iq.Name, iq.Value.MOF(), q.Value.MOF())
			}
			q.Flavor = iq.Flavor
		}
		out.Set(q)
	}
	return out, nil
}

func sameQualifierValue(inherited, local Value) bool {
	if c, err := Convert(local, inherited.typ); err == nil {
		local = c
	}
	return inherited.Equal(local)
}

func (d *deriver) errorf(where, format string, args ...any) *Error {
	return Errorf(StatusInvalidParameter, "class "+d.class+where+": "+format, args...)
}
