package engine

import (
	"slices"
	"sync"
	"time"

	"github.com/redset/redset/event"
)

// reorderWait is how long a follower holds a record back while one with a
// smaller Seq may still come. The leader writes the records of changes in
// the changes' own commits and the others (health, status) in batches
// shortly after, so the store's watch may deliver them out of Seq order;
// the follower passes them on in order, so that a client that resumes
// after the last Seq it saw misses nothing. A Seq that never comes (the
// numbering skips ahead when a new leader starts) delays the next record
// by this much once.
const reorderWait = 200 * time.Millisecond

// reorder passes records on in Seq order, waiting at most reorderWait for
// a missing one.
type reorder struct {
	mu      sync.Mutex
	next    uint64 // the Seq expected next; 0: none expected yet
	pending []heldRecord
	armed   bool
}

type heldRecord struct {
	r  event.Record
	at time.Time
}

// reset expects the record after last (the newest one loaded).
func (o *reorder) reset(last uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next = last + 1
	o.pending = slices.DeleteFunc(o.pending, func(h heldRecord) bool { return h.r.Seq <= last })
}

// expected is the Seq the order waits for next: every record below it was
// published (or given up waiting for); 0 before the first load.
func (o *reorder) expected() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.next
}

// add takes a record and publishes what is due.
func (e *Engine) reorderAdd(r event.Record) {
	o := &e.mode.order
	o.mu.Lock()
	if r.Seq < o.next {
		o.mu.Unlock()
		e.bus.Publish(r) // later than its turn: still shown, never held
		return
	}
	i, _ := slices.BinarySearchFunc(o.pending, r.Seq, func(h heldRecord, seq uint64) int {
		switch {
		case h.r.Seq < seq:
			return -1
		case h.r.Seq > seq:
			return 1
		}
		return 0
	})
	o.pending = slices.Insert(o.pending, i, heldRecord{r: r, at: e.clock.Now()})
	o.mu.Unlock()
	e.reorderFlush()
}

// reorderFlush publishes the held records that are due, in order, and arms
// a timer for the first one still held.
func (e *Engine) reorderFlush() {
	o := &e.mode.order
	o.mu.Lock()
	defer o.mu.Unlock()
	now := e.clock.Now()
	for len(o.pending) > 0 {
		h := o.pending[0]
		if h.r.Seq != o.next && now.Sub(h.at) < reorderWait {
			break
		}
		e.bus.Publish(h.r)
		o.next = h.r.Seq + 1
		o.pending = o.pending[1:]
	}
	if len(o.pending) > 0 && !o.armed {
		o.armed = true
		wait := reorderWait - now.Sub(o.pending[0].at)
		e.clock.AfterFunc(max(wait, time.Millisecond), func() {
			o.mu.Lock()
			o.armed = false
			o.mu.Unlock()
			e.reorderFlush()
		})
	}
}
