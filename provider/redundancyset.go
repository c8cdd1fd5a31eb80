package provider

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// The properties of Msvm_RedundancySet, in the order instances carry them.
const (
	setInstanceID = iota
	setCaption
	setDescription
	setElementName
	setRedundancyStatus
	setTypeOfSet
	setOtherTypeOfSet
	setMinNumberNeeded
	setMaxNumberSupported
	setVendorIdentifyingInfo
	setLoadBalanceAlgorithm
	setOtherLoadBalanceAlgorithm
	setFieldCount
)

var setFields = [setFieldCount]field{
	setInstanceID:                {"InstanceID", cim.String, false},
	setCaption:                   {"Caption", cim.String, false},
	setDescription:               {"Description", cim.String, false},
	setElementName:               {"ElementName", cim.String, false},
	setRedundancyStatus:          {"RedundancyStatus", cim.Uint16, false},
	setTypeOfSet:                 {"TypeOfSet", cim.Uint16, true},
	setOtherTypeOfSet:            {"OtherTypeOfSet", cim.String, true},
	setMinNumberNeeded:           {"MinNumberNeeded", cim.Uint32, false},
	setMaxNumberSupported:        {"MaxNumberSupported", cim.Uint32, false},
	setVendorIdentifyingInfo:     {"VendorIdentifyingInfo", cim.String, false},
	setLoadBalanceAlgorithm:      {"LoadBalanceAlgorithm", cim.Uint16, false},
	setOtherLoadBalanceAlgorithm: {"OtherLoadBalanceAlgorithm", cim.String, false},
}

// redundancySet serves Msvm_RedundancySet: every set of the engine as an
// instance carrying all twelve properties (text the engine leaves empty is
// null, and so is OtherTypeOfSet when no entry of TypeOfSet is Other;
// RedundancyStatus is computed by the engine at the moment of the
// request), the client-writable load balancing properties, and Failover.
// Sets are created and deleted through redset's own API, so the provider
// has no CreateInstance or DeleteInstance.
type redundancySet struct {
	dom   *domain
	eng   *engine.Engine
	cache setCache // the objects of the last enumerations
}

// EnumerateInstances yields every set, in InstanceID order, as the sets
// were when the enumeration began. The objects are kept for the next
// enumeration while their set shows the same values (see setCache), so
// that most enumerations build none; while no set changed at all
// (engine.SetsVersion), the last listing is yielded as it is, without
// visiting the sets, so that the first objects go out at once.
func (p *redundancySet) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		if !p.dom.set.serves(class) {
			return
		}
		entries, err := p.entries(ns)
		if err != nil {
			yield(cimom.Object{}, engineError(err))
			return
		}
		for i, e := range entries {
			if i%ctxEvery == 0 && ctx.Err() != nil {
				yield(cimom.Object{}, ctx.Err())
				return
			}
			if !yield(e.obj, nil) {
				return
			}
		}
	}
}

// ctxEvery is how many objects an enumeration yields between two looks at
// its context.
const ctxEvery = 256

// entries returns the entry of every set, in InstanceID order: the last
// listing while the engine's SetsVersion is the one it was made at; else
// that listing with the sets changed since read again, when the engine
// can tell which they are (engine.SetsChangedSince); else a new listing
// of every set. A new listing reuses the objects of the sets that did not
// change and is kept for the next enumeration (the cache then forgets the
// sets that are gone). The slice is shared and must not be changed. The
// cache is read under its read lock while a listing is made, so that
// enumerations run side by side.
func (p *redundancySet) entries(ns string) ([]*setEntry, error) {
	version, err := p.eng.SetsVersion()
	if err != nil {
		return nil, err
	}
	c := &p.cache
	c.mu.RLock()
	if c.last != nil && c.version == version && c.ns == ns {
		last := c.last
		c.mu.RUnlock()
		return last, nil
	}
	if l, now, ok := p.patched(ns); ok {
		c.mu.RUnlock()
		c.put(l, ns, now)
		return l.result(), nil
	}
	l := &listing{last: c.last}
	err = p.eng.EachSetSummary(func(s *engine.SetSummary) {
		e := c.entry(l.n, ns, &s.Set, s.RedundancyStatus)
		if e == nil {
			e = p.newEntry(ns, s)
			l.built = append(l.built, e)
		}
		l.add(e)
	})
	c.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	c.put(l, ns, version)
	return l.result(), nil
}

