package engine

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/event"
)

// failoverFixture builds:
//
//	redset:web   Sparing N=1: a, a2 in service; b spare Hot/Both; c spare
//	             Automatic; c2 spare Automatic (Failed); d spare Manual;
//	             f spare Both (Failed); u spare Both (Unknown)
//	redset:db    N+1 N=2: d1, d2, d3 (Failed) in service, d4 drained
//	redset:other Other: o1 in service, o2 spare
//	x            a member in no set
func failoverFixture(t *testing.T, hook *atomic.Pointer[error]) *harness {
	h := newHarness(t, func(o *Options) {
		o.PreFailover = func(context.Context, FailoverRequest) error {
			if p := hook.Load(); p != nil {
				return *p
			}
			return nil
		}
	})
	for _, n := range []string{"a", "a2", "b", "c", "c2", "d", "f", "u", "d1", "d2", "d3", "d4", "o1", "o2", "x"} {
		h.member(n)
	}
	web := sparingSet("redset:web", 1)
	web.Policy.DisableAutoFailover = true
	h.set(web)
	h.set(typedSet("redset:db", TypeNPlus1, 2))
	h.set(Set{InstanceID: "redset:other", TypeOfSet: []uint16{TypeOther}, OtherTypeOfSet: []string{"mirror"}})
	roles := []struct {
		set, member string
		role        Role
	}{
		{"redset:web", "a", inService}, {"redset:web", "a2", inService},
		{"redset:web", "b", spare(SpareHot, FailoverBoth, 0)}, {"redset:web", "c", spare(SpareHot, FailoverAutomatic, 0)},
		{"redset:web", "c2", spare(SpareHot, FailoverAutomatic, 0)}, {"redset:web", "d", spare(SpareCold, FailoverManual, 0)},
		{"redset:web", "f", spare(SpareHot, FailoverBoth, 0)}, {"redset:web", "u", spare(SpareHot, FailoverBoth, 0)},
		{"redset:db", "d1", inService}, {"redset:db", "d2", inService}, {"redset:db", "d3", inService},
		{"redset:db", "d4", drained}, {"redset:other", "o1", inService}, {"redset:other", "o2", spare(SpareHot, FailoverBoth, 0)},
	}
	for _, r := range roles {
		h.add(r.set, r.member, r.role)
	}
	for _, n := range []string{"a", "a2", "b", "c", "d", "d1", "d2", "d4", "o1", "o2", "x"} {
		h.report(n, HealthOK)
	}
	for _, n := range []string{"c2", "f", "d3"} {
		h.report(n, HealthFailed)
	}
	return h
}

