// Package etcdtest starts real etcd members in-process for tests: one
// member, or a cluster of several, listening on free loopback ports with
// their data in the test's temporary directory.
//
// The members run with settings meant for tests only: no fsync, short
// heartbeat and election timeouts, quiet logs. Every member is stopped when
// the test ends. This package is for tests; nothing the redset binary
// links may import it (arch_test.go checks).
package etcdtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// startTimeout bounds how long a member may take to become ready.
const startTimeout = 20 * time.Second

// startAttempts is how often Start retries when a chosen port was taken
// by someone else between choosing and binding it.
const startAttempts = 3

// Cluster is a set of embedded etcd members that form one etcd cluster.
type Cluster struct {
	t       testing.TB
	Members []*Member
}

// Member is one embedded etcd server. Stop and Restart let a test take it
// down and bring it back on the same ports with the same data.
type Member struct {
	name      string
	dir       string
	client    url.URL
	peer      url.URL
	initial   string // the initial-cluster string
	token     string
	configure func(*embed.Config)

	mu  sync.Mutex
	etc *embed.Etcd
}

// Options tune the members a test starts.
type Options struct {
	// Configure, when set, adjusts each member's configuration before it
	// starts (say, a smaller MaxTxnOps).
	Configure func(*embed.Config)
}

// Start starts an n-member cluster and waits until every member is ready;
// it fails the test when that takes too long. The cluster is stopped when
// the test ends.
func Start(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	var err error
	for range startAttempts {
		var c *Cluster
		if c, err = start(t, n, opts); err == nil {
			t.Cleanup(c.stop)
			return c
		}
	}
	t.Fatalf("starting a %d-member etcd cluster: %v", n, err)
	return nil
}

func start(t testing.TB, n int, opts Options) (*Cluster, error) {
	c := &Cluster{t: t}
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	base := t.TempDir()
	var initial []string
	for i := range n {
		m := &Member{
			name:      fmt.Sprintf("m%d", i),
			dir:       fmt.Sprintf("%s/m%d", base, i),
			client:    url.URL{Scheme: "http", Host: ports[2*i]},
			peer:      url.URL{Scheme: "http", Host: ports[2*i+1]},
			token:     fmt.Sprintf("redset-test-%p", c),
			configure: opts.Configure,
		}
		initial = append(initial, m.name+"="+m.peer.String())
		c.Members = append(c.Members, m)
	}
	for _, m := range c.Members {
		m.initial = strings.Join(initial, ",")
	}
	if err := c.startAll(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// startAll starts the members together (each waits for a quorum) and
// waits for all of them to be ready.
func (c *Cluster) startAll() error {
	errs := make([]error, len(c.Members))
	var wg sync.WaitGroup
	for i, m := range c.Members {
		wg.Go(func() { errs[i] = m.start(embed.ClusterStateFlagNew) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Endpoints lists every member's client address (host:port).
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.Members))
	for i, m := range c.Members {
		eps[i] = m.Endpoint()
	}
	return eps
}

// Leader is the running member that leads the cluster now, or nil when
// none does.
func (c *Cluster) Leader() *Member {
	for _, m := range c.Members {
		m.mu.Lock()
		lead := m.etc != nil && m.etc.Server.Leader() == m.etc.Server.MemberID()
		m.mu.Unlock()
		if lead {
			return m
		}
	}
	return nil
}

// stop stops the followers at once, then the leader, which then has
// nobody to hand its leadership to.
func (c *Cluster) stop() {
	leader := c.Leader()
	var wg sync.WaitGroup
	for _, m := range c.Members {
		if m != leader {
			wg.Go(m.Stop)
		}
	}
	wg.Wait()
	if leader != nil {
		leader.Stop()
	}
}

// Endpoint is the member's client address (host:port).
func (m *Member) Endpoint() string { return m.client.Host }

// Stop stops the member (a no-op when it is stopped) and waits until it has
// released its ports and files.
func (m *Member) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.etc != nil {
		m.etc.Close()
		m.etc = nil
	}
}

// Restart starts a stopped member again with its data and ports.
func (m *Member) Restart(t testing.TB) {
	t.Helper()
	if err := m.start(embed.ClusterStateFlagExisting); err != nil {
		t.Fatalf("restarting etcd member %s: %v", m.name, err)
	}
}

func (m *Member) start(state string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.etc != nil {
		return fmt.Errorf("member %s is already running", m.name)
	}
	e, err := embed.StartEtcd(m.config(state))
	if err != nil {
		return err
	}
	select {
	case <-e.Server.ReadyNotify():
		m.etc = e
		return nil
	case err := <-e.Err():
		e.Close()
		return err
	case <-time.After(startTimeout):
		e.Close()
		return fmt.Errorf("member %s not ready after %v", m.name, startTimeout)
	}
}

// config is a member's configuration: loopback only, no fsync, no logs, no
// metrics or HTTP gateway. Heartbeats are frequent, but a leader is only
// given up after a full second of silence: with -race on a loaded machine a
// member can stall for a few hundred milliseconds, and shorter election
// timeouts then start needless elections that fail requests in flight.
func (m *Member) config(state string) *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dir
	cfg.ListenClientUrls = []url.URL{m.client}
	cfg.AdvertiseClientUrls = []url.URL{m.client}
	cfg.ListenPeerUrls = []url.URL{m.peer}
	cfg.AdvertisePeerUrls = []url.URL{m.peer}
	cfg.InitialCluster = m.initial
	cfg.InitialClusterToken = m.token
	cfg.ClusterState = state
	cfg.UnsafeNoFsync = true
	cfg.TickMs = 50
	cfg.ElectionMs = 1000
	cfg.EnableGRPCGateway = false
	cfg.Metrics = "basic"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	if m.configure != nil {
		m.configure(cfg)
	}
	return cfg
}

// freePorts reserves n loopback ports by listening on port 0, then
// releases them for etcd to bind. Another process may take one in between;
// Start then tries again.
func freePorts(n int) ([]string, error) {
	var addrs []string
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}
