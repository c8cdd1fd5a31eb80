package cimom

import (
	"strings"

	"github.com/redset/redset/cim"
)

// getInstance serves GetInstance (DSP0200). LocalOnly is
// deprecated and treated as false; instances carry no qualifiers, so
// IncludeQualifiers and IncludeClassOrigin change nothing.
func (c *call) getInstance() (*Response, error) {
	path, class, err := c.instancePath(c.req.ObjectName, cim.StatusInvalidClass)
	if err != nil {
		return nil, err
	}
	inst, err := c.fetch(class, path)
	if err != nil {
		return nil, err
	}
	inst = newPropFilter(c.req.PropertyList).apply(inst)
	return &Response{Instance: &Object{Path: path, Instance: inst}}, nil
}

// fetch asks the provider of class for the instance at path.
func (c *call) fetch(class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	ip, err := capability[InstanceProvider](c, class, "getting instances")
	if err != nil {
		return nil, err
	}
	inst, err := ip.GetInstance(c.ctx, c.ns, class, path)
	if err != nil {
		return nil, err
	}
	if inst == nil {
		return nil, c.errorf(cim.StatusNotFound, "no instance %s", path)
	}
	return withClassName(inst, class.Name), nil
}

// enumerateInstances serves EnumerateInstances (DSP0200):
// instances of the class and of every subclass. With DeepInheritance
// false each instance keeps only the properties the requested class
// declares; PropertyList narrows further.
func (c *call) enumerateInstances() (*Response, error) {
	objs, err := c.instances(c.req.ClassName, false)
	if err != nil {
		return nil, err
	}
	return &Response{Objects: objs}, nil
}

// enumerateInstanceNames serves EnumerateInstanceNames (DSP0200).
func (c *call) enumerateInstanceNames() (*Response, error) {
	objs, err := c.instances(c.req.ClassName, true)
	if err != nil {
		return nil, err
	}
	return &Response{Objects: objs}, nil
}

// instances checks the class and returns the lazy enumeration of its
// instances, filtered by the request's DeepInheritance and PropertyList,
// or their paths alone.
func (c *call) instances(className string, names bool) (Objects, error) {
	class, err := c.class(className, cim.StatusInvalidClass)
	if err != nil {
		return nil, err
	}
	objs, err := c.allInstances(class)
	if err != nil || names {
		return namesOnlyOr(objs, names), err
	}
	f := newPropFilter(c.req.PropertyList)
	if !c.req.DeepInheritance {
		f.class = class
	}
	return mapObjects(objs, func(o Object) (Object, bool, error) {
		o.Instance = f.apply(o.Instance)
		return o, true, nil
	}), nil
}

func namesOnlyOr(objs Objects, names bool) Objects {
	if objs == nil || !names {
		return objs
	}
	return namesOnly(objs)
}

// source is one provider call of an enumeration.
type source struct {
	p     InstanceProvider
	class *cim.Class
}

// allInstances returns the complete instances (with paths) of class and
// its subclasses. The class itself is served by its nearest provider; a
// subclass only by a provider registered for it, so that no instance is
// produced twice.
func (c *call) allInstances(class *cim.Class) (Objects, error) {
	srcs, err := c.sources(class)
	if err != nil {
		return nil, err
	}
	seqs := make([]func() Objects, len(srcs))
	for i, s := range srcs {
		seqs[i] = func() Objects { return c.provided(s) }
	}
	return concat(seqs), nil
}

func (c *call) sources(class *cim.Class) ([]source, error) {
	var srcs []source
	if p, _ := c.d.provider(c.ns, class); p != nil {
		ip, ok := p.(InstanceProvider)
		if !ok {
			return nil, notSupported(class, "enumerating instances")
		}
		srcs = append(srcs, source{ip, class})
	}
	for _, name := range c.d.repo.SubclassNames(c.ns, class.Name, true) {
		sub, ok := c.d.repo.Class(c.ns, name)
		if !ok {
			continue
		}
		if p, owner := c.d.provider(c.ns, sub); strings.EqualFold(owner, sub.Name) {
			if ip, ok := p.(InstanceProvider); ok {
				srcs = append(srcs, source{ip, sub})
			}
		}
	}
	return srcs, nil
}

// provided runs one provider's enumeration, completing each object and
// turning errors into *cim.Error.
func (c *call) provided(s source) Objects {
	seq := s.p.EnumerateInstances(c.ctx, c.ns, s.class)
	return func(yield func(Object, error) bool) {
		if seq == nil {
			return
		}
		for o, err := range seq {
			if err == nil {
				o, err = c.complete(o, s.class)
			}
			if err != nil {
				yield(Object{}, c.d.cimError(err))
				return
			}
			if !yield(o, nil) {
				return
			}
		}
	}
}

// complete fills in what a provider may leave out of an object: the
// instance's class name and the path (built from the keys) with its
// namespace.
func (c *call) complete(o Object, class *cim.Class) (Object, error) {
	o.Instance = withClassName(o.Instance, class.Name)
	if o.Path.ClassName == "" && o.Instance != nil {
		p, err := o.Instance.Path(c.instanceClass(o.Instance, class), c.ns)
		if err != nil {
			return o, err
		}
		o.Path = p
	}
	if o.Path.Namespace == "" {
		o.Path.Namespace = c.ns
	}
	return o, nil
}

// withClassName returns inst, or a copy of it named name when it has no
// class name (the provider's instance is never changed).
func withClassName(inst *cim.Instance, name string) *cim.Instance {
	if inst == nil || inst.ClassName != "" {
		return inst
	}
	c := *inst
	c.ClassName = name
	return &c
}

// instanceClass returns the class of inst when the repository knows it,
// else fallback.
func (c *call) instanceClass(inst *cim.Instance, fallback *cim.Class) *cim.Class {
	if inst != nil && !strings.EqualFold(inst.ClassName, fallback.Name) {
		if cl, ok := c.d.repo.Class(c.ns, inst.ClassName); ok {
			return cl
		}
	}
	return fallback
}
