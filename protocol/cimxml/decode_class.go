package cimxml

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/redset/redset/cim"
)

// DecodeClass reads a document holding one CLASS element, as
// EncodeClass writes it.
func DecodeClass(r io.Reader) (*cim.Class, error) {
	t := newTokens(r, Limits{}.withDefaults())
	se, err := t.root("CLASS")
	if err != nil {
		return nil, err
	}
	c, err := t.class(se)
	if err != nil {
		return nil, err
	}
	return c, t.trailing()
}

// DecodeInstance reads a document holding one INSTANCE element, as
// EncodeInstance writes it.
func DecodeInstance(r io.Reader) (*cim.Instance, error) {
	t := newTokens(r, Limits{}.withDefaults())
	se, err := t.root("INSTANCE")
	if err != nil {
		return nil, err
	}
	inst, err := t.instance(se)
	if err != nil {
		return nil, err
	}
	return inst, t.trailing()
}

// root reads the root element, which must be named name.
func (t *tokens) root(name string) (xml.StartElement, error) {
	tok, err := t.next()
	if err != nil {
		return xml.StartElement{}, err
	}
	se := tok.start
	if tok.kind != startToken || se.Name.Local != name {
		return se, invalidParam("the root element must be %s", name)
	}
	return se, nil
}

// class reads a class declaration.
//
//	<!ELEMENT CLASS (QUALIFIER*, (PROPERTY|PROPERTY.ARRAY|PROPERTY.REFERENCE)*, METHOD*)>
//	NAME required, SUPERCLASS optional
func (t *tokens) class(se xml.StartElement) (*cim.Class, error) {
	name, err := needAttr(se, "NAME")
	if err != nil {
		return nil, err
	}
	c := &cim.Class{Name: name}
	c.SuperClass, _ = attr(se, "SUPERCLASS")
	for {
		ch, ok, err := t.child()
		if err != nil || !ok {
			return c, withContext("CLASS "+name, err)
		}
		if err := t.classChild(ch, c); err != nil {
			return nil, withContext("CLASS "+name, err)
		}
	}
}

func (t *tokens) classChild(se xml.StartElement, c *cim.Class) error {
	switch se.Name.Local {
	case "QUALIFIER":
		q, err := t.qualifier(se)
		c.Qualifiers = append(c.Qualifiers, q)
		return err
	case "PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE":
		p, v, err := t.property(se)
		p.Default = v
		c.Properties = append(c.Properties, p)
		return err
	case "METHOD":
		m, err := t.method(se)
		c.Methods = append(c.Methods, m)
		return err
	}
	return unexpected("CLASS", se)
}

// qualifier reads a qualifier value with its flavors. Flavor bits are set
// only for the flavor attributes present.
//
//	<!ELEMENT QUALIFIER ((VALUE|VALUE.ARRAY)?)>
//	NAME, TYPE required; PROPAGATED, OVERRIDABLE, TOSUBCLASS, TOINSTANCE, TRANSLATABLE, xml:lang
func (t *tokens) qualifier(se xml.StartElement) (cim.Qualifier, error) {
	var q cim.Qualifier
	var err error
	if q.Name, err = needAttr(se, "NAME"); err != nil {
		return q, err
	}
	typName, err := needAttr(se, "TYPE")
	if err != nil {
		return q, err
	}
	typ, err := parseType(typName)
	if err != nil {
		return q, withContext("qualifier "+q.Name, err)
	}
	q.Propagated = boolAttr(se, "PROPAGATED")
	q.Flavor = flavorAttrs(se)
	q.Value, err = t.qualifierValue(typ)
	return q, withContext("qualifier "+q.Name, err)
}

// qualifierValue reads the optional value of a QUALIFIER and its end.
func (t *tokens) qualifierValue(typ cim.Type) (cim.Value, error) {
	ch, ok, err := t.child()
	if err != nil || !ok {
		return cim.Null(typ, false), err
	}
	if ch.Name.Local != "VALUE" && ch.Name.Local != "VALUE.ARRAY" {
		return cim.Value{}, unexpected("QUALIFIER", ch)
	}
	v, err := t.valueOf(ch, typ)
	if err != nil {
		return v, err
	}
	return v, t.end("QUALIFIER")
}

