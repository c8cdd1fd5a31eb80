package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/event"
)

// pairFixture: Sparing set redset:web, a in service, b a hot spare, both OK.
func pairFixture(t *testing.T, tweak ...func(*Options)) *harness {
	h := newHarness(t, tweak...)
	h.set(sparingSet("redset:web", 1))
	for _, n := range []string{"a", "b"} {
		h.member(n)
		h.report(n, HealthOK)
	}
	h.add("redset:web", "a", inService)
	h.add("redset:web", "b", spare(SpareHot, FailoverBoth, 0))
	return h
}

func (h *harness) scheduled(setID string) []ScheduledFailover {
	h.t.Helper()
	list, err := h.e.ScheduledFailovers(setID)
	if err != nil {
		h.t.Fatalf("ScheduledFailovers: %v", err)
	}
	return list
}

func (h *harness) storedSchedules() int {
	h.t.Helper()
	kvs, _, err := h.st.List(context.Background(), prefixScheduled)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(kvs)
}

// records returns the history records of the given kinds.
func (h *harness) records(kinds ...event.Kind) []event.Record {
	h.t.Helper()
	hist, err := h.e.History(context.Background(), 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []event.Record
	for _, r := range hist {
		for _, k := range kinds {
			if r.Kind == k {
				out = append(out, r)
			}
		}
	}
	return out
}

// A scheduled failover runs at its time, not before, as the actor who
// scheduled it, also after a restart, even while automatic failover is
// paused; its outcome is an ordinary failover record.
func TestScheduledFailoverRuns(t *testing.T) {
	h := pairFixture(t)
	at := h.clock.Now().Add(5 * time.Minute)
	sf, err := h.e.ScheduleFailover(opsCtx(), "redset:web", "a", "b", at)
	if err != nil {
		t.Fatalf("ScheduleFailover: %v", err)
	}
	if sf.ID == 0 || !sf.At.Equal(at) || sf.By != opsActor || sf.From != "a" || sf.To != "b" {
		t.Errorf("scheduled = %+v", sf)
	}
	if err := h.e.PauseAutomatic(opsCtx(), ""); err != nil {
		t.Fatal(err)
	}
	h.restart() // at +0: the settling time (30s) is shorter than the wait
	h.report("a", HealthOK)
	h.report("b", HealthOK)
	if list := h.scheduled("redset:web"); len(list) != 1 || list[0] != sf {
		t.Fatalf("after restart the schedule is %+v, want %+v", list, sf)
	}
	h.clock.Advance(5*time.Minute - time.Second)
	h.settle()
	if got := h.roles("redset:web")["b"]; got != RoleSpare {
		t.Fatalf("b = %v a second early, want spare", got)
	}
	h.clock.Advance(time.Second)
	h.settle()
	if got := h.roles("redset:web")["b"]; got != RoleInService {
		t.Fatalf("b = %v at the time, want in service", got)
	}
	if n := len(h.scheduled("")); n != 0 || h.storedSchedules() != 0 {
		t.Errorf("%d scheduled, %d stored after running; want none", n, h.storedSchedules())
	}
	recs := h.records(event.KindScheduleChanged, event.KindFailoverSucceeded)
	if len(recs) != 2 || recs[0].Schedule.ID != sf.ID || recs[0].Schedule.Action != "scheduled" ||
		recs[1].Failover.ScheduleID != sf.ID || !recs[1].Failover.Planned || *recs[1].Actor != opsActor {
		t.Errorf("records: %+v %+v", recs, recs[len(recs)-1].Failover)
	}
}

// At its time the scheduled failover goes through every check: one that
// fails is recorded as an ordinary refusal, and the schedule is gone.
func TestScheduledFailoverRefusedAtItsTime(t *testing.T) {
	h := pairFixture(t)
	sf, err := h.e.ScheduleFailover(opsCtx(), "redset:web", "a", "b", h.clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	h.report("b", HealthFailed)
	h.clock.Advance(time.Minute)
	h.settle()
	recs := h.records(event.KindFailoverRefused)
	if len(recs) != 1 || recs[0].Failover.ScheduleID != sf.ID || recs[0].Failover.Code != CodeParameter ||
		!strings.Contains(recs[0].Failover.Reason, "not operational") {
		t.Fatalf("refusals = %+v", recs)
	}
	if h.storedSchedules() != 0 || len(h.scheduled("")) != 0 {
		t.Error("the refused schedule was kept")
	}
}

func TestScheduledFailoverCancel(t *testing.T) {
	h := pairFixture(t)
	sf, err := h.e.ScheduleFailover(opsCtx(), "redset:web", "a", "b", h.clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.e.CancelScheduledFailover(opsCtx(), "redset:other", sf.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel in another set = %v, want ErrNotFound", err)
	}
	if err := h.e.CancelScheduledFailover(opsCtx(), "redset:web", sf.ID+100); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel of an unknown ID = %v, want ErrNotFound", err)
	}
	if err := h.e.CancelScheduledFailover(opsCtx(), "redset:web", sf.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	h.clock.Advance(time.Hour)
	h.settle()
	if got := h.roles("redset:web")["a"]; got != RoleInService {
		t.Errorf("a = %v after the cancelled time, want in service", got)
	}
	if h.storedSchedules() != 0 || len(h.scheduled("redset:web")) != 0 {
		t.Error("the cancelled schedule was kept")
	}
	recs := h.records(event.KindScheduleChanged)
	if len(recs) != 2 || recs[1].Schedule.Action != "cancelled" || recs[1].Schedule.ID != sf.ID || *recs[1].Actor != opsActor {
		t.Errorf("schedule records = %+v", recs)
	}
	if err := h.e.CancelScheduledFailover(opsCtx(), "redset:web", sf.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second cancel = %v, want ErrNotFound", err)
	}
}

// A failover missed while redset was stopped runs at the start when it is
// late by at most the grace, else it is recorded as refused.
func TestScheduledFailoverMissed(t *testing.T) {
	for _, tt := range []struct {
		name string
		late time.Duration
		ran  bool
	}{
		{"within the grace", 5 * time.Minute, true},
		{"beyond the grace", time.Hour, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := pairFixture(t)
			sf, err := h.e.ScheduleFailover(opsCtx(), "redset:web", "a", "b", h.clock.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			h.close()
			h.clock.Advance(time.Minute + tt.late)
			h.st = openBolt(t, h.path, true)
			h.start()
			h.report("a", HealthOK)
			h.report("b", HealthOK)
			h.clock.Advance(29 * time.Second)
			h.settle()
			if got := h.roles("redset:web")["b"]; got != RoleSpare {
				t.Fatalf("b = %v before the settling time after the start", got)
			}
			h.clock.Advance(time.Second)
			h.settle()
			want := map[bool]RoleKind{true: RoleInService, false: RoleSpare}[tt.ran]
			if got := h.roles("redset:web")["b"]; got != want {
				t.Errorf("b = %v, want %v", got, want)
			}
			if !tt.ran {
				recs := h.records(event.KindFailoverRefused)
				if len(recs) != 1 || recs[0].Failover.ScheduleID != sf.ID || recs[0].Failover.Code != CodeError ||
					!strings.Contains(recs[0].Failover.Reason, "missed its time") || *recs[0].Actor != opsActor {
					t.Errorf("refusals = %+v", recs)
				}
			}
			if h.storedSchedules() != 0 {
				t.Error("the schedule was kept")
			}
		})
	}
}

func TestScheduleFailoverRefused(t *testing.T) {
	h := pairFixture(t)
	h.member("x")
	now := h.clock.Now()
	tests := []struct {
		name     string
		set      string
		from, to string
		at       time.Time
		kind     error
	}{
		{"now", "redset:web", "a", "b", now, ErrInvalid},
		{"past", "redset:web", "a", "b", now.Add(-time.Minute), ErrInvalid},
		{"too far", "redset:web", "a", "b", now.Add(2 * MaxScheduleAhead), ErrInvalid},
		{"no set", "redset:none", "a", "b", now.Add(time.Minute), ErrSetNotFound},
		{"no from", "redset:web", "", "b", now.Add(time.Minute), ErrInvalid},
		{"same", "redset:web", "a", "a", now.Add(time.Minute), ErrInvalid},
		{"not in the set", "redset:web", "a", "x", now.Add(time.Minute), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.e.ScheduleFailover(opsCtx(), tt.set, tt.from, tt.to, tt.at); !errors.Is(err, tt.kind) {
				t.Errorf("= %v, want %v", err, tt.kind)
			}
		})
	}
	if h.storedSchedules() != 0 || len(h.records(event.KindScheduleChanged)) != 0 {
		t.Error("a refused schedule left a trace")
	}
}

// Deleting a set drops its scheduled failovers.
func TestDeleteSetDropsSchedules(t *testing.T) {
	h := pairFixture(t)
	if _, err := h.e.ScheduleFailover(opsCtx(), "redset:web", "a", "b", h.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := h.e.DeleteSet(context.Background(), "redset:web"); err != nil {
		t.Fatal(err)
	}
	if h.storedSchedules() != 0 || len(h.scheduled("")) != 0 {
		t.Error("the deleted set's schedule was kept")
	}
	h.clock.Advance(time.Hour)
	h.settle()
	if n := len(h.records(event.KindFailoverRefused, event.KindFailoverSucceeded)); n != 0 {
		t.Errorf("%d failover records after the set was deleted", n)
	}
}

// A dry run answers what Failover would answer now and changes nothing:
// no record, no event, no hook.
func TestCheckFailover(t *testing.T) {
	asked := 0
	h := pairFixture(t, func(o *Options) {
		o.PreFailover = func(context.Context, FailoverRequest) error { asked++; return nil }
	})
	h.member("c")
	h.add("redset:web", "c", spare(SpareHot, FailoverBoth, 0)) // Unknown health
	cases := []struct{ from, to string }{{"a", "b"}, {"b", "a"}, {"a", "c"}, {"a", "a"}, {"a", "zz"}, {"", "b"}}
	sub := h.bus.Subscribe(100, nil)
	before := h.dump()
	var dry []FailoverResult
	for _, c := range cases {
		dry = append(dry, h.e.CheckFailover(context.Background(), "redset:web", c.from, c.to))
	}
	h.settle()
	h.assertUnchanged(before)
	select {
	case r := <-sub.C():
		t.Fatalf("a dry run published %v", r)
	default:
	}
	if asked != 0 || len(h.records(event.KindFailoverRefused, event.KindFailoverSucceeded)) != 0 {
		t.Fatalf("a dry run asked the hook %d times or left records", asked)
	}
	if dry[0].Code != CodeCompleted || dry[0].Reason != "" {
		t.Errorf("dry run a->b = %d %q, want 0", dry[0].Code, dry[0].Reason)
	}
	for i := len(cases) - 1; i >= 0; i-- { // the refusals first, then the one that completes
		real := h.e.Failover(context.Background(), "redset:web", cases[i].from, cases[i].to)
		if real.Code != dry[i].Code || real.Reason != dry[i].Reason {
			t.Errorf("%v: dry run %d %q, real %d %q", cases[i], dry[i].Code, dry[i].Reason, real.Code, real.Reason)
		}
	}
	s, _ := h.e.lookupSet("redset:web")
	hd, err := holdSet(s)
	if err != nil {
		t.Fatal(err)
	}
	dryBusy := h.e.CheckFailover(context.Background(), "redset:web", "b", "a")
	realBusy := h.e.Failover(context.Background(), "redset:web", "b", "a")
	hd.release()
	if dryBusy.Code != CodeBusy || dryBusy.Reason != realBusy.Reason {
		t.Errorf("busy: dry run %d %q, real %d %q", dryBusy.Code, dryBusy.Reason, realBusy.Code, realBusy.Reason)
	}
	if res := h.e.CheckFailover(context.Background(), "redset:none", "a", "b"); !errors.Is(res.Err, ErrSetNotFound) {
		t.Errorf("dry run of a missing set: %+v", res)
	}
}
