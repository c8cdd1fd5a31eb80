package mof

import (
	"strings"

	"github.com/redset/redset/cim"
)

var scopeByName = map[string]cim.Scope{
	"class": cim.ScopeClass, "association": cim.ScopeAssociation,
	"indication": cim.ScopeIndication, "property": cim.ScopeProperty,
	"reference": cim.ScopeReference, "method": cim.ScopeMethod,
	"parameter": cim.ScopeParameter, "qualifier": cim.ScopeQualifier, "any": cim.ScopeAny,
}

var flavorByName = map[string]cim.Flavor{
	"enableoverride": cim.EnableOverride, "disableoverride": cim.DisableOverride,
	"tosubclass": cim.ToSubclass, "restricted": cim.Restricted,
	"translatable": cim.Translatable,
	"toinstance":   0, // DSP0221 2.x flavor without meaning for classes; accepted
}

// qualifierDecl compiles a qualifier declaration.
func (c *compiler) qualifierDecl(n *QualifierDeclNode) {
	t, _ := cim.ParseType(n.Type)
	d := cim.QualifierDecl{Name: n.Name, Type: t, IsArray: n.IsArray, ArraySize: n.ArraySize}
	d.Default = cim.Null(t, n.IsArray)
	if n.Default != nil {
		v, verr := c.value(n.Default, t, n.IsArray, false)
		if verr != nil {
			c.errorf(verr.pos, "default of qualifier "+n.Name+": "+verr.msg)
			return
		}
		d.Default = v
	}
	ok := true
	for _, s := range n.Scopes {
		bit, known := scopeByName[strings.ToLower(s.Name)]
		if !known {
			c.errorf(s.Pos, "unknown scope "+s.Name)
			ok = false
		}
		d.Scope |= bit
	}
	d.Flavor, ok = c.flavors(n.Flavors, ok)
	if !ok {
		return
	}
	if err := c.sink.AddQualifierDecl(c.ns, d); err != nil {
		c.errorf(n.Pos, errText(err))
	}
}

// flavors converts flavor names, reporting unknown names and contradictory
// pairs. ok is passed through and cleared on error.
func (c *compiler) flavors(list []Ident, ok bool) (cim.Flavor, bool) {
	var f cim.Flavor
	for _, id := range list {
		bit, known := flavorByName[strings.ToLower(id.Name)]
		if !known {
			c.errorf(id.Pos, "unknown flavor "+id.Name)
			ok = false
		}
		f |= bit
	}
	if f&cim.EnableOverride != 0 && f&cim.DisableOverride != 0 ||
		f&cim.ToSubclass != 0 && f&cim.Restricted != 0 {
		c.errorf(list[0].Pos, "contradictory flavors "+f.String())
		ok = false
	}
	return f, ok
}

// qualifiers compiles the qualifiers written on one element whose kind is
// scope (one scope bit; what names it for messages). Each must be declared
// in the current namespace, allowed there and given a value of its type.
// Names take the spelling of their declaration. It reports false when any
// was wrong.
func (c *compiler) qualifiers(nodes []QualifierNode, scope cim.Scope, what string) (cim.Qualifiers, bool) {
	if len(nodes) == 0 {
		return nil, true
	}
	out := make(cim.Qualifiers, 0, len(nodes))
	ok := true
	for i := range nodes {
		q, good := c.qualifier(&nodes[i], scope, what)
		if good {
			if _, dup := out.Get(q.Name); dup {
				c.errorf(nodes[i].Pos, "qualifier "+q.Name+" given twice")
				good = false
			}
		}
		ok = ok && good
		out = append(out, q)
	}
	return out, ok
}

func (c *compiler) qualifier(n *QualifierNode, scope cim.Scope, what string) (cim.Qualifier, bool) {
	d, ok := c.sink.QualifierDecl(c.ns, n.Name)
	if !ok {
		c.errorf(n.Pos, "qualifier "+n.Name+" is not declared")
		return cim.Qualifier{}, false
	}
	if d.Scope&scope == 0 {
		c.errorf(n.Pos, "qualifier "+d.Name+" is not allowed on a "+what+" (scope "+d.Scope.String()+")")
		return cim.Qualifier{}, false
	}
	q := cim.Qualifier{Name: d.Name}
	switch {
	case n.Value != nil:
		v, verr := c.value(n.Value, d.Type, d.IsArray, true)
		if verr != nil {
			c.errorf(verr.pos, "qualifier "+d.Name+": "+verr.msg)
			return q, false
		}
		q.Value = v
	case d.Type == cim.Boolean && !d.IsArray:
		q.Value = cim.NewBool(true)
	default:
		c.errorf(n.Pos, "qualifier "+d.Name+" needs a value of type "+declTypeName(d))
		return q, false
	}
	var good bool
	q.Flavor, good = c.flavors(n.Flavors, true)
	return q, good
}
