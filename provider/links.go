package provider

import (
	"context"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// linkSpec describes an association class between sets and members
// (Msvm_MemberOfCollection, CIM_IsSpare): the roles it links, which of its
// first two fields refers to the set and which to the member (those two
// are its keys), and how its other fields are filled.
type linkSpec struct {
	lay        *layout
	keep       func(engine.RoleKind) bool
	setRef     int // field index of the reference to the set (0 or 1)
	memberRef  int // field index of the reference to the member (1 or 0)
	fieldCount int
	// extras sets the values of props[2:] from the member's role.
	extras func(m *engine.MemberView, props []cim.PropertyValue)
}

// linkProvider serves an association between sets and members from the
// engine's roles, so that it always agrees with the instances of
// Msvm_RedundancySet and Msvm_ComputerSystem: each association instance
// is one member of one set whose role the spec keeps.
type linkProvider struct {
	dom  *domain
	eng  *engine.Engine
	spec linkSpec
}

// EnumerateInstances yields the links of every set, in set then member
// name order.
func (p *linkProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		if !p.spec.lay.serves(class) {
			return
		}
		sets, err := p.eng.ListSets()
		if err != nil {
			yield(cimom.Object{}, engineError(err))
			return
		}
		a := newAlloc(len(sets))
		yieldEach(ctx, sets, yield, func(v *engine.SetView) bool {
			return p.yieldSet(a, ns, v, "", yield)
		})
	}
}

// yieldSet yields the links of one set (only the member's, when member is
// not empty); false means the consumer stopped.
func (p *linkProvider) yieldSet(a *alloc, ns string, v *engine.SetView, member string, yield func(cimom.Object, error) bool) bool {
	var setRef cim.Value
	for i := range v.Members {
		m := &v.Members[i]
		if !p.spec.keep(m.Role.Kind) || member != "" && m.Name != member {
			continue
		}
		if setRef.IsNull() {
			setRef = cim.NewReference(p.dom.setPath(a, ns, v.InstanceID))
		}
		if !yield(p.object(a, ns, setRef, m), nil) {
			return false
		}
	}
	return true
}

// object builds the association instance linking a set (given as its
// reference) and one of its members.
func (p *linkProvider) object(a *alloc, ns string, setRef cim.Value, m *engine.MemberView) cimom.Object {
	s := p.spec
	names := s.lay.names
	in := a.instance(s.lay.class, s.fieldCount)
	for i := range in.Properties {
		in.Properties[i].Name = names[i]
	}
	in.Properties[s.setRef].Value = setRef
	in.Properties[s.memberRef].Value = cim.NewReference(p.dom.systemPath(a, ns, m.Name))
	if s.extras != nil {
		s.extras(m, in.Properties)
	}
	vals := in.Properties
	keys := a.keySlice(2)
	keys[0] = cim.KeyBinding{Name: names[0], Value: vals[0].Value}
	keys[1] = cim.KeyBinding{Name: names[1], Value: vals[1].Value}
	if strings.ToLower(names[0]) > strings.ToLower(names[1]) {
		keys[0], keys[1] = keys[1], keys[0]
	}
	return cimom.Object{Path: cim.ObjectPath{Namespace: ns, ClassName: in.ClassName, Keys: keys}, Instance: in}
}

// GetInstance returns the association instance path names, or
// CIM_ERR_NOT_FOUND when its references do not name a set and a member
// linked with a kept role.
func (p *linkProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	id, name, err := p.ends(ns, class, path)
	if err != nil {
		return nil, cim.Errorf(cim.StatusNotFound, "no instance %s: %v", path, err)
	}
	v, err := p.eng.GetSet(id)
	if err != nil {
		return nil, engineError(err)
	}
	var found *cim.Instance
	p.yieldSet(newAlloc(1), ns, &v, name, func(o cimom.Object, _ error) bool {
		found = o.Instance
		return false
	})
	if found == nil {
		return nil, cim.Errorf(cim.StatusNotFound, "no instance %s: %s is not linked to %s by %s", path, name, id, p.spec.lay.class)
	}
	return found, nil
}

// ends reads the set and member an association path refers to.
func (p *linkProvider) ends(ns string, class *cim.Class, path cim.ObjectPath) (string, string, error) {
	if !p.spec.lay.serves(class) {
		return "", "", errNotServed
	}
	names := p.spec.lay.names
	setRef, err := refKey(path, names[p.spec.setRef])
	if err != nil {
		return "", "", err
	}
	memberRef, err := refKey(path, names[p.spec.memberRef])
	if err != nil {
		return "", "", err
	}
	id, err := p.dom.setID(ns, setRef)
	if err != nil {
		return "", "", err
	}
	name, err := p.dom.memberName(ns, memberRef)
	return id, name, err
}

// errNotServed is the reason for a path of a class the provider does not
// serve.
var errNotServed = cim.Errorf(cim.StatusNotFound, "class not served by this provider")

// References yields the association instances that refer to target
// through role (either reference when role is empty): the links of a set,
// or those of a member in each of its sets.
func (p *linkProvider) References(ctx context.Context, ns string, assoc *cim.Class, target cim.ObjectPath, role string) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		if !p.spec.lay.serves(assoc) {
			return
		}
		names := p.spec.lay.names
		if roleMatches(role, names[p.spec.setRef]) {
			if id, err := p.dom.setID(ns, target); err == nil && !p.setLinks(ns, id, yield) {
				return
			}
		}
		if roleMatches(role, names[p.spec.memberRef]) {
			if name, err := p.dom.memberName(ns, target); err == nil {
				p.memberLinks(ctx, ns, name, yield)
			}
		}
	}
}

func roleMatches(role, prop string) bool { return role == "" || strings.EqualFold(role, prop) }

// setLinks yields the links of set id; false means stop.
func (p *linkProvider) setLinks(ns, id string, yield func(cimom.Object, error) bool) bool {
	v, err := p.eng.GetSet(id)
	if err != nil {
		return p.skipNotFound(err, yield)
	}
	return p.yieldSet(newAlloc(len(v.Members)), ns, &v, "", yield)
}

// memberLinks yields the links of member name in each of its sets.
func (p *linkProvider) memberLinks(ctx context.Context, ns, name string, yield func(cimom.Object, error) bool) {
	info, err := p.eng.GetMember(name)
	if err != nil {
		p.skipNotFound(err, yield)
		return
	}
	a := newAlloc(len(info.Sets))
	for _, id := range info.Sets {
		if err := ctx.Err(); err != nil {
			yield(cimom.Object{}, err)
			return
		}
		v, err := p.eng.GetSet(id)
		if err != nil {
			if !p.skipNotFound(err, yield) {
				return
			}
			continue
		}
		if !p.yieldSet(a, ns, &v, name, yield) {
			return
		}
	}
}

// skipNotFound passes over an object that vanished (true: go on) and
// yields any other engine error (false: stop).
func (p *linkProvider) skipNotFound(err error, yield func(cimom.Object, error) bool) bool {
	ce := engineError(err)
	if cim.StatusOf(ce) == cim.StatusNotFound {
		return true
	}
	yield(cimom.Object{}, ce)
	return false
}