// flavorAttrs maps the flavor attributes of a QUALIFIER to cim.Flavor.
func flavorAttrs(se xml.StartElement) cim.Flavor {
	var f cim.Flavor
	if v, ok := attr(se, "OVERRIDABLE"); ok {
		f |= pickFlavor(v, cim.EnableOverride, cim.DisableOverride)
	}
	if v, ok := attr(se, "TOSUBCLASS"); ok {
		f |= pickFlavor(v, cim.ToSubclass, cim.Restricted)
	}
	if boolAttr(se, "TRANSLATABLE") {
		f |= cim.Translatable
	}
	return f
}

func pickFlavor(v string, yes, no cim.Flavor) cim.Flavor {
	if strings.EqualFold(strings.TrimSpace(v), "false") {
		return no
	}
	return yes
}

// method reads a method declaration; a METHOD without TYPE returns
// nothing (cim.Invalid).
//
//	<!ELEMENT METHOD (QUALIFIER*, (PARAMETER|PARAMETER.REFERENCE|PARAMETER.ARRAY|PARAMETER.REFARRAY)*)>
//	NAME required; TYPE, CLASSORIGIN, PROPAGATED optional
func (t *tokens) method(se xml.StartElement) (cim.Method, error) {
	var m cim.Method
	var err error
	if m.Name, err = needAttr(se, "NAME"); err != nil {
		return m, err
	}
	if typ, ok := attr(se, "TYPE"); ok {
		if m.ReturnType, err = parseType(typ); err != nil {
			return m, err
		}
	}
	m.ClassOrigin, _ = attr(se, "CLASSORIGIN")
	m.Propagated = boolAttr(se, "PROPAGATED")
	for {
		ch, ok, err := t.child()
		if err != nil || !ok {
			return m, withContext("method "+m.Name, err)
		}
		if err := t.methodChildDecl(ch, &m); err != nil {
			return m, withContext("method "+m.Name, err)
		}
	}
}

func (t *tokens) methodChildDecl(se xml.StartElement, m *cim.Method) error {
	switch se.Name.Local {
	case "QUALIFIER":
		q, err := t.qualifier(se)
		m.Qualifiers = append(m.Qualifiers, q)
		return err
	case "PARAMETER", "PARAMETER.REFERENCE", "PARAMETER.ARRAY", "PARAMETER.REFARRAY":
		p, err := t.parameter(se)
		m.Parameters = append(m.Parameters, p)
		return err
	}
	return unexpected("METHOD", se)
}

// parameter reads a method parameter declaration.
//
//	<!ELEMENT PARAMETER (QUALIFIER*)>  NAME, TYPE required
//	<!ELEMENT PARAMETER.REFERENCE (QUALIFIER*)>  NAME required, REFERENCECLASS
//	<!ELEMENT PARAMETER.ARRAY (QUALIFIER*)>  NAME, TYPE required, ARRAYSIZE
//	<!ELEMENT PARAMETER.REFARRAY (QUALIFIER*)>  NAME required, REFERENCECLASS, ARRAYSIZE
func (t *tokens) parameter(se xml.StartElement) (cim.Parameter, error) {
	p, err := parameterDecl(se)
	if err != nil {
		return p, err
	}
	for {
		ch, ok, err := t.child()
		if err != nil || !ok {
			return p, err
		}
		if ch.Name.Local != "QUALIFIER" {
			return p, unexpected(se.Name.Local+" "+p.Name, ch)
		}
		q, err := t.qualifier(ch)
		if err != nil {
			return p, err
		}
		p.Qualifiers = append(p.Qualifiers, q)
	}
}

// parameterDecl reads the attributes of a PARAMETER element.
func parameterDecl(se xml.StartElement) (cim.Parameter, error) {
	var p cim.Parameter
	var err error
	if p.Name, err = needAttr(se, "NAME"); err != nil {
		return p, err
	}
	kind := se.Name.Local
	p.IsArray = kind == "PARAMETER.ARRAY" || kind == "PARAMETER.REFARRAY"
	if p.ArraySize, err = parseUintAttr(se, "ARRAYSIZE"); err != nil {
		return p, err
	}
	if kind == "PARAMETER.REFERENCE" || kind == "PARAMETER.REFARRAY" {
		p.Type = cim.Reference
		p.RefClass, _ = attr(se, "REFERENCECLASS")
		return p, nil
	}
	typ, err := needAttr(se, "TYPE")
	if err != nil {
		return p, err
	}
	p.Type, err = parseType(typ)
	return p, err
}
