package server

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
	etcdstore "github.com/redset/redset/store/etcd"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// TestServeOnEtcd: a server whose store is an (embedded, real) etcd does a
// failover through the API; a new server on the same etcd and prefix sees
// the roles it left, and another prefix is another, empty, redset.
func TestServeOnEtcd(t *testing.T) {
	cluster := etcdtest.Start(t, 1, etcdtest.Options{})
	url := "etcd://" + strings.Join(cluster.Endpoints(), ",") + "/server-test"
	onEtcd := func(c *Config) { c.Store, c.Cluster.Secret = StoreCfg{URL: url}, "s" }

	first := startServer(t, heartbeatPair, onEtcd)
	c := apiClient(t, first, "admin", testPassword)
	reportOK(t, c, "a", "b")
	res, err := c.Failover(context.Background(), "redset:pair", "a", "b")
	if err != nil || res.ReturnValue != 0 {
		t.Fatalf("Failover = %+v, %v; want completed", res, err)
	}
	first.Close()

	second := startServer(t, heartbeatPair, onEtcd)
	want := map[string]engine.RoleKind{"a": engine.RoleSpare, "b": engine.RoleInService}
	if diff := cmp.Diff(want, roles(t, second.Engine(), "redset:pair")); diff != "" {
		t.Errorf("roles after a restart on etcd (-want +got):\n%s", diff)
	}

	other := startServer(t, "", func(c *Config) {
		c.Store = StoreCfg{Etcd: &EtcdConfig{Endpoints: cluster.Endpoints(), Prefix: "/other"}}
		c.Cluster.Secret = "s"
	})
	if sets, err := other.Engine().ListSets(); err != nil || len(sets) != 0 {
		t.Errorf("a server under another prefix sees %d sets (%v), want none", len(sets), err)
	}
}

