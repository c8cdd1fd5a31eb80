package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/redset/redset/engine"
)

// The demo: small services redset itself runs on loopback, and three sets
// over them (see SPEC.md, "Running redset"). Sets are created only on an
// empty store; the services start on every run, and the members' probes are
// pointed at them again because their ports are new each time.

// demoProbe is how often the demo's members are probed: a failure is
// counted after demoFall failed probes, so about three seconds.
const (
	demoInterval = time.Second
	demoTimeout  = 500 * time.Millisecond
	demoRise     = 2
	demoFall     = 3
)

type demoSet struct {
	id, caption string
	typ         uint16
	min         uint32
	lb          uint16
	members     []string
	spares      []string
	frontend    func(DemoFrontends) string // where its frontend listens; nil: none
	drain       time.Duration
}

var demoSets = []demoSet{
	{id: "demo-web", caption: "Web front ends: one active, one hot spare", typ: engine.TypeSparing, min: 1,
		lb: engine.LBNone, members: []string{"web-a"}, spares: []string{"web-b"},
		frontend: func(f DemoFrontends) string { return f.Web }, drain: 5 * time.Second},
	{id: "demo-db", caption: "Database replicas, N+1", typ: engine.TypeNPlus1, min: 2,
		lb: engine.LBNone, members: []string{"db-1", "db-2", "db-3"}},
	{id: "demo-lb", caption: "Load-balanced API servers", typ: engine.TypeLoadBalanced, min: 2,
		lb: engine.LBRoundRobin, members: []string{"lb-1", "lb-2", "lb-3", "lb-4"},
		frontend: func(f DemoFrontends) string { return f.LB }, drain: 5 * time.Second},
}

// demoService is one member's small service: HTTP for web and lb members,
// a bare TCP listener for db members.
type demoService struct {
	name, kind string
	addr       string // kept across fail/heal so the probe target stays valid
	ln         net.Listener
	srv        *http.Server
}

type demo struct {
	eng       *engine.Engine
	log       *slog.Logger
	frontends DemoFrontends

	mu       sync.Mutex
	services map[string]*demoService
}