func TestFailoverRefusals(t *testing.T) {
	var hook atomic.Pointer[error]
	h := failoverFixture(t, &hook)
	tests := []struct {
		name          string
		set, from, to string
		code          uint32
		reason        string
		kind          error
	}{
		{"1 from empty", "redset:web", "", "b", 4, "FailoverFrom is missing", ErrInvalid},
		{"1 to empty", "redset:web", "a", "", 4, "FailoverTo is missing", ErrInvalid},
		{"1 from unknown", "redset:web", "zz", "b", 4, `FailoverFrom "zz" is not a known member`, ErrNotFound},
		{"1 to unknown", "redset:web", "a", "zz", 4, `FailoverTo "zz" is not a known member`, ErrNotFound},
		{"1 same member", "redset:web", "a", "a", 4, "same member", ErrInvalid},
		{"1 before 2: unknown to and from not in set", "redset:web", "x", "zz", 4, "not a known member", ErrNotFound},
		{"2 from not in set", "redset:web", "x", "b", 4, `FailoverFrom "x" is not a member of set`, ErrInvalid},
		{"2 from is a spare", "redset:web", "b", "d", 4, "is not in service in set", ErrInvalid},
		{"2 from drained", "redset:db", "d4", "d1", 4, "is not in service", ErrInvalid},
		{"2 to not in set", "redset:web", "a", "x", 4, `FailoverTo "x" is not a member of set`, ErrInvalid},
		{"2 to in service in sparing set", "redset:web", "a", "a2", 4, "already in service", ErrInvalid},
		{"2 before 3: other set, to not in set", "redset:other", "o1", "x", 4, "not a member of set", ErrInvalid},
		{"3 other type", "redset:other", "o1", "o2", 1, "Unknown/Other", ErrUnsupported},
		{"3 automatic-only spare", "redset:web", "a", "c", 1, "automatic failover only", ErrUnsupported},
		{"3 before 4: failed automatic-only spare", "redset:web", "a", "c2", 1, "automatic failover only", ErrUnsupported},
		{"4 to failed", "redset:web", "a", "f", 4, `"f" is not operational (health Failed)`, ErrInvalid},
		{"4 to unknown", "redset:web", "a", "u", 4, "health Unknown", ErrInvalid},
		{"5 too few left", "redset:db", "d1", "d2", 4, "fewer than the 2 needed", ErrInvalid},
	}
	sub := h.bus.Subscribe(1000, func(r event.Record) bool { return r.Kind == event.KindFailoverRefused })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.dump()
			res := h.e.Failover(context.Background(), tt.set, tt.from, tt.to)
			checkRefusal(t, res, tt.code, tt.reason, tt.kind)
			h.assertUnchanged(before)
			ev := <-sub.C()
			want := event.Failover{Planned: true, From: tt.from, To: tt.to, Code: tt.code, Reason: res.Reason}
			if diff := cmp.Diff(want, *ev.Failover, cmpIgnoreDuration); diff != "" || ev.Seq != res.Seq {
				t.Errorf("refusal event (-want +got):\n%s (seq %d, result seq %d)", diff, ev.Seq, res.Seq)
			}
		})
	}
	testBusyAndHook(t, h, &hook)
}

var cmpIgnoreDuration = cmp.Comparer(func(a, b event.Failover) bool {
	a.Duration, b.Duration = 0, 0
	return a == b
})

func checkRefusal(t *testing.T, res FailoverResult, code uint32, reason string, kind error) {
	t.Helper()
	if res.Code != code || !strings.Contains(res.Reason, reason) {
		t.Errorf("Failover = %d %q, want %d with reason containing %q", res.Code, res.Reason, code, reason)
	}
	if kind != nil && !errors.Is(res.Err, kind) {
		t.Errorf("Failover Err = %v, want errors.Is %v", res.Err, kind)
	}
}

// testBusyAndHook covers checks 6 and 7 on the fixture.
func testBusyAndHook(t *testing.T, h *harness, hook *atomic.Pointer[error]) {
	s, _ := h.e.lookupSet("redset:web")
	b, _ := h.e.lookupMember("b")
	t.Run("6 set busy", func(t *testing.T) {
		hd, err := holdSet(s)
		if err != nil {
			t.Fatal(err)
		}
		defer hd.release()
		before := h.dump()
		checkRefusal(t, h.e.Failover(context.Background(), "redset:web", "a", "b"), 3, "under way", ErrBusy)
		// Checks 1-5 come first: an invalid request is 4 even while busy.
		checkRefusal(t, h.e.Failover(context.Background(), "redset:web", "a", "f"), 4, "not operational", ErrInvalid)
		h.assertUnchanged(before)
	})
	t.Run("6 member changing", func(t *testing.T) {
		hd, err := holdMember(b)
		if err != nil {
			t.Fatal(err)
		}
		defer hd.release()
		before := h.dump()
		checkRefusal(t, h.e.Failover(context.Background(), "redset:web", "a", "b"), 3, "under way", ErrBusy)
		h.assertUnchanged(before)
	})
	t.Run("7 hook refuses", func(t *testing.T) {
		no := errors.New("maintenance window closed")
		hook.Store(&no)
		defer hook.Store(nil)
		before := h.dump()
		checkRefusal(t, h.e.Failover(context.Background(), "redset:web", "a", "b"), 2, "maintenance window closed", no)
		h.assertUnchanged(before)
	})
}

