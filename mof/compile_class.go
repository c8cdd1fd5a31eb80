package mof

import (
	"strings"

	"github.com/redset/redset/cim"
)

// classKind describes the class being compiled: its qualifier scope and
// the effective superclass, if any.
type classKind struct {
	name  string
	scope cim.Scope // ScopeClass, ScopeAssociation or ScopeIndication
	super *cim.Class
}

// class compiles a class declaration and hands the class to the sink.
func (c *compiler) class(n *ClassNode) {
	if old, dup := c.sink.Class(c.ns, n.Name); dup {
		msg := "class " + n.Name + " is already defined"
		if old.Name != n.Name {
			msg += " (as " + old.Name + ")"
		}
		c.errorf(n.Pos, msg)
		return
	}
	k := classKind{name: n.Name, scope: cim.ScopeClass}
	if n.SuperClass != "" {
		super, ok := c.sink.Class(c.ns, n.SuperClass)
		if !ok {
			c.errorf(n.SuperPos, "superclass "+n.SuperClass+" is not defined")
			return
		}
		k.super = super
	}
	k.scope = c.kindScope(n, k.super)
	local, ok := c.buildClass(n, &k)
	if !ok {
		return
	}
	if err := c.sink.AddClass(c.ns, local); err != nil {
		c.errorf(n.Pos, errText(err))
	}
}

// kindScope decides whether the class is an association, an indication or
// an ordinary class: from its own Association or Indication qualifier, or
// from its superclass.
func (c *compiler) kindScope(n *ClassNode, super *cim.Class) cim.Scope {
	switch {
	case super != nil && super.IsAssociation(), writtenTrue(n.Qualifiers, "Association"):
		return cim.ScopeAssociation
	case super != nil && super.IsIndication(), writtenTrue(n.Qualifiers, "Indication"):
		return cim.ScopeIndication
	}
	return cim.ScopeClass
}

// writtenTrue reports whether the boolean qualifier name is written in
// nodes without a value or with the value true.
func writtenTrue(nodes []QualifierNode, name string) bool {
	for _, q := range nodes {
		if strings.EqualFold(q.Name, name) {
			return q.Value == nil || q.Value.Kind == LitBool && q.Value.Bool
		}
	}
	return false
}

var classKindNames = map[cim.Scope]string{
	cim.ScopeClass: "class", cim.ScopeAssociation: "association", cim.ScopeIndication: "indication",
}

// buildClass converts the declaration to a cim.Class holding only what it
// declares.
func (c *compiler) buildClass(n *ClassNode, k *classKind) (*cim.Class, bool) {
	quals, ok := c.qualifiers(n.Qualifiers, k.scope, classKindNames[k.scope])
	cl := &cim.Class{Name: n.Name, SuperClass: n.SuperClass, Qualifiers: quals}
	if k.super != nil {
		cl.SuperClass = k.super.Name
	}
	seen := make(map[string]Pos, len(n.Properties)+len(n.Methods))
	cl.Properties = make([]cim.Property, 0, len(n.Properties))
	for i := range n.Properties {
		p, good := c.property(&n.Properties[i], k)
		good = c.unique(seen, p.Name, n.Properties[i].Pos, "property") && good
		ok = ok && good
		cl.Properties = append(cl.Properties, p)
	}
	cl.Methods = make([]cim.Method, 0, len(n.Methods))
	for i := range n.Methods {
		m, good := c.method(&n.Methods[i], n.Name)
		good = c.unique(seen, m.Name, n.Methods[i].Pos, "method") && good
		ok = ok && good
		cl.Methods = append(cl.Methods, m)
	}
	return cl, ok
}

// unique records name in seen and reports false (with an error) when it is
// there already.
func (c *compiler) unique(seen map[string]Pos, name string, pos Pos, what string) bool {
	key := strings.ToLower(name)
	if first, dup := seen[key]; dup {
		c.errorf(pos, what+" "+name+" is already declared at "+first.String())
		return false
	}
	seen[key] = pos
	return true
}

