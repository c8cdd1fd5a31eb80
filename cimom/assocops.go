package cimom

import (
	"errors"
	"strings"

	"github.com/redset/redset/cim"
)

// The four association operations (DSP0200) share
// one path: the source object is checked (an unknown class or bad keys is
// CIM_ERR_INVALID_PARAMETER, as DSP0200 lists for them), then every
// association class with its own AssociationProvider that can refer to
// the source's class (or a superclass of it) through a reference property
// matching Role is asked for the association instances that refer to the
// source. References returns those (filtered by ResultClass); Associators
// follows their other references (matching ResultRole) and fetches each
// far object from the provider of its class with GetInstance, so that the
// answer agrees with instance enumeration: dangling references are
// skipped. Results are unique. A class path as source asks the schema
// instead (see classAssociations).

func (c *call) associators() (*Response, error)     { return c.association(false, false) }
func (c *call) associatorNames() (*Response, error) { return c.association(false, true) }
func (c *call) references() (*Response, error)      { return c.association(true, false) }
func (c *call) referenceNames() (*Response, error)  { return c.association(true, true) }

func (c *call) association(refs, names bool) (*Response, error) {
	objs, err := c.associationObjects(refs)
	if err != nil {
		return nil, err
	}
	if names {
		return &Response{Objects: namesOnly(objs)}, nil
	}
	return &Response{Objects: c.filtered(objs)}, nil
}

// filtered applies the request's PropertyList to instances.
func (c *call) filtered(objs Objects) Objects {
	f := newPropFilter(c.req.PropertyList)
	if f.keepsAll() {
		return objs
	}
	return mapObjects(objs, func(o Object) (Object, bool, error) {
		o.Instance = f.apply(o.Instance)
		return o, true, nil
	})
}

// associationObjects returns the complete association instances (refs) or
// far objects of the request's source object.
func (c *call) associationObjects(refs bool) (Objects, error) {
	src := c.req.ObjectName
	if !src.IsInstance() {
		if class, ok := c.d.repo.Class(c.ns, src.ClassName); !ok || len(class.KeyNames()) > 0 {
			return c.classAssociations(refs)
		}
	}
	q, err := c.assocQuery()
	if err != nil {
		return nil, err
	}
	if refs {
		return c.referenceObjects(q), nil
	}
	return c.associatorObjects(q), nil
}

// assocQuery is the checked source of an association operation and the
// association classes that can refer to it.
type assocQuery struct {
	src   cim.ObjectPath
	links []assocLink
}

// assocLink is an association class with its provider and the reference
// properties through which it can refer to the source.
type assocLink struct {
	class *cim.Class
	p     AssociationProvider
	roles []string
}

func (c *call) assocQuery() (assocQuery, error) {
	src, srcClass, err := c.instancePath(c.req.ObjectName, cim.StatusInvalidParameter)
	if err == nil {
		err = c.checkFilterClasses()
	}
	if err != nil {
		return assocQuery{}, err
	}
	q := assocQuery{src: src}
	for _, a := range c.assocClasses() {
		p, owner := c.d.provider(c.ns, a)
		ap, ok := p.(AssociationProvider)
		if !ok || !strings.EqualFold(owner, a.Name) {
			continue
		}
		if roles := c.sourceRoles(a, srcClass); len(roles) > 0 {
			q.links = append(q.links, assocLink{class: a, p: ap, roles: roles})
		}
	}
	return q, nil
}

// checkFilterClasses refuses an AssocClass or ResultClass that does not
// exist.
func (c *call) checkFilterClasses() error {
	for _, name := range []string{c.req.AssocClass, c.req.ResultClass} {
		if name != "" {
			if _, err := c.class(name, cim.StatusInvalidParameter); err != nil {
				return err
			}
		}
	}
	return nil
}

// assocClasses lists the association classes of the namespace that pass
// the AssocClass filter.
func (c *call) assocClasses() []*cim.Class {
	var out []*cim.Class
	for _, name := range c.d.repo.SubclassNames(c.ns, "", true) {
		cl, ok := c.d.repo.Class(c.ns, name)
		if !ok || !cl.IsAssociation() {
			continue
		}
		if c.req.AssocClass == "" || c.d.isa(c.ns, cl.Name, c.req.AssocClass) {
			out = append(out, cl)
		}
	}
	return out
}

// sourceRoles lists the reference properties of assoc, matching Role,
// that can refer to an instance of src.
func (c *call) sourceRoles(assoc *cim.Class, src *cim.Class) []string {
	var roles []string
	for _, p := range assoc.Properties {
		if p.Type != cim.Reference || p.IsArray {
			continue
		}
		if c.req.Role != "" && !strings.EqualFold(p.Name, c.req.Role) {
			continue
		}
		if p.RefClass == "" || c.d.isa(c.ns, src.Name, p.RefClass) {
			roles = append(roles, p.Name)
		}
	}
	return roles
}

// linked yields, for each link and role, the association instances that
// refer to the source through that role, with the role.
func (c *call) linked(q assocQuery, each func(link assocLink, role string, o Object) (bool, error)) Objects {
	return func(yield func(Object, error) bool) {
		for _, link := range q.links {
			for _, role := range link.roles {
				if !c.linkedThrough(q, link, role, each, yield) {
					return
				}
			}
		}
	}
}

