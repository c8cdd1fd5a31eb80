package provider

import (
	"cmp"
	"context"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/indication"
)

// The configuration records that create and delete what redset's classes
// show (the engine's action texts).
const (
	actionSetCreated    = "set created"
	actionSetDeleted    = "set deleted"
	actionMemberCreated = "member created"
	actionMemberDeleted = "member deleted"
)

// configChanged builds the indications of a configuration record: the
// creation or deletion of a set or a member, or a change of a set's load
// balancing.
func (x *Indications) configChanged(r event.Record) []indication.Indication {
	switch {
	case r.Config.Action == actionSetCreated:
		return x.setCreated(r)
	case r.Config.Action == actionSetDeleted:
		return x.setGone(r, x.cls.deletion, x.sets[r.SetID].elementName)
	case r.Config.Action == actionMemberCreated:
		return x.memberCreated(r)
	case r.Config.Action == actionMemberDeleted:
		return x.memberGone(r, x.cls.deletion, x.names[r.Member])
	case r.SetID != "" && r.Member == "":
		return x.loadBalanceChanged(r)
	}
	return nil
}

// Observe keeps what Indications remembers current from a record nobody
// subscribed to (the indication package's HubOptions.Observe): the load
// balancing and names of the sets and the names of the members that the
// record creates, changes or deletes. It builds nothing and reads the
// engine only for configuration records, which are rare.
func (x *Indications) Observe(_ context.Context, r event.Record) {
	if r.Config == nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case r.Config.Action == actionSetDeleted:
		delete(x.sets, r.SetID)
	case r.Config.Action == actionMemberDeleted:
		delete(x.names, r.Member)
	case r.SetID != "" && r.Member == "":
		if v, err := x.eng.GetSet(r.SetID); err == nil {
			x.sets[r.SetID] = shownOf(&v.Set)
		}
	case r.Member != "" && r.SetID == "":
		if m, err := x.eng.GetMember(r.Member); err == nil {
			x.names[r.Member] = displayName(&m)
		}
	}
}

// loadBalanceChanged builds a CIM_InstModification when the set's load
// balancing differs from what was last seen of it.
func (x *Indications) loadBalanceChanged(r event.Record) []indication.Indication {
	was, known := x.sets[r.SetID]
	v, err := x.eng.GetSet(r.SetID)
	if err != nil || !known {
		if err == nil {
			x.sets[r.SetID] = shownOf(&v.Set)
		}
		return nil
	}
	now := shownOf(&v.Set)
	if now.alg == was.alg && now.otherAlg == was.otherAlg {
		x.sets[r.SetID] = now
		return nil
	}
	names := x.dom.set.names
	return x.setModified(r, func(in *cim.Instance) {
		setProp(in, names[setLoadBalanceAlgorithm], cim.MustUint16(was.alg))
		setProp(in, names[setOtherLoadBalanceAlgorithm], optString(was.otherAlg))
	})
}

// setCreated builds the CIM_InstCreation of a set. A set deleted again
// before its record is read is shown by its key and the name the record
// gives (the engine's detail of "set created").
func (x *Indications) setCreated(r event.Record) []indication.Indication {
	if obj, ok := x.setObject(r.SetID); ok {
		return []indication.Indication{x.life(r, x.cls.creation, obj.Path, *obj.Instance, nil)}
	}
	inds := x.setGone(r, x.cls.creation, r.Config.Detail)
	x.sets[r.SetID] = setShown{elementName: r.Config.Detail}
	return inds
}

// memberCreated builds the CIM_InstCreation of a member, as setCreated
// does for a set.
func (x *Indications) memberCreated(r event.Record) []indication.Indication {
	if obj, ok := x.memberObject(r.Member, nil); ok {
		return []indication.Indication{x.life(r, x.cls.creation, obj.Path, *obj.Instance, nil)}
	}
	inds := x.memberGone(r, x.cls.creation, r.Config.Detail)
	x.names[r.Member] = r.Config.Detail
	return inds
}

// setGone builds an indication of class lay about a set that no longer
// exists: its key and the name it had (forgotten from now on).
func (x *Indications) setGone(r event.Record, lay layout, elementName string) []indication.Indication {
	delete(x.sets, r.SetID)
	a := newAlloc(1)
	path := x.dom.setPath(a, x.ns, r.SetID)
	names := x.dom.set.names
	in := cim.Instance{ClassName: x.dom.set.class, Properties: []cim.PropertyValue{
		{Name: names[setInstanceID], Value: cim.NewString(r.SetID)},
		{Name: names[setElementName], Value: optString(elementName)},
	}}
	return []indication.Indication{x.life(r, lay, path, in, nil)}
}

// memberGone builds an indication of class lay about a member that no
// longer exists: its keys and the name it had (forgotten from now on).
func (x *Indications) memberGone(r event.Record, lay layout, name string) []indication.Indication {
	delete(x.names, r.Member)
	a := newAlloc(1)
	path := x.dom.systemPath(a, x.ns, r.Member)
	names := x.dom.system.names
	in := cim.Instance{ClassName: x.dom.system.class, Properties: []cim.PropertyValue{
		{Name: names[sysCreationClassName], Value: path.Keys[0].Value},
		{Name: names[sysName], Value: path.Keys[1].Value},
		{Name: names[sysElementName], Value: cim.NewString(cmp.Or(name, r.Member))},
	}}
	return []indication.Indication{x.life(r, lay, path, in, nil)}
}

// healthChanged builds the CIM_InstModification of a member whose health
// changed: the state properties of the record's new health in
// SourceInstance, of its old health in PreviousInstance.
func (x *Indications) healthChanged(r event.Record) []indication.Indication {
	var from, to engine.Health
	if from.UnmarshalText([]byte(r.Health.From)) != nil || to.UnmarshalText([]byte(r.Health.To)) != nil {
		return nil
	}
	obj, ok := x.memberObject(r.Member, &engine.HealthInfo{State: to, Detail: r.Health.Detail})
	if !ok {
		return nil
	}
	prev := obj.Instance.Clone()
	x.setHealth(&prev, engine.HealthInfo{State: from})
	return []indication.Indication{x.life(r, x.cls.modification, obj.Path, *obj.Instance, &prev)}
}

// memberObject builds the current object of a member, with the health h
// when it is not nil, and remembers its name.
func (x *Indications) memberObject(name string, h *engine.HealthInfo) (cimom.Object, bool) {
	info, err := x.eng.GetMember(name)
	if err != nil {
		return cimom.Object{}, false
	}
	x.names[name] = displayName(&info)
	p := &computerSystem{dom: x.dom, eng: x.eng}
	rank, err := p.rank(info)
	if err != nil {
		return cimom.Object{}, false
	}
	if h != nil {
		info.Health = *h
	}
	return p.object(newAlloc(1), x.ns, &info, rank), true
}

// setHealth replaces the state properties of a member's instance with
// those of h.
func (x *Indications) setHealth(in *cim.Instance, h engine.HealthInfo) {
	names := x.dom.system.names
	hv := healthOf(h.State)
	setProp(in, names[sysOperationalStatus], uint16One(hv.operational))
	setProp(in, names[sysStatusDescriptions], cim.NewStringArray([]string{statusText(h)}))
	setProp(in, names[sysHealthState], cim.MustUint16(hv.health))
	setProp(in, names[sysPrimaryStatus], cim.MustUint16(hv.primary))
}