// resolveType turns a TypeRef into a type, checking that a referenced
// class exists (or is the class being declared).
func (c *compiler) resolveType(tr TypeRef, self string) (cim.Type, string, bool) {
	if tr.RefClass == "" {
		t, _ := cim.ParseType(tr.Name)
		return t, "", true
	}
	if strings.EqualFold(tr.RefClass, self) {
		return cim.Reference, self, true
	}
	target, ok := c.sink.Class(c.ns, tr.RefClass)
	if !ok {
		c.errorf(tr.Pos, "class "+tr.RefClass+" is not defined")
		return cim.Reference, tr.RefClass, false
	}
	return cim.Reference, target.Name, true
}

// property compiles a property or reference declaration.
func (c *compiler) property(n *PropertyNode, k *classKind) (cim.Property, bool) {
	t, ref, ok := c.resolveType(n.Type, k.name)
	p := cim.Property{Name: n.Name, Type: t, IsArray: n.IsArray, ArraySize: n.ArraySize, RefClass: ref}
	scope, what := cim.ScopeProperty, "property"
	if t == cim.Reference {
		scope, what = cim.ScopeReference, "reference"
		ok = c.checkReference(n, k, ref) && ok
	}
	quals, good := c.qualifiers(n.Qualifiers, scope, what)
	p.Qualifiers, ok = quals, ok && good
	p.Default = cim.Null(t, n.IsArray)
	if n.Default != nil {
		v, verr := c.value(n.Default, t, n.IsArray, false)
		if verr != nil {
			c.errorf(verr.pos, "default of "+n.Name+": "+verr.msg)
			return p, false
		}
		p.Default = v
	}
	if n.ArraySize > 0 && p.Default.Len() > n.ArraySize {
		c.errorf(n.Default.Pos, "default of "+n.Name+" has more elements than the array size")
		ok = false
	}
	return p, ok
}

// checkReference enforces DSP0004's rules for reference properties: they
// belong to associations, are scalar, and an overriding reference may only
// narrow the referenced class.
func (c *compiler) checkReference(n *PropertyNode, k *classKind, ref string) bool {
	switch {
	case k.scope != cim.ScopeAssociation:
		c.errorf(n.Pos, "reference "+n.Name+" is only allowed in an association")
		return false
	case n.IsArray:
		c.errorf(n.Pos, "reference "+n.Name+" cannot be an array")
		return false
	case k.super == nil:
		return true
	}
	inherited, ok := k.super.Property(n.Name)
	if !ok || inherited.Type != cim.Reference || c.isSubclass(ref, inherited.RefClass, k.name) {
		return true
	}
	c.errorf(n.Type.Pos, "reference "+n.Name+" must refer to "+inherited.RefClass+" or a subclass of it, not "+ref)
	return false
}

// isSubclass reports whether class sub is base or derives from it. self
// is the class being compiled, not yet in the sink.
func (c *compiler) isSubclass(sub, base, self string) bool {
	for depth := 0; sub != "" && depth < 1000; depth++ {
		if strings.EqualFold(sub, base) {
			return true
		}
		if strings.EqualFold(sub, self) {
			return false
		}
		cl, ok := c.sink.Class(c.ns, sub)
		if !ok {
			return false
		}
		sub = cl.SuperClass
	}
	return false
}

// method compiles a method declaration with its parameters.
func (c *compiler) method(n *MethodNode, self string) (cim.Method, bool) {
	t, _, ok := c.resolveType(n.ReturnType, self)
	if t == cim.Reference {
		// cim.Method has no place for the class of a returned reference.
		c.errorf(n.ReturnType.Pos, "method "+n.Name+" cannot return a reference")
		ok = false
	}
	m := cim.Method{Name: n.Name, ReturnType: t}
	quals, good := c.qualifiers(n.Qualifiers, cim.ScopeMethod, "method")
	m.Qualifiers, ok = quals, ok && good
	seen := make(map[string]Pos, len(n.Parameters))
	m.Parameters = make([]cim.Parameter, 0, len(n.Parameters))
	for i := range n.Parameters {
		pn := &n.Parameters[i]
		pt, ref, good := c.resolveType(pn.Type, self)
		par := cim.Parameter{Name: pn.Name, Type: pt, IsArray: pn.IsArray, ArraySize: pn.ArraySize, RefClass: ref}
		quals, qgood := c.qualifiers(pn.Qualifiers, cim.ScopeParameter, "parameter")
		par.Qualifiers = quals
		u := c.unique(seen, pn.Name, pn.Pos, "parameter")
		ok = ok && good && qgood && u
		m.Parameters = append(m.Parameters, par)
	}
	return m, ok
}
