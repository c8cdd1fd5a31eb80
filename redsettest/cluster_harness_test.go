//go:build linux

package redsettest_test

// The cluster harness: a three-member etcd embedded in the test process
// (store/etcd/etcdtest), the redset binary built once from ./cmd/redset,
// and three `redset serve` child processes sharing that etcd under one
// prefix, each with its own data directory, home directory, two loopback
// listeners and a configuration file with a cluster section. The members
// of the sets are small TCP services the test owns, so a test can break
// and mend them; a member may instead have an exec probe that fails on one
// server only (see ctMember), so a test can cut it off from one server.
//
// The harness watches the etcd prefix from the test and keeps every
// committed history record with its revision and its origin (the server
// that committed it): the commit log a fencing test reads.
//
// Everything is bounded: processes are ended by PID when the test ends
// (and die with the test process, Pdeathsig), the etcd members are
// stopped, conditions are polled with a deadline.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/redset/redset/api"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/store"
	etcdstore "github.com/redset/redset/store/etcd"
	"github.com/redset/redset/store/etcd/etcdtest"
)

const (
	ctPassword      = "cluster-admin-password"
	ctSecret        = "cluster-test-secret"
	ctLeaseTTL      = time.Second
	ctProbeInterval = 200 * time.Millisecond
	ctProbeFall     = 2
	ctProbeRise     = 2
	ctStartWithin   = 30 * time.Second // a server's start, first probe round included
	ctBuildWithin   = 5 * time.Minute
	ctPoll          = 20 * time.Millisecond
	ctRequestWithin = 2 * time.Second // one HTTP request to a server
	ctStopWithin    = 10 * time.Second
)

// ctBinary is the redset binary the cluster tests share, built once.
var ctBinary struct {
	once      sync.Once
	dir, path string
	err       error
}

// clusterBinary builds ./cmd/redset on first use and returns its path.
func clusterBinary(t testing.TB) string {
	t.Helper()
	ctBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "redset-cluster-bin-")
		if err != nil {
			ctBinary.err = err
			return
		}
		ctBinary.dir, ctBinary.path = dir, filepath.Join(dir, "redset")
		ctx, cancel := context.WithTimeout(context.Background(), ctBuildWithin)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", ctBinary.path, "./cmd/redset")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			ctBinary.err = fmt.Errorf("go build ./cmd/redset: %v\n%s", err, out)
		}
	})
	if ctBinary.err != nil {
		t.Fatal(ctBinary.err)
	}
	return ctBinary.path
}

func removeClusterBinary() {
	if ctBinary.dir != "" {
		os.RemoveAll(ctBinary.dir)
	}
}

// ctMember is a member of a harness set. A TCP member probes a service
// the test owns; an exec member (Exec true) is OK on a server unless the
// file "unreachable-NAME" exists in that server's home directory, which
// cuts it off from that server alone.
type ctMember struct {
	Name string
	Exec bool
}

// ctSet is a sparing set with one member in service and one spare.
type ctSet struct {
	ID             string // the InstanceID, redset:...
	Active, Spare  ctMember
	DisableAuto    bool
	MaxFailoverCap int // the flap guard's allowance; 0: 1000
}

// ctOptions tune a harness cluster.
type ctOptions struct {
	Servers int     // default 3
	Sets    []ctSet // default: ct-web (web-a, web-b) and ct-db (db-a, db-b)
	// Cluster: the test is about cluster mode; the harness checks that the
	// servers report etcd mode on GET /api/v1/cluster.
	Cluster      bool
	HealthQuorum string // default majority
	LeaseTTL     time.Duration
	ExtraConfig  string // YAML appended to server 0's configuration only
	// StartWithin bounds each server's start; default ctStartWithin.
	StartWithin time.Duration
	// Together starts every server at the same moment on the empty store,
	// then creates the sets; otherwise server 0 starts, the sets are
	// created, and the others start one after another.
	Together bool
	// EtcdElectionMs, when set, is etcd's election timeout instead of
	// ctEtcdConfig's (a leader that lost its quorum steps down after one to
	// two of them).
	EtcdElectionMs uint
}

func defaultSets() []ctSet {
	return []ctSet{
		{ID: "redset:ct-web", Active: ctMember{Name: "web-a"}, Spare: ctMember{Name: "web-b"}},
		{ID: "redset:ct-db", Active: ctMember{Name: "db-a"}, Spare: ctMember{Name: "db-b"}},
	}
}

