package server

import (
	"log/slog"
	"sync"

	"github.com/redset/redset/event"
)

// feed hands every record of the engine's bus that filter accepts to
// handle, on one goroutine, in publish order. A subscriber that falls
// behind is dropped by the bus (see event.Bus); the feed then subscribes
// again, logs one line naming itself, and calls lagged, which can catch
// up (re-read state). close ends the feed and waits for handle to return.
type feed struct {
	feedOptions
	bus     *event.Bus
	mu      sync.Mutex
	sub     *event.Subscription
	stopped bool
	done    chan struct{}
}

// feedOptions say what a feed follows and what it does.
type feedOptions struct {
	name   string // who follows, for the log line when it falls behind
	log    *slog.Logger
	filter func(event.Record) bool
	handle func(event.Record)
	lagged func() // after subscribing again; may be nil
	buffer int    // records the feed may fall behind; 0: event.DefaultBuffer
}

func startFeed(bus *event.Bus, o feedOptions) *feed {
	f := &feed{feedOptions: o, bus: bus, done: make(chan struct{})}
	f.sub = bus.Subscribe(f.buffer, f.filter)
	go f.run()
	return f
}

func (f *feed) run() {
	defer close(f.done)
	for sub := f.current(); sub != nil; sub = f.resubscribe(sub) {
		for r := range sub.C() {
			f.handle(r)
		}
	}
}

func (f *feed) current() *event.Subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sub
}

// resubscribe replaces a subscription that ended because it lagged, and
// calls lagged once the new one is in place (so nothing is missed between
// the two); nil when the feed is over.
func (f *feed) resubscribe(old *event.Subscription) *event.Subscription {
	f.mu.Lock()
	if f.stopped || !old.Lagged() {
		f.mu.Unlock()
		return nil
	}
	f.sub = f.bus.Subscribe(f.buffer, f.filter)
	sub := f.sub
	f.mu.Unlock()
	f.log.Warn("an event subscriber fell behind and was dropped; it has subscribed again (the history has the events it missed)",
		"subscriber", f.name)
	if f.lagged != nil {
		f.lagged()
	}
	return sub
}

func (f *feed) close() {
	f.mu.Lock()
	f.stopped = true
	f.sub.Close()
	f.mu.Unlock()
	<-f.done
}
