package engine

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/event"
)

func TestBestSpareOrder(t *testing.T) {
	snap := func(name string, prio int, status uint16, h Health, fs uint16) memberSnap {
		return memberSnap{name: name, health: h, role: spare(status, fs, prio)}
	}
	tests := []struct {
		name  string
		snaps []memberSnap
		want  string
	}{
		{"priority first", []memberSnap{snap("a", 1, SpareHot, HealthOK, 4), snap("b", 2, SpareCold, HealthDegraded, 4)}, "b"},
		{"hot before cold", []memberSnap{snap("a", 0, SpareCold, HealthOK, 4), snap("b", 0, SpareHot, HealthDegraded, 4)}, "b"},
		{"OK before degraded", []memberSnap{snap("a", 0, SpareHot, HealthDegraded, 4), snap("b", 0, SpareHot, HealthOK, 2)}, "b"},
		{"then name", []memberSnap{snap("b", 0, SpareHot, HealthOK, 4), snap("a", 0, SpareHot, HealthOK, 4)}, "a"},
		{"manual spares never", []memberSnap{snap("a", 9, SpareHot, HealthOK, 3), snap("b", 0, SpareCold, HealthOK, 4)}, "b"},
		{"failed and unknown never", []memberSnap{snap("a", 9, SpareHot, HealthFailed, 4), snap("c", 9, SpareHot, HealthUnknown, 4), snap("b", 0, SpareCold, HealthOK, 2)}, "b"},
		{"none", []memberSnap{snap("a", 9, SpareHot, HealthFailed, 4)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := bestSpare(tt.snaps, false)
			if got.name != tt.want {
				t.Errorf("bestSpare = %q, want %q", got.name, tt.want)
			}
		})
	}
}

// autoFixture: Sparing set N=1, a in service, b and c spares (c has a higher
// priority but is cold), all OK.
func autoFixture(t *testing.T, policy Policy) *harness {
	h := newHarness(t)
	s := sparingSet("redset:web", 1)
	s.Policy = policy
	h.set(s)
	for _, n := range []string{"a", "b", "c"} {
		h.member(n)
		h.report(n, HealthOK)
	}
	h.add("redset:web", "a", inService)
	h.add("redset:web", "b", spare(SpareHot, FailoverBoth, 0))
	h.add("redset:web", "c", spare(SpareCold, FailoverAutomatic, 1))
	// Each add schedules a look at the set; let those finish, so that a
	// later health report is not met by a job that was already queued
	// (it could number its failover before the report's status change).
	h.settle()
	return h
}

