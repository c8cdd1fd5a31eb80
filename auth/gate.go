package auth

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// DefaultHashQueue is how many password checks may wait for a free bcrypt
// worker before more are refused at once.
const DefaultHashQueue = 32

// gateRetry is the Retry-After of a check refused because the queue is
// full: about the time the waiting checks take.
const gateRetry = time.Second

// gate bounds the bcrypt comparisons running at once. A check takes a free
// worker, or waits in a queue of bounded length for one; beyond the queue
// it is refused at once with a ThrottledError. Waiters are served in turn
// (a channel's blocked senders are woken first come, first served).
type gate struct {
	slots   chan struct{}
	queue   int64
	waiting atomic.Int64
}

// newGate returns a gate of workers slots (default: the CPUs Go uses) and
// a queue of queue places (negative: DefaultHashQueue).
func newGate(workers, queue int) *gate {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if queue < 0 {
		queue = DefaultHashQueue
	}
	return &gate{slots: make(chan struct{}, workers), queue: int64(queue)}
}

// enter takes a worker, waiting for one while the queue has room and ctx
// lasts; otherwise it returns a ThrottledError.
func (g *gate) enter(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	if g.waiting.Add(1) > g.queue {
		g.waiting.Add(-1)
		return &ThrottledError{RetryAfter: gateRetry}
	}
	defer g.waiting.Add(-1)
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &ThrottledError{RetryAfter: gateRetry} // the client left; answered quietly, like a full queue
	}
}

// leave gives the worker back.
func (g *gate) leave() { <-g.slots }