// ctCluster is a running harness.
type ctCluster struct {
	t        testing.TB
	opts     ctOptions
	dir      string
	prefix   string // the store prefix, without slashes
	etcd     *etcdtest.Cluster
	servers  []*ctServer
	services map[string]*ctService
	commits  *commitLog
	hookFile string
	cluster  bool // the servers run in cluster mode
}

// startCluster starts etcd, the member services, server 0, the sets
// (through server 0's API), then the other servers one by one, each ready
// before the next starts (or, with Together, every server at once before
// the sets).
func startCluster(t testing.TB, opts ctOptions) *ctCluster {
	t.Helper()
	if opts.Servers == 0 {
		opts.Servers = 3
	}
	if opts.Sets == nil {
		opts.Sets = defaultSets()
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = ctLeaseTTL
	}
	if opts.StartWithin == 0 {
		opts.StartWithin = ctStartWithin
	}
	bin := clusterBinary(t)
	c := &ctCluster{t: t, opts: opts, dir: t.TempDir(), prefix: "redset-ct", services: map[string]*ctService{},
		cluster: true} // every server on an etcd store is one of a cluster (it needs the secret)
	c.hookFile = filepath.Join(c.dir, "hooks.log")
	c.etcd = etcdtest.Start(t, 3, etcdtest.Options{Configure: func(cfg *embed.Config) {
		ctEtcdConfig(cfg)
		if opts.EtcdElectionMs > 0 {
			cfg.ElectionMs = opts.EtcdElectionMs
		}
	}})
	c.commits = watchCommits(t, c.etcd.Endpoints(), "/"+c.prefix+"/")
	for _, s := range opts.Sets {
		for _, m := range []ctMember{s.Active, s.Spare} {
			if !m.Exec {
				c.services[m.Name] = startService(t, m.Name)
			}
		}
	}
	ports := ctFreePorts(t, 2*opts.Servers)
	for i := range opts.Servers {
		c.servers = append(c.servers, c.newServer(i, bin, ports[2*i:2*i+2]))
	}
	t.Cleanup(c.stopAll)
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpLogs()
		}
	})
	var startErr error
	if opts.Together {
		startErr = c.startTogether()
	} else {
		c.servers[0].start(t)
	}
	if opts.Cluster {
		c.requireClusterAPI(t)
	}
	if startErr != nil {
		t.Fatal(startErr)
	}
	if opts.Together && opts.Cluster {
		c.waitLeader(t, 5*opts.LeaseTTL+ctStartWithin/3)
	}
	c.createSets(t)
	if !opts.Together {
		for _, s := range c.servers[1:] {
			s.start(t)
		}
	}
	if opts.Cluster {
		c.waitLeader(t, 5*opts.LeaseTTL+ctStartWithin/3)
	}
	return c
}

