package server

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/hook"
)

// hooks runs the configured exec and webhook hooks: pre-failover hooks as
// the engine's veto, the others from the event stream, never blocking it.
type hooks struct {
	runner *hook.Runner
	sub    *event.Subscription
	log    *slog.Logger
	eng    atomic.Pointer[engine.Engine] // set once the engine exists; deliveries go to its history
}

func hookSpecs(cfg []Hook) []hook.Spec {
	specs := make([]hook.Spec, len(cfg))
	for i, h := range cfg {
		specs[i] = hook.Spec{Name: h.Name, On: h.On, Pre: h.Pre, Exec: h.Exec, Webhook: h.Webhook,
			Timeout: h.Timeout.D(), Retries: h.Retries}
	}
	return specs
}

func newHooks(cfg []Hook, log *slog.Logger) (*hooks, error) {
	h := &hooks{log: log}
	r, err := hook.New(hookSpecs(cfg), hook.Options{Logger: log, Record: h.record})
	if err != nil {
		return nil, err
	}
	h.runner = r
	return h, nil
}

// preFailover is the engine's PreFailover option.
func (h *hooks) preFailover(ctx context.Context, req engine.FailoverRequest) error {
	return h.runner.PreFailover(ctx, req.SetID, req.From, req.To, req.Planned)
}

// start feeds post-event hooks from the engine's bus.
func (h *hooks) start(eng *engine.Engine) error {
	h.eng.Store(eng)
	h.sub = eng.Bus().Subscribe(event.DefaultBuffer, h.runner.Wants)
	return h.runner.Start(h.sub.C())
}

// record logs every delivery (failed and dropped ones as warnings) and
// keeps it in the engine's history.
func (h *hooks) record(d hook.Delivery) {
	if eng := h.eng.Load(); eng != nil {
		eng.RecordHookDelivery(d.SetID, event.HookDelivered{Hook: d.Hook, Event: d.Event, EventSeq: d.Seq,
			Attempts: d.Attempts, Outcome: d.Outcome, Code: d.Code, DurationSeconds: d.Duration.Seconds(), Error: d.Error})
	}
	level := slog.LevelInfo
	if d.Outcome != hook.OutcomeOK {
		level = slog.LevelWarn
	}
	h.log.Log(context.Background(), level, "hook delivery", "hook", d.Hook, "event", d.Kind, "seq", d.Seq,
		"set", d.SetID, "outcome", d.Outcome, "attempts", d.Attempts, "code", d.Code, "duration", d.Duration, "err", d.Error)
}

func (h *hooks) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = h.runner.Close(ctx)
	if h.sub != nil {
		h.sub.Close()
	}
}
