package provider

import (
	"context"
	"strconv"
	"sync"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/indication"
)

// Indications builds redset's CIM indications from the engine's event
// records (it is the indication package's Source):
//
//   - a completed failover: one Msvm_FailoverIndication naming the set
//     (HostedElement), the member that took the work (HostingSystem) and
//     the one that gave it up (PreviousHostingSystem), all as object
//     paths; FailoverType 2 (Unplanned) for an automatic failover, 1
//     (Other) with OtherFailoverType "Planned" for a requested one;
//     PerceivedSeverity 2 (Information) when planned, 3 (Degraded/Warning)
//     when not;
//   - a set's RedundancyStatus changed: a CIM_InstModification whose
//     SourceInstance is the set with the new status and PreviousInstance
//     the same set with the old one;
//   - a set's LoadBalanceAlgorithm (or its description) changed: a
//     CIM_InstModification with the old values in PreviousInstance;
//   - a member's health changed: a CIM_InstModification of its
//     Msvm_ComputerSystem, the state properties of the new health in
//     SourceInstance and of the old one in PreviousInstance;
//   - a set or a member created or deleted: CIM_InstCreation or
//     CIM_InstDeletion. The instance of a deleted set or member carries its
//     keys and the names it was last seen with, since it no longer exists.
//
// Every indication has IndicationIdentifier "redset:<record seq>[:n]",
// IndicationTime the record's time, and the set's or member's path in
// SourceInstanceModelPath. The current state comes from the engine when
// the record is read; the properties the record itself tells (the new
// status, the health) are taken from the record, so an indication says
// what the record says even when the state moved on since.
//
// Of is called on one goroutine, in record order (the indication package's
// contract); Indications still guards its own state, so concurrent calls
// are safe.
type Indications struct {
	dom *domain
	eng *engine.Engine
	ns  string
	cls indicationClasses

	mu    sync.Mutex
	sets  map[string]setShown // the last seen names and load balancing of each set
	names map[string]string   // the last seen display name of each member
}

// setShown is what Indications remembers of a set between records: its
// load balancing (to tell a change of it, with the old values) and its
// name (for the instance of a deleted set).
type setShown struct {
	alg         uint16
	otherAlg    string
	elementName string
}

// The indication classes redset sends.
const (
	classFailoverIndication = "Msvm_FailoverIndication"
	classInstCreation       = "CIM_InstCreation"
	classInstDeletion       = "CIM_InstDeletion"
	classInstModification   = "CIM_InstModification"
)

// indicationClasses are the layouts of the indication classes.
type indicationClasses struct {
	failover, creation, deletion, modification layout
}

// The properties of Msvm_FailoverIndication redset fills, in order.
const (
	foIdentifier = iota
	foTime
	foSeverity
	foHostedElement
	foHostedElementFormat
	foHostingSystem
	foHostingSystemFormat
	foPreviousHostingSystem
	foPreviousHostingSystemFormat
	foFailoverType
	foOtherFailoverType
	foFieldCount
)

var failoverFields = [foFieldCount]field{
	foIdentifier:                  {"IndicationIdentifier", cim.String, false},
	foTime:                        {"IndicationTime", cim.Datetime, false},
	foSeverity:                    {"PerceivedSeverity", cim.Uint16, false},
	foHostedElement:               {"HostedElement", cim.String, false},
	foHostedElementFormat:         {"HostedElementFormat", cim.Uint16, false},
	foHostingSystem:               {"HostingSystem", cim.String, false},
	foHostingSystemFormat:         {"HostingSystemFormat", cim.Uint16, false},
	foPreviousHostingSystem:       {"PreviousHostingSystem", cim.String, false},
	foPreviousHostingSystemFormat: {"PreviousHostingSystemFormat", cim.Uint16, false},
	foFailoverType:                {"FailoverType", cim.Uint16, false},
	foOtherFailoverType:           {"OtherFailoverType", cim.String, false},
}

