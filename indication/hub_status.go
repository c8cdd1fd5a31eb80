package indication

import (
	"slices"
	"strings"
	"time"
)

// SubscriptionStatus is what the Hub knows of one subscription's
// deliveries since it was put (or since the server started).
type SubscriptionStatus struct {
	ID          string
	Destination string // the address, or the destination's ID for pull destinations
	Protocol    string
	// State is "enabled", "retrying" (its destination fails and a
	// delivery is being tried again) or "disabled".
	State         string
	Queued        uint64 // waiting in the destination's queue
	Delivered     uint64
	Failed        uint64    // dropped after the retries
	Dropped       uint64    // dropped because the queue was full or the server stopped delivering
	LastError     string    // of the last failed attempt; empty once a delivery succeeds
	LastErrorTime time.Time // when it failed
	// NextSequence is the number the next indication will carry (-1
	// before the sequence was read from the store).
	NextSequence int64
}

// Status returns the status of every subscription, by ID.
func (h *Hub) Status() []SubscriptionStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]SubscriptionStatus, 0, len(h.list))
	for _, s := range h.list {
		st := SubscriptionStatus{ID: s.ID, Destination: destName(s.Destination), Protocol: s.Destination.Protocol,
			State: "enabled", Queued: s.queued, Delivered: s.delivered, Failed: s.failed, Dropped: s.dropped,
			LastError: s.lastErr, LastErrorTime: s.lastErrAt, NextSequence: -1}
		if s.seq.loaded {
			st.NextSequence = s.seq.next
		}
		switch {
		case s.Disabled:
			st.State = "disabled"
		case s.retrying:
			st.State = "retrying"
		}
		out = append(out, st)
	}
	return out
}

// ProtocolStats count the deliveries of one destination protocol since
// the Hub started.
type ProtocolStats struct {
	Protocol  string
	Delivered uint64
	Failed    uint64
	Dropped   uint64
	Queued    int // deliveries waiting in the queues now
}

// Stats returns the counters of every protocol the Hub has delivered
// to, sorted by protocol.
func (h *Hub) Stats() []ProtocolStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	queued := map[string]int{}
	for _, q := range h.queues {
		queued[q.dest.Protocol] += q.len()
		h.proto(q.dest.Protocol)
	}
	out := make([]ProtocolStats, 0, len(h.protos))
	for p, ps := range h.protos {
		st := *ps
		st.Queued = queued[p]
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b ProtocolStats) int { return strings.Compare(a.Protocol, b.Protocol) })
	return out
}
