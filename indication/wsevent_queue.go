package indication

import (
	"context"
	"sync"
	"time"
)

// pullQueue is the bounded queue of one pull subscription: deliveries in
// order, and a count of those dropped because it was full.
type pullQueue struct {
	mu      sync.Mutex
	items   []Delivery
	limit   int
	dropped int
	closed  bool
	ready   chan struct{} // closed when items arrive or the queue closes
}

func newPullQueue(limit int) *pullQueue {
	return &pullQueue{limit: limit, ready: make(chan struct{})}
}

// put appends ds and returns how many did not fit.
func (q *pullQueue) put(ds []Delivery) int {
	if len(ds) == 0 {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	room := max(0, q.limit-len(q.items))
	lost := max(0, len(ds)-room)
	q.items = append(q.items, ds[:len(ds)-lost]...)
	q.dropped += lost
	q.wake()
	return lost
}

// wake tells the waiting Pull; called with mu held.
func (q *pullQueue) wake() {
	select {
	case <-q.ready:
	default:
		close(q.ready)
	}
}

func (q *pullQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// unget puts ds back at the front, past the bound if need be (they were
// in the queue a moment ago).
func (q *pullQueue) unget(ds []Delivery) {
	if len(ds) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(append([]Delivery(nil), ds...), q.items...)
	q.wake()
}

func (q *pullQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.wake()
}

// take returns up to n deliveries and the dropped count, waiting up to wait
// for something to take; ok is false when the queue closed.
func (q *pullQueue) take(ctx context.Context, n int, wait time.Duration) (ds []Delivery, dropped int, ok bool) {
	var timer <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timer = t.C
	}
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil, 0, false
		}
		if len(q.items) > 0 || q.dropped > 0 || timer == nil {
			ds, dropped = q.takeLocked(n)
			q.mu.Unlock()
			return ds, dropped, true
		}
		ready := q.ready
		q.mu.Unlock()
		select {
		case <-ready:
		case <-timer:
			timer = nil
		case <-ctx.Done():
			return nil, 0, true
		}
	}
}

func (q *pullQueue) takeLocked(n int) ([]Delivery, int) {
	n = min(n, len(q.items))
	ds := append([]Delivery(nil), q.items[:n]...)
	q.items = append(q.items[:0], q.items[n:]...)
	dropped := q.dropped
	q.dropped = 0
	if len(q.items) == 0 && !q.closed {
		q.ready = make(chan struct{})
	}
	return ds, dropped
}