func (c *call) linkedThrough(q assocQuery, link assocLink, role string,
	each func(assocLink, string, Object) (bool, error), yield func(Object, error) bool) bool {
	seq := link.p.References(c.ctx, c.ns, link.class, q.src, role)
	if seq == nil {
		return true
	}
	for o, err := range seq {
		if err == nil {
			o, err = c.complete(o, link.class)
		}
		if err != nil {
			yield(Object{}, c.d.cimError(err))
			return false
		}
		if o.Instance == nil || !c.refersTo(o.Instance, role, q.src) {
			continue
		}
		if ok, err := each(link, role, o); err != nil || !ok {
			if err != nil {
				yield(Object{}, c.d.cimError(err))
			}
			return false
		}
	}
	return true
}

// refersTo reports whether property role of inst refers to src. A
// reference without namespace is in the call's namespace, and class names
// may differ along the class hierarchy.
func (c *call) refersTo(inst *cim.Instance, role string, src cim.ObjectPath) bool {
	v, _ := inst.Get(role)
	p, ok := refPath(v)
	if !ok {
		return false
	}
	if p.Namespace == "" {
		p.Namespace = c.ns
	}
	if c.d.isa(c.ns, p.ClassName, src.ClassName) || c.d.isa(c.ns, src.ClassName, p.ClassName) {
		p.ClassName = src.ClassName
	}
	p.Host = ""
	return p.Equal(src)
}

// refPath reads a reference value (or a string holding an object path).
func refPath(v cim.Value) (cim.ObjectPath, bool) {
	switch {
	case v.IsNull() || v.IsArray():
		return cim.ObjectPath{}, false
	case v.Type() == cim.Reference:
		return v.Ref(), true
	case v.Type() == cim.String:
		p, err := cim.ParseObjectPath(v.Str())
		return p, err == nil
	}
	return cim.ObjectPath{}, false
}

// referenceObjects yields the association instances, unique, whose class
// passes ResultClass.
func (c *call) referenceObjects(q assocQuery) Objects {
	return func(yield func(Object, error) bool) {
		seen := map[string]bool{}
		c.linked(q, func(link assocLink, _ string, o Object) (bool, error) {
			if c.req.ResultClass != "" && !c.d.isa(c.ns, o.Instance.ClassName, c.req.ResultClass) {
				return true, nil
			}
			k := pathKey(o.Path)
			if seen[k] {
				return true, nil
			}
			seen[k] = true
			return yield(o, nil), nil
		})(yield)
	}
}

// associatorObjects yields the far objects, unique, that pass ResultRole
// and ResultClass and exist.
func (c *call) associatorObjects(q assocQuery) Objects {
	return func(yield func(Object, error) bool) {
		seen := map[string]bool{}
		c.linked(q, func(link assocLink, role string, o Object) (bool, error) {
			for _, far := range c.farEnds(link.class, role, o.Instance) {
				obj, ok, err := c.resolve(far)
				if err != nil {
					return false, err
				}
				if !ok || seen[pathKey(obj.Path)] {
					continue
				}
				seen[pathKey(obj.Path)] = true
				if !yield(obj, nil) {
					return false, nil
				}
			}
			return true, nil
		})(yield)
	}
}

// farEnds returns the references of an association instance other than
// role, matching ResultRole.
func (c *call) farEnds(assoc *cim.Class, role string, inst *cim.Instance) []cim.ObjectPath {
	var out []cim.ObjectPath
	for _, p := range assoc.Properties {
		if p.Type != cim.Reference || strings.EqualFold(p.Name, role) {
			continue
		}
		if c.req.ResultRole != "" && !strings.EqualFold(p.Name, c.req.ResultRole) {
			continue
		}
		v, _ := inst.Get(p.Name)
		if path, ok := refPath(v); ok {
			out = append(out, path)
		}
	}
	return out
}

// resolve fetches the object a reference names. ok is false (and the
// reference skipped, with a debug log) when it is in another namespace,
// fails the ResultClass filter, or names nothing that exists here.
func (c *call) resolve(far cim.ObjectPath) (Object, bool, error) {
	if far.Namespace != "" && !cim.SameNamespace(far.Namespace, c.ns) {
		c.d.log.Debug("association reference to another namespace skipped", "ref", far.String())
		return Object{}, false, nil
	}
	path, class, err := c.instancePath(far.WithoutHost(), cim.StatusInvalidParameter)
	if err != nil {
		c.d.log.Debug("association reference skipped", "ref", far.String(), "err", err)
		return Object{}, false, nil
	}
	if c.req.ResultClass != "" && !c.d.isa(c.ns, class.Name, c.req.ResultClass) {
		return Object{}, false, nil
	}
	inst, err := c.fetch(class, path)
	if err != nil {
		return c.unresolved(far, err)
	}
	o, err := c.complete(Object{Instance: inst}, class)
	if err != nil {
		return Object{}, false, err
	}
	return o, true, nil
}

func (c *call) unresolved(far cim.ObjectPath, err error) (Object, bool, error) {
	var ce *cim.Error
	if errors.As(err, &ce) && (ce.Status == cim.StatusNotFound || ce.Status == cim.StatusNotSupported) {
		c.d.log.Debug("dangling association reference skipped", "ref", far.String(), "err", err)
		return Object{}, false, nil
	}
	return Object{}, false, err
}
