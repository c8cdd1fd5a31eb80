package bolt

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/redset/redset/store"
)

// hub fans committed events out to watchers.
//
// The committer calls publish once per batch, after the batch is durable
// and before its callers are answered, so a watcher started before a Commit
// call sees that commit, and events arrive in revision order. Each watcher
// has a buffered channel of the configured size; publish never blocks: a
// watcher whose buffer is full is dropped (its channel closed, Err
// store.ErrWatchLagged). Events left in a dropped watcher's buffer can still
// be read before the close.
type hub struct {
	buffer int
	log    *slog.Logger

	mu       sync.Mutex
	watchers map[*watcher]struct{}
	closed   bool
}

func newHub(buffer int, log *slog.Logger) *hub {
	return &hub{buffer: buffer, log: log, watchers: make(map[*watcher]struct{})}
}

// watcher is one subscription. ch is sent to and closed only under hub.mu.
type watcher struct {
	prefix  string
	ch      chan store.Event
	stopCtx func() bool

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

// finish records err and closes the channel; err is visible before the
// close is.
func (w *watcher) finish(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	close(w.ch)
}

func (h *hub) watch(ctx context.Context, prefix string) store.Watcher {
	w := &watcher{prefix: prefix, ch: make(chan store.Event, h.buffer), stopCtx: func() bool { return false }}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		w.finish(store.ErrClosed)
	case ctx.Err() != nil:
		w.finish(nil)
	default:
		h.watchers[w] = struct{}{}
		w.stopCtx = context.AfterFunc(ctx, func() { h.drop(w, nil) })
	}
	return w
}

// drop removes w (if still registered) and closes it with err.
func (h *hub) drop(w *watcher, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(w, err)
}

// remove requires h.mu.
func (h *hub) remove(w *watcher, err error) {
	if _, ok := h.watchers[w]; !ok {
		return
	}
	delete(h.watchers, w)
	w.stopCtx()
	w.finish(err)
}

// publish delivers events (in revision order) to every matching watcher,
// dropping those that cannot take them.
func (h *hub) publish(events []store.Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		if !deliver(w, events) {
			h.log.Warn("store watcher lagged and was dropped", "prefix", w.prefix, "buffer", h.buffer)
			h.remove(w, store.ErrWatchLagged)
		}
	}
}

// deliver sends the events under w's prefix without blocking; it reports
// false when w's buffer is full.
func deliver(w *watcher, events []store.Event) bool {
	for _, ev := range events {
		if !strings.HasPrefix(ev.KV.Key, w.prefix) {
			continue
		}
		select {
		case w.ch <- ev:
		default:
			return false
		}
	}
	return true
}

// close ends every watcher with store.ErrClosed; later watches start
// closed.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for w := range h.watchers {
		h.remove(w, store.ErrClosed)
	}
}
