package cimom

import (
	"strings"

	"github.com/redset/redset/cim"
)

// invokeMethod serves an extrinsic method call (DSP0200). The target
// is an instance path, or a class path for a Static method (ClassName is
// used when ObjectName is empty). The method must exist
// (CIM_ERR_METHOD_NOT_FOUND), and each IN parameter must be declared, be
// an input, be given once and convert to its declared type
// (CIM_ERR_INVALID_PARAMETER); Required parameters must be present. The
// provider's return value is converted to the declared return type when it
// arrives with another.
func (c *call) invokeMethod() (*Response, error) {
	target, class, method, err := c.methodTarget()
	if err != nil {
		return nil, err
	}
	in, err := inParams(class, method, c.req.Params)
	if err != nil {
		return nil, err
	}
	mp, err := capability[MethodProvider](c, class, "method "+method.Name)
	if err != nil {
		return nil, err
	}
	rv, out, err := mp.InvokeMethod(c.ctx, c.ns, class, target, method, in)
	if err != nil {
		return nil, err
	}
	if !rv.IsNull() && rv.Type() != method.ReturnType {
		if conv, err := cim.Convert(rv, method.ReturnType); err == nil {
			rv = conv
		}
	}
	return &Response{ReturnValue: rv, Out: out}, nil
}

// methodTarget checks the target object and finds the method.
func (c *call) methodTarget() (cim.ObjectPath, *cim.Class, *cim.Method, error) {
	target := c.req.ObjectName
	if target.ClassName == "" {
		target.ClassName = c.req.ClassName
	}
	class, err := c.class(target.ClassName, cim.StatusInvalidClass)
	if err != nil {
		return cim.ObjectPath{}, nil, nil, err
	}
	method, ok := class.Method(c.req.Method)
	if !ok {
		return cim.ObjectPath{}, nil, nil, c.errorf(cim.StatusMethodNotFound, "class %s has no method %q", class.Name, c.req.Method)
	}
	if target.IsInstance() || len(class.KeyNames()) == 0 && !method.Qualifiers.Has("Static") {
		target, class, err = c.instancePath(target, cim.StatusInvalidClass)
		return target, class, method, err
	}
	if !method.Qualifiers.Has("Static") {
		return cim.ObjectPath{}, nil, nil, c.errorf(cim.StatusInvalidParameter,
			"method %s of class %s is not static: the target must be an instance", method.Name, class.Name)
	}
	return cim.ObjectPath{Namespace: c.ns, ClassName: class.Name}, class, method, nil
}

// inParams checks and types the IN parameters. Names take the method's
// spelling.
func inParams(class *cim.Class, m *cim.Method, given []Param) ([]Param, error) {
	out := make([]Param, 0, len(given))
	for _, p := range given {
		decl, err := inParam(class, m, p.Name, out)
		if err != nil {
			return nil, err
		}
		v, err := typedValue("parameter "+decl.Name+" of method "+m.Name, decl.Type, decl.IsArray, p.Value)
		if err != nil && unparsedReference(decl, p.Value) {
			v, err = p.Value, nil
		}
		if err != nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "%s", message(err))
		}
		out = append(out, Param{Name: decl.Name, Value: v})
	}
	return out, missingRequired(m, out)
}

// unparsedReference reports whether a scalar reference parameter arrived as
// text that is not an object path. Such a value is passed to the method
// provider unchanged: what a reference that names nothing means is the
// method's to say (Msvm_RedundancySet.Failover answers 4, Parameter Error).
func unparsedReference(decl *cim.Parameter, v cim.Value) bool {
	return decl.Type == cim.Reference && !decl.IsArray && !v.IsArray() && v.Type() == cim.String
}

func inParam(class *cim.Class, m *cim.Method, name string, seen []Param) (*cim.Parameter, error) {
	decl, ok := m.Parameter(name)
	switch {
	case !ok:
		return nil, cim.Errorf(cim.StatusInvalidParameter, "method %s of class %s has no parameter %q", m.Name, class.Name, name)
	case !decl.IsIn():
		return nil, cim.Errorf(cim.StatusInvalidParameter, "parameter %s of method %s is an output, not an input", decl.Name, m.Name)
	}
	for _, p := range seen {
		if strings.EqualFold(p.Name, decl.Name) {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "parameter %s of method %s is given twice", decl.Name, m.Name)
		}
	}
	return decl, nil
}

func missingRequired(m *cim.Method, given []Param) error {
	for _, decl := range m.Parameters {
		if !decl.IsIn() || !decl.Qualifiers.Has("Required") {
			continue
		}
		if !hasParam(given, decl.Name) {
			return cim.Errorf(cim.StatusInvalidParameter, "method %s needs parameter %s", m.Name, decl.Name)
		}
	}
	return nil
}

func hasParam(ps []Param, name string) bool {
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) && !p.Value.IsNull() {
			return true
		}
	}
	return false
}
