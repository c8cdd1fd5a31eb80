package indication

import (
	"fmt"
	"time"

	"github.com/redset/redset/event"
)

// batcher is a Sender that takes several deliveries in one Send.
type batcher interface {
	MaxBatch() int
}

// work sends destination id's queue in order until it is empty.
func (h *Hub) work(id string, q *queue) {
	for {
		dest, batch := h.next(id, q)
		if len(batch) == 0 {
			return
		}
		h.deliver(q, dest, batch)
	}
}

// next takes the next deliveries to send from q, skipping those of
// subscriptions removed or disabled since they were queued. When there is
// nothing to send (or the Hub closed or is not active), the worker ends:
// next marks q idle and forgets it once empty.
func (h *Hub) next(id string, q *queue) (Destination, []item) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || !h.o.Active() {
		h.dropQueued()
	}
	limit := h.maxBatch(q.dest.Protocol)
	var batch []item
	for q.len() > 0 && len(batch) < limit {
		it := q.pop()
		s := h.live(it)
		if s == nil {
			continue
		}
		if s.Disabled {
			s.queued--
			continue
		}
		batch = append(batch, it)
	}
	if len(batch) == 0 {
		q.running = false
		if h.queues[id] == q {
			delete(h.queues, id)
		}
	}
	return q.dest, batch
}

func (h *Hub) maxBatch(protocol string) int {
	if b, ok := h.o.Senders[protocol].(batcher); ok {
		return max(b.MaxBatch(), 1)
	}
	return 1
}

// deliver sends one batch, trying again as configured; then it is
// delivered, or failed and the subscriptions' policies act.
func (h *Hub) deliver(q *queue, dest Destination, batch []item) {
	ds := make([]Delivery, len(batch))
	for i, it := range batch {
		ds[i] = it.Delivery
	}
	for attempt := 1; ; attempt++ {
		err := h.send(dest, ds)
		switch {
		case err == nil:
			h.done(q, batch, "")
			return
		case h.ctx.Err() != nil:
			return // closing: the queue is dropped
		case !h.o.Active():
			h.discard(q, batch)
			return
		}
		retries, interval := h.Retry()
		if attempt > retries || IsPermanent(err) {
			h.done(q, batch, err.Error())
			h.failed(dest, batch, attempt, err)
			return
		}
		h.retrying(q, batch, err)
		if !h.wait(interval) {
			return
		}
	}
}

func (h *Hub) send(dest Destination, ds []Delivery) error {
	s := h.o.Senders[dest.Protocol]
	if s == nil {
		return Permanent(fmt.Errorf("indication: no sender for protocol %q", dest.Protocol))
	}
	return s.Send(h.ctx, dest, ds)
}

// wait waits d on the Hub's clock; false when the Hub closed first.
func (h *Hub) wait(d time.Duration) bool {
	done := make(chan struct{})
	t := h.o.Clock.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return true
	case <-h.ctx.Done():
		t.Stop()
		return false
	}
}

// retrying marks the batch's subscriptions as retrying, with the error.
func (h *Hub) retrying(q *queue, batch []item, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	q.failing = true
	for _, it := range batch {
		if s := h.live(it); s != nil {
			s.retrying, s.lastErr, s.lastErrAt = true, err.Error(), h.o.Clock.Now()
		}
	}
}

// done counts the batch as delivered (failure "") or failed.
func (h *Hub) done(q *queue, batch []item, failure string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	q.failing = false
	ps := h.proto(q.dest.Protocol)
	for _, it := range batch {
		s := h.live(it)
		if failure == "" {
			ps.Delivered++
		} else {
			ps.Failed++
		}
		if s == nil {
			continue
		}
		s.queued--
		s.retrying = false
		if failure == "" {
			s.delivered++
			s.lastErr, s.lastErrAt = "", time.Time{}
		} else {
			s.failed++
			s.lastErr, s.lastErrAt = failure, h.o.Clock.Now()
		}
	}
}

// discard drops a batch the server no longer delivers (not active).
func (h *Hub) discard(q *queue, batch []item) {
	h.mu.Lock()
	defer h.mu.Unlock()
	q.failing = false
	for _, it := range batch {
		if s := h.live(it); s != nil {
			s.queued--
			s.dropped++
			s.retrying = false
		}
		h.proto(q.dest.Protocol).Dropped++
	}
}

// failed applies the OnFatalErrorPolicy of each subscription of a batch
// that still failed after the retries, in the batch's order.
func (h *Hub) failed(dest Destination, batch []item, attempts int, err error) {
	var order []string
	count := map[string]int{}
	for _, it := range batch {
		if count[it.Subscription] == 0 {
			order = append(order, it.Subscription)
		}
		count[it.Subscription]++
	}
	for _, id := range order {
		h.applyPolicy(id, dest, count[id], attempts, err)
	}
}

func (h *Hub) applyPolicy(id string, dest Destination, n, attempts int, err error) {
	d := event.IndicationDelivery{Subscription: id, Destination: destName(dest), Protocol: dest.Protocol,
		Count: n, Attempts: attempts, Error: err.Error()}
	switch h.policyOf(id) {
	case PolicyDisable:
		if h.disable(id) {
			d.Outcome = event.IndicationDisabled
			h.ended(id, EndDisabled, d)
			return
		}
	case PolicyRemove:
		if h.removeIf(id, func(*sub) bool { return true }) {
			d.Outcome = event.IndicationRemoved
			h.ended(id, EndRemoved, d)
			return
		}
	}
	d.Outcome = event.IndicationFailed
	h.note(d)
}

func (h *Hub) policyOf(id string) Policy {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.subs[id]; s != nil {
		return s.OnFatalError
	}
	return PolicyIgnore
}

// disable stops delivering to subscription id; false when it is gone or
// already disabled.
func (h *Hub) disable(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.subs[id]
	if s == nil || s.Disabled {
		return false
	}
	s.Disabled = true
	return true
}
