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
	mu      sync.RWMutex
	m       map[string]*setEntry
	last    []*setEntry // the newest listing's entries, in order; never changed once kept
	version uint64      // the engine's SetsVersion when that listing began
	ns      string      // the namespace it was made for
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

// put keeps what a listing of namespace ns, begun at the engine's
// SetsVersion version, built, and the listing itself for the next
// enumerations unless a newer one is kept already; and it drops the sets
// that are gone.
func (c *setCache) put(l *listing, ns string, version uint64) {
	entries := l.result()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*setEntry{}
	}
	for _, e := range l.built {
		c.m[e.set.InstanceID] = e
	}
	if c.last != nil && version < c.version {
		return
	}
	c.last, c.version, c.ns = entries, version, ns
	if len(c.m) <= len(entries) {
		return
	}
	live := make(map[*setEntry]bool, len(entries))
	for _, e := range entries {
		live[e] = true
	}
	for id, e := range c.m {
		if !live[e] {
			delete(c.m, id)
		}
	}
}

// listing is one walk over every set, in order. While each entry is the
// one at the same place in the last listing, it allocates nothing, and
// its result is the last listing's.
type listing struct {
	last    []*setEntry
	n       int         // entries so far
	entries []*setEntry // nil while they are last[:n]
	built   []*setEntry // entries made by this listing
}

// add appends the next set's entry.
func (l *listing) add(e *setEntry) {
	if l.entries == nil && l.n < len(l.last) && l.last[l.n] == e {
		l.n++
		return
	}
	if l.entries == nil {
		l.entries = append(make([]*setEntry, 0, max(len(l.last), l.n+1)), l.last[:l.n]...)
	}
	l.entries = append(l.entries, e)
	l.n++
}

// changed reports whether the listing differs from the last one.
func (l *listing) changed() bool { return l.entries != nil || l.n != len(l.last) }

// result returns the entries, in order; they are not changed afterwards.
func (l *listing) result() []*setEntry {
	if l.entries == nil {
		return l.last[:l.n:l.n]
	}
	return l.entries
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
