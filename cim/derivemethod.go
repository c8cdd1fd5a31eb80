package cim

import "strings"

// methods returns the inherited methods, overridden where local redeclares
// them, followed by the new local ones (see Derive).
func (d *deriver) methods(super, local *Class) ([]Method, error) {
	methods := make([]Method, 0, len(super.Methods)+len(local.Methods))
	for _, m := range super.Methods {
		m = m.clone()
		m.Qualifiers = propagating(m.Qualifiers)
		for i := range m.Parameters {
			m.Parameters[i].Qualifiers = propagating(m.Parameters[i].Qualifiers)
		}
		m.Propagated = true
		methods = append(methods, m)
	}
	seen := map[string]bool{}
	for _, lm := range local.Methods {
		if seen[strings.ToLower(lm.Name)] {
			return nil, d.errorf("", "method %s declared twice", lm.Name)
		}
		seen[strings.ToLower(lm.Name)] = true
		i := methodIndex(methods, lm.Name)
		m, err := d.method(lm.clone(), methods, i)
		if err != nil {
			return nil, err
		}
		if i >= 0 {
			methods[i] = m
		} else {
			methods = append(methods, m)
		}
	}
	return methods, nil
}

func methodIndex(methods []Method, name string) int {
	for i := range methods {
		if strings.EqualFold(methods[i].Name, name) {
			return i
		}
	}
	return -1
}

// method builds the effective form of local method lm; methods[i] is the
// inherited method it overrides when i >= 0.
func (d *deriver) method(lm Method, methods []Method, i int) (Method, error) {
	where := ": method " + lm.Name
	if !lm.ReturnType.Valid() || !isIdentifier(lm.Name) {
		return lm, d.errorf(where, "invalid name or return type %s", lm.ReturnType)
	}
	quals, err := d.resolve(where, ScopeMethod, lm.Qualifiers)
	if err == nil {
		err = d.checkOverride(where, quals, i >= 0, lm.Name)
	}
	if err != nil {
		return lm, err
	}
	var inherited *Method
	if i >= 0 {
		inherited = &methods[i]
		if quals, err = d.overrideMethod(where, lm, quals, inherited); err != nil {
			return lm, err
		}
	}
	lm.Qualifiers, lm.ClassOrigin, lm.Propagated = quals, d.class, false
	return lm, d.parameters(where, &lm, inherited)
}

// overrideMethod checks lm against the inherited method and returns the
// merged method qualifiers.
func (d *deriver) overrideMethod(where string, lm Method, quals Qualifiers, im *Method) (Qualifiers, error) {
	if lm.ReturnType != im.ReturnType {
		return nil, d.errorf(where, "cannot change return type %s of inherited method to %s", im.ReturnType, lm.ReturnType)
	}
	return d.merge(where, im.Qualifiers, quals)
}

// parameters resolves the qualifiers of m's parameters, merging each with
// the same-named parameter of the inherited method, whose type it must
// keep.
func (d *deriver) parameters(where string, m *Method, im *Method) error {
	seen := map[string]bool{}
	for i := range m.Parameters {
		p := &m.Parameters[i]
		pw := where + ": parameter " + p.Name
		if seen[strings.ToLower(p.Name)] || !p.Type.Valid() || !isIdentifier(p.Name) {
			return d.errorf(pw, "duplicate or invalid parameter (type %s)", p.Type)
		}
		seen[strings.ToLower(p.Name)] = true
		quals, err := d.resolve(pw, ScopeParameter, p.Qualifiers)
		if err != nil {
			return err
		}
		if p.Qualifiers, err = d.mergeParameter(pw, *p, quals, im); err != nil {
			return err
		}
	}
	return nil
}

func (d *deriver) mergeParameter(where string, p Parameter, quals Qualifiers, im *Method) (Qualifiers, error) {
	if im == nil {
		return quals, nil
	}
	ip, ok := im.Parameter(p.Name)
	if !ok {
		return quals, nil
	}
	if ip.Type != p.Type || ip.IsArray != p.IsArray {
		return nil, d.errorf(where, "cannot change type %s of inherited parameter to %s", typeName(ip.Type, ip.IsArray), typeName(p.Type, p.IsArray))
	}
	return d.merge(where, ip.Qualifiers, quals)
}
