package server

import (
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/health"
)

// probes keeps the health scheduler's tasks in step with the engine's
// members and hands every probe result to the engine, which dampens it.
type probes struct {
	eng     *engine.Engine
	sched   *health.Scheduler
	log     *slog.Logger
	sub     *event.Subscription
	latency func(member, probe string, seconds float64) // metrics hook
}

func newProbes(eng *engine.Engine, workers int, log *slog.Logger, latency func(string, string, float64)) *probes {
	p := &probes{eng: eng, log: log, latency: latency}
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
// that redset runs (heartbeats are pushed, not probed).
func (p *probes) sync(m engine.Member) {
	spec, ok := probeSpec(m.Probe)
	if !ok {
		p.sched.Remove(m.Name)
		return
	}
	task, err := spec.Task(m.Name)
	if err == nil {
		err = p.sched.Set(task)
	}
	if err != nil {
		p.log.Warn("member probe not scheduled", "member", m.Name, "err", err)
	}
}

// probeSpec converts the engine's stored probe settings.
func probeSpec(pr engine.Probe) (health.Spec, bool) {
	spec := health.Spec{Type: pr.Kind, Interval: pr.Interval, Timeout: pr.Timeout}
	switch pr.Kind {
	case "tcp":
		spec.Address = pr.Target
	case "http":
		spec.URL, spec.Expect, spec.BodyMatch = pr.Target, pr.Params["expect"], pr.Params["bodyMatch"]
		spec.BodyRegexp, spec.CAFile = pr.Params["bodyRegexp"], pr.Params["caFile"]
		spec.InsecureSkipVerify = pr.Params["insecureSkipVerify"] == "true"
		if !jsonParam(pr.Params, "headers", &spec.Headers) {
			return spec, false
		}
	case "exec":
		if json.Unmarshal([]byte(pr.Params["command"]), &spec.Command) != nil || !jsonParam(pr.Params, "env", &spec.Env) {
			return spec, false
		}
	default:
		return spec, false
	}
	return spec, true
}

// jsonParam decodes an optional JSON object parameter; false when it is
// present but malformed.
func jsonParam(params map[string]string, k string, into *map[string]string) bool {
	v, ok := params[k]
	return !ok || json.Unmarshal([]byte(v), into) == nil
}

func (p *probes) close() {
	if p.sub != nil {
		p.sub.Close()
	}
	_ = p.sched.Close()
}
