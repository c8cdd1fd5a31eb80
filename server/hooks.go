package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/hook"
)

// hooks runs the configured exec and webhook hooks: pre-failover hooks as
// the engine's veto, the others from the event stream, never blocking it.
//
// One feed reads the engine's events and forwards them to the current
// runner. A reload replaces the runner: the old one gets no new events,
// finishes what it has queued (in the background, for up to
// hookDrainTime) and the new one takes every event from then on, so no
// event reaches both or neither.
type hooks struct {
	log *slog.Logger
	eng atomic.Pointer[engine.Engine] // set once the engine exists; deliveries go to its history
	cur atomic.Pointer[hook.Runner]

	mu       sync.Mutex
	in       chan event.Record // the current runner's events; nil until start
	feed     *feed
	retiring sync.WaitGroup // old runners finishing their deliveries
}

// hookDrainTime bounds how long a runner being replaced or closed may
// finish its queued deliveries.
const hookDrainTime = 5 * time.Second

func hookSpecs(cfg []Hook) []hook.Spec {
	specs := make([]hook.Spec, len(cfg))
	for i, h := range cfg {
		specs[i] = hook.Spec{Name: h.Name, On: h.On, Pre: h.Pre, Exec: h.Exec, Webhook: h.Webhook,
			Timeout: h.Timeout.D(), Retries: h.Retries, Queue: h.Queue}
	}
	return specs
}

func newHooks(cfg []Hook, log *slog.Logger) (*hooks, error) {
	h := &hooks{log: log}
	r, err := h.newRunner(cfg)
	if err != nil {
		return nil, err
	}
	h.cur.Store(r)
	return h, nil
}

// newRunner checks and builds the runner of cfg; it runs nothing yet.
func (h *hooks) newRunner(cfg []Hook) (*hook.Runner, error) {
	return hook.New(hookSpecs(cfg), hook.Options{Logger: h.log, Record: h.record})
}

// preFailover is the engine's PreFailover option.
func (h *hooks) preFailover(ctx context.Context, req engine.FailoverRequest) error {
	return h.cur.Load().PreFailover(ctx, req.SetID, req.From, req.To, req.Planned)
}

// start feeds post-event hooks from the engine's bus.
func (h *hooks) start(eng *engine.Engine) error {
	h.eng.Store(eng)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.in = make(chan event.Record, event.DefaultBuffer)
	if err := h.cur.Load().Start(h.in); err != nil {
		return err
	}
	// The feed may fall as far behind as a hook's queue: records it
	// missed while lagging would be hook runs lost.
	h.feed = startFeed(eng.Bus(), feedOptions{name: "hooks", log: h.log, filter: h.wants, handle: h.forward, buffer: hook.DefaultQueueSize})
	return nil
}

// wants picks the events hooks run for: those this server made. In a
// cluster every server sees every event, but only the one that committed
// it (the leader of the moment) runs its hooks, so each runs once.
func (h *hooks) wants(r event.Record) bool {
	if eng := h.eng.Load(); eng != nil && r.Origin != eng.Origin() {
		return false
	}
	return h.cur.Load().Wants(r)
}

// forward hands an event to the current runner, whose intake never blocks
// for long (a full hook queue drops the event for that hook).
func (h *hooks) forward(r event.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.in != nil {
		h.in <- r
	}
}

// replace makes next the runner of every later event and failover.
func (h *hooks) replace(next *hook.Runner) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.in != nil {
		in := make(chan event.Record, event.DefaultBuffer)
		if err := next.Start(in); err != nil {
			return err
		}
		close(h.in) // the old runner delivers what it has, then stops
		h.in = in
	}
	old := h.cur.Swap(next)
	h.retiring.Add(1)
	go func() {
		defer h.retiring.Done()
		closeRunner(old)
	}()
	return nil
}

func closeRunner(r *hook.Runner) {
	ctx, cancel := context.WithTimeout(context.Background(), hookDrainTime)
	defer cancel()
	_ = r.Close(ctx)
}

// record keeps every delivery in the engine's history (the runner logs
// it).
func (h *hooks) record(d hook.Delivery) {
	if eng := h.eng.Load(); eng != nil {
		eng.RecordHookDelivery(d.SetID, event.HookDelivered{Hook: d.Hook, Event: d.Event, EventSeq: d.Seq,
			Attempts: d.Attempts, Outcome: d.Outcome, Code: d.Code, DurationSeconds: d.Duration.Seconds(), Error: d.Error})
	}
}

func (h *hooks) close() {
	if h.feed != nil {
		h.feed.close() // no event is being forwarded after this
	}
	h.mu.Lock()
	if h.in != nil {
		close(h.in)
		h.in = nil
	}
	h.mu.Unlock()
	closeRunner(h.cur.Load())
	h.retiring.Wait()
}
