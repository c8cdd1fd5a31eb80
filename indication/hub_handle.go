package indication

import (
	"context"
	"errors"
	"fmt"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// match is one indication of a record selected by one subscription.
type match struct {
	sub *sub
	ind int // index in the record's indications
}

// Handle delivers the indications of one record: the Source builds them,
// every enabled subscription whose filter matches gets a numbered
// Delivery on its destination's queue. It returns once they are queued
// (or dropped), without waiting for any send. Records of delivery
// failures (KindIndication) indicate nothing. While the Hub is not active
// it queues nothing and empties the queues; while it is not active or has
// no subscription, the record goes to Observe instead of the Source.
func (h *Hub) Handle(r event.Record) {
	if r.Kind == event.KindIndication || h.o.Source == nil {
		return
	}
	if !h.checkActive() || h.empty() {
		if h.o.Observe != nil {
			h.o.Observe(h.ctx, r)
		}
		return
	}
	inds := h.o.Source(h.ctx, r)
	if len(inds) == 0 {
		return
	}
	h.seqMu.Lock()
	defer h.seqMu.Unlock()
	matches := h.match(inds)
	if len(matches) == 0 {
		return
	}
	errs := h.reserve(matches)
	notes := h.enqueue(inds, matches, errs)
	for _, d := range notes {
		h.note(d)
	}
}

func (h *Hub) empty() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.list) == 0
}

// checkActive reports whether the Hub delivers now. On becoming inactive
// it empties the queues. Whenever that changes it forgets the sequence
// numbers it had in memory: another server may use them meanwhile, so
// they are read again from the store once active.
func (h *Hub) checkActive() bool {
	now := h.o.Active()
	h.mu.Lock()
	was := h.active
	h.active = now
	closed := h.closed
	if !now {
		h.dropQueued()
	}
	h.mu.Unlock()
	if now != was {
		h.forgetSeqs()
	}
	return now && !closed
}

func (h *Hub) forgetSeqs() {
	h.seqMu.Lock()
	defer h.seqMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.list {
		s.seq = seqState{}
	}
}

// dropQueued empties every queue (the server no longer delivers); h.mu
// must be held. The workers end by themselves.
func (h *Hub) dropQueued() {
	for _, q := range h.queues {
		for _, it := range q.drain() {
			if s := h.live(it); s != nil {
				s.queued--
				s.dropped++
			}
			h.proto(q.dest.Protocol).Dropped++
		}
	}
}

// match finds the subscriptions each indication is for, in indication
// order and, for one indication, in subscription ID order.
func (h *Hub) match(inds []Indication) []match {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []match
	for i, ind := range inds {
		for _, s := range h.list {
			if !s.Disabled && s.Filter.Matches(ind, h.o.Isa) {
				out = append(out, match{sub: s, ind: i})
			}
		}
	}
	return out
}

// reserve makes sure every matching subscription has the sequence
// numbers it needs reserved in the store, in one write for all of them.
// It returns the subscriptions whose numbers could not be had, with why.
// h.seqMu must be held.
func (h *Hub) reserve(ms []match) map[*sub]error {
	need := map[*sub]int64{}
	for _, m := range ms {
		need[m.sub]++
	}
	errs := map[*sub]error{}
	var ops []store.Op
	var grow []*sub
	for s, n := range need {
		if err := h.loadSeq(s); err != nil {
			errs[s] = err
			continue
		}
		if s.seq.next+n > s.seq.limit {
			ops = append(ops, seqOp(s.ID, s.SequenceContext, s.seq.next+n+h.o.SeqBlock))
			grow = append(grow, s)
		}
	}
	if len(ops) == 0 {
		return errs
	}
	ctx, cancel := context.WithTimeout(h.ctx, storeTimeout)
	defer cancel()
	if _, err := h.o.Store.Commit(ctx, store.Txn{Ops: ops}); err != nil {
		for _, s := range grow {
			errs[s] = fmt.Errorf("storing its sequence number: %w", err)
		}
		return errs
	}
	h.mu.Lock() // Status and Put read seq under h.mu
	for _, s := range grow {
		s.seq.limit = s.seq.next + need[s] + h.o.SeqBlock
	}
	h.mu.Unlock()
	return errs
}