// startTogether launches every server at once and waits until all are
// ready, returning what went wrong.
func (c *ctCluster) startTogether() error {
	errs := make([]error, len(c.servers))
	var wg sync.WaitGroup
	for i, s := range c.servers {
		wg.Go(func() { errs[i] = s.launch() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ctEtcdConfig shortens etcdtest's election timeout for the cluster
// tests: etcd raises every lease TTL to at least 1.5 × its election
// timeout, rounded up to whole seconds, so with etcdtest's 1 s a lease of
// leaseTTL 1s would last 2 s. 600 ms keeps the minimum at 1 s and still
// tolerates stalls of a few hundred milliseconds.
func ctEtcdConfig(cfg *embed.Config) {
	cfg.ElectionMs = 600
}

// requireClusterAPI fails the test unless the servers answer GET
// /api/v1/cluster in etcd mode.
func (c *ctCluster) requireClusterAPI(t testing.TB) {
	t.Helper()
	s := c.servers[0]
	for _, r := range c.servers {
		if r.running() {
			s = r
			break
		}
	}
	_, code, err := s.info()
	if err != nil && code == 0 {
		t.Fatalf("GET /api/v1/cluster: %v", err)
	}
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/cluster: status %d: %v", code, err)
	}
	if in, _, _ := s.info(); in.Mode != "etcd" {
		t.Fatalf("GET /api/v1/cluster reports mode %q on an etcd store, want etcd", in.Mode)
	}
}

func (c *ctCluster) newServer(i int, bin string, listen []string) *ctServer {
	s := &ctServer{c: c, bin: bin, name: fmt.Sprintf("n%d", i), listen: listen, log: &lockedLog{}}
	s.dir = filepath.Join(c.dir, s.name)
	s.home = filepath.Join(s.dir, "home")
	s.cfgPath = filepath.Join(s.dir, "redset.yaml")
	s.base = "http://" + listen[0]
	for _, d := range []string{s.dir, s.home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			c.t.Fatal(err)
		}
	}
	cfg := c.config(s, i == 0)
	if err := os.WriteFile(s.cfgPath, []byte(cfg), 0o600); err != nil {
		c.t.Fatal(err)
	}
	cl, err := api.NewClient(s.base, "admin", ctPassword, &http.Client{Timeout: ctRequestWithin})
	if err != nil {
		c.t.Fatal(err)
	}
	s.api = cl
	return s
}

// storeURL is the etcd store every server uses.
func (c *ctCluster) storeURL() string {
	return "etcd://" + strings.Join(c.etcd.Endpoints(), ",") + "/" + c.prefix
}

// config is a server's configuration file: its listeners, its data, the
// shared store, a post-failover hook that appends one line per failover to
// the shared hook file, and (when the build has it) the cluster section.
func (c *ctCluster) config(s *ctServer, first bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s\n", c.storeURL())
	fmt.Fprintf(&b, "data: %s\n", filepath.Join(s.dir, "data"))
	fmt.Fprintf(&b, "listen: [%s, %s]\n", s.listen[0], s.listen[1])
	b.WriteString("log:\n  level: debug\n")
	fmt.Fprintf(&b, `hooks:
  - name: record
    on: [failover]
    exec: [/bin/sh, -c, 'echo "$REDSET_SEQ $REDSET_SET $REDSET_FROM $REDSET_TO $REDSET_PLANNED $REDSET_CODE $0" >> "$1"', %s, %q]
    timeout: 10s
`, s.name, c.hookFile)
	if c.cluster {
		quorum := c.opts.HealthQuorum
		if quorum == "" {
			quorum = "majority"
		}
		fmt.Fprintf(&b, "cluster:\n  name: %s\n  advertise: %s\n  leaseTTL: %s\n  secret: %q\n  healthQuorum: %s\n",
			s.name, s.base, c.opts.LeaseTTL, ctSecret, quorum)
	}
	if first {
		b.WriteString(c.opts.ExtraConfig)
	}
	return b.String()
}

// createSets creates the members and sets through server 0's API.
func (c *ctCluster) createSets(t testing.TB) {
	t.Helper()
	ctx := t.Context()
	cl := c.servers[0].api
	for _, set := range c.opts.Sets {
		for _, m := range []ctMember{set.Active, set.Spare} {
			if _, err := cl.CreateMember(ctx, api.MemberSpec{Name: m.Name, Probe: c.probe(m)}); err != nil {
				t.Fatalf("creating member %s: %v", m.Name, err)
			}
		}
		capped := set.MaxFailoverCap
		if capped == 0 {
			capped = 1000
		}
		spec := api.SetSpec{InstanceID: set.ID, ElementName: set.ID, TypeOfSet: []uint16{4}, MinNumberNeeded: 1,
			Policy: &api.Policy{DisableAutoFailover: set.DisableAuto, MaxFailovers: capped, PeriodSeconds: 3600}}
		if _, err := cl.CreateSet(ctx, spec); err != nil {
			t.Fatalf("creating set %s: %v", set.ID, err)
		}
		if _, err := cl.PutSetMember(ctx, set.ID, set.Active.Name, api.RoleSpec{Role: api.RoleInService}); err != nil {
			t.Fatalf("adding %s to %s: %v", set.Active.Name, set.ID, err)
		}
		if _, err := cl.PutSetMember(ctx, set.ID, set.Spare.Name, api.RoleSpec{Role: api.RoleSpare}); err != nil {
			t.Fatalf("adding %s to %s: %v", set.Spare.Name, set.ID, err)
		}
	}
}

func (c *ctCluster) probe(m ctMember) api.Probe {
	var p api.Probe
	if m.Exec {
		p.Type = "exec"
		p.Command = []string{"/bin/sh", "-c", `test ! -e "$HOME/unreachable-$0" || exit 2`, m.Name} // 2: Failed
	} else {
		p.Type = "tcp"
		p.Address = c.services[m.Name].addr
	}
	p.Interval = engine.Duration(ctProbeInterval)
	p.Timeout = engine.Duration(ctProbeInterval)
	p.Rise, p.Fall = ctProbeRise, ctProbeFall
	return p
}

// live lists the servers whose process runs and is not stopped.
func (c *ctCluster) live() []*ctServer {
	var out []*ctServer
	for _, s := range c.servers {
		if s.running() && !s.frozen() {
			out = append(out, s)
		}
	}
	return out
}

// waitLeader waits until every live server names the same leader, which
// says it leads, and returns it.
func (c *ctCluster) waitLeader(t testing.TB, within time.Duration) *ctServer {
	t.Helper()
	var leader *ctServer
	waitUntil(t, within, "one leader that every live server names", func() (bool, string) {
		l, why := c.agreedLeader()
		leader = l
		return l != nil, why
	})
	return leader
}

// agreedLeader is the leader every live server names, or nil and why not.
func (c *ctCluster) agreedLeader() (*ctServer, string) {
	name := ""
	var views []string
	for _, s := range c.live() {
		in, _, err := s.info()
		if err != nil {
			return nil, fmt.Sprintf("%s: %v", s.name, err)
		}
		lead := "none"
		if in.Leader != nil {
			lead = in.Leader.Name
		}
		views = append(views, fmt.Sprintf("%s sees %s (isLeader %v, inSync %v)", s.name, lead, in.IsLeader, in.InSync))
		switch {
		case in.Leader == nil:
			return nil, strings.Join(views, "; ")
		case name == "":
			name = in.Leader.Name
		case name != in.Leader.Name:
			return nil, strings.Join(views, "; ")
		}
		if in.Leader.Name == s.name && !in.IsLeader {
			return nil, strings.Join(views, "; ")
		}
	}
	for _, s := range c.live() {
		if s.name == name {
			return s, strings.Join(views, "; ")
		}
	}
	return nil, strings.Join(views, "; ") + " (not a live server)"
}

// followers are the live servers other than leader.
func (c *ctCluster) followers(leader *ctServer) []*ctServer {
	var out []*ctServer
	for _, s := range c.live() {
		if s != leader {
			out = append(out, s)
		}
	}
	return out
}

// inService names a set's members in service as one server sees them.
func (s *ctServer) inService(ctx context.Context, id string) ([]string, error) {
	set, err := s.api.GetSet(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range set.Members {
		if m.Role == api.RoleInService {
			out = append(out, m.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// waitAllSee waits until every live server sees want as the set's only
// member in service.
func (c *ctCluster) waitAllSee(t testing.TB, within time.Duration, id, want string) {
	t.Helper()
	waitUntil(t, within, fmt.Sprintf("every live server sees %s in service in %s", want, id), func() (bool, string) {
		var views []string
		ok := true
		for _, s := range c.live() {
			got, err := s.inService(t.Context(), id)
			views = append(views, fmt.Sprintf("%s: %v %v", s.name, got, err))
			ok = ok && err == nil && slices.Equal(got, []string{want})
		}
		return ok, strings.Join(views, "; ")
	})
}

// waitHealth waits until every live server sees member in state.
func (c *ctCluster) waitHealth(t testing.TB, within time.Duration, member, state string) {
	t.Helper()
	waitUntil(t, within, fmt.Sprintf("every live server sees %s %s", member, state), func() (bool, string) {
		var views []string
		ok := true
		for _, s := range c.live() {
			m, err := s.api.GetMember(t.Context(), member)
			views = append(views, fmt.Sprintf("%s: %s %v", s.name, m.Health.State, err))
			ok = ok && err == nil && m.Health.State == state
		}
		return ok, strings.Join(views, "; ")
	})
}

// hookLines are the lines the failover hook appended so far: "SEQ SET
// FROM TO PLANNED CODE SERVER".
func (c *ctCluster) hookLines() []string {
	data, err := os.ReadFile(c.hookFile)
	if err != nil {
		return nil
	}
	return strings.Fields(strings.ReplaceAll(string(data), " ", "\x00"))
}

// hookRuns parses the hook file.
func (c *ctCluster) hookRuns() []ctHookRun {
	var out []ctHookRun
	for _, l := range c.hookLines() {
		f := strings.Split(l, "\x00")
		if len(f) != 7 {
			continue
		}
		out = append(out, ctHookRun{Seq: f[0], Set: f[1], From: f[2], To: f[3], Planned: f[4], Code: f[5], Server: f[6]})
	}
	return out
}

type ctHookRun struct{ Seq, Set, From, To, Planned, Code, Server string }

func (c *ctCluster) stopAll() {
	var wg sync.WaitGroup
	for _, s := range c.servers {
		wg.Go(s.end)
	}
	wg.Wait()
}

func (c *ctCluster) dumpLogs() {
	for _, s := range c.servers {
		c.t.Logf("---- server %s (pid %d) log ----\n%s", s.name, s.pid(), tail(s.log.String(), 64<<10))
	}
	c.t.Logf("---- commit log ----\n%s", c.commits.summary())
	if data, err := os.ReadFile(c.hookFile); err == nil {
		c.t.Logf("---- hook file ----\n%s", data)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "[...]\n" + s[len(s)-n:]
}

// ctServer is one `redset serve` child process (or the slot for it,
// between a kill and a restart).
type ctServer struct {
	c                             *ctCluster
	bin, name, dir, home, cfgPath string
	listen                        []string
	base                          string
	api                           *api.Client
	log                           *lockedLog

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current process has exited
	stopped bool          // SIGSTOP sent, no SIGCONT yet
}

// start launches the process and waits until it is ready, failing the
// test otherwise.
func (s *ctServer) start(t testing.TB) {
	t.Helper()
	if err := s.launch(); err != nil {
		t.Fatal(err)
	}
}

// launch starts the process and waits until /readyz answers 200.
func (s *ctServer) launch() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return fmt.Errorf("server %s is already running", s.name)
	}
	cmd := exec.Command(s.bin, "serve", "--config", s.cfgPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.home, "TMPDIR=" + s.home, "REDSET_ADMIN_PASSWORD=" + ctPassword}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(s.log, "==== %s: starting %s\n", time.Now().Format("15:04:05.000"), s.name)
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("starting server %s: %w", s.name, err)
	}
	done := make(chan struct{})
	s.cmd, s.done, s.stopped = cmd, done, false
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(s.log, "==== %s: %s exited: %v\n", time.Now().Format("15:04:05.000"), s.name, err)
		s.mu.Lock()
		if s.cmd == cmd {
			s.cmd = nil
		}
		s.mu.Unlock()
		close(done)
	}()
	within := s.c.opts.StartWithin
	deadline := time.Now().Add(within)
	for {
		if s.ready() {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("server %s exited while starting:\n%s", s.name, tail(s.log.String(), 8<<10))
		case <-time.After(ctPoll):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server %s not ready within %v:\n%s", s.name, within, tail(s.log.String(), 8<<10))
		}
	}
}

func (s *ctServer) ready() bool {
	hc := &http.Client{Timeout: ctRequestWithin}
	resp, err := hc.Get(s.base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *ctServer) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

func (s *ctServer) running() bool { return s.pid() != 0 }

func (s *ctServer) frozen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

// signal sends sig to the server's process by its PID.
func (s *ctServer) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		t.Fatalf("server %s: no process to send %v to", s.name, sig)
	}
	if err := syscall.Kill(s.cmd.Process.Pid, sig); err != nil {
		t.Fatalf("server %s: kill -%v %d: %v", s.name, sig, s.cmd.Process.Pid, err)
	}
	switch sig {
	case syscall.SIGSTOP:
		s.stopped = true
	case syscall.SIGCONT:
		s.stopped = false
	}
	fmt.Fprintf(s.log, "==== %s: sent %v to %s\n", time.Now().Format("15:04:05.000"), sig, s.name)
}

// Kill ends the process with SIGKILL and waits until it has exited.
func (s *ctServer) Kill(t testing.TB) {
	t.Helper()
	done := s.exited()
	s.signal(t, syscall.SIGKILL)
	s.waitExit(t, done)
}

// Term sends SIGTERM and waits until the process has exited.
func (s *ctServer) Term(t testing.TB) {
	t.Helper()
	done := s.exited()
	s.signal(t, syscall.SIGTERM)
	s.waitExit(t, done)
}

// Stop sends SIGSTOP and waits until the kernel shows the process stopped
// (the signal is delivered asynchronously).
func (s *ctServer) Stop(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGSTOP)
	pid := s.pid()
	waitUntil(t, 5*time.Second, fmt.Sprintf("server %s (pid %d) stopped", s.name, pid), func() (bool, string) {
		state := procState(pid)
		return state == "T", "state " + state
	})
}

// procState is the state letter of /proc/PID/stat (R, S, T, ...).
func procState(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return err.Error()
	}
	_, rest, ok := strings.Cut(string(data), ") ") // the command name is in parentheses
	if !ok || rest == "" {
		return "unreadable"
	}
	return rest[:1]
}

func (s *ctServer) Cont(t testing.TB) { t.Helper(); s.signal(t, syscall.SIGCONT) }

func (s *ctServer) exited() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

func (s *ctServer) waitExit(t testing.TB, done chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(ctStopWithin):
		t.Fatalf("server %s did not exit within %v", s.name, ctStopWithin)
	}
}

