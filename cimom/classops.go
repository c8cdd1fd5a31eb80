package cimom

import (
	"slices"
	"strings"

	"github.com/redset/redset/cim"
)

// getClass serves GetClass (DSP0200). An unknown class is
// CIM_ERR_NOT_FOUND, as DSP0200 specifies for this operation.
func (c *call) getClass() (*Response, error) {
	class, err := c.class(c.req.ClassName, cim.StatusNotFound)
	if err != nil {
		return nil, err
	}
	return &Response{Class: c.classView(class)}, nil
}

// enumerateClasses serves EnumerateClasses (DSP0200): the direct
// subclasses of ClassName (the root classes when it is empty), or all
// descendants with DeepInheritance.
func (c *call) enumerateClasses() (*Response, error) {
	names, err := c.classNames()
	if err != nil {
		return nil, err
	}
	return &Response{Objects: c.classObjects(names, false)}, nil
}

// enumerateClassNames serves EnumerateClassNames (DSP0200).
func (c *call) enumerateClassNames() (*Response, error) {
	names, err := c.classNames()
	if err != nil {
		return nil, err
	}
	return &Response{Objects: c.classObjects(names, true)}, nil
}

func (c *call) classNames() ([]string, error) {
	deep := c.req.DeepInheritance
	if c.req.ClassName == "" {
		return c.rootNames(deep), nil
	}
	class, err := c.class(c.req.ClassName, cim.StatusInvalidClass)
	if err != nil {
		return nil, err
	}
	return c.d.repo.SubclassNames(c.ns, class.Name, deep), nil
}

// rootNames lists every class (deep) or the classes without a superclass.
func (c *call) rootNames(deep bool) []string {
	all := c.d.repo.SubclassNames(c.ns, "", true)
	if deep {
		return all
	}
	return slices.DeleteFunc(slices.Clone(all), func(name string) bool {
		cl, ok := c.d.repo.Class(c.ns, name)
		return !ok || cl.SuperClass != ""
	})
}

// classObjects yields the named classes, filtered as the request asks, or
// their paths alone.
func (c *call) classObjects(names []string, namesOnly bool) Objects {
	return func(yield func(Object, error) bool) {
		for _, name := range names {
			cl, ok := c.d.repo.Class(c.ns, name)
			if !ok {
				continue
			}
			o := Object{Path: cim.ObjectPath{Namespace: c.ns, ClassName: cl.Name}}
			if !namesOnly {
				o.Class = c.classView(cl)
			}
			if !yield(o, nil) {
				return
			}
		}
	}
}

// classView returns a copy of class as the request wants to see it:
// LocalOnly drops inherited elements and qualifiers, PropertyList narrows
// the properties, IncludeQualifiers false drops every qualifier and
// IncludeClassOrigin false clears the class origins.
func (c *call) classView(class *cim.Class) *cim.Class {
	out := class.Clone()
	if c.req.LocalOnly {
		localOnly(out)
	}
	if c.req.PropertyList != nil {
		f := newPropFilter(c.req.PropertyList)
		out.Properties = slices.DeleteFunc(out.Properties, func(p cim.Property) bool { return !f.keep(p.Name) })
	}
	if !c.req.IncludeQualifiers {
		stripQualifiers(out)
	}
	if !c.req.IncludeClassOrigin {
		stripOrigins(out)
	}
	return out
}

func localOnly(c *cim.Class) {
	c.Qualifiers = slices.DeleteFunc(c.Qualifiers, func(q cim.Qualifier) bool { return q.Propagated })
	c.Properties = slices.DeleteFunc(c.Properties, func(p cim.Property) bool { return p.Propagated })
	c.Methods = slices.DeleteFunc(c.Methods, func(m cim.Method) bool { return m.Propagated })
}

func stripQualifiers(c *cim.Class) {
	c.Qualifiers = nil
	for i := range c.Properties {
		c.Properties[i].Qualifiers = nil
	}
	for i := range c.Methods {
		c.Methods[i].Qualifiers = nil
		for j := range c.Methods[i].Parameters {
			c.Methods[i].Parameters[j].Qualifiers = nil
		}
	}
}

func stripOrigins(c *cim.Class) {
	for i := range c.Properties {
		c.Properties[i].ClassOrigin = ""
	}
	for i := range c.Methods {
		c.Methods[i].ClassOrigin = ""
	}
}

// getQualifier serves GetQualifier (DSP0200).
func (c *call) getQualifier() (*Response, error) {
	for _, q := range c.d.repo.QualifierDecls(c.ns) {
		if strings.EqualFold(q.Name, c.req.QualifierName) {
			return &Response{Qualifiers: []cim.QualifierDecl{q}}, nil
		}
	}
	return nil, c.errorf(cim.StatusNotFound, "no qualifier %s is declared in namespace %s", c.req.QualifierName, c.ns)
}

// enumerateQualifiers serves EnumerateQualifiers (DSP0200).
func (c *call) enumerateQualifiers() (*Response, error) {
	return &Response{Qualifiers: slices.Clone(c.d.repo.QualifierDecls(c.ns))}, nil
}
