package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/redset/redset/event"
)

// drainHarness is an N+1 set db (N = 2) of d1, d2, d3 in service, all OK,
// and a Sparing set web with w1 in service and w2 spare.
func drainHarness(t *testing.T) *harness {
	h := newHarness(t)
	for _, m := range []string{"d1", "d2", "d3", "w1", "w2"} {
		h.member(m)
		h.report(m, HealthOK)
	}
	h.set(typedSet("redset:db", TypeNPlus1, 2))
	for _, m := range []string{"d1", "d2", "d3"} {
		h.add("redset:db", m, inService)
	}
	h.set(sparingSet("redset:web", 1))
	h.add("redset:web", "w1", inService)
	h.add("redset:web", "w2", spare(SpareHot, FailoverBoth, 0))
	return h
}

func TestDrainMember(t *testing.T) {
	ctx := context.Background()
	t.Run("drains, records, and enable returns it", func(t *testing.T) {
		h := drainHarness(t)
		sub := h.bus.Subscribe(16, func(r event.Record) bool { return r.Kind == event.KindConfigChanged })
		defer sub.Close()
		v, err := h.e.DrainMember(ctx, "redset:db", "d1")
		if err != nil {
			t.Fatalf("DrainMember: %v", err)
		}
		if got := h.roles("redset:db")["d1"]; got != RoleDrained {
			t.Errorf("d1 is %v after the drain, want drained", got)
		}
		if v.RedundancyStatus != StatusFullyRedundant {
			t.Errorf("status after the drain = %d, want 2 (a drained OK member still counts as operational)", v.RedundancyStatus)
		}
		rec := <-sub.C()
		if rec.Member != "d1" || rec.SetID != "redset:db" || rec.Config == nil || rec.Config.Action != "member drained" {
			t.Errorf("event %+v, want a ConfigChanged 'member drained' of d1 in redset:db", rec)
		}
		h.restart()
		if got := h.roles("redset:db")["d1"]; got != RoleDrained {
			t.Errorf("d1 is %v after a restart, want drained (stored)", got)
		}
		if _, err := h.e.EnableMember(ctx, "redset:db", "d1"); err != nil {
			t.Fatal(err)
		}
		if got := h.roles("redset:db")["d1"]; got != RoleInService {
			t.Errorf("d1 is %v after enable, want in service", got)
		}
	})
	t.Run("refusals change nothing", func(t *testing.T) {
		h := drainHarness(t)
		if _, err := h.e.DrainMember(ctx, "redset:db", "d1"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, set, member string
			want              error
		}{
			{"below N", "redset:db", "d2", ErrInvalid},
			{"already drained", "redset:db", "d1", ErrInvalid},
			{"sparing set", "redset:web", "w1", ErrUnsupported},
			{"not in the set", "redset:db", "w1", ErrNotFound},
			{"unknown set", "redset:nope", "d1", ErrNotFound},
			{"unknown member", "redset:db", "nobody", ErrNotFound},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := h.dump()
				if _, err := h.e.DrainMember(ctx, tc.set, tc.member); !errors.Is(err, tc.want) {
					t.Errorf("DrainMember(%s, %s) err = %v, want %v", tc.set, tc.member, err, tc.want)
				}
				h.assertUnchanged(before)
			})
		}
	})
	t.Run("a failed member may be drained below N", func(t *testing.T) {
		h := drainHarness(t)
		h.report("d1", HealthFailed)
		h.report("d2", HealthFailed)
		if _, err := h.e.DrainMember(ctx, "redset:db", "d2"); err != nil {
			t.Errorf("draining a failed member: %v", err)
		}
	})
}

func TestRecordConfig(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	seq, err := h.e.RecordConfig(ctx, "user added", "ops (operator)")
	if err != nil {
		t.Fatal(err)
	}
	h.restart() // the record was committed, not queued
	recs, err := h.e.History(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		if r.Seq == seq && r.Kind == event.KindConfigChanged && r.Config.Action == "user added" && r.Config.Detail == "ops (operator)" {
			found = true
		}
	}
	if !found {
		t.Errorf("history after a restart lacks record %d: %+v", seq, recs)
	}
	e := h.e
	h.close()
	if _, err := e.RecordConfig(ctx, "x", ""); !errors.Is(err, ErrClosed) {
		t.Errorf("RecordConfig on a closed engine: err = %v, want ErrClosed", err)
	}
}