// patched returns the last listing with the entries of the sets changed
// since it was made read again, and the SetsVersion it shows; ok is false
// when the engine cannot tell which sets changed. p.cache.mu must be held
// for reading.
func (p *redundancySet) patched(ns string) (l *listing, now uint64, ok bool) {
	c := &p.cache
	if c.last == nil || c.ns != ns {
		return nil, 0, false
	}
	now, ids, ok, err := p.eng.SetsChangedSince(c.version)
	if err != nil || !ok {
		return nil, 0, false
	}
	l = &listing{last: c.last, entries: slices.Clone(c.last), n: len(c.last)}
	found := 0
	err = p.eng.EachSetSummaryOf(ids, func(s *engine.SetSummary) {
		i, ok := slices.BinarySearchFunc(l.entries, s.InstanceID, func(e *setEntry, id string) int {
			return strings.Compare(e.set.InstanceID, id)
		})
		if !ok {
			return
		}
		found++
		if !l.entries[i].shows(ns, &s.Set, s.RedundancyStatus) {
			l.entries[i] = p.newEntry(ns, s)
			l.built = append(l.built, l.entries[i])
		}
	})
	return l, now, err == nil && found == len(ids)
}

// newEntry builds the entry of a set for the cache.
func (p *redundancySet) newEntry(ns string, s *engine.SetSummary) *setEntry {
	return &setEntry{set: shownCopy(&s.Set), status: s.RedundancyStatus, ns: ns, obj: p.build(ns, &s.Set, s.RedundancyStatus)}
}

// build builds a set's object for the cache, with its cimom.Encodings,
// which the protocols fill.
func (p *redundancySet) build(ns string, v *engine.Set, status uint16) cimom.Object {
	o := p.object(newAlloc(1), ns, v, status)
	o.Encodings = cimom.NewEncodings(o.Instance, o.Path)
	return o
}

// GetInstance returns the set path names.
func (p *redundancySet) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	v, err := p.view(class, path)
	if err != nil {
		return nil, err
	}
	return p.object(newAlloc(1), ns, &v.Set, v.RedundancyStatus).Instance, nil
}

// view finds the set an instance path of the served class names.
func (p *redundancySet) view(class *cim.Class, path cim.ObjectPath) (engine.SetView, error) {
	if !p.dom.set.serves(class) {
		return engine.SetView{}, cim.Errorf(cim.StatusNotFound, "no instance %s", path)
	}
	id, err := keyString(path, p.dom.set.names[setInstanceID])
	if err != nil {
		return engine.SetView{}, cim.Errorf(cim.StatusNotFound, "no instance %s: %v", path, err)
	}
	v, err := p.eng.GetSet(id)
	return v, engineError(err)
}

// object builds the instance of a set with its path.
func (p *redundancySet) object(a *alloc, ns string, v *engine.Set, status uint16) cimom.Object {
	names := p.dom.set.names
	in := a.instance(p.dom.set.class, setFieldCount)
	vals := [setFieldCount]cim.Value{
		setInstanceID:                cim.NewString(v.InstanceID),
		setCaption:                   optString(v.Caption),
		setDescription:               optString(v.Description),
		setElementName:               optString(v.ElementName),
		setRedundancyStatus:          cim.MustUint16(status),
		setTypeOfSet:                 uint16Array(v.TypeOfSet),
		setOtherTypeOfSet:            indexedText(v.OtherTypeOfSet),
		setMinNumberNeeded:           cim.MustUint32(v.MinNumberNeeded),
		setMaxNumberSupported:        cim.MustUint32(v.MaxNumberSupported),
		setVendorIdentifyingInfo:     optString(v.VendorIdentifyingInfo),
		setLoadBalanceAlgorithm:      cim.MustUint16(v.LoadBalanceAlgorithm),
		setOtherLoadBalanceAlgorithm: optString(v.OtherLoadBalanceAlgorithm),
	}
	for i := range vals {
		in.Properties[i] = cim.PropertyValue{Name: names[i], Value: vals[i]}
	}
	path := cim.ObjectPath{Namespace: ns, ClassName: in.ClassName, Keys: a.keySlice(1)}
	path.Keys[0] = cim.KeyBinding{Name: names[setInstanceID], Value: vals[setInstanceID]}
	return cimom.Object{Path: path, Instance: in}
}

// ModifyInstance changes LoadBalanceAlgorithm and OtherLoadBalanceAlgorithm,
// the only properties clients may write, through the engine (which checks
// and stores them). Every other property of inst must equal the set's
// current value; a difference is refused with CIM_ERR_INVALID_PARAMETER
// naming the property, the status the dispatcher gives for the same
// refusal, and nothing changes. When inst sets LoadBalanceAlgorithm to
// anything but 1 (Other) without carrying OtherLoadBalanceAlgorithm, the
// description is cleared, since the engine keeps it only for Other.
func (p *redundancySet) ModifyInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath, inst cim.Instance, propertyList []string) error {
	v, err := p.view(class, path)
	if err != nil {
		return err
	}
	cur := p.object(newAlloc(1), ns, &v.Set, v.RedundancyStatus).Instance
	alg, other, err := p.loadBalanceChange(*cur, inst)
	if err != nil {
		return err
	}
	if alg == v.LoadBalanceAlgorithm && other == v.OtherLoadBalanceAlgorithm {
		return nil
	}
	_, err = p.eng.SetLoadBalance(actorContext(ctx), v.InstanceID, alg, other)
	return engineError(err)
}