func TestFailoverSuccessSparing(t *testing.T) {
	var hook atomic.Pointer[error]
	h := failoverFixture(t, &hook)
	sub := h.bus.Subscribe(100, func(r event.Record) bool { return r.Kind == event.KindFailoverSucceeded })
	res := h.e.Failover(context.Background(), "redset:web", "a", "b")
	if res.Code != 0 || res.Reason != "" || res.Seq == 0 || res.Revision == 0 {
		t.Fatalf("Failover = %+v, want code 0 with seq and revision", res)
	}
	v := h.view("redset:web")
	got := map[string]Role{}
	for _, m := range v.Members {
		got[m.Name] = m.Role
	}
	if want := (Role{Kind: RoleInService, Spare: SpareSettings{SpareHot, FailoverBoth, 0}}); got["b"] != want {
		t.Errorf("b = %+v, want %+v", got["b"], want)
	}
	if want := spare(SpareHot, FailoverBoth, 0); got["a"] != want {
		t.Errorf("a = %+v, want spare with b's settings %+v", got["a"], want)
	}
	ev := <-sub.C()
	if ev.Seq != res.Seq || ev.SetID != "redset:web" || !ev.Failover.Planned || ev.Failover.From != "a" || ev.Failover.To != "b" {
		t.Errorf("event = %+v %+v, want planned a->b with seq %d", ev, ev.Failover, res.Seq)
	}
	hist, err := h.e.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !containsSeq(hist, res.Seq, event.KindFailoverSucceeded) {
		t.Errorf("history lacks failover record %d", res.Seq)
	}
	// Back again: a remembers b's settings; b gets its own remembered ones.
	if res := h.e.Failover(context.Background(), "redset:web", "b", "a"); res.Code != 0 {
		t.Fatalf("failback = %d %s", res.Code, res.Reason)
	}
	if r := h.roles("redset:web"); r["a"] != RoleInService || r["b"] != RoleSpare {
		t.Errorf("roles after return = %v", r)
	}
}

func containsSeq(recs []event.Record, seq uint64, kind event.Kind) bool {
	for _, r := range recs {
		if r.Seq == seq && r.Kind == kind {
			return true
		}
	}
	return false
}

func TestFailoverSuccessNPlus1(t *testing.T) {
	var hook atomic.Pointer[error]
	h := failoverFixture(t, &hook)
	tests := []struct {
		name, from, to string
		want           map[string]RoleKind
	}{
		{"to drained", "d1", "d4", map[string]RoleKind{"d1": RoleDrained, "d2": RoleInService, "d3": RoleInService, "d4": RoleInService}},
		{"to in service: share moves", "d4", "d2", map[string]RoleKind{"d1": RoleDrained, "d2": RoleInService, "d3": RoleInService, "d4": RoleDrained}},
	}
	h.report("d3", HealthOK) // keep check 5 satisfied
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := h.e.Failover(context.Background(), "redset:db", tt.from, tt.to); res.Code != 0 {
				t.Fatalf("Failover = %d %s", res.Code, res.Reason)
			}
			if diff := cmp.Diff(tt.want, h.roles("redset:db")); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("drained returns only by EnableMember", func(t *testing.T) {
		h.report("d1", HealthFailed)
		h.report("d1", HealthOK) // recovery, but AutoReturn is off
		h.settle()
		if got := h.roles("redset:db")["d1"]; got != RoleDrained {
			t.Fatalf("d1 = %v, want drained", got)
		}
		if _, err := h.e.EnableMember(context.Background(), "redset:db", "d1"); err != nil {
			t.Fatal(err)
		}
		if got := h.roles("redset:db")["d1"]; got != RoleInService {
			t.Errorf("d1 after EnableMember = %v, want in service", got)
		}
		_, err := h.e.EnableMember(context.Background(), "redset:db", "d1")
		wantValidation(t, err, "Role", "not drained")
	})
}

