package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling another goroutine's progress
	}
}

// follower starts a second engine on the harness's store, standing by.
func follower(t *testing.T, h *harness, origin string) *Engine {
	t.Helper()
	f, err := New(context.Background(), Options{Store: h.st, Standby: true, HistoryLimit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	f.SetOrigin(origin)
	t.Cleanup(func() { f.Close() })
	return f
}

func clusterPair(t *testing.T) (*harness, *Engine) {
	h := newHarness(t)
	h.e.SetOrigin("a")
	if err := h.e.Lead(h.st); err != nil {
		t.Fatalf("Lead: %v", err)
	}
	h.member("web1")
	h.member("web2")
	h.set(sparingSet("redset:web", 1))
	h.add("redset:web", "web1", Role{Kind: RoleInService})
	h.add("redset:web", "web2", spare(SpareHot, FailoverBoth, 0))
	h.report("web1", HealthOK)
	h.report("web2", HealthOK)
	h.settle()
	return h, follower(t, h, "b")
}

func roleOf(e *Engine, setID, member string) RoleKind {
	v, err := e.GetSet(setID)
	if err != nil {
		return 0
	}
	for _, m := range v.Members {
		if m.Name == member {
			return m.Role.Kind
		}
	}
	return 0
}

// TestFollowerMirrorsLeader: a following engine refuses writes, shows the
// leader's roles, health and status, and republishes the leader's records.
func TestFollowerMirrorsLeader(t *testing.T) {
	h, f := clusterPair(t)
	sub := f.Bus().Subscribe(100, nil)
	defer sub.Close()
	eventually(t, "follower loads the sets", func() bool {
		v, err := f.GetSet("redset:web")
		return err == nil && v.RedundancyStatus == StatusFullyRedundant
	})
	if res := f.Failover(context.Background(), "redset:web", "web1", "web2"); res.Code != CodeBusy || !errors.Is(res.Err, ErrNotLeader) {
		t.Fatalf("follower Failover = %d (%v), want 3 Busy with ErrNotLeader", res.Code, res.Err)
	}
	if _, err := f.PutMember(context.Background(), Member{Name: "x"}); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("follower PutMember error = %v, want ErrNotLeader", err)
	}
	res := h.e.Failover(context.Background(), "redset:web", "web1", "web2")
	if res.Code != CodeCompleted {
		t.Fatalf("leader Failover = %d %s", res.Code, res.Reason)
	}
	eventually(t, "follower sees the failover", func() bool { return roleOf(f, "redset:web", "web2") == RoleInService })
	var got *event.Record
	for got == nil {
		select {
		case r := <-sub.C():
			if r.Kind == event.KindFailoverSucceeded {
				got = &r
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the follower's bus never carried the failover record")
		}
	}
	if got.Seq != res.Seq || got.Origin != "a" {
		t.Fatalf("republished record seq %d origin %q, want %d %q", got.Seq, got.Origin, res.Seq, "a")
	}
	h.report("web1", HealthFailed)
	h.settle()
	want := h.status("redset:web")
	eventually(t, "follower computes the leader's status from its decided health", func() bool {
		v, _ := f.GetSet("redset:web")
		return v.RedundancyStatus == want && v.Members[0].Health.State == HealthFailed
	})
	if n, err := f.ListMembers(); err != nil || len(n) != 2 {
		t.Fatalf("follower members: %d, %v", len(n), err)
	}
}

// TestFollowerTakesOver: after the leader follows and the follower leads,
// the new leader acts, numbers its records above the old leader's, and the
// old one mirrors it.
func TestFollowerTakesOver(t *testing.T) {
	h, f := clusterPair(t)
	before := h.e.seq.Load().last.Load()
	h.e.Follow()
	if err := f.Lead(h.st); err != nil {
		t.Fatalf("Lead: %v", err)
	}
	res := f.Failover(context.Background(), "redset:web", "web1", "web2")
	if res.Code != CodeCompleted {
		t.Fatalf("new leader's Failover = %d %s", res.Code, res.Reason)
	}
	if res.Seq <= before {
		t.Fatalf("new leader's record seq %d, want above %d", res.Seq, before)
	}
	eventually(t, "the old leader mirrors the new one", func() bool { return roleOf(h.e, "redset:web", "web2") == RoleInService })
	if res := h.e.Failover(context.Background(), "redset:web", "web2", "web1"); res.Code != CodeBusy {
		t.Fatalf("old leader's Failover = %d, want 3", res.Code)
	}
}

// TestExternalHealth: with health decided by the cluster, a report is only
// an observation; DecideHealth on the leader changes the status everywhere.
func TestExternalHealth(t *testing.T) {
	h, f := clusterPair(t)
	seen := make(chan Health, 10)
	h.e.ExternalHealth(func(member string, s Health) {
		if member == "web1" {
			seen <- s
		}
	})
	f.ExternalHealth(func(string, Health) {})
	h.report("web1", HealthFailed)
	if s := <-seen; s != HealthFailed {
		t.Fatalf("observation %v, want Failed", s)
	}
	h.settle()
	if st := h.status("redset:web"); st != StatusFullyRedundant {
		t.Fatalf("status after an observation only: %d, want 2", st)
	}
	if err := f.DecideHealth("web1", HealthFailed, "quorum", ""); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("follower DecideHealth error = %v, want ErrNotLeader", err)
	}
	if err := h.e.DecideHealth("web1", HealthFailed, "quorum", "2 of 3 servers"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	eventually(t, "automatic failover after the decision", func() bool { return roleOf(h.e, "redset:web", "web2") == RoleInService })
	want := h.status("redset:web")
	eventually(t, "follower takes the decided health", func() bool {
		v, _ := f.GetSet("redset:web")
		return v.RedundancyStatus == want && roleOf(f, "redset:web", "web2") == RoleInService
	})
}

// TestStandbyWritesNothing: an engine that starts standing by loads the
// state but writes nothing to the shared store, and a report changes no
// decided health on it.
func TestStandbyWritesNothing(t *testing.T) {
	h, _ := clusterPair(t)
	h.settle()
	before, err := h.st.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := follower(t, h, "c")
	eventually(t, "the standby engine is in sync", func() bool { live, _, _ := f.Applied(); return live })
	if err := f.ReportHealth("web1", Report{State: HealthFailed}); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.GetMember("web1"); m.Health.State != HealthOK {
		t.Fatalf("a follower's own report changed the decided health to %v", m.Health.State)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if after, _ := h.st.Revision(context.Background()); after != before {
		t.Fatalf("store revision moved from %d to %d while a standby engine started and stopped", before, after)
	}
}

// TestFollowerPublishesInOrder: records the watch delivers out of Seq order
// are passed on in order; a Seq that never comes holds the next record back
// for reorderWait only.
func TestFollowerPublishesInOrder(t *testing.T) {
	h := newHarness(t)
	sub := h.bus.Subscribe(10, nil)
	defer sub.Close()
	h.e.mode.order.reset(0)
	next := func() (uint64, bool) {
		select {
		case r := <-sub.C():
			return r.Seq, true
		default:
			return 0, false
		}
	}
	for _, seq := range []uint64{2, 3, 1} {
		h.e.reorderAdd(event.Record{Seq: seq})
	}
	for want := uint64(1); want <= 3; want++ {
		if got, ok := next(); !ok || got != want {
			t.Fatalf("published %d (%v), want %d", got, ok, want)
		}
	}
	h.e.reorderAdd(event.Record{Seq: 6})
	if got, ok := next(); ok {
		t.Fatalf("published %d while 4 may still come", got)
	}
	h.clock.Advance(reorderWait)
	if got, ok := next(); !ok || got != 6 {
		t.Fatalf("after the wait: published %d (%v), want 6", got, ok)
	}
}

// TestFollowerPublishesTheGap: records the leader commits while a
// follower's watch is away are published on the follower's bus, in order
// and once, when it reloads (as after a lagged watch); a first load
// publishes none of the old history.
func TestFollowerPublishesTheGap(t *testing.T) {
	h, f := clusterPair(t)
	sub := f.Bus().Subscribe(1000, nil)
	defer sub.Close()
	eventually(t, "follower loads the sets", func() bool {
		v, err := f.GetSet("redset:web")
		return err == nil && v.RedundancyStatus == StatusFullyRedundant
	})
	first := h.e.Failover(context.Background(), "redset:web", "web1", "web2")
	if first.Code != CodeCompleted {
		t.Fatalf("leader Failover = %d %s", first.Code, first.Reason)
	}
	eventually(t, "follower sees the first failover", func() bool { return roleOf(f, "redset:web", "web2") == RoleInService })

	f.mode.mu.Lock()
	f.stopFollowing() // the watch is away
	f.mode.mu.Unlock()
	var missed []uint64
	for _, move := range [][2]string{{"web2", "web1"}, {"web1", "web2"}, {"web2", "web1"}} {
		res := h.e.Failover(context.Background(), "redset:web", move[0], move[1])
		if res.Code != CodeCompleted {
			t.Fatalf("leader Failover %v = %d %s", move, res.Code, res.Reason)
		}
		missed = append(missed, res.Seq)
	}
	f.mode.mu.Lock()
	f.startFollowing() // back: it reloads the state
	f.mode.mu.Unlock()
	eventually(t, "follower reloads the roles", func() bool { return roleOf(f, "redset:web", "web1") == RoleInService })

	var got []uint64
	seen := map[uint64]int{}
	deadline := time.After(10 * time.Second)
	for len(got) < len(missed) {
		select {
		case r := <-sub.C():
			seen[r.Seq]++
			if r.Kind == event.KindFailoverSucceeded && r.Seq != first.Seq {
				got = append(got, r.Seq)
			}
		case <-deadline:
			t.Fatalf("the follower's bus carried the failovers %v, want %v", got, missed)
		}
	}
	if !slices.Equal(got, missed) {
		t.Errorf("the follower published the missed failovers as %v, want %v in that order", got, missed)
	}
	for seq, n := range seen {
		if n > 1 {
			t.Errorf("record %d was published %d times", seq, n)
		}
	}
}

// TestReloadKeepsObservations: a reload of the state (a watch that broke,
// or a new leadership) keeps this server's own count of a member's
// reports: a member this server counted Failed before the reload needs
// its rise of 2 OK reports after it to count OK again, not the single one
// that counts for a member never counted.
func TestReloadKeepsObservations(t *testing.T) {
	h, f := clusterPair(t)
	if _, err := h.e.PutMember(context.Background(), Member{Name: "web1", Probe: Probe{Rise: 2, Fall: 2}}); err != nil {
		t.Fatal(err)
	}
	seen := make(chan Health, 10)
	f.ExternalHealth(func(member string, s Health) {
		if member == "web1" {
			seen <- s
		}
	})
	eventually(t, "follower loads the new probe", func() bool {
		m, err := f.GetMember("web1")
		return err == nil && m.Probe.Fall == 2
	})
	report := func(s Health) {
		t.Helper()
		if err := f.ReportHealth("web1", Report{State: s}); err != nil {
			t.Fatal(err)
		}
	}
	report(HealthFailed)
	report(HealthFailed)
	select {
	case s := <-seen:
		if s != HealthFailed {
			t.Fatalf("first counted observation %v, want Failed", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("two Failed reports were not counted")
	}
	f.mode.mu.Lock()
	f.stopFollowing()
	f.startFollowing()
	f.mode.mu.Unlock()
	eventually(t, "follower reloads", func() bool { live, _, _ := f.Applied(); return live })
	report(HealthOK)
	select {
	case s := <-seen:
		t.Fatalf("one OK report after the reload was counted (%v): the reload forgot the count", s)
	default:
	}
	report(HealthOK)
	select {
	case s := <-seen:
		if s != HealthOK {
			t.Fatalf("observation after two OK reports %v, want OK", s)
		}
	default:
		t.Fatal("two OK reports after the reload were not counted")
	}
}

// TestFollowerMemberIndex: a follower's index of each member's sets
// follows the leader's changes: a member added to a set, a failover (roles
// swapped, members unchanged), a member removed.
func TestFollowerMemberIndex(t *testing.T) {
	h, f := clusterPair(t)
	ctx := context.Background()
	setsOf := func(name string) []string {
		ids, _ := f.SetsOfMember(name)
		return ids
	}
	h.member("web3")
	h.add("redset:web", "web3", spare(SpareCold, FailoverBoth, 0))
	eventually(t, "web3 in the follower's index", func() bool { return slices.Equal(setsOf("web3"), []string{"redset:web"}) })
	if res := h.e.Failover(ctx, "redset:web", "web1", "web2"); res.Code != CodeCompleted {
		t.Fatalf("Failover = %d %s", res.Code, res.Reason)
	}
	eventually(t, "the follower sees the failover", func() bool { return roleOf(f, "redset:web", "web2") == RoleInService })
	for _, name := range []string{"web1", "web2", "web3"} {
		if got := setsOf(name); !slices.Equal(got, []string{"redset:web"}) {
			t.Fatalf("after the failover the follower has %s in sets %v, want [redset:web]", name, got)
		}
	}
	if _, err := h.e.RemoveFromSet(ctx, "redset:web", "web3"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "web3 out of the follower's index", func() bool { return len(setsOf("web3")) == 0 })
	if got := setsOf("web1"); !slices.Equal(got, []string{"redset:web"}) {
		t.Fatalf("web1 in sets %v, want [redset:web]", got)
	}
}

// TestSteppedDownLeaderDoesNotRepublish: a leader that steps down loads the
// state as a follower, but does not publish again the records it published
// while it led (each would run its failover's hook a second time).
func TestSteppedDownLeaderDoesNotRepublish(t *testing.T) {
	h, _ := clusterPair(t)
	res := h.e.Failover(context.Background(), "redset:web", "web1", "web2")
	if res.Code != CodeCompleted {
		t.Fatalf("leader Failover = %d %s", res.Code, res.Reason)
	}
	sub := h.e.Bus().Subscribe(1000, nil)
	defer sub.Close()
	h.e.Follow()
	eventually(t, "the stepped-down leader follows the store", func() bool {
		live, _, _ := h.e.Applied()
		return live && !h.e.Leading()
	})
	for {
		select {
		case r := <-sub.C():
			if r.Seq <= res.Seq {
				t.Errorf("record %d (%s) was published again after the leader stepped down", r.Seq, r.Kind)
			}
			continue
		default:
		}
		break
	}
}

// TestFollowerMovesSetsVersion: on a follower, the leader's changes of a
// set's properties, of its status through health, and a new set each
// move SetsVersion by the time its listing shows them.
func TestFollowerMovesSetsVersion(t *testing.T) {
	h, f := clusterPair(t)
	summary := func() string {
		var out []string
		if err := f.EachSetSummary(func(s *SetSummary) {
			out = append(out, fmt.Sprintf("%s %q %d", s.InstanceID, s.Caption, s.RedundancyStatus))
		}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "; ")
	}
	eventually(t, "follower loads the sets", func() bool { return strings.Contains(summary(), fmt.Sprint(StatusFullyRedundant)) })
	steps := []struct {
		name   string
		change func()
	}{
		{"a property", func() {
			if _, err := h.e.UpdateSet(t.Context(), "redset:web", func(s *Set) error { s.Caption = "changed"; return nil }); err != nil {
				t.Fatal(err)
			}
		}},
		{"the status through health", func() { h.report("web2", HealthFailed); h.settle() }},
		{"a new set", func() { h.set(sparingSet("redset:new", 1)) }},
	}
	for _, step := range steps {
		before := summary()
		shown, _ := f.SetsVersion()
		step.change()
		eventually(t, step.name+" reaches the follower", func() bool { return summary() != before })
		if now, _ := f.SetsVersion(); now == shown {
			t.Errorf("%s: the follower's listing changed (%s) but SetsVersion stayed %d", step.name, summary(), now)
		}
	}
}

// fencingStore fails every commit with store.ErrFenced once armed, and
// counts the commits that reach it then.
type fencingStore struct {
	store.Store
	armed   atomic.Bool
	refused atomic.Int32
}

func (s *fencingStore) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	if s.armed.Load() {
		s.refused.Add(1)
		return 0, store.ErrFenced
	}
	return s.Store.Commit(ctx, txn)
}

// TestFencedLeaderStopsAtOnce: the commit that finds the leadership fenced
// off deposes it before the failover returns: the engine no longer reports
// that it leads, and the next change is refused without trying the store
// again, while the step-down to following runs on.
func TestFencedLeaderStopsAtOnce(t *testing.T) {
	h, _ := clusterPair(t)
	fs := &fencingStore{Store: h.st}
	if err := h.e.Lead(fs); err != nil {
		t.Fatalf("Lead: %v", err)
	}
	fs.armed.Store(true)
	for i, want := range []int32{1, 1} {
		res := h.e.Failover(context.Background(), "redset:web", "web1", "web2")
		if res.Code != CodeBusy {
			t.Fatalf("failover %d on a fenced leader = %d %s, want 3", i, res.Code, res.Reason)
		}
		if h.e.Leading() {
			t.Fatalf("after failover %d the fenced engine still reports that it leads", i)
		}
		if n := fs.refused.Load(); n != want {
			t.Fatalf("after failover %d, %d commits reached the fenced store, want %d", i, n, want)
		}
	}
	eventually(t, "the fenced engine follows the store", func() bool {
		live, _, _ := h.e.Applied()
		return live && !h.e.Leading()
	})
}
