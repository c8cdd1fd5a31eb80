package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
	"github.com/redset/redset/store/etcd"
	"github.com/redset/redset/store/etcd/etcdtest"
)

const testTTL = time.Second

// server is one redset server of a test cluster: its own store client,
// engine and node.
type server struct {
	name string
	st   *etcd.Store
	eng  *engine.Engine
	node *Node
}

// startCluster starts n servers on one etcd under a fresh prefix.
func startCluster(t *testing.T, c *etcdtest.Cluster, prefix string, n int, quorum string) []*server {
	t.Helper()
	var out []*server
	for i := range n {
		out = append(out, startServer(t, c, prefix, fmt.Sprintf("s%d", i), quorum))
	}
	return out
}

func startServer(t *testing.T, c *etcdtest.Cluster, prefix, name, quorum string) *server {
	t.Helper()
	st, err := etcd.Open(context.Background(), etcd.Options{Endpoints: c.Endpoints(), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(context.Background(), engine.Options{Store: st, Standby: true})
	if err != nil {
		t.Fatal(err)
	}
	node, err := Start(context.Background(), Options{Name: name, Advertise: "http://127.0.0.1/" + name,
		LeaseTTL: testTTL, HealthQuorum: quorum, Store: st, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	s := &server{name: name, st: st, eng: eng, node: node}
	t.Cleanup(func() {
		_ = s.node.Close()
		_ = s.eng.Close()
		_ = s.st.Close()
	})
	return s
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond) // polling other goroutines' progress
	}
}

// leaderOf waits until exactly one server leads and every live one knows
// it.
func leaderOf(t *testing.T, within time.Duration, servers []*server) *server {
	t.Helper()
	var lead *server
	eventually(t, within, "one leader known to all", func() bool {
		lead = nil
		for _, s := range servers {
			if s.node.IsLeader() && s.eng.Leading() {
				if lead != nil {
					return false
				}
				lead = s
			}
		}
		if lead == nil {
			return false
		}
		for _, s := range servers {
			if p, ok := s.node.Leader(); !ok || p.Name != lead.name {
				return false
			}
		}
		return true
	})
	return lead
}

func others(all []*server, not *server) []*server {
	var out []*server
	for _, s := range all {
		if s != not {
			out = append(out, s)
		}
	}
	return out
}

func roleOf(e *engine.Engine, setID, member string) engine.RoleKind {
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

// setup makes a Sparing set web (a in service, b spare) on the leader and
// reports both OK on every server.
func setup(t *testing.T, lead *server, all []*server) {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		if _, err := lead.eng.PutMember(ctx, engine.Member{Name: name, Probe: engine.Probe{Rise: 1, Fall: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lead.eng.CreateSet(ctx, engine.Set{InstanceID: "redset:web", TypeOfSet: []uint16{engine.TypeSparing}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := lead.eng.AddToSet(ctx, "redset:web", "a", engine.Role{Kind: engine.RoleInService}); err != nil {
		t.Fatal(err)
	}
	spare := engine.Role{Kind: engine.RoleSpare, Spare: engine.SpareSettings{SpareStatus: engine.SpareHot, FailoverSupported: engine.FailoverBoth}}
	if _, err := lead.eng.AddToSet(ctx, "redset:web", "b", spare); err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		eventually(t, 10*time.Second, s.name+" loads the set", func() bool { return roleOf(s.eng, "redset:web", "b") == engine.RoleSpare })
		report(t, s, "a", engine.HealthOK)
		report(t, s, "b", engine.HealthOK)
	}
	for _, s := range all {
		eventually(t, 10*time.Second, s.name+" sees the set fully redundant", func() bool {
			v, err := s.eng.GetSet("redset:web")
			return err == nil && v.RedundancyStatus == engine.StatusFullyRedundant
		})
	}
}

func report(t *testing.T, s *server, member string, h engine.Health) {
	t.Helper()
	if err := s.eng.ReportHealth(member, engine.Report{State: h, Source: "test"}); err != nil {
		t.Fatalf("%s: ReportHealth(%s): %v", s.name, member, err)
	}
}

// TestClusterLeadFollowTakeover: one of three servers leads; a failover on
// it is seen by the followers; when its session ends another leads within
// 2×TTL, and the deposed leadership cannot commit.
func TestClusterLeadFollowTakeover(t *testing.T) {
	c := etcdtest.Start(t, 3, etcdtest.Options{})
	all := startCluster(t, c, "/cluster-a/", 3, QuorumMajority)
	lead := leaderOf(t, 10*time.Second, all)
	setup(t, lead, all)
	for _, f := range others(all, lead) {
		if res := f.eng.Failover(context.Background(), "redset:web", "a", "b"); res.Code != engine.CodeBusy {
			t.Fatalf("failover on follower %s = %d, want 3", f.name, res.Code)
		}
	}
	if res := lead.eng.Failover(context.Background(), "redset:web", "a", "b"); res.Code != engine.CodeCompleted {
		t.Fatalf("failover on the leader = %d %s", res.Code, res.Reason)
	}
	for _, f := range others(all, lead) {
		eventually(t, 5*time.Second, f.name+" sees the failover", func() bool {
			return roleOf(f.eng, "redset:web", "b") == engine.RoleInService && roleOf(f.eng, "redset:web", "a") == engine.RoleSpare
		})
		eventually(t, 5*time.Second, f.name+" in sync", func() bool { return f.node.Info().InSync })
	}
	info := lead.node.Info()
	if len(info.Servers) != 3 || !info.IsLeader || info.Mode != ModeEtcd {
		t.Fatalf("leader's info: %+v", info)
	}

	// The leader's session ends without resigning (its lease is revoked).
	lead.node.mu.Lock()
	deposed := lead.node.last
	lead.node.mu.Unlock()
	start := time.Now()
	lead.node.cancel()
	lead.node.wg.Wait()
	rest := others(all, lead)
	next := leaderOf(t, 2*testTTL, rest)
	t.Logf("%s took over from %s in %v", next.name, lead.name, time.Since(start))
	if res := next.eng.Failover(context.Background(), "redset:web", "b", "a"); res.Code != engine.CodeCompleted {
		t.Fatalf("failover on the new leader = %d %s", res.Code, res.Reason)
	}

	// The deposed leadership's store cannot commit, and the deposed
	// engine cannot lead through it.
	if _, err := deposed.Store().Commit(context.Background(), store.Txn{Ops: []store.Op{{Key: "x", Value: []byte("1")}}}); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("deposed commit error = %v, want ErrFenced", err)
	}
	if err := lead.eng.Lead(deposed.Store()); !errors.Is(err, store.ErrFenced) || lead.eng.Leading() {
		t.Fatalf("Lead through a deposed leadership: error = %v, leading %v; want ErrFenced, following", err, lead.eng.Leading())
	}
	if _, err := next.st.Get(context.Background(), "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deposed commit wrote x: %v", err)
	}

	// A leader whose election key vanished behind its back (as when its
	// lease expired while it was frozen) finds out at its next commit: the
	// failover is refused with 3, its engine follows, and the cluster
	// elects a leader again.
	next.node.mu.Lock()
	l := next.node.last
	next.node.mu.Unlock()
	if err := l.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := next.eng.Failover(context.Background(), "redset:web", "a", "b")
	if res.Code != engine.CodeBusy || !errors.Is(res.Err, store.ErrFenced) {
		t.Fatalf("fenced leader's failover = %d (%v), want 3 with ErrFenced", res.Code, res.Err)
	}
	again := leaderOf(t, 2*testTTL, rest)
	if r := roleOf(again.eng, "redset:web", "a"); r != engine.RoleInService {
		t.Fatalf("a's role = %v after the fenced failover, want in service", r)
	}
	if res := again.eng.Failover(context.Background(), "redset:web", "a", "b"); res.Code != engine.CodeCompleted {
		t.Fatalf("failover on %s after re-election = %d %s", again.name, res.Code, res.Reason)
	}
}

// TestClusterResign: a leader that resigns hands over at once.
func TestClusterResign(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	all := startCluster(t, c, "/cluster-r/", 2, QuorumMajority)
	lead := leaderOf(t, 10*time.Second, all)
	start := time.Now()
	if err := lead.node.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	next := leaderOf(t, testTTL, others(all, lead))
	t.Logf("handover to %s in %v", next.name, time.Since(start))
	if lead.eng.Leading() || lead.node.IsLeader() {
		t.Fatal("the resigned server still leads")
	}
	if n := next.node.Info().LeaderChanges; n < 2 {
		t.Fatalf("leader changes seen by %s: %d, want at least 2", next.name, n)
	}
}

// TestHealthQuorum: under majority a member failed from one server's view
// only keeps its health; failed from two of three it is declared Failed
// everywhere (and failed over automatically).
func TestHealthQuorum(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	all := startCluster(t, c, "/cluster-h/", 3, QuorumMajority)
	lead := leaderOf(t, 10*time.Second, all)
	setup(t, lead, all)
	fs := others(all, lead)
	observation := func(s *server) string {
		kv, err := lead.st.Get(context.Background(), healthKey(s.name, "a"))
		if err != nil {
			return ""
		}
		return string(kv.Value)
	}
	report(t, fs[0], "a", engine.HealthFailed)
	eventually(t, 5*time.Second, "the observation is published", func() bool { return observation(fs[0]) == "Failed" })
	if err := lead.node.decideAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		v, _ := s.eng.GetSet("redset:web")
		if v.RedundancyStatus != engine.StatusFullyRedundant || roleOf(s.eng, "redset:web", "a") != engine.RoleInService {
			t.Fatalf("%s: one server's view failed the member: status %d", s.name, v.RedundancyStatus)
		}
	}
	report(t, fs[1], "a", engine.HealthFailed)
	for _, s := range all {
		eventually(t, 5*time.Second, s.name+" sees a failed and failed over", func() bool {
			m, err := s.eng.GetMember("a")
			return err == nil && m.Health.State == engine.HealthFailed && roleOf(s.eng, "redset:web", "b") == engine.RoleInService
		})
	}
}

func TestDecideHealth(t *testing.T) {
	F, O, D := engine.HealthFailed, engine.HealthOK, engine.HealthDegraded
	tests := []struct {
		policy string
		live   int
		obs    map[string]engine.Health
		want   engine.Health
	}{
		{QuorumMajority, 3, map[string]engine.Health{"s0": F, "s1": O, "s2": O}, O},
		{QuorumMajority, 3, map[string]engine.Health{"s0": F, "s1": F, "s2": O}, F},
		{QuorumMajority, 2, map[string]engine.Health{"s0": F, "s1": O}, O},
		{QuorumMajority, 3, map[string]engine.Health{"s0": F}, engine.HealthUnknown},
		{QuorumAny, 3, map[string]engine.Health{"s0": O, "s1": F}, F},
		{QuorumLeader, 3, map[string]engine.Health{"s0": O, "s1": F, "s2": F}, O},
		{QuorumMajority, 3, map[string]engine.Health{"s0": D, "s1": D, "s2": O}, D},
	}
	for _, tc := range tests {
		if got, _ := decideHealth(tc.policy, tc.live, "s0", tc.obs); got != tc.want {
			t.Errorf("decideHealth(%s, %d, %v) = %v, want %v", tc.policy, tc.live, tc.obs, got, tc.want)
		}
	}
}

// TestSingleMode: on a store without an election the node always leads.
func TestSingleMode(t *testing.T) {
	st, eng, n := startSingle(t)
	if p, ok := n.Leader(); !ok || p.Name != "solo" || !n.IsLeader() || n.Info().Mode != ModeSingle || !eng.Leading() {
		t.Fatalf("single mode: leader %v %v, info %+v", p, ok, n.Info())
	}
	if eng.Origin() != "solo" {
		t.Fatalf("engine origin %q, want solo", eng.Origin())
	}
	if _, err := Start(context.Background(), Options{HealthQuorum: "most", Store: st, Engine: eng}); !errors.Is(err, ErrBadOptions) {
		t.Fatalf("unknown quorum: error = %v, want ErrBadOptions", err)
	}
}

// TestObservationsOfDeletedMembers: when a member is deleted, every server
// deletes its published observation of it (the keys do not wait for the
// server's session to end), and a member created again under the same
// name is observed and published anew.
func TestObservationsOfDeletedMembers(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	all := startCluster(t, c, "/cluster-gone/", 3, QuorumMajority)
	lead := leaderOf(t, 10*time.Second, all)
	setup(t, lead, all)
	ctx := context.Background()
	keys := func(member string) int {
		n := 0
		for _, s := range all {
			if _, err := lead.st.Get(ctx, healthKey(s.name, member)); err == nil {
				n++
			}
		}
		return n
	}
	eventually(t, 5*time.Second, "every server publishes its view of b", func() bool { return keys("b") == len(all) })
	if _, err := lead.eng.RemoveFromSet(ctx, "redset:web", "b"); err != nil {
		t.Fatal(err)
	}
	if err := lead.eng.DeleteMember(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "every server deletes its view of the deleted b", func() bool { return keys("b") == 0 })
	if keys("a") != len(all) {
		t.Errorf("the observations of a went too: %d of %d left", keys("a"), len(all))
	}

	if _, err := lead.eng.PutMember(ctx, engine.Member{Name: "b", Probe: engine.Probe{Rise: 1, Fall: 1}}); err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		eventually(t, 10*time.Second, s.name+" loads b again", func() bool { _, err := s.eng.GetMember("b"); return err == nil })
		report(t, s, "b", engine.HealthOK)
	}
	eventually(t, 5*time.Second, "every server publishes its view of the new b", func() bool { return keys("b") == len(all) })
}

// startSingle starts an engine on bbolt and a node of it named "solo",
// closed when the test ends.
func startSingle(t *testing.T) (*bolt.Store, *engine.Engine, *Node) {
	t.Helper()
	st, err := bolt.Open(t.TempDir()+"/r.db", bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := engine.New(context.Background(), engine.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	n, err := Start(context.Background(), Options{Name: "solo", Advertise: "http://127.0.0.1:1", Store: st, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return st, eng, n
}
