package event

import (
	"sync"
	"sync/atomic"
)

// DefaultBuffer is the subscriber buffer used when Subscribe is given a
// size below 1.
const DefaultBuffer = 1024

// Bus fans records out to live subscribers.
//
// Ordering: records are delivered to every subscriber in the order Publish
// was called on this bus (one total order per bus); concurrent Publish calls
// are ordered by whichever takes the bus first. A subscriber with a filter
// receives the matching subsequence of that order.
//
// Backpressure: Publish never blocks. Each subscriber has its own bounded
// buffer. When a record does not fit because the subscriber fell behind,
// that subscriber is dropped: it is marked lagged and its channel is closed
// after the records already buffered, so it sees a gap only as the end of its
// stream and can resubscribe (and catch up from the history). Other
// subscribers are not affected.
//
// Concurrency: all methods are safe for concurrent use. The zero Bus is not
// usable; create one with NewBus.
type Bus struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

// NewBus returns an empty, open bus.
func NewBus() *Bus {
	return &Bus{subs: make(map[*Subscription]struct{})}
}

// Subscription is one subscriber's stream.
type Subscription struct {
	bus    *Bus
	ch     chan Record
	filter func(Record) bool
	lagged atomic.Bool
	done   bool // guarded by bus.mu: channel closed
}

// Subscribe starts a stream of every record published from now on for which
// filter returns true (nil filter: every record). The filter runs inside
// Publish, under the bus's lock: it must be quick and must not call back
// into the bus or the publisher. buffer is the number of
// records the subscriber may fall behind before it is dropped; below 1 means
// DefaultBuffer. Subscribing to a closed bus returns a closed subscription.
func (b *Bus) Subscribe(buffer int, filter func(Record) bool) *Subscription {
	if buffer < 1 {
		buffer = DefaultBuffer
	}
	s := &Subscription{bus: b, ch: make(chan Record, buffer), filter: filter}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.done = true
		close(s.ch)
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// Publish delivers r to every subscriber whose filter accepts it, dropping
// subscribers whose buffer is full. It never blocks and is a no-op on a
// closed bus.
func (b *Bus) Publish(r Record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.filter != nil && !s.filter(r) {
			continue
		}
		select {
		case s.ch <- r:
		default:
			s.lagged.Store(true)
			b.drop(s)
		}
	}
}

// Subscribers returns the number of live subscriptions.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close ends every subscription (their channels close after the buffered
// records) and makes later Publish calls no-ops.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		b.drop(s)
	}
}

// drop removes s and closes its channel; b.mu must be held.
func (b *Bus) drop(s *Subscription) {
	delete(b.subs, s)
	if !s.done {
		s.done = true
		close(s.ch)
	}
}

// C is the stream of records. It is closed when the subscription ends:
// by Close, by the bus closing, or because the subscriber lagged.
func (s *Subscription) C() <-chan Record { return s.ch }

// Lagged reports whether the subscription was dropped for falling behind.
func (s *Subscription) Lagged() bool { return s.lagged.Load() }

// Close ends the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	s.bus.drop(s)
}
