package auth

import (
	"context"
	"sync"
)

// flights coalesces identical work running at once: the first caller with
// a key does it, and the others with the same key wait for its answer. Two
// places use it. The Users table shares one bcrypt comparison among
// identical password checks, and the login throttle counts identical
// logins from one address as one check. So a burst of clients starting
// together with the same correct credentials (a fleet of agents behind one
// address, a load test) costs one comparison and one check of the
// throttle, not one each — while a flood of different wrong passwords
// still goes one by one, and is slowed and refused.
type flights[T any] struct {
	mu     sync.Mutex
	flight map[string]*flight[T]
}

// flight is one piece of work under way; done is closed when val and err
// are set.
type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// do runs work once for every caller with the same key at the same time.
// The work is not abandoned when the first caller leaves (the others wait
// for it); a caller whose ctx ends stops waiting, with a ThrottledError.
func (f *flights[T]) do(ctx context.Context, key string, work func(context.Context) (T, error)) (T, error) {
	f.mu.Lock()
	if f.flight == nil {
		f.flight = map[string]*flight[T]{}
	}
	if w, ok := f.flight[key]; ok {
		f.mu.Unlock()
		select {
		case <-w.done:
			return w.val, w.err
		case <-ctx.Done():
			var zero T
			return zero, &ThrottledError{RetryAfter: gateRetry}
		}
	}
	w := &flight[T]{done: make(chan struct{})}
	f.flight[key] = w
	f.mu.Unlock()
	w.val, w.err = work(context.WithoutCancel(ctx))
	f.mu.Lock()
	delete(f.flight, key)
	f.mu.Unlock()
	close(w.done)
	return w.val, w.err
}