// loadSeq reads s's sequence from the store the first time it is needed.
// Without a store the numbers are only counted in memory. h.seqMu must
// be held.
func (h *Hub) loadSeq(s *sub) error {
	if s.seq.loaded {
		return nil
	}
	if h.o.Store == nil {
		h.setSeq(s, seqState{loaded: true, limit: 1<<63 - 1})
		return nil
	}
	ctx, cancel := context.WithTimeout(h.ctx, storeTimeout)
	defer cancel()
	st, err := loadSeq(ctx, h.o.Store, s.ID, s.SequenceContext)
	if err != nil {
		return fmt.Errorf("reading its sequence number: %w", err)
	}
	h.setSeq(s, st)
	return nil
}

// setSeq replaces s's sequence state. Writers of seq hold h.seqMu and
// h.mu both, so that Status and Put may read it under h.mu alone.
func (h *Hub) setSeq(s *sub, st seqState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.seq = st
}

// enqueue numbers the matches and puts them on their destinations'
// queues, starting a worker where none runs. It returns the records to
// make of what could not be queued. h.seqMu must be held.
func (h *Hub) enqueue(inds []Indication, ms []match, errs map[*sub]error) []event.IndicationDelivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	var notes []event.IndicationDelivery
	for _, m := range ms {
		s := m.sub
		if h.closed || h.subs[s.ID] != s || s.Disabled {
			continue
		}
		if err := errs[s]; err != nil {
			s.failed++
			h.proto(s.Destination.Protocol).Failed++
			notes = append(notes, s.record(event.IndicationFailed, 0, err))
			continue
		}
		d := Delivery{Indication: inds[m.ind], FilterName: s.Filter.Name, SequenceContext: s.SequenceContext,
			SequenceNumber: s.seq.next, Subscription: s.ID}
		s.seq.next++
		if !h.push(s, item{Delivery: d, gen: s.gen}) {
			s.dropped++
			h.proto(s.Destination.Protocol).Dropped++
			notes = append(notes, s.record(event.IndicationDropped, 0, errQueueFull))
		}
	}
	return notes
}

var errQueueFull = errors.New("the destination's queue is full")

// push queues it for s's destination, unless the queue is full; h.mu must
// be held.
func (h *Hub) push(s *sub, it item) bool {
	q := h.queues[s.Destination.ID]
	if q == nil {
		q = &queue{}
		h.queues[s.Destination.ID] = q
	}
	q.dest = s.Destination
	if q.len() >= h.o.QueueSize {
		return false
	}
	q.push(it)
	s.queued++
	if !q.running {
		q.running = true
		h.workers.Go(func() { h.work(s.Destination.ID, q) })
	}
	return true
}

// record is what the history keeps of one delivery problem of s.
func (s *sub) record(outcome string, attempts int, err error) event.IndicationDelivery {
	d := event.IndicationDelivery{Subscription: s.ID, Destination: destName(s.Destination),
		Protocol: s.Destination.Protocol, Outcome: outcome, Count: 1, Attempts: attempts}
	if err != nil {
		d.Error = err.Error()
	}
	return d
}

func destName(d Destination) string {
	if d.Address != "" {
		return d.Address
	}
	return d.ID
}

// proto returns the counters of a protocol; h.mu must be held.
func (h *Hub) proto(p string) *ProtocolStats {
	ps := h.protos[p]
	if ps == nil {
		ps = &ProtocolStats{Protocol: p}
		h.protos[p] = ps
	}
	return ps
}

// live returns the subscription a queued item belongs to, when it is
// still there and enabled; h.mu must be held.
func (h *Hub) live(it item) *sub {
	s := h.subs[it.Subscription]
	if s == nil || s.gen != it.gen {
		return nil
	}
	return s
}