func TestAutoFailover(t *testing.T) {
	h := autoFixture(t, Policy{})
	sub := h.bus.Subscribe(100, func(r event.Record) bool {
		return r.Kind == event.KindFailoverSucceeded || r.Kind == event.KindStatusChanged
	})
	h.report("a", HealthFailed)
	h.settle()
	want := map[string]RoleKind{"a": RoleSpare, "b": RoleSpare, "c": RoleInService}
	if diff := cmp.Diff(want, h.roles("redset:web")); diff != "" {
		t.Fatalf("roles (-want +got):\n%s", diff)
	}
	var got []string
	for range 3 {
		r := <-sub.C()
		switch r.Kind {
		case event.KindStatusChanged:
			got = append(got, "status "+string(rune('0'+r.Status.To)))
		default:
			if r.Failover.Planned {
				t.Error("automatic failover marked planned")
			}
			got = append(got, r.Failover.From+"->"+r.Failover.To)
		}
	}
	if diff := cmp.Diff([]string{"status 5", "a->c", "status 3"}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	hist, _ := h.e.History(context.Background(), 0)
	if n := countKind(hist, event.KindFailoverSucceeded); n != 1 {
		t.Errorf("history has %d failover records, want 1", n)
	}
}

func countKind(recs []event.Record, kind event.Kind) int {
	n := 0
	for _, r := range recs {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

func TestAutoFailoverNotWanted(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		setup  func(h *harness)
	}{
		{"disabled by policy", Policy{DisableAutoFailover: true}, func(*harness) {}},
		{"only manual spares", Policy{}, func(h *harness) {
			for _, n := range []string{"b", "c"} {
				if _, err := h.e.RemoveFromSet(context.Background(), "redset:web", n); err != nil {
					t.Fatal(err)
				}
			}
			h.add("redset:web", "b", spare(SpareHot, FailoverManual, 0))
		}},
		{"no operational spare", Policy{}, func(h *harness) {
			h.report("b", HealthFailed)
			h.report("c", HealthFailed)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := autoFixture(t, tt.policy)
			tt.setup(h)
			h.report("a", HealthFailed)
			h.settle()
			if got := h.roles("redset:web")["a"]; got != RoleInService {
				t.Errorf("a = %v, want still in service", got)
			}
		})
	}
}

func TestAutoFailoverWhenSpareRecovers(t *testing.T) {
	h := autoFixture(t, Policy{})
	h.report("b", HealthFailed)
	h.report("c", HealthFailed)
	h.report("a", HealthFailed)
	h.settle()
	if got := h.roles("redset:web")["a"]; got != RoleInService {
		t.Fatalf("a = %v, want in service while no spare is operational", got)
	}
	h.report("b", HealthOK)
	h.settle()
	if got := h.roles("redset:web")["b"]; got != RoleInService {
		t.Errorf("b = %v, want in service after it recovered", got)
	}
}

func TestFlapGuard(t *testing.T) {
	h := autoFixture(t, Policy{MaxFailovers: 2, Period: time.Hour})
	sub := h.bus.Subscribe(100, func(r event.Record) bool { return r.Kind == event.KindFlapGuardTripped })
	fail := func(name string) {
		h.report(name, HealthFailed)
		h.settle()
		h.report(name, HealthOK)
		h.settle()
	}
	fail("a") // a -> c
	fail("c") // c -> a (a is the best spare now: it took c's settings, priority 1)
	if n := countInService(h, "redset:web"); n != 1 {
		t.Fatalf("%d members in service, want 1", n)
	}
	active := activeOf(h, "redset:web")
	h.report(active, HealthFailed) // third automatic failover within the hour: refused
	h.settle()
	if got := activeOf(h, "redset:web"); got != active {
		t.Errorf("active = %s, want %s kept after the flap guard tripped", got, active)
	}
	r := <-sub.C()
	if r.SetID != "redset:web" || r.Flap.MaxFailovers != 2 || !h.view("redset:web").FlapGuardTripped {
		t.Errorf("alert = %+v, want FlapGuardTripped for redset:web", r)
	}
	h.clock.Advance(2 * time.Hour) // the period passing does not re-arm it by itself
	h.report("c", HealthFailed)
	h.report("c", HealthOK) // a spare recovering would otherwise trigger a takeover
	h.settle()
	if got := activeOf(h, "redset:web"); got != active {
		t.Errorf("active = %s after the period, want %s until reset", got, active)
	}
	if err := h.e.ResetFlapGuard(context.Background(), "redset:web"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got := activeOf(h, "redset:web"); got == active {
		t.Errorf("active still %s after ResetFlapGuard, want a failover", got)
	}
}

func activeOf(h *harness, id string) string {
	for name, k := range h.roles(id) {
		if k == RoleInService {
			return name
		}
	}
	return ""
}

func countInService(h *harness, id string) int {
	n := 0
	for _, k := range h.roles(id) {
		if k == RoleInService {
			n++
		}
	}
	return n
}

func TestAutoFailoverRetriesWhenBusy(t *testing.T) {
	h := autoFixture(t, Policy{})
	s, _ := h.e.lookupSet("redset:web")
	hd, err := holdSet(s)
	if err != nil {
		t.Fatal(err)
	}
	h.report("a", HealthFailed)
	waitFor(t, func() bool { return h.e.pool.pendingJobs() == 0 })
	if got := h.roles("redset:web")["a"]; got != RoleInService {
		t.Fatalf("a = %v while the set is busy, want in service", got)
	}
	hd.release()
	h.clock.Advance(time.Second) // the retry timer fires
	h.settle()
	if got := h.roles("redset:web")["c"]; got != RoleInService {
		t.Errorf("c = %v after the retry, want in service", got)
	}
}

// waitFor polls cond with a deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met before the deadline")
		}
		runtime.Gosched()
	}
}

func TestFailback(t *testing.T) {
	h := newHarness(t)
	s := sparingSet("redset:web", 1)
	s.Policy.Failback = true
	h.set(s)
	for _, n := range []string{"a", "b"} {
		h.member(n)
		h.report(n, HealthOK)
	}
	h.add("redset:web", "a", Role{Kind: RoleInService, Spare: SpareSettings{SpareHot, FailoverBoth, 10}})
	h.add("redset:web", "b", spare(SpareHot, FailoverBoth, 5))
	h.settle()
	if got := activeOf(h, "redset:web"); got != "a" {
		t.Fatalf("active = %s, want a (higher priority)", got)
	}
	h.report("a", HealthFailed)
	h.settle()
	if got := activeOf(h, "redset:web"); got != "b" {
		t.Fatalf("active = %s after a failed, want b", got)
	}
	h.report("a", HealthOK)
	h.settle()
	if got := activeOf(h, "redset:web"); got != "a" {
		t.Errorf("active = %s after a recovered, want a again (failback)", got)
	}
}

func TestNoFailbackByDefault(t *testing.T) {
	h := autoFixture(t, Policy{})
	h.report("a", HealthFailed)
	h.settle()
	h.report("a", HealthOK)
	h.settle()
	if got := activeOf(h, "redset:web"); got != "c" {
		t.Errorf("active = %s, want c to stay (no failback)", got)
	}
}