// end stops the process when the test ends: SIGCONT (it may be stopped),
// then SIGKILL, by PID.
func (s *ctServer) end() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(ctStopWithin):
	}
}

// ctInfo is GET /api/v1/cluster.
type ctInfo struct {
	Mode            string  `json:"mode"`
	Name            string  `json:"name"`
	URL             string  `json:"url"`
	Leader          *ctPeer `json:"leader"`
	IsLeader        bool    `json:"isLeader"`
	LeaseTTLSeconds float64 `json:"leaseTTLSeconds"`
	LeaderChanges   uint64  `json:"leaderChanges"`
	InSync          bool    `json:"inSync"`
	WatchLagSeconds float64 `json:"watchLagSeconds"`
	Servers         []struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		Leader bool   `json:"leader"`
	} `json:"servers"`
}

type ctPeer struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// info reads GET /api/v1/cluster; the status is 0 when no answer came.
func (s *ctServer) info() (ctInfo, int, error) {
	var in ctInfo
	req, err := http.NewRequest(http.MethodGet, s.base+"/api/v1/cluster", nil)
	if err != nil {
		return in, 0, err
	}
	req.SetBasicAuth("admin", ctPassword)
	resp, err := (&http.Client{Timeout: ctRequestWithin}).Do(req)
	if err != nil {
		return in, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return in, resp.StatusCode, fmt.Errorf("GET /api/v1/cluster on %s: status %d", s.name, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&in); err != nil {
		return in, resp.StatusCode, fmt.Errorf("GET /api/v1/cluster on %s: %w", s.name, err)
	}
	return in, resp.StatusCode, nil
}

// cutOff makes an exec member unreachable from this server alone (or
// reachable again).
func (s *ctServer) cutOff(t testing.TB, member string, cut bool) {
	t.Helper()
	f := filepath.Join(s.home, "unreachable-"+member)
	var err error
	if cut {
		err = os.WriteFile(f, nil, 0o600)
	} else {
		err = os.Remove(f)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// ctService is a member's service: a TCP listener on a fixed loopback
// port that accepts and closes connections. Break closes it (connections
// are refused), Heal listens again on the same port.
type ctService struct {
	name, addr string
	mu         sync.Mutex
	ln         net.Listener
}

func startService(t testing.TB, name string) *ctService {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &ctService{name: name, addr: ln.Addr().String()}
	s.serve(ln)
	t.Cleanup(func() { s.Break() })
	return s
}

func (s *ctService) serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
}

// Break closes the listener.
func (s *ctService) Break() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
}

// Heal listens again on the service's address.
func (s *ctService) Heal(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	up := s.ln != nil
	s.mu.Unlock()
	if up {
		return
	}
	var ln net.Listener
	waitUntil(t, 5*time.Second, "listening again on "+s.addr, func() (bool, string) {
		var err error
		ln, err = net.Listen("tcp", s.addr)
		return err == nil, fmt.Sprint(err)
	})
	s.serve(ln)
}

// waitUntil polls cond until it holds, failing the test after within with
// cond's last description of what it saw.
func waitUntil(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last seen: %s", what, within, seen)
		}
		time.Sleep(ctPoll) // a poll interval, not a wait for the condition
	}
}