// The properties of the CIM_InstIndication classes redset fills, in
// order (CIM_InstModification also embeds PreviousInstance).
const (
	liIdentifier = iota
	liTime
	liSeverity
	liModelPath
	liFieldCount
)

var lifeFields = [liFieldCount]field{
	liIdentifier: {"IndicationIdentifier", cim.String, false},
	liTime:       {"IndicationTime", cim.Datetime, false},
	liSeverity:   {"PerceivedSeverity", cim.Uint16, false},
	liModelPath:  {"SourceInstanceModelPath", cim.String, false},
}

// The embedded instances of the lifecycle indications.
const (
	propSourceInstance   = "SourceInstance"
	propPreviousInstance = "PreviousInstance"
)

// Values of Msvm_FailoverIndication and CIM_Indication.
const (
	formatObjectPath    uint16 = 2 // *Format: CIMObjectPath
	failoverOther       uint16 = 1
	failoverUnplanned   uint16 = 2
	severityInformation uint16 = 2
	severityWarning     uint16 = 3 // Degraded/Warning
)

// NewIndications reads and checks the indication classes of opts'
// namespace from d's schema and returns the builder of redset's
// indications from eng's records.
func NewIndications(d *cimom.Dispatcher, eng *engine.Engine, opts Options) (*Indications, error) {
	opts = opts.withDefaults()
	c := classes{d: d, ns: opts.Namespace}
	dom, err := loadDomain(c)
	if err != nil {
		return nil, err
	}
	x := &Indications{dom: dom, eng: eng, ns: opts.Namespace, sets: map[string]setShown{}, names: map[string]string{}}
	if err := x.loadClasses(c); err != nil {
		return nil, err
	}
	x.remember()
	return x, nil
}

func (x *Indications) loadClasses(c classes) error {
	steps := []struct {
		name   string
		fields []field
		lay    *layout
	}{
		{classFailoverIndication, failoverFields[:], &x.cls.failover},
		{classInstCreation, lifeFields[:], &x.cls.creation},
		{classInstDeletion, lifeFields[:], &x.cls.deletion},
		{classInstModification, lifeFields[:], &x.cls.modification},
	}
	for _, s := range steps {
		if err := loadClass(c, s.name, s.fields, s.lay, nil); err != nil {
			return err
		}
	}
	return nil
}

// remember reads what Indications keeps of every set and member, so that
// the first change of each can say what it was before.
func (x *Indications) remember() {
	sets, _ := x.eng.ListSets()
	for i := range sets {
		x.sets[sets[i].InstanceID] = shownOf(&sets[i].Set)
	}
	members, _ := x.eng.ListMembers()
	for i := range members {
		x.names[members[i].Name] = displayName(&members[i])
	}
}

func shownOf(s *engine.Set) setShown {
	return setShown{alg: s.LoadBalanceAlgorithm, otherAlg: s.OtherLoadBalanceAlgorithm, elementName: s.ElementName}
}

// Of returns the indications of one record: none for a record nothing is
// indicated for.
func (x *Indications) Of(ctx context.Context, r event.Record) []indication.Indication {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case r.Failover != nil && r.Kind == event.KindFailoverSucceeded:
		return x.failover(r)
	case r.Status != nil:
		return x.setModified(r, func(in *cim.Instance) {
			setProp(in, x.dom.set.names[setRedundancyStatus], cim.MustUint16(r.Status.From))
		})
	case r.Health != nil:
		return x.healthChanged(r)
	case r.Config != nil:
		return x.configChanged(r)
	}
	return nil
}

