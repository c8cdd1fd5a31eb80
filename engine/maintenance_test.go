package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/redset/redset/event"
)

var opsActor = Actor{User: "ops", Address: "192.0.2.9:5000", Protocol: ProtocolAPI}

func opsCtx() context.Context { return WithActor(context.Background(), opsActor) }

// A paused set takes no automatic failover, also after a restart; a
// requested failover still works; resuming fails over what is due.
func TestPauseSet(t *testing.T) {
	h := autoFixture(t, Policy{})
	if err := h.e.PauseAutomatic(opsCtx(), "redset:web"); err != nil {
		t.Fatalf("PauseAutomatic: %v", err)
	}
	if err := h.e.PauseAutomatic(opsCtx(), "redset:web"); err != nil { // again: nothing changes
		t.Fatalf("PauseAutomatic again: %v", err)
	}
	v := h.view("redset:web")
	if v.Paused == nil || v.Paused.By != opsActor || !v.Paused.Since.Equal(h.clock.Now()) || !v.AutomaticPaused() || v.ServerPaused {
		t.Fatalf("view after pause: paused %+v server %v", v.Paused, v.ServerPaused)
	}
	h.restart()
	if h.view("redset:web").Paused == nil {
		t.Fatal("the pause did not outlast a restart")
	}
	for _, n := range []string{"a", "b", "c"} {
		h.report(n, HealthOK)
	}
	h.report("a", HealthFailed)
	h.settle()
	if got := h.roles("redset:web")["a"]; got != RoleInService {
		t.Fatalf("a = %v while paused, want still in service", got)
	}
	if res := h.e.Failover(context.Background(), "redset:web", "a", "b"); res.Code != 0 { // requested: works
		t.Fatalf("requested failover while paused = %d %s", res.Code, res.Reason)
	}
	h.report("b", HealthFailed)
	h.settle()
	if got := h.roles("redset:web")["b"]; got != RoleInService {
		t.Fatalf("b = %v while paused, want still in service", got)
	}
	if err := h.e.ResumeAutomatic(opsCtx(), "redset:web"); err != nil {
		t.Fatalf("ResumeAutomatic: %v", err)
	}
	h.settle()
	if got := h.roles("redset:web")["c"]; got != RoleInService {
		t.Errorf("c = %v after resume, want in service (b failed, c the only healthy automatic spare)", got)
	}
	if h.view("redset:web").Paused != nil {
		t.Error("still paused after resume")
	}
	hist, _ := h.e.History(context.Background(), 0)
	var got []bool
	for _, r := range hist {
		if r.Kind == event.KindMaintenance {
			if r.SetID != "redset:web" || r.Actor == nil || *r.Actor != opsActor {
				t.Errorf("maintenance record %+v by %+v", r, r.Actor)
			}
			got = append(got, r.Maintenance.Paused)
		}
	}
	if len(got) != 2 || !got[0] || got[1] {
		t.Errorf("maintenance records %v, want [true false] (the repeated pause records nothing)", got)
	}
}

// The server-wide pause stops automatic failover and auto-return in every
// set, is stored, and shows in every set's view.
func TestPauseServer(t *testing.T) {
	h := autoFixture(t, Policy{})
	db := typedSet("redset:db", TypeNPlus1, 1)
	db.Policy.AutoReturn = true
	h.set(db)
	for _, n := range []string{"d1", "d2"} {
		h.member(n)
		h.report(n, HealthOK)
		h.add("redset:db", n, inService)
	}
	if res := h.e.Failover(context.Background(), "redset:db", "d1", "d2"); res.Code != 0 {
		t.Fatalf("Failover = %d %s", res.Code, res.Reason)
	}
	if err := h.e.PauseAutomatic(opsCtx(), ""); err != nil {
		t.Fatalf("PauseAutomatic: %v", err)
	}
	h.restart()
	if p := h.e.ServerPause(); p == nil || p.By != opsActor {
		t.Fatalf("ServerPause after restart = %+v", p)
	}
	if v := h.view("redset:web"); !v.ServerPaused || v.Paused != nil || !v.AutomaticPaused() {
		t.Errorf("set view: server paused %v, own pause %+v", v.ServerPaused, v.Paused)
	}
	for _, n := range []string{"a", "b", "c", "d2"} {
		h.report(n, HealthOK)
	}
	h.report("d1", HealthFailed)
	h.report("d1", HealthOK) // a recovery that would return d1 to service
	h.report("a", HealthFailed)
	h.settle()
	if got := h.roles("redset:web")["a"]; got != RoleInService {
		t.Errorf("a = %v while the server is paused, want still in service", got)
	}
	if got := h.roles("redset:db")["d1"]; got != RoleDrained {
		t.Errorf("d1 = %v while the server is paused, want still drained", got)
	}
	if err := h.e.ResumeAutomatic(opsCtx(), ""); err != nil {
		t.Fatalf("ResumeAutomatic: %v", err)
	}
	h.settle()
	if got := h.roles("redset:web")["a"]; got != RoleSpare {
		t.Errorf("a = %v after resume, want failed over (spare)", got)
	}
	if h.e.ServerPause() != nil || h.view("redset:web").ServerPaused {
		t.Error("still paused after resume")
	}
	h.restart()
	if h.e.ServerPause() != nil {
		t.Error("the resume did not outlast a restart")
	}
}

func TestPauseMissingSet(t *testing.T) {
	h := newHarness(t)
	for _, f := range []func(context.Context, string) error{h.e.PauseAutomatic, h.e.ResumeAutomatic} {
		if err := f(opsCtx(), "redset:none"); !errors.Is(err, ErrSetNotFound) {
			t.Errorf("= %v, want ErrSetNotFound", err)
		}
	}
}
