package etcd

import (
	"context"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/redset/redset/store"
)

// Backoff between two attempts to make a watch again after etcd ended it.
const (
	rewatchMin = 50 * time.Millisecond
	rewatchMax = 2 * time.Second
)

// watcher is one subscription. Its goroutine alone sends on ch and closes
// it; err is set before the close.
type watcher struct {
	ch chan store.Event

	mu  sync.Mutex
	err error
}

// Events delivers changes in revision order.
func (w *watcher) Events() <-chan store.Event { return w.ch }

// Err tells why Events was closed: nil while open or after the watch
// context ended, store.ErrWatchLagged or store.ErrClosed otherwise.
func (w *watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *watcher) finish(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	close(w.ch)
}

// send delivers ev without blocking; false when the buffer is full.
func (w *watcher) send(ev store.Event) bool {
	select {
	case w.ch <- ev:
		return true
	default:
		return false
	}
}

// Watch streams changes under prefix from the revision after the newest one
// this Store has seen, so it sees every change committed after the call
// (and, when other clients write, maybe a few of theirs from just before).
func (s *Store) Watch(ctx context.Context, prefix string) store.Watcher {
	w := &watcher{ch: make(chan store.Event, s.opts.WatchBuffer)}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed.Load():
		w.finish(store.ErrClosed)
	case ctx.Err() != nil:
		w.finish(nil)
	default:
		s.watchers.Add(1)
		go s.follow(ctx, w, prefix, s.observed.Load()+1)
	}
	return w
}

// follow feeds w from etcd watches starting at revision next, making the
// etcd watch again whenever etcd ends it, until the context ends, the
// store closes, or w cannot follow any more.
func (s *Store) follow(ctx context.Context, w *watcher, prefix string, next int64) {
	defer s.watchers.Done()
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	backoff := rewatchMin
	for {
		from := next
		done, err := s.stream(ctx, w, prefix, &next)
		if done {
			w.finish(err)
			return
		}
		if next > from {
			backoff = rewatchMin
		}
		s.log.Debug("etcd watch ended; watching again", "prefix", prefix, "from", next, "err", err)
		if !s.pause(ctx, &backoff) {
			w.finish(s.stopReason())
			return
		}
	}
}

// stream copies one etcd watch into w. It reports done (with the error to
// finish w with) when w must end; otherwise the etcd watch ended and a new
// one should start at *next.
func (s *Store) stream(ctx context.Context, w *watcher, prefix string, next *int64) (bool, error) {
	wch := s.cli.Watch(ctx, s.key(prefix), clientv3.WithPrefix(), clientv3.WithRev(*next))
	for {
		select {
		case <-s.done:
			return true, store.ErrClosed
		case <-ctx.Done():
			return true, nil
		case resp, ok := <-wch:
			if !ok {
				return false, nil
			}
			if resp.CompactRevision != 0 {
				s.log.Warn("store watcher dropped: the revisions it needs were compacted",
					"prefix", prefix, "next", *next, "compacted", resp.CompactRevision)
				return true, store.ErrWatchLagged
			}
			if err := resp.Err(); err != nil {
				return false, err
			}
			if !s.deliver(w, resp.Events, next) {
				s.log.Warn("store watcher lagged and was dropped", "prefix", prefix, "buffer", s.opts.WatchBuffer)
				return true, store.ErrWatchLagged
			}
		}
	}
}

// deliver sends events to w and advances *next past them; false when w's
// buffer is full.
func (s *Store) deliver(w *watcher, events []*clientv3.Event, next *int64) bool {
	for _, ev := range events {
		if !w.send(s.event(ev)) {
			return false
		}
		*next = ev.Kv.ModRevision + 1
	}
	return true
}

func (s *Store) event(ev *clientv3.Event) store.Event {
	kv := store.KV{Key: strings.TrimPrefix(string(ev.Kv.Key), s.prefix), ModRevision: ev.Kv.ModRevision}
	if ev.Type == mvccpb.DELETE {
		return store.Event{KV: kv, Delete: true}
	}
	kv.Value = ev.Kv.Value
	return store.Event{KV: kv}
}

// pause waits out the backoff (doubling it for next time); false when the
// context ended or the store closed meanwhile.
func (s *Store) pause(ctx context.Context, backoff *time.Duration) bool {
	t := time.NewTimer(*backoff)
	defer t.Stop()
	*backoff = min(2**backoff, rewatchMax)
	select {
	case <-t.C:
		return true
	case <-s.done:
	case <-ctx.Done():
	}
	return false
}

// stopReason is what a watcher that stopped waiting reports.
func (s *Store) stopReason() error {
	select {
	case <-s.done:
		return store.ErrClosed
	default:
		return nil
	}
}