// failover builds the Msvm_FailoverIndication of a completed failover.
func (x *Indications) failover(r event.Record) []indication.Indication {
	f := r.Failover
	typ, other, severity := failoverUnplanned, cim.Null(cim.String, false), severityWarning
	if f.Planned {
		typ, other, severity = failoverOther, cim.NewString("Planned"), severityInformation
	}
	a := newAlloc(1)
	vals := [foFieldCount]cim.Value{
		foIdentifier:                  cim.NewString(identifier(r.Seq, 0)),
		foTime:                        cim.NewDateTime(cim.DateTimeFromTime(r.Time)),
		foSeverity:                    cim.MustUint16(severity),
		foHostedElement:               cim.NewString(x.dom.setPath(a, x.ns, r.SetID).String()),
		foHostedElementFormat:         cim.MustUint16(formatObjectPath),
		foHostingSystem:               cim.NewString(x.dom.systemPath(a, x.ns, f.To).String()),
		foHostingSystemFormat:         cim.MustUint16(formatObjectPath),
		foPreviousHostingSystem:       cim.NewString(x.dom.systemPath(a, x.ns, f.From).String()),
		foPreviousHostingSystemFormat: cim.MustUint16(formatObjectPath),
		foFailoverType:                cim.MustUint16(typ),
		foOtherFailoverType:           other,
	}
	return []indication.Indication{x.indication(r, x.cls.failover, vals[:])}
}

// indication wraps the values of a layout's fields into an indication of
// record r.
func (x *Indications) indication(r event.Record, lay layout, vals []cim.Value, embedded ...indication.Embedded) indication.Indication {
	in := cim.Instance{ClassName: lay.class, Properties: make([]cim.PropertyValue, len(vals))}
	for i, v := range vals {
		in.Properties[i] = cim.PropertyValue{Name: lay.names[i], Value: v}
	}
	return indication.Indication{Seq: r.Seq, Time: r.Time, Namespace: x.ns, Instance: in, Embedded: embedded}
}

// identifier is the IndicationIdentifier of the n-th indication of the
// record seq.
func identifier(seq uint64, n int) string {
	id := "redset:" + strconv.FormatUint(seq, 10)
	if n > 0 {
		id += ":" + strconv.Itoa(n)
	}
	return id
}

// life builds a lifecycle indication of class lay about the instance
// src at path, with prev as PreviousInstance when it is not nil.
func (x *Indications) life(r event.Record, lay layout, path cim.ObjectPath, src cim.Instance, prev *cim.Instance) indication.Indication {
	vals := []cim.Value{
		liIdentifier: cim.NewString(identifier(r.Seq, 0)),
		liTime:       cim.NewDateTime(cim.DateTimeFromTime(r.Time)),
		liSeverity:   cim.MustUint16(severityInformation),
		liModelPath:  cim.NewString(path.String()),
	}
	emb := []indication.Embedded{{Property: propSourceInstance, Instance: src}}
	if prev != nil {
		emb = append(emb, indication.Embedded{Property: propPreviousInstance, Instance: *prev})
	}
	return x.indication(r, lay, vals, emb...)
}

// setModified builds the CIM_InstModification of the record's set: its
// current instance, and the previous one made by undo from a copy.
func (x *Indications) setModified(r event.Record, undo func(*cim.Instance)) []indication.Indication {
	obj, ok := x.setObject(r.SetID)
	if !ok {
		return nil
	}
	if r.Status != nil {
		setProp(obj.Instance, x.dom.set.names[setRedundancyStatus], cim.MustUint16(r.Status.To))
	}
	prev := obj.Instance.Clone()
	undo(&prev)
	return []indication.Indication{x.life(r, x.cls.modification, obj.Path, *obj.Instance, &prev)}
}

// setObject builds the current object of a set, and remembers what an
// indication may later need of it.
func (x *Indications) setObject(id string) (cimom.Object, bool) {
	v, err := x.eng.GetSet(id)
	if err != nil {
		return cimom.Object{}, false
	}
	x.sets[id] = shownOf(&v.Set)
	p := &redundancySet{dom: x.dom, eng: x.eng}
	return p.object(newAlloc(1), x.ns, &v.Set, v.RedundancyStatus), true
}

// setProp replaces the value of the property name of in.
func setProp(in *cim.Instance, name string, v cim.Value) {
	for i := range in.Properties {
		if in.Properties[i].Name == name {
			in.Properties[i].Value = v
			return
		}
	}
}
