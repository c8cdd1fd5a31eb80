package cimom

import (
	"strings"

	"github.com/redset/redset/cim"
)

// class returns the named class of the call's namespace, or an error with
// status s when the name is empty or unknown.
func (c *call) class(name string, s cim.Status) (*cim.Class, error) {
	if name == "" {
		return nil, c.errorf(s, "no class name given")
	}
	cl, ok := c.d.repo.Class(c.ns, name)
	if !ok {
		return nil, c.errorf(s, "class %s does not exist in namespace %s", name, c.ns)
	}
	return cl, nil
}

// isa reports whether class sub is super or derives from it.
func (d *Dispatcher) isa(ns, sub, super string) bool {
	name := sub
	for range maxDepth {
		if strings.EqualFold(name, super) {
			return true
		}
		cl, ok := d.repo.Class(ns, name)
		if !ok || cl.SuperClass == "" {
			return false
		}
		name = cl.SuperClass
	}
	return false
}

// isaFunc is isa in the call's namespace, in the form wql wants.
func (c *call) isaFunc(sub, super string) bool { return c.d.isa(c.ns, sub, super) }

// instancePath checks an instance path against the schema: its class
// exists (else status s), it is in the call's namespace, and its keys are
// exactly the class's keys, converted to their declared types
// (CIM_ERR_INVALID_PARAMETER). The result carries the call's namespace and
// no host.
func (c *call) instancePath(p cim.ObjectPath, s cim.Status) (cim.ObjectPath, *cim.Class, error) {
	class, err := c.class(p.ClassName, s)
	if err != nil {
		return cim.ObjectPath{}, nil, err
	}
	if p.Namespace != "" && !cim.SameNamespace(p.Namespace, c.ns) {
		return cim.ObjectPath{}, nil, c.errorf(cim.StatusInvalidParameter,
			"object path %s is not in the request's namespace %s", p, c.ns)
	}
	if len(class.KeyNames()) == 0 && len(p.Keys) == 0 {
		p.Singleton = true
	}
	if !p.IsInstance() {
		return cim.ObjectPath{}, nil, c.errorf(cim.StatusInvalidParameter,
			"object path %s names a class; an instance path with keys %s is needed", p, strings.Join(class.KeyNames(), ", "))
	}
	typed, err := p.TypeKeys(class)
	if err != nil {
		return cim.ObjectPath{}, nil, err
	}
	typed.Host, typed.Namespace, typed.ClassName = "", c.ns, class.Name
	return typed, class, nil
}

// typedInstance checks that every property of inst is declared by class
// (CIM_ERR_NO_SUCH_PROPERTY) and converts the values, which may arrive
// untyped from the wire, to the declared types (CIM_ERR_TYPE_MISMATCH or
// CIM_ERR_INVALID_PARAMETER naming the property). Names take the class's
// spelling.
func typedInstance(class *cim.Class, inst cim.Instance) (cim.Instance, error) {
	out := cim.Instance{ClassName: class.Name, Properties: make([]cim.PropertyValue, 0, len(inst.Properties))}
	for _, pv := range inst.Properties {
		prop, ok := class.Property(pv.Name)
		if !ok {
			return cim.Instance{}, cim.Errorf(cim.StatusNoSuchProperty, "class %s has no property %s", class.Name, pv.Name)
		}
		v, err := typedValue("property "+prop.Name, prop.Type, prop.IsArray, pv.Value)
		if err != nil {
			return cim.Instance{}, err
		}
		out.Properties = append(out.Properties, cim.PropertyValue{Name: prop.Name, Value: v})
	}
	return out, nil
}

// typedValue converts v to type t (array or not), keeping the status of
// the conversion error and naming what is converted. A single value given
// for an array becomes a one-element array: WS-Management writes an array
// as its element repeated, so a one-element array arrives as a scalar.
func typedValue(what string, t cim.Type, isArray bool, v cim.Value) (cim.Value, error) {
	if v.IsNull() {
		return cim.Null(t, isArray), nil
	}
	if isArray && !v.IsArray() {
		arr, err := cim.NewArray(v.Type(), []cim.Value{v})
		if err != nil {
			return cim.Value{}, cim.Errorf(cim.StatusTypeMismatch, "%s: %s", what, message(err))
		}
		v = arr
	}
	if v.IsArray() != isArray {
		return cim.Value{}, cim.Errorf(cim.StatusTypeMismatch, "%s: %s where %s is declared", what, shape(v.IsArray()), shape(isArray))
	}
	out, err := cim.Convert(v, t)
	if err != nil {
		return cim.Value{}, cim.Errorf(cim.StatusOf(err), "%s: %s", what, message(err))
	}
	return out, nil
}

func shape(isArray bool) string {
	if isArray {
		return "an array"
	}
	return "a single value"
}

// message returns the text of a *cim.Error without its status prefix.
func message(err error) string {
	if ce, ok := err.(*cim.Error); ok {
		return ce.Message
	}
	return err.Error()
}
