package engine

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func ms(role RoleKind, h Health) MemberState { return MemberState{Role: role, Health: h} }

func TestComputeStatus(t *testing.T) {
	const (
		in = RoleInService
		sp = RoleSpare
		dr = RoleDrained
		ok = HealthOK
		dg = HealthDegraded
		fl = HealthFailed
		un = HealthUnknown
	)
	nplus1 := []uint16{TypeNPlus1}
	sparing := []uint16{TypeSparing}
	limited := []uint16{TypeLimitedSparing}
	tests := []struct {
		name    string
		types   []uint16
		n       uint32
		members []MemberState
		want    uint16
	}{
		// SPEC examples.
		{"N+1 3 members N=2 all OK", nplus1, 2, []MemberState{ms(in, ok), ms(in, ok), ms(in, ok)}, StatusFullyRedundant},
		{"N+1 3 members N=2 one fails", nplus1, 2, []MemberState{ms(in, ok), ms(in, ok), ms(in, fl)}, StatusRedundancyLost},
		{"N+1 3 members N=2 two fail", nplus1, 2, []MemberState{ms(in, ok), ms(in, fl), ms(in, fl)}, StatusOverallFailure},
		{"sparing active+hot spare all OK", sparing, 1, []MemberState{ms(in, ok), ms(sp, ok)}, StatusFullyRedundant},
		{"sparing active fails before takeover", sparing, 1, []MemberState{ms(in, fl), ms(sp, ok)}, StatusOverallFailure},
		{"sparing after takeover", sparing, 1, []MemberState{ms(sp, fl), ms(in, ok)}, StatusRedundancyLost},
		// Rule branches.
		{"degraded member gives 3", nplus1, 1, []MemberState{ms(in, ok), ms(in, dg), ms(in, ok)}, StatusDegraded},
		{"failed spare gives 3", sparing, 1, []MemberState{ms(in, ok), ms(sp, ok), ms(sp, fl)}, StatusDegraded},
		{"failed drained counts as member", nplus1, 1, []MemberState{ms(in, ok), ms(in, ok), ms(dr, fl)}, StatusDegraded},
		{"drained operational counts in n", nplus1, 1, []MemberState{ms(in, ok), ms(dr, ok)}, StatusFullyRedundant},
		{"n = 0 with N = 0", nplus1, 0, []MemberState{ms(in, fl)}, StatusOverallFailure},
		{"N = 0 healthy", nplus1, 0, []MemberState{ms(in, ok)}, StatusFullyRedundant},
		{"a < N although spares fine", sparing, 2, []MemberState{ms(in, ok), ms(sp, ok), ms(sp, ok)}, StatusOverallFailure},
		// Empty set.
		{"empty N>0", nplus1, 2, nil, StatusOverallFailure},
		{"empty N=0", nplus1, 0, nil, StatusUnknown},
		{"empty limited sparing", limited, 0, nil, StatusUnknown},
		// Limited Sparing: N = in-service slots.
		{"limited 2 slots all OK + spare", limited, 0, []MemberState{ms(in, ok), ms(in, ok), ms(sp, ok)}, StatusFullyRedundant},
		{"limited slot lost", limited, 0, []MemberState{ms(in, ok), ms(in, fl), ms(sp, ok)}, StatusOverallFailure},
		{"limited no spare", limited, 0, []MemberState{ms(in, ok), ms(in, ok)}, StatusRedundancyLost},
		{"limited failed spare", limited, 0, []MemberState{ms(in, ok), ms(sp, fl), ms(sp, ok)}, StatusDegraded},
		{"limited ignores MinNumberNeeded", limited, 5, []MemberState{ms(in, ok), ms(sp, ok)}, StatusFullyRedundant},
		// Unknown rule.
		{"unknown spare decides between 2 and 4", sparing, 1, []MemberState{ms(in, ok), ms(sp, un)}, StatusUnknown},
		{"unknown irrelevant when both give 5", nplus1, 3, []MemberState{ms(in, fl), ms(in, fl), ms(in, un)}, StatusOverallFailure},
		{"all unknown", nplus1, 1, []MemberState{ms(in, un), ms(in, un)}, StatusUnknown},
		{"unknown with degraded: 3 vs 4 differ", nplus1, 1, []MemberState{ms(in, dg), ms(in, un)}, StatusUnknown},
		{"unknown both give 5 (a<N either way)", sparing, 2, []MemberState{ms(in, fl), ms(in, un)}, StatusOverallFailure},
		{"other type uses same rule", []uint16{TypeOther}, 1, []MemberState{ms(in, ok), ms(in, ok)}, StatusFullyRedundant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ComputeStatus(tt.types, tt.n, tt.members); got != tt.want {
				t.Errorf("ComputeStatus(%v, %d, %v) = %d, want %d", tt.types, tt.n, tt.members, got, tt.want)
			}
		})
	}
}