// ctFreePorts reserves n loopback ports and releases them for the servers
// (which keep them across restarts).
func ctFreePorts(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// ctCommit is one history record committed to etcd, as the test's watch
// saw it: its revision, and the server that committed it (Origin).
type ctCommit struct {
	Rev      int64
	Key      string
	Seen     time.Time // when the test's watch received it
	Seq      uint64    `json:"seq"`
	Kind     string    `json:"kind"`
	SetID    string    `json:"setId"`
	Member   string    `json:"member"`
	Origin   string    `json:"origin"`
	Failover *struct {
		Planned bool   `json:"planned"`
		From    string `json:"from"`
		To      string `json:"to"`
		Code    uint32 `json:"code"`
	} `json:"failover"`
}

// commitLog is every history record committed under the prefix since the
// test started, in revision order, plus the revisions of every other write.
type commitLog struct {
	mu      sync.Mutex
	history []ctCommit
	others  []int64        // revisions of writes other than history records
	kinds   map[string]int // writes seen, by the key's first segment ("-" marks a delete)
	nfo     int            // failover records in history
	last    int64          // the last revision seen
	st      *etcdstore.Store
	err     error // why the watch ended early
}

// watchCommits follows the prefix from the test, through a store of its
// own on the same etcd.
func watchCommits(t testing.TB, endpoints []string, prefix string) *commitLog {
	t.Helper()
	st, err := etcdstore.Open(t.Context(), etcdstore.Options{Endpoints: endpoints, Prefix: prefix, WatchBuffer: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	l := &commitLog{st: st}
	ctx, cancel := context.WithCancel(context.Background())
	w := st.Watch(ctx, "")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			l.add(ev)
		}
		l.mu.Lock()
		l.err = w.Err()
		l.mu.Unlock()
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	return l
}

func (l *commitLog) add(ev store.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rev := ev.KV.ModRevision
	l.last = max(l.last, rev)
	l.countKind(ev)
	if ev.Delete || !strings.HasPrefix(ev.KV.Key, "history/") {
		l.others = append(l.others, rev)
		return
	}
	c := ctCommit{}
	if err := json.Unmarshal(ev.KV.Value, &c); err != nil {
		c.Kind = "undecodable: " + err.Error()
	}
	c.Rev, c.Key, c.Seen = rev, ev.KV.Key, time.Now()
	l.history = append(l.history, c)
	if c.isFailover() {
		l.nfo++
	}
}

func (l *commitLog) countKind(ev store.Event) {
	kind, _, _ := strings.Cut(ev.KV.Key, "/")
	if ev.Delete {
		kind = "-" + kind
	}
	if l.kinds == nil {
		l.kinds = map[string]int{}
	}
	l.kinds[kind]++
}

// writes returns how many writes of each kind the watch has seen.
func (l *commitLog) writes() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.kinds)
}

