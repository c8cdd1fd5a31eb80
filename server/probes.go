package server

import (
	"errors"
	"log/slog"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/health"
)

// probes keeps the health scheduler's tasks in step with the engine's
// members and hands every probe result to the engine, which dampens it.
type probes struct {
	eng      *engine.Engine
	defaults HealthCfg // interval and timeout of probes that set none
	sched    *health.Scheduler
	log      *slog.Logger
	sub      *event.Subscription
	latency  func(member, probe string, seconds float64) // metrics hook
}

func newProbes(eng *engine.Engine, defaults HealthCfg, log *slog.Logger, latency func(string, string, float64)) *probes {
	p := &probes{eng: eng, defaults: defaults, log: log, latency: latency}
	p.sched = health.NewScheduler(health.SinkFunc(p.observe), health.Options{Workers: defaults.Workers})
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

// start schedules every member's probe and follows member changes.
func (p *probes) start() error {
	members, err := p.eng.ListMembers()
	if err != nil {
		return err
	}
	for _, m := range members {
		p.sync(m.Member)
	}
	p.sub = p.eng.Bus().Subscribe(event.DefaultBuffer, func(r event.Record) bool {
		return r.Kind == event.KindConfigChanged && r.SetID == "" && r.Member != ""
	})
	go p.follow()
	return nil
}

func (p *probes) follow() {
	for r := range p.sub.C() {
		m, err := p.eng.GetMember(r.Member)
		if err != nil {
			p.sched.Remove(r.Member)
			continue
		}
		p.sync(m.Member)
	}
}

// sync schedules a member's probe, or removes it when the member has none
// that redset runs (heartbeats are pushed, not probed). A stored probe that
// cannot run (written before the API checked probes) is logged at warn
// level, once each time the member is loaded or changed.
func (p *probes) sync(m engine.Member) {
	spec := healthSpec(m.Probe, p.defaults)
	if err := spec.Validate(); err != nil {
		p.sched.Remove(m.Name)
		p.log.Warn("member probe not run: it is not valid; correct it through the API or the configuration",
			"member", m.Name, "type", m.Probe.Type, "err", err)
		return
	}
	if !spec.Scheduled() {
		p.sched.Remove(m.Name)
		return
	}
	task, err := spec.Task(m.Name)
	if err == nil {
		err = p.sched.Set(task)
	}
	if err != nil {
		p.sched.Remove(m.Name)
		p.log.Warn("member probe not scheduled", "member", m.Name, "err", err)
	}
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
	if p.sub != nil {
		p.sub.Close()
	}
	_ = p.sched.Close()
}