// loadBalanceChange reads the new load balancing settings from inst and
// refuses a change of any other property.
func (p *redundancySet) loadBalanceChange(cur, inst cim.Instance) (uint16, string, error) {
	names := p.dom.set.names
	alg, _ := cur.Get(names[setLoadBalanceAlgorithm])
	newAlg, other := uint16(alg.Uint()), ""
	if o, _ := cur.Get(names[setOtherLoadBalanceAlgorithm]); !o.IsNull() {
		other = o.Str()
	}
	algGiven, otherGiven := false, false
	for _, pv := range inst.Properties {
		switch {
		case strings.EqualFold(pv.Name, names[setLoadBalanceAlgorithm]):
			if pv.Value.IsNull() {
				return 0, "", cim.Errorf(cim.StatusInvalidParameter, "property %s must not be null", names[setLoadBalanceAlgorithm])
			}
			newAlg, algGiven = uint16(pv.Value.Uint()), true
		case strings.EqualFold(pv.Name, names[setOtherLoadBalanceAlgorithm]):
			other, otherGiven = pv.Value.Str(), true
		default:
			if err := unchanged(cur, pv); err != nil {
				return 0, "", err
			}
		}
	}
	if algGiven && !otherGiven && newAlg != engine.LBOther {
		other = ""
	}
	return newAlg, other, nil
}

// unchanged refuses pv when it differs from the current instance.
func unchanged(cur cim.Instance, pv cim.PropertyValue) error {
	old, ok := cur.Get(pv.Name)
	if ok && (old.Equal(pv.Value) || old.IsNull() && pv.Value.IsNull()) {
		return nil
	}
	return cim.Errorf(cim.StatusInvalidParameter,
		"property %s is read-only: clients may change only LoadBalanceAlgorithm and OtherLoadBalanceAlgorithm (from %s to %s refused)",
		pv.Name, old.MOF(), pv.Value.MOF())
}

// InvokeMethod runs Failover(FailoverFrom, FailoverTo). The target set
// must exist (CIM_ERR_NOT_FOUND). Each reference must name an
// Msvm_ComputerSystem of this namespace (possibly through a superclass);
// one that does not is ReturnValue 4, Parameter Error, decided here. The
// engine decides everything else and its code is the ReturnValue (2 when
// the outcome is unknown); the reason of a refusal, which the return value
// cannot carry, is logged by the engine and is one of its events
// (RefuseFailover for the references refused here).
func (p *redundancySet) InvokeMethod(ctx context.Context, ns string, class *cim.Class, target cim.ObjectPath, method *cim.Method, in []cimom.Param) (cim.Value, []cimom.Param, error) {
	if !strings.EqualFold(method.Name, "Failover") {
		return cim.Value{}, nil, cim.Errorf(cim.StatusMethodNotAvailable, "method %s of %s is not available", method.Name, class.Name)
	}
	v, err := p.view(class, target)
	if err != nil {
		return cim.Value{}, nil, err
	}
	ctx = actorContext(ctx)
	from, to, err := p.failoverMembers(ns, in)
	if err != nil {
		res := p.eng.RefuseFailover(ctx, v.InstanceID, paramText(in, "FailoverFrom"), paramText(in, "FailoverTo"), err.Error())
		return cim.MustUint32(res.Code), nil, nil
	}
	res := p.eng.Failover(ctx, v.InstanceID, from, to)
	if errors.Is(res.Err, engine.ErrSetNotFound) { // deleted since view
		return cim.Value{}, nil, engineError(res.Err)
	}
	return cim.MustUint32(res.Code), nil, nil
}

// paramText describes a parameter's value for an event: a reference's
// path, or the text given.
func paramText(in []cimom.Param, name string) string {
	for _, p := range in {
		if strings.EqualFold(p.Name, name) {
			return p.Value.String()
		}
	}
	return ""
}

// failoverMembers maps the two reference parameters to member names. A
// missing (or null) parameter gives the empty name, which the engine
// refuses with its own reason.
func (p *redundancySet) failoverMembers(ns string, in []cimom.Param) (from, to string, err error) {
	if from, err = p.memberParam(ns, in, "FailoverFrom"); err != nil {
		return "", "", err
	}
	if to, err = p.memberParam(ns, in, "FailoverTo"); err != nil {
		return "", "", err
	}
	return from, to, nil
}

func (p *redundancySet) memberParam(ns string, in []cimom.Param, name string) (string, error) {
	for _, prm := range in {
		if !strings.EqualFold(prm.Name, name) {
			continue
		}
		ref, err := refValue(prm.Value)
		if err == nil {
			var member string
			if member, err = p.dom.memberName(ns, ref); err == nil || errors.Is(err, errNoRef) {
				return member, nil
			}
		}
		return "", &paramError{name: name, err: err}
	}
	return "", nil
}

// paramError says which reference parameter could not be mapped.
type paramError struct {
	name string
	err  error
}

func (e *paramError) Error() string { return e.name + ": " + e.err.Error() }
func (e *paramError) Unwrap() error { return e.err }
