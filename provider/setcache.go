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
	mu sync.RWMutex
	m  map[string]*setEntry
}

// setEntry is a set's object and what it was built from.
type setEntry struct {
	set    engine.Set // only the shown fields are compared
	status uint16
	ns     string
	obj    cimom.Object
}

// get returns the object kept for v, if it still shows v; c.mu held,
// for reading at least.
func (c *setCache) get(ns string, v *engine.Set, status uint16) (cimom.Object, bool) {
	e := c.m[v.InstanceID]
	if e == nil || e.ns != ns || e.status != status || !sameShown(&e.set, v) {
		return cimom.Object{}, false
	}
	return e.obj, true
}

// put keeps the entries built by an enumeration (see objects) and drops
// the sets that are gone, given the objects of every set that exists and
// the number of entries the enumeration saw.
func (c *setCache) put(built []*setEntry, objs []cimom.Object, seen int) {
	if len(built) == 0 && seen <= len(objs) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*setEntry{}
	}
	for _, e := range built {
		c.m[e.set.InstanceID] = e
	}
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