func TestBehaviourOf(t *testing.T) {
	tests := []struct {
		name  string
		types []uint16
		want  behaviour
	}{
		{"empty", nil, behaveOther},
		{"unknown", []uint16{0}, behaveOther},
		{"other", []uint16{1}, behaveOther},
		{"vendor", []uint16{40000}, behaveOther},
		{"n+1", []uint16{2}, behaveNPlus1},
		{"load balanced", []uint16{3}, behaveNPlus1},
		{"sparing", []uint16{4}, behaveSparing},
		{"limited", []uint16{5}, behaveLimitedSparing},
		{"lb and sparing", []uint16{3, 4}, behaveSparing},
		{"sparing then limited", []uint16{4, 5}, behaveLimitedSparing},
		{"other and n+1", []uint16{1, 2}, behaveNPlus1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := behaviourOf(tt.types); got != tt.want {
				t.Errorf("behaviourOf(%v) = %d, want %d", tt.types, got, tt.want)
			}
		})
	}
}

// TestStatusThroughEngine checks the SPEC's Sparing example end to end:
// 2, then 5 when the active fails, then 4 once the spare took over.
func TestStatusThroughEngine(t *testing.T) {
	h := newHarness(t)
	h.set(sparingSet("redset:web", 1))
	h.member("a")
	h.member("b")
	h.add("redset:web", "a", inService)
	h.add("redset:web", "b", spare(SpareHot, FailoverManual, 0)) // manual: no automatic takeover
	if got := h.status("redset:web"); got != StatusUnknown {
		t.Errorf("before any report: status %d, want 0", got)
	}
	h.report("a", HealthOK)
	h.report("b", HealthOK)
	if got := h.status("redset:web"); got != StatusFullyRedundant {
		t.Errorf("all OK: status %d, want 2", got)
	}
	h.report("a", HealthFailed)
	if got := h.status("redset:web"); got != StatusOverallFailure {
		t.Errorf("active failed: status %d, want 5", got)
	}
	if res := h.e.Failover(t.Context(), "redset:web", "a", "b"); res.Code != 0 {
		t.Fatalf("Failover = %d (%s), want 0", res.Code, res.Reason)
	}
	if got := h.status("redset:web"); got != StatusRedundancyLost {
		t.Errorf("after takeover: status %d, want 4", got)
	}
}

