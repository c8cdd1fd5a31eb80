package cimom

import (
	"cmp"
	"strings"

	"github.com/redset/redset/cim"
)

// modifyInstance serves ModifyInstance (DSP0200). The properties
// to change are those named in PropertyList (a listed property the
// modified instance leaves out is reset to its class default), or every
// property the modified instance carries. The change is checked with
// cim.ValidateModification against the provider's current instance: a
// change of a key or of a read-only property is refused, naming the
// property, and the provider is not called.
func (c *call) modifyInstance() (*Response, error) {
	path, class, mod, err := c.modifiedInstance()
	if err != nil {
		return nil, err
	}
	im, err := capability[InstanceModifier](c, class, "modifying instances")
	if err != nil {
		return nil, err
	}
	cur, err := c.fetch(class, path)
	if err != nil {
		return nil, err
	}
	vc := c.instanceClass(cur, class)
	mod.ClassName = cur.ClassName
	if err := cim.ValidateModification(vc, *cur, mod); err != nil {
		return nil, err
	}
	if err := im.ModifyInstance(c.ctx, c.ns, class, path, mod, c.req.PropertyList); err != nil {
		return nil, err
	}
	return &Response{}, nil
}

// modifiedInstance checks ModifyInstance's arguments: the path (taken from
// the instance when ObjectName is empty), the instance's class, and its
// properties, narrowed to the PropertyList.
func (c *call) modifiedInstance() (cim.ObjectPath, *cim.Class, cim.Instance, error) {
	inst := c.req.Instance
	if inst == nil {
		return cim.ObjectPath{}, nil, cim.Instance{}, c.errorf(cim.StatusInvalidParameter, "ModifyInstance needs the modified instance")
	}
	path, class, err := c.instancePath(c.modifiedPath(inst), cim.StatusInvalidClass)
	if err != nil {
		return cim.ObjectPath{}, nil, cim.Instance{}, err
	}
	if inst.ClassName != "" && !strings.EqualFold(inst.ClassName, class.Name) {
		return cim.ObjectPath{}, nil, cim.Instance{}, c.errorf(cim.StatusInvalidParameter,
			"the modified instance is of class %s but its path names %s", inst.ClassName, class.Name)
	}
	mod, err := typedInstance(class, *inst)
	if err != nil {
		return cim.ObjectPath{}, nil, cim.Instance{}, err
	}
	return path, class, c.narrow(class, mod), nil
}

func (c *call) modifiedPath(inst *cim.Instance) cim.ObjectPath {
	p := c.req.ObjectName
	if p.ClassName != "" {
		return p
	}
	class, ok := c.d.repo.Class(c.ns, inst.ClassName)
	if !ok {
		return cim.ObjectPath{ClassName: inst.ClassName}
	}
	if ip, err := inst.Path(class, c.ns); err == nil {
		return ip
	}
	return cim.ObjectPath{ClassName: inst.ClassName}
}

// narrow keeps the properties of mod named in the PropertyList, adding
// listed ones mod lacks with their class default; names the class does not
// have are ignored. A nil PropertyList keeps mod whole.
func (c *call) narrow(class *cim.Class, mod cim.Instance) cim.Instance {
	list := c.req.PropertyList
	if list == nil {
		return mod
	}
	out := cim.Instance{ClassName: mod.ClassName}
	for _, name := range list {
		prop, ok := class.Property(name)
		if !ok {
			continue
		}
		v, ok := mod.Get(prop.Name)
		if !ok {
			v = prop.Default
			if v.IsNull() {
				v = cim.Null(prop.Type, prop.IsArray)
			}
		}
		out.Set(prop.Name, v)
	}
	return out
}

// createInstance serves CreateInstance (DSP0200): the new
// instance's class must exist and be concrete, and the instance must pass
// cim.ValidateInstance (keys included) before the provider sees it; a
// provider that completes new instances (InstanceCompleter) fills in what
// the client left out first.
func (c *call) createInstance() (*Response, error) {
	inst := c.req.Instance
	if inst == nil {
		return nil, c.errorf(cim.StatusInvalidParameter, "CreateInstance needs the new instance")
	}
	class, err := c.class(cmp.Or(inst.ClassName, c.req.ClassName), cim.StatusInvalidClass)
	if err != nil {
		return nil, err
	}
	if class.IsAbstract() {
		return nil, c.errorf(cim.StatusInvalidClass, "class %s is abstract and has no instances of its own", class.Name)
	}
	typed, err := typedInstance(class, *inst)
	if err == nil {
		typed, err = c.completeNew(class, typed)
	}
	if err == nil {
		err = cim.ValidateInstance(class, typed)
	}
	if err != nil {
		return nil, err
	}
	return c.create(class, typed)
}

// completeNew lets the provider of class fill in what the client left out of
// a new instance (InstanceCompleter); other providers get it as it is.
func (c *call) completeNew(class *cim.Class, inst cim.Instance) (cim.Instance, error) {
	p, _ := c.d.provider(c.ns, class)
	ic, ok := p.(InstanceCompleter)
	if !ok {
		return inst, nil
	}
	out, err := ic.CompleteInstance(c.ctx, c.ns, class, inst)
	if err != nil {
		return cim.Instance{}, err
	}
	out.ClassName = class.Name
	return out, nil
}

func (c *call) create(class *cim.Class, inst cim.Instance) (*Response, error) {
	ic, err := capability[InstanceCreator](c, class, "creating instances")
	if err != nil {
		return nil, err
	}
	path, err := ic.CreateInstance(c.ctx, c.ns, class, inst)
	if err != nil {
		return nil, err
	}
	if path.Namespace == "" {
		path.Namespace = c.ns
	}
	return &Response{Instance: &Object{Path: path}}, nil
}

// deleteInstance serves DeleteInstance (DSP0200).
func (c *call) deleteInstance() (*Response, error) {
	path, class, err := c.instancePath(c.req.ObjectName, cim.StatusInvalidClass)
	if err != nil {
		return nil, err
	}
	id, err := capability[InstanceDeleter](c, class, "deleting instances")
	if err != nil {
		return nil, err
	}
	if err := id.DeleteInstance(c.ctx, c.ns, class, path); err != nil {
		return nil, err
	}
	return &Response{}, nil
}
