package provider

import (
	"slices"
	"sync"

	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// setCache keeps the last object built for each set, with the values it
// was built from, so that an enumeration of sets that did not change
// reuses their objects and, through the objects' cimom.Encodings, the
// bytes the protocols wrote for them. An object is reused only when every
// value the instance shows (the set's properties and its RedundancyStatus)
// and the namespace of its path are what they were, so a change is
// visible in the next answer, whatever caused it. Safe for concurrent use.
type setCache struct {
	mu       sync.RWMutex
	m        map[string]*setEntry
	last     []*setEntry    // the last listing's entries, in order; never changed once kept
	lastObjs []cimom.Object // their objects; never changed once kept
}

// setEntry is a set's object and what it was built from.
type setEntry struct {
	set    engine.Set // only the shown fields are compared
	status uint16
	ns     string
	obj    cimom.Object
}

// entry returns the entry kept for v, the set at place i of a listing,
// if it still shows v: the entry at the same place in the last listing
// when it does, else the one kept under v's InstanceID. c.mu held, for
// reading at least.
func (c *setCache) entry(i int, ns string, v *engine.Set, status uint16) *setEntry {
	if i < len(c.last) && c.last[i].shows(ns, v, status) {
		return c.last[i]
	}
	if e := c.m[v.InstanceID]; e != nil && e.shows(ns, v, status) {
		return e
	}
	return nil
}

// shows reports whether e's object shows v with status, in namespace ns.
func (e *setEntry) shows(ns string, v *engine.Set, status uint16) bool {
	return e.ns == ns && e.status == status && sameShown(&e.set, v)
}

// put keeps what a listing built and the listing itself for the next one,
// and drops the sets that are gone, given the number of entries the
// listing saw.
func (c *setCache) put(l *listing, seen int) {
	entries, objs := l.result()
	if len(l.built) == 0 && seen <= len(objs) && !l.changed() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*setEntry{}
	}
	for _, e := range l.built {
		c.m[e.set.InstanceID] = e
	}
	c.last, c.lastObjs = entries, objs
	if len(c.m) <= len(objs) {
		return
	}
	live := make(map[*cimom.Encodings]bool, len(objs))
	for i := range objs {
		live[objs[i].Encodings] = true
	}
	for id, e := range c.m {
		if !live[e.obj.Encodings] {
			delete(c.m, id)
		}
	}
}

// listing is one walk over every set, in order. While each entry is the
// one at the same place in the last listing, it allocates nothing, and
// its result is the last listing's.
type listing struct {
	last     []*setEntry
	lastObjs []cimom.Object
	n        int            // entries so far
	entries  []*setEntry    // nil while they are last[:n]
	objs     []cimom.Object // their objects, likewise
	built    []*setEntry    // entries made by this listing
}

// add appends the next set's entry.
func (l *listing) add(e *setEntry) {
	if l.entries == nil && l.n < len(l.last) && l.last[l.n] == e {
		l.n++
		return
	}
	if l.entries == nil {
		size := max(len(l.last), l.n+1)
		l.entries = append(make([]*setEntry, 0, size), l.last[:l.n]...)
		l.objs = append(make([]cimom.Object, 0, size), l.lastObjs[:l.n]...)
	}
	l.entries = append(l.entries, e)
	l.objs = append(l.objs, e.obj)
	l.n++
}

// changed reports whether the listing differs from the last one.
func (l *listing) changed() bool { return l.entries != nil || l.n != len(l.last) }

// result returns the entries and their objects, in order; neither is
// changed afterwards.
func (l *listing) result() ([]*setEntry, []cimom.Object) {
	if l.entries == nil {
		return l.last[:l.n:l.n], l.lastObjs[:l.n:l.n]
	}
	return l.entries, l.objs
}

// shownCopy copies the fields of v that sameShown compares, sharing
// nothing with v.
func shownCopy(v *engine.Set) engine.Set {
	return engine.Set{InstanceID: v.InstanceID, Caption: v.Caption, Description: v.Description,
		ElementName: v.ElementName, TypeOfSet: slices.Clone(v.TypeOfSet), OtherTypeOfSet: slices.Clone(v.OtherTypeOfSet),
		MinNumberNeeded: v.MinNumberNeeded, MaxNumberSupported: v.MaxNumberSupported,
		VendorIdentifyingInfo: v.VendorIdentifyingInfo, LoadBalanceAlgorithm: v.LoadBalanceAlgorithm,
		OtherLoadBalanceAlgorithm: v.OtherLoadBalanceAlgorithm}
}

// sameShown reports whether a and b agree on every field an instance of
// Msvm_RedundancySet shows (see redundancySet.object).
func sameShown(a, b *engine.Set) bool {
	return a.InstanceID == b.InstanceID && a.Caption == b.Caption && a.Description == b.Description &&
		a.ElementName == b.ElementName && slices.Equal(a.TypeOfSet, b.TypeOfSet) &&
		slices.Equal(a.OtherTypeOfSet, b.OtherTypeOfSet) && a.MinNumberNeeded == b.MinNumberNeeded &&
		a.MaxNumberSupported == b.MaxNumberSupported && a.VendorIdentifyingInfo == b.VendorIdentifyingInfo &&
		a.LoadBalanceAlgorithm == b.LoadBalanceAlgorithm && a.OtherLoadBalanceAlgorithm == b.OtherLoadBalanceAlgorithm
}
