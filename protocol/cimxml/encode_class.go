package cimxml

import (
	"io"
	"strconv"

	"github.com/redset/redset/cim"
)

// EncodeClass writes c as a standalone CLASS element with its qualifiers
// and class origins.
func EncodeClass(w io.Writer, c *cim.Class) error {
	xw := newXMLWriter(w, streamChunk)
	defer xw.release()
	e := &encoder{w: xw, qualifiers: true, classOrigin: true}
	e.class(c)
	xw.flush()
	return xw.err
}

// EncodeInstance writes inst as a standalone INSTANCE element.
func EncodeInstance(w io.Writer, inst *cim.Instance) error {
	xw := newXMLWriter(w, streamChunk)
	defer xw.release()
	e := &encoder{w: xw}
	e.instance(inst)
	xw.flush()
	return xw.err
}

// class writes a class declaration.
//
//	<!ELEMENT CLASS (QUALIFIER*, (PROPERTY|PROPERTY.ARRAY|PROPERTY.REFERENCE)*, METHOD*)>
//	NAME required, SUPERCLASS optional
func (e *encoder) class(c *cim.Class) {
	e.w.start("CLASS")
	e.w.attr("NAME", c.Name)
	if c.SuperClass != "" {
		e.w.attr("SUPERCLASS", c.SuperClass)
	}
	e.w.gt()
	e.qualifierList(c.Qualifiers)
	for i := range c.Properties {
		e.propertyDecl(&c.Properties[i])
	}
	for i := range c.Methods {
		e.method(&c.Methods[i])
	}
	e.w.close("CLASS")
}

// origin writes the CLASSORIGIN and PROPAGATED attributes of a class
// member.
func (e *encoder) origin(classOrigin string, propagated bool) {
	if e.classOrigin && classOrigin != "" {
		e.w.attr("CLASSORIGIN", classOrigin)
	}
	if propagated {
		e.w.attr("PROPAGATED", "true")
	}
}

// propertyDecl writes a property declaration with its default value.
//
//	<!ELEMENT PROPERTY (QUALIFIER*, VALUE?)>  NAME, TYPE, CLASSORIGIN, PROPAGATED
//	<!ELEMENT PROPERTY.ARRAY (QUALIFIER*, VALUE.ARRAY?)>  NAME, TYPE, ARRAYSIZE, CLASSORIGIN, PROPAGATED
//	<!ELEMENT PROPERTY.REFERENCE (QUALIFIER*, VALUE.REFERENCE?)>  NAME, REFERENCECLASS, CLASSORIGIN, PROPAGATED
func (e *encoder) propertyDecl(p *cim.Property) {
	ref := p.Type == cim.Reference
	elem := propertyElement(ref, p.IsArray)
	e.w.start(elem)
	e.w.attr("NAME", p.Name)
	if !ref || p.IsArray {
		e.w.attr("TYPE", typeName(p.Type))
	}
	if ref && p.RefClass != "" && !p.IsArray {
		e.w.attr("REFERENCECLASS", p.RefClass)
	}
	e.origin(p.ClassOrigin, p.Propagated)
	if p.IsArray && p.ArraySize > 0 {
		e.w.attr("ARRAYSIZE", strconv.Itoa(p.ArraySize))
	}
	e.w.gt()
	e.qualifierList(p.Qualifiers)
	e.value(p.Default)
	e.w.close(elem)
}

// method writes a method declaration; a method returning nothing has no
// TYPE.
//
//	<!ELEMENT METHOD (QUALIFIER*, (PARAMETER|PARAMETER.REFERENCE|PARAMETER.ARRAY|PARAMETER.REFARRAY)*)>
//	NAME required, TYPE, CLASSORIGIN, PROPAGATED
func (e *encoder) method(m *cim.Method) {
	e.w.start("METHOD")
	e.w.attr("NAME", m.Name)
	if m.ReturnType.Valid() {
		e.w.attr("TYPE", m.ReturnType.String())
	}
	e.origin(m.ClassOrigin, m.Propagated)
	e.w.gt()
	e.qualifierList(m.Qualifiers)
	for i := range m.Parameters {
		e.parameter(&m.Parameters[i])
	}
	e.w.close("METHOD")
}