func TestAutoReturn(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[on], func(t *testing.T) {
			h := newHarness(t)
			s := typedSet("redset:db", TypeNPlus1, 1)
			s.Policy.AutoReturn = on
			h.set(s)
			for _, n := range []string{"d1", "d2"} {
				h.member(n)
				h.report(n, HealthOK)
				h.add("redset:db", n, inService)
			}
			if res := h.e.Failover(context.Background(), "redset:db", "d1", "d2"); res.Code != 0 {
				t.Fatalf("Failover = %d %s", res.Code, res.Reason)
			}
			h.report("d1", HealthOK) // still healthy: a planned drain stays
			h.settle()
			if got := h.roles("redset:db")["d1"]; got != RoleDrained {
				t.Fatalf("d1 = %v, want drained", got)
			}
			h.report("d1", HealthFailed)
			h.report("d1", HealthOK) // recovery from Failed
			h.settle()
			want := map[bool]RoleKind{false: RoleDrained, true: RoleInService}[on]
			if got := h.roles("redset:db")["d1"]; got != want {
				t.Errorf("d1 = %v after recovery, want %v", got, want)
			}
		})
	}
}

func TestLimitedSparingAutoFillsEverySlot(t *testing.T) {
	h := newHarness(t)
	h.set(Set{InstanceID: "redset:ls", TypeOfSet: []uint16{TypeLimitedSparing}, OtherTypeOfSet: []string{""}})
	for _, n := range []string{"p", "q", "s1", "s2"} {
		h.member(n)
		h.report(n, HealthOK)
	}
	h.add("redset:ls", "p", inService)
	h.add("redset:ls", "q", inService)
	h.add("redset:ls", "s1", spare(SpareHot, FailoverBoth, 0))
	h.add("redset:ls", "s2", spare(SpareHot, FailoverBoth, 0))
	h.report("p", HealthFailed)
	h.report("q", HealthFailed)
	h.settle()
	want := map[string]RoleKind{"p": RoleSpare, "q": RoleSpare, "s1": RoleInService, "s2": RoleInService}
	if diff := cmp.Diff(want, h.roles("redset:ls")); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if got := h.status("redset:ls"); got != StatusRedundancyLost {
		t.Errorf("status = %d, want 4 (both spares used, the failed ones idle)", got)
	}
}

// TestSharedMemberFailsInManySets: one member in service in many sets
// fails; every set fails over to its own spare, concurrently.
func TestSharedMemberFailsInManySets(t *testing.T) {
	const sets = 300
	h := newHarness(t)
	h.member("shared")
	h.report("shared", HealthOK)
	for i := range sets {
		id, own := fmt.Sprintf("redset:s%03d", i), fmt.Sprintf("own%03d", i)
		h.set(sparingSet(id, 1))
		h.member(own)
		h.report(own, HealthOK)
		h.add(id, "shared", inService)
		h.add(id, own, spare(SpareHot, FailoverBoth, 0))
	}
	h.report("shared", HealthFailed)
	h.settle()
	for i := range sets {
		id := fmt.Sprintf("redset:s%03d", i)
		if got := activeOf(h, id); got != fmt.Sprintf("own%03d", i) {
			t.Fatalf("%s: in service %q, want its own spare", id, got)
		}
	}
	hist, _ := h.e.History(context.Background(), 0)
	if n := countKind(hist, event.KindFailoverSucceeded); n != sets {
		t.Errorf("history has %d failovers, want %d", n, sets)
	}
}

func TestAutoFailoverAsksTheHook(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.PreFailover = func(_ context.Context, req FailoverRequest) error {
			if !req.Planned {
				return fmt.Errorf("automatic failover vetoed")
			}
			return nil
		}
	})
	h.set(sparingSet("redset:web", 1))
	h.member("a")
	h.member("b")
	h.report("a", HealthOK)
	h.report("b", HealthOK)
	h.add("redset:web", "a", inService)
	h.add("redset:web", "b", spare(SpareHot, FailoverBoth, 0))
	sub := h.bus.Subscribe(10, func(r event.Record) bool { return r.Kind == event.KindFailoverRefused })
	h.report("a", HealthFailed)
	h.settle()
	if got := activeOf(h, "redset:web"); got != "a" {
		t.Errorf("in service %s, want a (hook vetoed)", got)
	}
	r := <-sub.C()
	if r.Failover.Code != CodeError || r.Failover.Planned || !strings.Contains(r.Failover.Reason, "vetoed") {
		t.Errorf("refusal = %+v, want unplanned code 2 with the hook's reason", r.Failover)
	}
}

func TestEnablingAutoFailoverActs(t *testing.T) {
	h := autoFixture(t, Policy{DisableAutoFailover: true})
	h.report("a", HealthFailed)
	h.settle()
	if got := activeOf(h, "redset:web"); got != "a" {
		t.Fatalf("in service %s while disabled, want a", got)
	}
	if _, err := h.e.UpdateSet(context.Background(), "redset:web", func(s *Set) error {
		s.Policy.DisableAutoFailover = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got := activeOf(h, "redset:web"); got != "c" {
		t.Errorf("in service %s after enabling, want c", got)
	}
}
