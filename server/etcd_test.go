package server

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
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