// parameter writes a parameter declaration.
//
//	<!ELEMENT PARAMETER (QUALIFIER*)>  NAME, TYPE
//	<!ELEMENT PARAMETER.REFERENCE (QUALIFIER*)>  NAME, REFERENCECLASS
//	<!ELEMENT PARAMETER.ARRAY (QUALIFIER*)>  NAME, TYPE, ARRAYSIZE
//	<!ELEMENT PARAMETER.REFARRAY (QUALIFIER*)>  NAME, REFERENCECLASS, ARRAYSIZE
func (e *encoder) parameter(p *cim.Parameter) {
	ref := p.Type == cim.Reference
	elem := parameterElement(ref, p.IsArray)
	e.w.start(elem)
	e.w.attr("NAME", p.Name)
	if ref && p.RefClass != "" {
		e.w.attr("REFERENCECLASS", p.RefClass)
	} else if !ref {
		e.w.attr("TYPE", typeName(p.Type))
	}
	if p.IsArray && p.ArraySize > 0 {
		e.w.attr("ARRAYSIZE", strconv.Itoa(p.ArraySize))
	}
	e.w.gt()
	e.qualifierList(p.Qualifiers)
	e.w.close(elem)
}

func parameterElement(ref, array bool) string {
	switch {
	case ref && array:
		return "PARAMETER.REFARRAY"
	case ref:
		return "PARAMETER.REFERENCE"
	case array:
		return "PARAMETER.ARRAY"
	}
	return "PARAMETER"
}

// qualifierList writes qualifiers when the request asked for them.
func (e *encoder) qualifierList(qs cim.Qualifiers) {
	if !e.qualifiers {
		return
	}
	for _, q := range qs {
		e.qualifier(q)
	}
}

// qualifier writes one qualifier; flavor attributes are written only for
// the flavor bits that are set.
//
//	<!ELEMENT QUALIFIER ((VALUE|VALUE.ARRAY)?)>
//	NAME, TYPE required; PROPAGATED, OVERRIDABLE, TOSUBCLASS, TRANSLATABLE
func (e *encoder) qualifier(q cim.Qualifier) {
	e.w.start("QUALIFIER")
	e.w.attr("NAME", q.Name)
	e.w.attr("TYPE", typeName(q.Value.Type()))
	if q.Propagated {
		e.w.attr("PROPAGATED", "true")
	}
	e.flavors(q.Flavor)
	e.w.gt()
	e.value(q.Value)
	e.w.close("QUALIFIER")
}

// flavors writes OVERRIDABLE, TOSUBCLASS and TRANSLATABLE for the set bits
// of f.
func (e *encoder) flavors(f cim.Flavor) {
	switch {
	case f&cim.DisableOverride != 0:
		e.w.attr("OVERRIDABLE", "false")
	case f&cim.EnableOverride != 0:
		e.w.attr("OVERRIDABLE", "true")
	}
	switch {
	case f&cim.Restricted != 0:
		e.w.attr("TOSUBCLASS", "false")
	case f&cim.ToSubclass != 0:
		e.w.attr("TOSUBCLASS", "true")
	}
	if f&cim.Translatable != 0 {
		e.w.attr("TRANSLATABLE", "true")
	}
}

// qualifierDecl writes a qualifier type declaration with its resolved
// flavors and scope.
//
//	<!ELEMENT QUALIFIER.DECLARATION (SCOPE?, (VALUE|VALUE.ARRAY)?)>
//	NAME, TYPE required; ISARRAY, ARRAYSIZE, OVERRIDABLE, TOSUBCLASS, TRANSLATABLE
func (e *encoder) qualifierDecl(d cim.QualifierDecl) {
	e.w.start("QUALIFIER.DECLARATION")
	e.w.attr("NAME", d.Name)
	e.w.attr("TYPE", typeName(d.Type))
	e.w.attr("ISARRAY", strconv.FormatBool(d.IsArray))
	if d.IsArray && d.ArraySize > 0 {
		e.w.attr("ARRAYSIZE", strconv.Itoa(d.ArraySize))
	}
	e.flavors(d.Flavor.Resolve(0))
	e.w.gt()
	e.scope(d.Scope)
	e.value(d.Default)
	e.w.close("QUALIFIER.DECLARATION")
}

// scope writes where a qualifier may be used.
//
//	<!ELEMENT SCOPE EMPTY>  CLASS, ASSOCIATION, REFERENCE, PROPERTY, METHOD, PARAMETER, INDICATION
func (e *encoder) scope(s cim.Scope) {
	e.w.start("SCOPE")
	for _, sc := range []struct {
		name string
		bit  cim.Scope
	}{
		{"CLASS", cim.ScopeClass}, {"ASSOCIATION", cim.ScopeAssociation},
		{"REFERENCE", cim.ScopeReference}, {"PROPERTY", cim.ScopeProperty},
		{"METHOD", cim.ScopeMethod}, {"PARAMETER", cim.ScopeParameter},
		{"INDICATION", cim.ScopeIndication},
	} {
		e.w.attr(sc.name, strconv.FormatBool(s&sc.bit != 0))
	}
	e.w.gt()
	e.w.close("SCOPE")
}
