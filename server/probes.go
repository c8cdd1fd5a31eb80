package server

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/health"
)

// probes keeps the health scheduler's tasks in step with the engine's
// members and hands every probe result to the engine, which dampens it.
type probes struct {
	eng      *engine.Engine
	defaults HealthCfg // interval and timeout of probes that set none
	workers  int
	sched    *health.Scheduler
	log      *slog.Logger
	feed     *feed
	latency  func(member, probe string, seconds float64) // metrics hook
}

func newProbes(eng *engine.Engine, defaults HealthCfg, log *slog.Logger, latency func(string, string, float64)) *probes {
	workers := defaults.Workers
	if workers <= 0 {
		workers = health.DefaultWorkers
	}
	p := &probes{eng: eng, defaults: defaults, workers: workers, log: log, latency: latency}
	p.sched = health.NewScheduler(health.SinkFunc(p.observe), health.Options{Workers: workers})
	return p
}

// observe turns a probe result into a health report of the engine.
func (p *probes) observe(r health.Result) {
	if r.State == health.Unknown {
		return // the check was stopped early; it learnt nothing
	}
	p.latency(r.Member, r.Probe, r.Latency.Seconds())
	err := p.eng.ReportHealth(r.Member, engine.Report{
		State: engineHealth(r.State), Source: r.Probe, Detail: r.Detail, Latency: r.Latency,
	})
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		p.log.Warn("health report refused", "member", r.Member, "err", err)
	}
}

func engineHealth(s health.State) engine.Health {
	switch s {
	case health.OK:
		return engine.HealthOK
	case health.Degraded:
		return engine.HealthDegraded
	case health.Failed:
		return engine.HealthFailed
	}
	return engine.HealthUnknown
}

// start probes every member once (the first round: when it returns, every
// member with a probe has a known health), then schedules the probes and
// follows member changes. The first round runs up to workers checks at
// once, each bounded by its probe's timeout; ctx may end it sooner.
func (p *probes) start(ctx context.Context) error {
	p.feed = startFeed(p.eng.Bus(), feedOptions{name: "probe scheduler", log: p.log, filter: memberChange, handle: p.changed, lagged: p.resync})
	members, err := p.eng.ListMembers()
	if err != nil {
		return err
	}
	var tasks []health.Task
	for _, m := range members {
		if t, ok := p.task(m.Member); ok {
			tasks = append(tasks, t)
		}
	}
	started := time.Now()
	p.firstRound(ctx, tasks)
	p.log.Debug("first probe round done", "members", len(tasks), "duration", time.Since(started))
	p.scheduleUnchanged(members, tasks)
	return ctx.Err()
}

// scheduleUnchanged schedules the first round's tasks of the members that
// are still as they were (before); a member changed or deleted during the
// round was already handled by the change feed, which must not be undone.
func (p *probes) scheduleUnchanged(before []engine.MemberInfo, tasks []health.Task) {
	now, err := p.eng.ListMembers()
	if err != nil {
		return
	}
	current := map[string]engine.Probe{}
	for _, m := range now {
		current[m.Name] = m.Probe
	}
	was := map[string]engine.Probe{}
	for _, m := range before {
		was[m.Name] = m.Probe
	}
	for _, t := range tasks {
		probe, ok := current[t.Member]
		if !ok || !reflect.DeepEqual(probe, was[t.Member]) {
			continue
		}
		if err := p.sched.Set(t); err != nil {
			p.log.Warn("member probe not scheduled", "member", t.Member, "err", err)
		}
	}
}

// firstRound runs each task once and reports the results.
func (p *probes) firstRound(ctx context.Context, tasks []health.Task) {
	slots := make(chan struct{}, p.workers)
	var wg sync.WaitGroup
	for _, t := range tasks {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			p.observe(health.Run(ctx, health.SystemClock{}, t))
		})
	}
	wg.Wait()
}

// memberChange selects the records of member definitions changing.
func memberChange(r event.Record) bool {
	return r.Kind == event.KindConfigChanged && r.SetID == "" && r.Member != ""
}

func (p *probes) changed(r event.Record) {
	m, err := p.eng.GetMember(r.Member)
	if err != nil {
		p.sched.Remove(r.Member)
		return
	}
	p.sync(m.Member)
}

// resync schedules every member again after the feed missed changes.
func (p *probes) resync() {
	members, err := p.eng.ListMembers()
	if err != nil {
		return
	}
	for _, m := range members {
		p.sync(m.Member)
	}
}

// sync schedules a member's probe, or removes it when the member has none
// that redset runs (heartbeats are pushed, not probed). A stored probe that
// cannot run (written before the API checked probes) is logged at warn
// level, once each time the member is loaded or changed.
func (p *probes) sync(m engine.Member) {
	task, ok := p.task(m)
	if !ok {
		p.sched.Remove(m.Name)
		return
	}
	if err := p.sched.Set(task); err != nil {
		p.sched.Remove(m.Name)
		p.log.Warn("member probe not scheduled", "member", m.Name, "err", err)
		return
	}
	p.log.Debug("member probe scheduled", "member", m.Name, "type", m.Probe.Type)
}

// task is the health check of a member's probe; false when redset runs
// none for it (no probe, a heartbeat, or a stored probe that cannot run,
// which is logged).
func (p *probes) task(m engine.Member) (health.Task, bool) {
	spec := healthSpec(m.Probe, p.defaults)
	if err := spec.Validate(); err != nil {
		p.log.Warn("member probe not run: it is not valid; correct it through the API or the configuration",
			"member", m.Name, "type", m.Probe.Type, "err", err)
		return health.Task{}, false
	}
	if !spec.Scheduled() {
		return health.Task{}, false
	}
	task, err := spec.Task(m.Name)
	if err != nil {
		p.log.Warn("member probe not scheduled", "member", m.Name, "err", err)
		return health.Task{}, false
	}
	return task, true
}

// healthSpec is the health checker's spec of a stored probe: the one
// conversion between the two. Zero interval and timeout take the
// configuration's defaults.
func healthSpec(p engine.Probe, h HealthCfg) health.Spec {
	interval, timeout := probeTiming(p, h)
	return health.Spec{
		Type: p.Type, Address: p.Address, URL: p.URL, Expect: p.Expect, BodyMatch: p.BodyMatch,
		BodyRegexp: p.BodyRegexp, Headers: p.Headers, InsecureSkipVerify: p.InsecureSkipVerify, CAFile: p.CAFile,
		Command: p.Command, Env: p.Env, Interval: interval.D(), Timeout: timeout.D(), TTL: p.TTL.D(),
	}
}

// probeValidator is the engine's Options.ValidateProbe: the health
// checker's rules for a probe, with the configuration's defaults, as an
// engine validation error naming the probe's field ("probe.url").
func probeValidator(h HealthCfg) func(engine.Probe) error {
	return func(p engine.Probe) error {
		err := healthSpec(p, h).Validate()
		var fe *health.FieldError
		if errors.As(err, &fe) {
			return &engine.ValidationError{Field: "probe." + fe.Field, Rule: fe.Reason}
		}
		return err
	}
}

func (p *probes) close() {
	if p.feed != nil {
		p.feed.close()
	}
	_ = p.sched.Close()
}
