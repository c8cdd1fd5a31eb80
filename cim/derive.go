package cim

import "strings"

// Derive builds the effective class of local, whose superclass is super
// (already effective, or nil for a root class). local holds only what the
// class itself declares; neither argument is modified. decls, when not
// nil, holds the qualifier declarations in force (keyed by name, any case).
//
// The rules, after DSP0004 clauses 5.1.2 and 5.6:
//
//   - local.SuperClass must name super (StatusInvalidSuperclass), and an
//     association may only derive from an association.
//   - Every qualifier use gets its flavors resolved: what the use says,
//     else what its declaration says, else the DSP0004 default for the
//     standard qualifiers (Key, Abstract, Override ...), else
//     EnableOverride|ToSubclass. With decls, undeclared qualifiers, uses
//     outside the declared scope and values of the wrong type are errors;
//     a boolean qualifier written without a value is true.
//   - Qualifiers of the superclass, and of each inherited property, method
//     and parameter, pass to the subclass unless Restricted; they appear
//     with Propagated set. Restricted ones (Abstract, Override by default)
//     do not pass.
//   - A local qualifier replaces an inherited one, unless the inherited one
//     has DisableOverride: then it must have the same value, or Derive fails
//     naming the class, element and qualifier.
//   - Inherited properties and methods keep their ClassOrigin and are
//     marked Propagated. A local property or method with the same name,
//     ignoring case, overrides the inherited one in its position: it must
//     have the same type (and array-ness, or return type), its qualifiers
//     merge with the inherited element's, a null default keeps the
//     inherited default, and its ClassOrigin becomes local.Name. New local
//     elements follow, with ClassOrigin local.Name.
//   - Override("Name") may only be used on an element that overrides an
//     inherited one of that name.
//   - A class whose superclass defines keys may not add new key properties.
//
// Errors are *Error with StatusInvalidParameter unless noted.
func Derive(super *Class, local *Class, decls map[string]QualifierDecl) (*Class, error) {
	d := &deriver{class: local.Name, decls: decls}
	if err := d.checkSuper(super, local); err != nil {
		return nil, err
	}
	quals, err := d.resolve("", classScope(super, local), local.Qualifiers)
	if err != nil {
		return nil, err
	}
	out := &Class{Name: local.Name, SuperClass: local.SuperClass, Qualifiers: quals}
	if super == nil {
		super = &Class{}
	}
	if out.Qualifiers, err = d.merge("", super.Qualifiers, quals); err != nil {
		return nil, err
	}
	if out.Properties, err = d.properties(super, local); err != nil {
		return nil, err
	}
	out.Methods, err = d.methods(super, local)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (d *deriver) checkSuper(super, local *Class) error {
	switch {
	case !isIdentifier(local.Name):
		return Errorf(StatusInvalidParameter, "invalid class name %q", local.Name)
	case super == nil && local.SuperClass != "":
		return Errorf(StatusInvalidSuperclass, "class %s: superclass %s not given", local.Name, local.SuperClass)
	case super != nil && !strings.EqualFold(super.Name, local.SuperClass):
		return Errorf(StatusInvalidSuperclass, "class %s: superclass is %q, not %q", local.Name, local.SuperClass, super.Name)
	case super != nil && !super.IsAssociation() && local.Qualifiers.Has("Association"):
		return Errorf(StatusInvalidSuperclass, "class %s: an association cannot derive from the non-association %s", local.Name, super.Name)
	}
	return nil
}

// classScope is the qualifier scope of a class declaration: an
// association or indication (declared here or inherited) also accepts
// qualifiers scoped to those.
func classScope(super, local *Class) Scope {
	s := ScopeClass
	if local.Qualifiers.Has("Association") || super != nil && super.IsAssociation() {
		s |= ScopeAssociation
	}
	if local.Qualifiers.Has("Indication") || super != nil && super.IsIndication() {
		s |= ScopeIndication
	}
	return s
}

// properties returns the inherited properties, overridden where local
// redeclares them, followed by the new local ones.
func (d *deriver) properties(super, local *Class) ([]Property, error) {
	props := make([]Property, 0, len(super.Properties)+len(local.Properties))
	for _, p := range super.Properties {
		p.Qualifiers = propagating(p.Qualifiers)
		p.Propagated = true
		props = append(props, p)
	}
	superKeys, seen := len(super.KeyNames()) > 0, map[string]bool{}
	for _, lp := range local.Properties {
		if seen[strings.ToLower(lp.Name)] {
			return nil, d.errorf("", "property %s declared twice", lp.Name)
		}
		seen[strings.ToLower(lp.Name)] = true
		i := propertyIndex(props, lp.Name)
		p, err := d.property(lp, props, i)
		if err != nil {
			return nil, err
		}
		if superKeys && p.IsKey() && (i < 0 || !props[i].IsKey()) {
			return nil, d.errorf(": property "+p.Name, "cannot add a key: superclass %s already defines keys", super.Name)
		}
		if i >= 0 {
			props[i] = p
		} else {
			props = append(props, p)
		}
	}
	return props, nil
}

func propertyIndex(props []Property, name string) int {
	for i := range props {
		if strings.EqualFold(props[i].Name, name) {
			return i
		}
	}
	return -1
}

// property builds the effective form of local property lp; props[i] is
// the inherited property it overrides when i >= 0.
func (d *deriver) property(lp Property, props []Property, i int) (Property, error) {
	where := ": property " + lp.Name
	if !lp.Type.Valid() || !isIdentifier(lp.Name) {
		return lp, d.errorf(where, "invalid name or type %s", lp.Type)
	}
	quals, err := d.resolve(where, propertyScope(lp.Type), lp.Qualifiers)
	if err == nil {
		err = d.checkOverride(where, quals, i >= 0, lp.Name)
	}
	if err == nil && !lp.Default.IsNull() {
		lp.Default, err = d.convertDefault(where, lp)
	}
	if err != nil {
		return lp, err
	}
	lp.Qualifiers, lp.ClassOrigin, lp.Propagated = quals, d.class, false
	if i < 0 {
		return lp, nil
	}
	return d.overrideProperty(where, lp, props[i])
}

func (d *deriver) convertDefault(where string, p Property) (Value, error) {
	v, err := Convert(p.Default, p.Type)
	if err != nil || v.array != p.IsArray {
		return v, d.errorf(where, "default %s does not fit type %s", p.Default.MOF(), p.Type)
	}
	return v, nil
}

func propertyScope(t Type) Scope {
	if t == Reference {
		return ScopeReference | ScopeProperty
	}
	return ScopeProperty
}

// overrideProperty merges lp with the inherited property ip it overrides.
func (d *deriver) overrideProperty(where string, lp, ip Property) (Property, error) {
	if lp.Type != ip.Type || lp.IsArray != ip.IsArray {
		return lp, d.errorf(where, "cannot change type %s of inherited property to %s", typeName(ip.Type, ip.IsArray), typeName(lp.Type, lp.IsArray))
	}
	quals, err := d.merge(where, ip.Qualifiers, lp.Qualifiers)
	if err != nil {
		return lp, err
	}
	lp.Qualifiers = quals
	if lp.Default.IsNull() {
		lp.Default = ip.Default
	}
	if lp.RefClass == "" {
		lp.RefClass = ip.RefClass
	}
	return lp, nil
}

func typeName(t Type, array bool) string {
	if array {
		return t.String() + "[]"
	}
	return t.String()
}

// checkOverride enforces that Override names an inherited element of the
// same name.
func (d *deriver) checkOverride(where string, quals Qualifiers, inherited bool, name string) error {
	q, ok := quals.Get("Override")
	if !ok {
		return nil
	}
	if !inherited {
		return d.errorf(where, "Override given but the superclass has no %s", name)
	}
	if s := q.Value.Str(); s != "" && !strings.EqualFold(s, name) {
		return d.errorf(where, "Override(%q) must name the element itself", s)
	}
	return nil
}