// TestFailoverCheck5AllowsRecovery: in a Limited Sparing set whose two
// slots both failed, moving one slot to a healthy spare leaves fewer than N
// operational but improves the set, so it is allowed.
func TestFailoverCheck5AllowsRecovery(t *testing.T) {
	h := newHarness(t)
	ls := Set{InstanceID: "redset:ls", TypeOfSet: []uint16{TypeLimitedSparing}, OtherTypeOfSet: []string{""}}
	ls.Policy.DisableAutoFailover = true
	h.set(ls)
	for _, n := range []string{"p", "q", "s"} {
		h.member(n)
	}
	h.add("redset:ls", "p", inService)
	h.add("redset:ls", "q", inService)
	h.add("redset:ls", "s", spare(SpareCold, FailoverManual, 0))
	h.report("p", HealthFailed)
	h.report("q", HealthFailed)
	h.report("s", HealthOK)
	if res := h.e.Failover(context.Background(), "redset:ls", "p", "s"); res.Code != 0 {
		t.Fatalf("Failover = %d %s, want 0", res.Code, res.Reason)
	}
	if got := h.view("redset:ls").Members[0].Role; got != spare(SpareCold, FailoverManual, 0) {
		t.Errorf("p = %+v, want spare with s's settings", got)
	}
	// Now p (failed, spare) cannot take over, and s must stay: moving s out
	// to a failed member is refused by check 4.
	checkRefusal(t, h.e.Failover(context.Background(), "redset:ls", "s", "p"), 4, "not operational", ErrInvalid)
}

func TestFailoverStoreFailure(t *testing.T) {
	h := newHarness(t)
	h.set(sparingSet("redset:web", 1))
	h.member("a")
	h.member("b")
	h.add("redset:web", "a", inService)
	h.add("redset:web", "b", spare(SpareHot, FailoverManual, 0))
	h.report("a", HealthOK)
	h.report("b", HealthOK)
	h.st.Close() // every commit now fails
	res := h.e.Failover(context.Background(), "redset:web", "a", "b")
	checkRefusal(t, res, 2, "could not be stored", nil)
	if r := h.roles("redset:web"); r["a"] != RoleInService || r["b"] != RoleSpare {
		t.Errorf("roles after failed commit = %v, want unchanged", r)
	}
}

// A set that does not exist is not a refusal of the method: the result
// says ErrSetNotFound and nothing is published, recorded or asked of the
// pre-failover hook.
func TestFailoverOfMissingSet(t *testing.T) {
	asked := 0
	h := newHarness(t, func(o *Options) {
		o.PreFailover = func(context.Context, FailoverRequest) error { asked++; return nil }
	})
	h.member("a")
	h.member("b")
	sub := h.bus.Subscribe(100, nil)
	before := h.dump()
	res := h.e.Failover(context.Background(), "redset:none", "a", "b")
	if res.Code != CodeParameter || !errors.Is(res.Err, ErrSetNotFound) || !errors.Is(res.Err, ErrNotFound) || res.Seq != 0 {
		t.Errorf("Failover = %+v, want code 4, ErrSetNotFound and no record", res)
	}
	if res := h.e.RefuseFailover(context.Background(), "redset:none", "x", "y", "bad reference"); !errors.Is(res.Err, ErrSetNotFound) || res.Seq != 0 {
		t.Errorf("RefuseFailover = %+v, want ErrSetNotFound and no record", res)
	}
	h.settle()
	h.assertUnchanged(before)
	hist, err := h.e.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range hist {
		if r.SetID == "redset:none" {
			t.Errorf("history holds %v", r)
		}
	}
	select {
	case r := <-sub.C():
		t.Errorf("published %v", r)
	default:
	}
	if asked != 0 {
		t.Errorf("the pre-failover hook was asked %d times", asked)
	}
}
