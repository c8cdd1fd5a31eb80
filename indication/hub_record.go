package indication

import (
	"time"

	"github.com/redset/redset/event"
)

// Delivery problems are recorded (HubOptions.Record) and logged, but a
// flood must not become a flood of records: failures and drops of one
// subscription are recorded at once the first time, then at most once per
// RecordInterval, each record counting the indications since the last.
// Ended subscriptions are always recorded.

type gateKey struct{ sub, outcome string }

type gate struct {
	last    time.Time
	pending event.IndicationDelivery // Count: not yet recorded
	timer   Timer
}

// note records d now or counts it into the next record of its kind.
func (h *Hub) note(d event.IndicationDelivery) {
	if d.Outcome != event.IndicationFailed && d.Outcome != event.IndicationDropped {
		h.emit(d)
		return
	}
	key := gateKey{d.Subscription, d.Outcome}
	now := h.o.Clock.Now()
	h.gmu.Lock()
	g := h.gates[key]
	if g == nil || (g.timer == nil && now.Sub(g.last) >= h.o.RecordInterval) {
		h.gates[key] = &gate{last: now}
		h.gmu.Unlock()
		h.emit(d)
		return
	}
	n := g.pending.Count + d.Count
	g.pending = d
	g.pending.Count = n
	if g.timer == nil {
		g.timer = h.o.Clock.AfterFunc(g.last.Add(h.o.RecordInterval).Sub(now), func() { h.flushGate(key) })
	}
	h.gmu.Unlock()
}

// flushGate records what a gate counted since its last record.
func (h *Hub) flushGate(key gateKey) {
	h.gmu.Lock()
	g := h.gates[key]
	if g == nil || g.timer == nil {
		h.gmu.Unlock()
		return
	}
	d := g.pending
	g.pending, g.timer, g.last = event.IndicationDelivery{}, nil, h.o.Clock.Now()
	h.gmu.Unlock()
	if d.Count > 0 {
		h.emit(d)
	}
}

// flushGates records everything counted and not yet recorded (at Close).
func (h *Hub) flushGates() {
	h.gmu.Lock()
	var keys []gateKey
	for k, g := range h.gates {
		if g.timer != nil && g.timer.Stop() {
			keys = append(keys, k)
		}
	}
	h.gmu.Unlock()
	for _, k := range keys {
		h.flushGate(k)
	}
}

// forgetGates drops the gates of a removed subscription.
func (h *Hub) forgetGates(id string) {
	h.gmu.Lock()
	defer h.gmu.Unlock()
	for k, g := range h.gates {
		if k.sub == id {
			stopTimer(g.timer)
			delete(h.gates, k)
		}
	}
}

func (h *Hub) emit(d event.IndicationDelivery) {
	h.o.Logger.Warn("indication delivery: "+d.Outcome, "subscription", d.Subscription, "destination", d.Destination,
		"protocol", d.Protocol, "count", d.Count, "attempts", d.Attempts, "err", d.Error)
	if h.o.Record != nil {
		h.o.Record(d)
	}
}
