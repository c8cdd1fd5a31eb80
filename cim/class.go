package cim

import "strings"

// Property declares one property of a class (DSP0004 clause 5.1.2.8). A
// reference property has Type Reference and names the class it refers to
// in RefClass. ArraySize is the fixed size of a fixed-size array, 0 for
// variable-size arrays. ClassOrigin names the class that first declared
// the property; Propagated is true when this class inherited it unchanged.
type Property struct {
	Name        string
	Type        Type
	IsArray     bool
	ArraySize   int
	RefClass    string
	Default     Value
	Qualifiers  Qualifiers
	ClassOrigin string
	Propagated  bool
}

// IsKey reports whether the property has Key(true).
func (p *Property) IsKey() bool { return p.Qualifiers.Has("Key") }

// IsRequired reports whether the property has Required(true) or is a key.
func (p *Property) IsRequired() bool { return p.Qualifiers.Has("Required") || p.IsKey() }

// IsReadOnly reports whether clients may not modify the property: CIM
// properties are writable only when they carry Write(true).
func (p *Property) IsReadOnly() bool { return !p.Qualifiers.Has("Write") }

// Parameter declares one parameter of a method. Per DSP0004 a parameter
// is an input unless it says In(false); it is an output only with
// Out(true).
type Parameter struct {
	Name       string
	Type       Type
	IsArray    bool
	ArraySize  int
	RefClass   string
	Qualifiers Qualifiers
}

// IsIn reports whether the parameter is an input (In defaults to true).
func (p *Parameter) IsIn() bool {
	q, ok := p.Qualifiers.Get("In")
	return !ok || q.Value.IsNull() || q.Value.Bool()
}

// IsOut reports whether the parameter is an output (Out(true)).
func (p *Parameter) IsOut() bool { return p.Qualifiers.Has("Out") }

// Method declares one method of a class. ReturnType is never an array
// (DSP0004). ClassOrigin and Propagated are as for Property.
type Method struct {
	Name        string
	ReturnType  Type
	Parameters  []Parameter
	Qualifiers  Qualifiers
	ClassOrigin string
	Propagated  bool
}

// Parameter returns the parameter named name, ignoring case.
func (m *Method) Parameter(name string) (*Parameter, bool) {
	for i := range m.Parameters {
		if strings.EqualFold(m.Parameters[i].Name, name) {
			return &m.Parameters[i], true
		}
	}
	return nil, false
}

// Class is a CIM class. As written in MOF it holds only what the class
// itself declares; Derive turns it into the effective class holding every
// inherited property, method and qualifier too. Classes are values: share
// them read-only, copy with Clone before changing.
type Class struct {
	Name       string
	SuperClass string
	Qualifiers Qualifiers
	Properties []Property
	Methods    []Method
}

// Property returns a pointer to the property named name, ignoring case.
func (c *Class) Property(name string) (*Property, bool) {
	for i := range c.Properties {
		if strings.EqualFold(c.Properties[i].Name, name) {
			return &c.Properties[i], true
		}
	}
	return nil, false
}

// Method returns a pointer to the method named name, ignoring case.
func (c *Class) Method(name string) (*Method, bool) {
	for i := range c.Methods {
		if strings.EqualFold(c.Methods[i].Name, name) {
			return &c.Methods[i], true
		}
	}
	return nil, false
}

// KeyNames returns the names of the key properties in declaration order.
func (c *Class) KeyNames() []string {
	var names []string
	for i := range c.Properties {
		if c.Properties[i].IsKey() {
			names = append(names, c.Properties[i].Name)
		}
	}
	return names
}

// IsAssociation reports whether the class has Association(true).
func (c *Class) IsAssociation() bool { return c.Qualifiers.Has("Association") }

// IsIndication reports whether the class has Indication(true).
func (c *Class) IsIndication() bool { return c.Qualifiers.Has("Indication") }

// IsAbstract reports whether the class has Abstract(true). Abstract is
// restricted, so a subclass of an abstract class is concrete unless it
// says Abstract itself.
func (c *Class) IsAbstract() bool { return c.Qualifiers.Has("Abstract") }

// Clone returns a deep copy of c (values are immutable and shared).
func (c *Class) Clone() *Class {
	out := *c
	out.Qualifiers = c.Qualifiers.Clone()
	out.Properties = make([]Property, len(c.Properties))
	for i, p := range c.Properties {
		p.Qualifiers = p.Qualifiers.Clone()
		out.Properties[i] = p
	}
	out.Methods = make([]Method, len(c.Methods))
	for i, m := range c.Methods {
		out.Methods[i] = m.clone()
	}
	return &out
}

func (m Method) clone() Method {
	m.Qualifiers = m.Qualifiers.Clone()
	params := make([]Parameter, len(m.Parameters))
	for i, p := range m.Parameters {
		p.Qualifiers = p.Qualifiers.Clone()
		params[i] = p
	}
	m.Parameters = params
	return m
}