func TestSetSummariesMatchViews(t *testing.T) {
	h := newHarness(t)
	h.member("a")
	h.member("b")
	h.set(typedSet("redset:s", TypeSparing, 1))
	h.add("redset:s", "a", Role{Kind: RoleInService})
	h.add("redset:s", "b", Role{Kind: RoleSpare})
	h.report("a", HealthOK)
	seen := map[uint16]bool{}
	for _, state := range []Health{HealthOK, HealthFailed, HealthOK, HealthDegraded} {
		h.report("b", state)
		h.settle()
		sums, err := h.e.ListSetSummaries()
		if err != nil || len(sums) != 1 {
			t.Fatalf("ListSetSummaries = %v, %v; want one set", sums, err)
		}
		var each []SetSummary
		if err := h.e.EachSetSummary(func(s *SetSummary) {
			each = append(each, SetSummary{Set: cloneSet(s.Set), RedundancyStatus: s.RedundancyStatus, Revision: s.Revision})
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(each, sums) {
			t.Errorf("b %v: EachSetSummary gives %+v, ListSetSummaries %+v", state, each, sums)
		}
		view := h.view("redset:s")
		if sums[0].RedundancyStatus != view.RedundancyStatus || sums[0].Revision != view.Revision {
			t.Errorf("b %v: summary status %d rev %d, view status %d rev %d",
				state, sums[0].RedundancyStatus, sums[0].Revision, view.RedundancyStatus, view.Revision)
		}
		seen[view.RedundancyStatus] = true
	}
	if len(seen) < 3 {
		t.Errorf("statuses seen %v: the test should drive the set through several", seen)
	}
}

// TestSetsVersion: every change a listing of set summaries shows moves
// SetsVersion, and the next listing shows it, a new set in its place in
// InstanceID order included.
func TestSetsVersion(t *testing.T) {
	h := newHarness(t)
	h.member("a")
	h.member("b")
	h.set(typedSet("redset:s", TypeSparing, 1))
	version := func() uint64 {
		t.Helper()
		v, err := h.e.SetsVersion()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	listing := func() []string {
		t.Helper()
		var out []string
		if err := h.e.EachSetSummary(func(s *SetSummary) {
			out = append(out, fmt.Sprintf("%s %q %d %d", s.InstanceID, s.Caption, s.LoadBalanceAlgorithm, s.RedundancyStatus))
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	ctx := t.Context()
	steps := []struct {
		name   string
		change func()
	}{
		{"a set created", func() { h.set(typedSet("redset:a", TypeSparing, 1)) }},
		{"a member added", func() { h.add("redset:s", "a", Role{Kind: RoleInService}) }},
		{"a health report changed the status", func() { h.report("a", HealthOK); h.settle() }},
		{"a property changed", func() {
			if _, err := h.e.UpdateSet(ctx, "redset:s", func(s *Set) error { s.Caption = "changed"; return nil }); err != nil {
				t.Fatal(err)
			}
		}},
		{"the load balancing changed", func() {
			if _, err := h.e.SetLoadBalance(ctx, "redset:s", LBRoundRobin, ""); err != nil {
				t.Fatal(err)
			}
		}},
		{"a set deleted", func() {
			if err := h.e.DeleteSet(ctx, "redset:a"); err != nil {
				t.Fatal(err)
			}
		}},
	}
	before, shown := version(), listing()
	if again := version(); again != before {
		t.Fatalf("SetsVersion moved from %d to %d without a change", before, again)
	}
	for _, step := range steps {
		step.change()
		now, list := version(), listing()
		if now == before {
			t.Errorf("%s: SetsVersion stayed %d", step.name, now)
		}
		if slices.Equal(list, shown) {
			t.Errorf("%s: the listing did not change: %q", step.name, list)
		}
		before, shown = now, list
	}
	if want := []string{`redset:s "changed" 3 4`}; !slices.Equal(shown, want) {
		t.Errorf("last listing %q, want %q", shown, want)
	}
}

// TestSetsChangedSince: the sets changed since a version, each once, in the
// order of their first change; not known across a set created or deleted,
// nor past the changes the engine remembers.
func TestSetsChangedSince(t *testing.T) {
	h := newHarness(t)
	h.set(typedSet("redset:a", TypeSparing, 1))
	h.set(typedSet("redset:b", TypeSparing, 1))
	ctx := t.Context()
	caption := func(id, c string) {
		t.Helper()
		if _, err := h.e.UpdateSet(ctx, id, func(s *Set) error { s.Caption = c; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	from, _ := h.e.SetsVersion()
	caption("redset:b", "one")
	caption("redset:a", "two")
	caption("redset:b", "three")
	now, ids, ok, err := h.e.SetsChangedSince(from)
	if v, _ := h.e.SetsVersion(); err != nil || !ok || now != v || !slices.Equal(ids, []string{"redset:b", "redset:a"}) {
		t.Fatalf("SetsChangedSince = %d %q %v %v; want %d [redset:b redset:a] true", now, ids, ok, err, v)
	}
	if _, ids, ok, _ := h.e.SetsChangedSince(now); !ok || len(ids) != 0 {
		t.Errorf("since now: %q %v; want nothing, known", ids, ok)
	}
	h.set(typedSet("redset:c", TypeSparing, 1))
	if _, _, ok, _ := h.e.SetsChangedSince(now); ok {
		t.Error("a set created: the changes are said to be known")
	}
	from, _ = h.e.SetsVersion()
	caption("redset:c", "four")
	for range changeLogSize {
		h.e.setsChanged("redset:a")
	}
	if _, _, ok, _ := h.e.SetsChangedSince(from); ok {
		t.Errorf("%d changes: the changes are said to be known", changeLogSize+1)
	}
	if _, ids, ok, _ := h.e.SetsChangedSince(from + 1); !ok || !slices.Equal(ids, []string{"redset:a"}) {
		t.Errorf("the last %d changes: %q %v; want [redset:a] true", changeLogSize, ids, ok)
	}
}
