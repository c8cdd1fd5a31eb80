package cim

import "strings"

// Instance is an instance of a class: the class name and the values of
// (some of) its properties. A property that is absent has its class
// default; a property present with a null Value is null.
type Instance struct {
	ClassName  string
	Properties []PropertyValue
}

// PropertyValue is the value of one property of an instance.
type PropertyValue struct {
	Name  string
	Value Value
}

// Get returns the value of the property named name, ignoring case.
func (in Instance) Get(name string) (Value, bool) {
	for _, p := range in.Properties {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return Value{}, false
}

// Set sets the property named name (ignoring case) to v, adding it when
// absent.
func (in *Instance) Set(name string, v Value) {
	for i := range in.Properties {
		if strings.EqualFold(in.Properties[i].Name, name) {
			in.Properties[i].Value = v
			return
		}
	}
	in.Properties = append(in.Properties, PropertyValue{Name: name, Value: v})
}

// Clone returns a copy of in that shares no slice with it.
func (in Instance) Clone() Instance {
	in.Properties = append([]PropertyValue(nil), in.Properties...)
	return in
}

// Path returns the instance path of in within namespace, built from the
// key properties of class (which should be the effective class, see
// Derive). Keys take the instance's values, or the class defaults when
// absent, spelled as the class spells them. A missing or null key fails
// with StatusInvalidParameter; a keyless class gives a singleton path.
func (in Instance) Path(class *Class, namespace string) (ObjectPath, error) {
	p := ObjectPath{Namespace: namespace, ClassName: in.ClassName}
	if p.ClassName == "" {
		p.ClassName = class.Name
	}
	for _, name := range class.KeyNames() {
		v, err := in.keyValue(class, name)
		if err != nil {
			return ObjectPath{}, err
		}
		p.Keys = append(p.Keys, KeyBinding{Name: name, Value: v})
	}
	p.Singleton = len(p.Keys) == 0
	sortKeys(p.Keys)
	return p, nil
}

func (in Instance) keyValue(class *Class, name string) (Value, error) {
	v, ok := in.Get(name)
	if !ok {
		prop, _ := class.Property(name)
		v = prop.Default
	}
	if v.IsNull() {
		return Value{}, Errorf(StatusInvalidParameter, "property %s: Key must not be null", name)
	}
	return v, nil
}

// TypeKeys returns p with its keys checked against the key properties of
// the effective class c and converted to their declared types (untyped
// paths carry strings and 64-bit numbers; see ParseObjectPath). Key names
// take the class's spelling. Every key of c must be given exactly once and
// no other; violations are *Error with StatusInvalidParameter.
func (p ObjectPath) TypeKeys(c *Class) (ObjectPath, error) {
	out := p.clone()
	names := c.KeyNames()
	if len(p.Keys) != len(names) {
		return ObjectPath{}, Errorf(StatusInvalidParameter, "path %s: class %s has keys %s", p, c.Name, strings.Join(names, ", "))
	}
	for i, k := range p.Keys {
		prop, ok := c.Property(k.Name)
		if !ok || !prop.IsKey() {
			return ObjectPath{}, Errorf(StatusInvalidParameter, "path %s: %s is not a key of class %s", p, k.Name, c.Name)
		}
		v, err := Convert(k.Value, prop.Type)
		if err != nil || v.array != prop.IsArray {
			return ObjectPath{}, Errorf(StatusInvalidParameter, "path %s: key %s must be %s", p, prop.Name, prop.Type)
		}
		out.Keys[i] = KeyBinding{Name: prop.Name, Value: v}
	}
	sortKeys(out.Keys)
	return out, nil
}