func startDemo(ctx context.Context, eng *engine.Engine, log *slog.Logger, frontends DemoFrontends) (*demo, error) {
	d := &demo{eng: eng, log: log, frontends: frontends, services: map[string]*demoService{}}
	for _, name := range demoMemberNames() {
		if err := d.startService(name); err != nil {
			d.close()
			return nil, err
		}
	}
	if err := d.declare(ctx); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func demoMemberNames() []string {
	var names []string
	for _, s := range demoSets {
		names = append(names, s.members...)
		names = append(names, s.spares...)
	}
	return names
}

// declared names the demo's sets and members as ApplyReport does.
func (d *demo) declared() []string {
	var out []string
	for _, s := range demoSets {
		out = append(out, "set redset:"+s.id)
	}
	for _, name := range demoMemberNames() {
		out = append(out, "member "+name)
	}
	return out
}

func demoKind(name string) string {
	if name[:2] == "db" {
		return "tcp"
	}
	return "http"
}

// declare points the members' probes at the services and, on an empty
// store, creates the demo sets; on a store that has them, it points their
// frontends at the addresses configured now.
func (d *demo) declare(ctx context.Context) error {
	for _, name := range demoMemberNames() {
		if _, err := d.eng.PutMember(ctx, d.member(name)); err != nil {
			return fmt.Errorf("demo member %s: %w", name, err)
		}
	}
	sets, err := d.eng.ListSets()
	if err != nil {
		return err
	}
	if len(sets) > 0 {
		return d.repointFrontends(ctx)
	}
	for _, s := range demoSets {
		if err := d.createSet(ctx, s); err != nil {
			return fmt.Errorf("demo set %s: %w", s.id, err)
		}
	}
	return nil
}

func (d *demo) member(name string) engine.Member {
	svc := d.services[name]
	p := engine.Probe{Type: svc.kind, Address: svc.addr, Interval: engine.Duration(demoInterval),
		Timeout: engine.Duration(demoTimeout), Rise: demoRise, Fall: demoFall}
	if svc.kind == engine.ProbeHTTP {
		p.Address, p.URL = "", "http://"+svc.addr+"/"
	}
	return engine.Member{Name: name, DisplayName: "demo " + name, Labels: map[string]string{"demo": "true"}, Probe: p}
}

func (d *demo) createSet(ctx context.Context, s demoSet) error {
	set := engine.Set{
		InstanceID: "redset:" + s.id, Caption: s.caption, ElementName: s.id,
		Description: "Part of the demo: its members are small services redset runs on loopback.",
		TypeOfSet:   []uint16{s.typ}, OtherTypeOfSet: []string{""}, MinNumberNeeded: s.min, LoadBalanceAlgorithm: s.lb,
		VendorIdentifyingInfo: "redset demo", Frontend: d.frontendOf(s),
	}
	if _, err := d.eng.CreateSet(ctx, set); err != nil {
		return err
	}
	for _, m := range s.members {
		if _, err := d.eng.AddToSet(ctx, set.InstanceID, m, engine.Role{Kind: engine.RoleInService}); err != nil {
			return err
		}
	}
	spare := engine.Role{Kind: engine.RoleSpare, Spare: engine.SpareSettings{
		SpareStatus: engine.SpareHot, FailoverSupported: engine.FailoverBoth}}
	for _, m := range s.spares {
		if _, err := d.eng.AddToSet(ctx, set.InstanceID, m, spare); err != nil {
			return err
		}
	}
	return nil
}

// frontendOf is a demo set's frontend, nil for a set without one.
func (d *demo) frontendOf(s demoSet) *engine.Frontend {
	if s.frontend == nil {
		return nil
	}
	drain := engine.Duration(s.drain)
	return &engine.Frontend{Listen: s.frontend(d.frontends), Mode: engine.FrontendTCP, Drain: &drain}
}

// repointFrontends moves the frontends of the demo's sets to the addresses
// configured now; a set the operator removed or gave no frontend is left
// as it is.
func (d *demo) repointFrontends(ctx context.Context) error {
	for _, s := range demoSets {
		want := d.frontendOf(s)
		v, err := d.eng.GetSet("redset:" + s.id)
		if want == nil || err != nil || v.Frontend == nil || v.Frontend.Listen == want.Listen {
			continue
		}
		if _, err := d.eng.UpdateSet(ctx, v.InstanceID, func(set *engine.Set) error {
			set.Frontend.Listen = want.Listen
			return nil
		}); err != nil {
			return fmt.Errorf("demo set %s: frontend: %w", s.id, err)
		}
	}
	return nil
}

// startService starts (or restarts, on its old address) a member's service.
func (d *demo) startService(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	svc := d.services[name]
	if svc == nil {
		if !slices.Contains(demoMemberNames(), name) {
			return fmt.Errorf("%q is not a demo member (%v)", name, demoMemberNames())
		}
		svc = &demoService{name: name, kind: demoKind(name), addr: "127.0.0.1:0"}
		d.services[name] = svc
	}
	if svc.ln != nil {
		return nil // already running
	}
	ln, err := net.Listen("tcp", svc.addr)
	if err != nil {
		return fmt.Errorf("demo service %s: %w", name, err)
	}
	svc.ln, svc.addr = ln, ln.Addr().String()
	if svc.kind == "http" {
		svc.srv = &http.Server{Handler: demoPage(name), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: maxHeaderBytes}
		go func() { _ = svc.srv.Serve(ln) }()
	} else {
		go acceptAndClose(ln)
	}
	return nil
}

func demoPage(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s is up\n", name)
	})
}

// acceptAndClose plays a TCP service: it accepts connections and closes
// them, until the listener is closed.
func acceptAndClose(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// stopService stops a member's service; its probe then fails.
func (d *demo) stopService(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	svc := d.services[name]
	if svc == nil {
		return fmt.Errorf("%q is not a demo member (%v)", name, demoMemberNames())
	}
	if svc.srv != nil {
		_ = svc.srv.Close()
		svc.srv = nil
	}
	if svc.ln != nil {
		_ = svc.ln.Close()
		svc.ln = nil
	}
	return nil
}

func (d *demo) close() {
	names := make([]string, 0, len(d.services))
	for name := range d.services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		_ = d.stopService(name)
	}
}

// demoPattern is the route of the demo's actions: POST
// /api/v1/demo/members/{name}/fail and .../heal.
const demoPattern = "POST /api/v1/demo/members/{name}/{action}"

// demoRoutes finds a request's route, for the door (demoOperation).
var demoRoutes = func() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle(demoPattern, http.NotFoundHandler())
	return mux
}()

// handler serves the demo's actions; the door has authorized the caller.
func (d *demo) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(demoPattern, func(w http.ResponseWriter, r *http.Request) {
		d.act(w, r.PathValue("name"), r.PathValue("action"))
	})
	return mux
}

func (d *demo) act(w http.ResponseWriter, name, action string) {
	var err error
	switch action {
	case "fail":
		err = d.stopService(name)
	case "heal":
		err = d.startService(name)
	default:
		err = errors.New("the action is fail or heal")
	}
	if err != nil {
		writeProblem(w, http.StatusNotFound, "no such demo action", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"member": name, "service": map[string]string{"fail": "stopped", "heal": "running"}[action]})
}

// writeProblem writes an RFC 9457 problem document.
func writeProblem(w http.ResponseWriter, code int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": code, "detail": detail})
}