// TestServeOnUnreachableEtcd: New fails, saying why, when etcd does not
// answer.
func TestServeOnUnreachableEtcd(t *testing.T) {
	cfg := Config{Data: t.TempDir(), Listen: []string{"127.0.0.1:0"}, AdminPassword: testPassword, Cluster: ClusterCfg{Secret: "s"}}
	cfg.Store = StoreCfg{Etcd: &EtcdConfig{Endpoints: []string{closedPort(t)}, DialTimeout: Dur(300 * time.Millisecond)}}
	s, err := New(context.Background(), cfg, nil)
	if err == nil {
		s.Close()
		t.Fatal("New succeeded without etcd")
	}
	if !strings.Contains(err.Error(), "opening the store") {
		t.Errorf("New error = %v, want it to say the store could not be opened", err)
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestEtcdLeaderCommitsTimed: a server leading on etcd writes through its
// election's fenced store, and those commits are timed too.
func TestEtcdLeaderCommitsTimed(t *testing.T) {
	cluster := etcdtest.Start(t, 1, etcdtest.Options{})
	url := "etcd://" + strings.Join(cluster.Endpoints(), ",") + "/timed-test"
	s := startServer(t, heartbeatPair, func(c *Config) { c.Store, c.Cluster.Secret = StoreCfg{URL: url}, "s" })
	base := "http://" + s.Addrs()[0]
	eventually(t, 10*time.Second, "the server leads", s.node.IsLeader)
	count := func() int {
		_, body := get(t, base+"/metrics")
		for line := range strings.SplitSeq(body, "\n") {
			if v, ok := strings.CutPrefix(line, "redset_store_commit_seconds_count "); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
		return -1
	}
	before := count()
	c := apiClient(t, s, "admin", testPassword)
	reportOK(t, c, "a", "b")
	if res, err := c.Failover(context.Background(), "redset:pair", "a", "b"); err != nil || res.ReturnValue != 0 {
		t.Fatalf("Failover = %+v, %v", res, err)
	}
	if after := count(); after <= before {
		t.Fatalf("commits timed: %d before the failover, %d after; want more", before, after)
	}
}

// TestOnlyTheLeaderAppliesTheConfiguration: two servers of a cluster whose
// files differ (the second names the set). The first leads and applies its
// file before it serves; the second starts following and writes nothing,
// so every configuration record in the shared history is the first's.
// When the first stops, the second leads and applies its own file then.
func TestOnlyTheLeaderAppliesTheConfiguration(t *testing.T) {
	cluster := etcdtest.Start(t, 1, etcdtest.Options{})
	url := "etcd://" + strings.Join(cluster.Endpoints(), ",") + "/apply-test"
	named := func(name string) func(*Config) {
		return func(c *Config) {
			c.Store, c.Cluster.Secret, c.Cluster.Name, c.Cluster.LeaseTTL = StoreCfg{URL: url}, "s", name, Dur(time.Second)
		}
	}
	first := startServer(t, heartbeatPair, named("one"))
	if !first.node.IsLeader() {
		t.Fatal("the first server of the cluster does not lead")
	}
	if sets, err := first.Engine().ListSets(); err != nil || len(sets) != 1 {
		t.Fatalf("after the leader started: %d sets (%v), want the file's one", len(sets), err)
	}
	second := startServer(t, strings.Replace(heartbeatPair, "  - id: pair\n", "  - id: pair\n    elementName: Pair\n", 1), named("two"))
	configRecords := func(s *Server) map[string]int {
		recs, err := s.Engine().QueryHistory(context.Background(), engine.HistoryFilter{Kinds: []event.Kind{event.KindConfigChanged}})
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]int{}
		for _, r := range recs {
			by[r.Origin]++
		}
		return by
	}
	before := configRecords(first)
	if before["one"] == 0 || len(before) != 1 {
		t.Fatalf("configuration records by origin after both started: %v, want only the leader's", before)
	}
	first.Close()
	eventually(t, 10*time.Second, "the second server leads", second.node.IsLeader)
	eventually(t, 5*time.Second, "the second server's engine leads", second.Engine().Leading)
	eventually(t, 10*time.Second, "the new leader's file applied", func() bool {
		set, err := second.Engine().GetSet("redset:pair")
		return err == nil && set.ElementName == "Pair"
	})
	if after := configRecords(second); after["two"] == 0 {
		t.Errorf("configuration records by origin after the second took over: %v, want some of its own", after)
	}
}

// countingObserver counts observations (a prometheus.Observer).
type countingObserver struct{ n atomic.Int64 }

func (o *countingObserver) Observe(float64) { o.n.Add(1) }

// TestTimedStoreKeepsBatching: the commit timer the engine writes through
// keeps the etcd store's batch commit (hiding it sent every automatic
// failover of a mass failure in a transaction of its own), and times a
// batch as one commit.
func TestTimedStoreKeepsBatching(t *testing.T) {
	cluster := etcdtest.Start(t, 1, etcdtest.Options{})
	st, err := etcdstore.Open(t.Context(), etcdstore.Options{Endpoints: cluster.Endpoints(), Prefix: "/timed"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var obs countingObserver
	b, ok := timed(st, &obs).(store.Batcher)
	if !ok {
		t.Fatal("the timed etcd store is not a store.Batcher")
	}
	res := b.CommitBatch(t.Context(), []store.Txn{
		{Ops: []store.Op{{Key: "a", Value: []byte("1")}}},
		{Ops: []store.Op{{Key: "b", Value: []byte("2")}}},
	})
	for i, r := range res {
		if r.Err != nil || r.Revision == 0 {
			t.Errorf("transaction %d: revision %d, %v", i, r.Revision, r.Err)
		}
	}
	if got := obs.n.Load(); got != 1 {
		t.Errorf("a batch was timed %d times, want once", got)
	}
	plain, err := bolt.Open(filepath.Join(t.TempDir(), "redset.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, ok := timed(plain, &obs).(store.Batcher); ok {
		t.Error("a store that cannot batch became a store.Batcher")
	}
}