// revision is etcd's current revision (a linearizable read).
func (l *commitLog) revision(t testing.TB) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	rev, err := l.st.Revision(ctx)
	if err != nil {
		t.Fatalf("reading etcd's revision: %v", err)
	}
	return rev
}

// caughtUp waits until the watch has seen revision rev.
func (l *commitLog) caughtUp(t testing.TB, rev int64) {
	t.Helper()
	waitUntil(t, 10*time.Second, fmt.Sprintf("the test's watch reaching revision %d", rev), func() (bool, string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.last >= rev || rev == 0, fmt.Sprintf("at %d (watch ended: %v)", l.last, l.err)
	})
}

// after returns the history records committed after revision rev.
func (l *commitLog) after(rev int64) []ctCommit {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []ctCommit
	for _, c := range l.history {
		if c.Rev > rev {
			out = append(out, c)
		}
	}
	return out
}

// by counts the history records each origin committed after rev.
func (l *commitLog) by(rev int64) map[string]int {
	out := map[string]int{}
	for _, c := range l.after(rev) {
		out[c.Origin]++
	}
	return out
}

// failovers are the succeeded failovers committed after rev.
func (l *commitLog) failovers(rev int64) []ctCommit {
	var out []ctCommit
	for _, c := range l.after(rev) {
		if c.isFailover() {
			out = append(out, c)
		}
	}
	return out
}

// failoverCount is how many failover records the watch has seen, without
// copying the log (a benchmark polls it).
func (l *commitLog) failoverCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nfo
}

func (c ctCommit) isFailover() bool { return c.Kind == "FailoverSucceeded" && c.Failover != nil }

func (l *commitLog) summary() string {
	var b strings.Builder
	for _, c := range l.after(0) {
		fmt.Fprintf(&b, "  rev %d seq %d %s origin=%q set=%s member=%s", c.Rev, c.Seq, c.Kind, c.Origin, c.SetID, c.Member)
		if c.Failover != nil {
			fmt.Fprintf(&b, " %s -> %s planned=%v code=%d", c.Failover.From, c.Failover.To, c.Failover.Planned, c.Failover.Code)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
