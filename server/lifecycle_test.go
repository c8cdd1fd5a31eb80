package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

// parsed parses text as test.yaml with a store in dir and one loopback
// listener on a free port.
func parsed(t *testing.T, text, dir string) Config {
	t.Helper()
	cfg, err := ParseConfig("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data, cfg.AdminPassword, cfg.Listen = dir, "pw", []string{"127.0.0.1:0"}
	return cfg
}

// fileDigest is the SHA-256 of a file: equal digests mean nothing was
// written.
func fileDigest(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// freeAddr is a loopback address no one listens on (just now).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A start that fails on anything it can check without the store, TLS
// files and listeners included, creates no data directory and leaves an
// existing store byte for byte as it was.
func TestFailedStartTouchesNothing(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	twice := freeAddr(t)
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
		is    error // errors.Is the error, when not nil
	}{
		{"missing certificate", func(c *Config) { c.TLS = TLSConfig{Cert: certFile + ".absent", Key: keyFile} }, "tls.cert", fs.ErrNotExist},
		{"missing key", func(c *Config) { c.TLS = TLSConfig{Cert: certFile, Key: keyFile + ".absent"} }, "tls.key", fs.ErrNotExist},
		{"certificate that is not one", func(c *Config) { c.TLS = TLSConfig{Cert: keyFile, Key: keyFile} }, "tls.cert", nil},
		{"a listener listed twice", func(c *Config) { c.Listen = []string{twice, twice} }, "listen[1]", nil},
		{"a listener in use", func(c *Config) { c.Listen = []string{"127.0.0.1:0", busy.Addr().String()} }, "listen[1]", syscall.EADDRINUSE},
		{"an unknown store", func(c *Config) { c.Store = StoreCfg{URL: "zk://somewhere"} }, "store", nil},
		{"a missing cluster secret file", func(c *Config) {
			c.Store, c.Cluster.SecretFile = StoreCfg{URL: "etcd://" + closedPort(t)}, filepath.Join(t.TempDir(), "absent")
		}, "cluster.secretFile", fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check := func(t *testing.T, err error) {
				t.Helper()
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tc.field {
					t.Errorf("New error = %v, want a FieldError at %s", err, tc.field)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("New error = %v, want errors.Is %v", err, tc.is)
				}
			}
			t.Run("fresh", func(t *testing.T) {
				data := filepath.Join(t.TempDir(), "data")
				cfg := parsed(t, applyConfig("x", false), data)
				tc.edit(&cfg)
				s, err := New(context.Background(), cfg, nil)
				if err == nil {
					s.Close()
				}
				check(t, err)
				if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the failed start left %s behind (stat: %v)", data, err)
				}
			})
			t.Run("existing store", func(t *testing.T) {
				data := t.TempDir()
				first, err := New(context.Background(), parsed(t, applyConfig("first", false), data), nil)
				if err != nil {
					t.Fatal(err)
				}
				first.Close()
				before := fileDigest(t, filepath.Join(data, "redset.db"))
				cfg := parsed(t, applyConfig("second", true), data)
				tc.edit(&cfg)
				s, err := New(context.Background(), cfg, nil)
				if err == nil {
					s.Close()
				}
				check(t, err)
				if fileDigest(t, filepath.Join(data, "redset.db")) != before {
					t.Errorf("the failed start changed the store")
				}
			})
		})
	}
}

// A configuration only the stored state refutes (a set now allowed fewer
// members than it holds) fails before any of it is written.
func TestStartRefusedByStoredState(t *testing.T) {
	data := t.TempDir()
	first, err := New(context.Background(), parsed(t, applyConfig("first", false), data), nil)
	if err != nil {
		t.Fatal(err)
	}
	before := configRecords(t, first.Engine())
	first.Close()
	text := strings.Replace(applyConfig("second", false), "    minNumberNeeded: 1\n", "    minNumberNeeded: 1\n    maxNumberSupported: 1\n", 1)
	text = strings.Replace(text, "      - {name: b, role: spare, spareStatus: hot, failoverSupported: both}\n", "", 1)
	text = strings.Replace(text, "  - {name: c,", "  - {name: d, probe: {type: heartbeat, ttl: 1h}}\n  - {name: c,", 1)
	_, err = New(context.Background(), parsed(t, text, data), nil)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "sets[0].maxNumberSupported" || !strings.Contains(fe.Msg, "2 stored") {
		t.Fatalf("New = %v, want a FieldError at sets[0].maxNumberSupported naming the 2 stored members", err)
	}
	again, err := New(context.Background(), parsed(t, applyConfig("first", false), data), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := configRecords(t, again.Engine()); !cmp.Equal(before, got) {
		t.Errorf("configuration records after the refused start:\n%v\nwant as before:\n%v", got, before)
	}
	if _, err := again.Engine().GetMember("d"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("member d of the refused configuration exists: %v", err)
	}
}

func TestFirstMissing(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ path, want string }{
		{dir, ""},
		{filepath.Join(dir, "a"), filepath.Join(dir, "a")},
		{filepath.Join(dir, "a", "b", "c"), filepath.Join(dir, "a")},
	}
	for _, tc := range tests {
		if got := firstMissing(tc.path); got != tc.want {
			t.Errorf("firstMissing(%s) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

// configRecords lists the ConfigChanged records of the history as
// "action set member".
func configRecords(t *testing.T, eng *engine.Engine) []string {
	t.Helper()
	hist, err := eng.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range hist {
		if r.Kind == event.KindConfigChanged {
			out = append(out, strings.TrimSpace(r.Config.Action+" "+r.SetID+" "+r.Member))
		}
	}
	return out
}

// unchangedConfig uses what a restart must find equal: every probe type,
// labels, policies with and without defaults, a set with Other types and
// an explicit algorithm, and spares with settings.
const unchangedConfig = `health: {interval: 5s, timeout: 1s}
members:
  - name: a
    labels: {zone: one}
    probe: {type: tcp, address: "127.0.0.1:9", rise: 1}
  - name: b
    probe: {type: http, url: "http://127.0.0.1:9/health", expect: "200-299", headers: {X-Check: redset}}
  - name: c
    probe: {type: exec, command: [/bin/false], env: {A: b}, timeout: 200ms}
  - name: d
    probe: {type: heartbeat, ttl: 1h}
  - name: e
sets:
  - id: web
    caption: Web
    typeOfSet: [4]
    minNumberNeeded: 1
    policy: {maxFailovers: 2}
    members:
      - {name: a}
      - {name: b, role: spare, spareStatus: cold, failoverSupported: manual, priority: 3}
  - id: pool
    typeOfSet: [1, 3]
    otherTypeOfSet: [custom, ""]
    minNumberNeeded: 1
    loadBalanceAlgorithm: 3
    members: [{name: c}, {name: d}, {name: e, role: drained}]
`

// Starting again with the same file writes nothing: no ConfigChanged
// record, no new revision of any set or member.
func TestUnchangedRestartWritesNothing(t *testing.T) {
	data := t.TempDir()
	first, err := New(context.Background(), parsed(t, unchangedConfig, data), nil)
	if err != nil {
		t.Fatal(err)
	}
	records := configRecords(t, first.Engine())
	revisions := storedRevisions(t, first.Engine())
	first.Close()

	second, err := New(context.Background(), parsed(t, unchangedConfig, data), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if diff := cmp.Diff(ApplyReport{}, second.Applied()); diff != "" {
		t.Errorf("ApplyReport of an unchanged restart (-want +got):\n%s", diff)
	}
	if got := configRecords(t, second.Engine()); !cmp.Equal(records, got) {
		t.Errorf("ConfigChanged records after an unchanged restart:\n%v\nwant only those of the first start:\n%v", got, records)
	}
	if diff := cmp.Diff(revisions, storedRevisions(t, second.Engine())); diff != "" {
		t.Errorf("revisions changed (-before +after):\n%s", diff)
	}
}

func storedRevisions(t *testing.T, eng *engine.Engine) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	sets, err := eng.ListSets()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets {
		out["set "+s.InstanceID] = s.Revision
	}
	members, err := eng.ListMembers()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		out["member "+m.Name] = m.Revision
	}
	return out
}

// A load-balancing algorithm a client wrote survives a restart when the
// file declares none, and gives way when the file declares one.
func TestRestartKeepsAnUndeclaredAlgorithm(t *testing.T) {
	data := t.TempDir()
	first, err := New(context.Background(), parsed(t, unchangedConfig, data), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []string{"redset:web", "redset:pool"} {
		if _, err := first.Engine().SetLoadBalance(ctx, id, engine.LBLeastIO, ""); err != nil {
			t.Fatal(err)
		}
	}
	first.Close()
	second, err := New(ctx, parsed(t, unchangedConfig, data), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	for id, want := range map[string]uint16{"redset:web": engine.LBLeastIO, "redset:pool": engine.LBRoundRobin} {
		v, err := second.Engine().GetSet(id)
		if err != nil || v.LoadBalanceAlgorithm != want {
			t.Errorf("%s: LoadBalanceAlgorithm %d (%v), want %d", id, v.LoadBalanceAlgorithm, err, want)
		}
	}
}

// A probed member has a known health when Start returns, so a failover
// to it right away is not refused for health Unknown.
func TestReadyAfterFirstProbeRound(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go acceptAndClose(up)
	text := `members:
  - {name: a, probe: {type: tcp, address: "` + up.Addr().String() + `", interval: 1m}}
  - {name: b, probe: {type: tcp, address: "` + up.Addr().String() + `", interval: 1m}}
  - {name: down, probe: {type: tcp, address: "` + freeAddr(t) + `", interval: 1m}}
  - {name: slow, probe: {type: exec, command: [sleep, "30"], interval: 1m, timeout: 300ms}}
  - {name: pushed, probe: {type: heartbeat, ttl: 1h}}
sets:
  - id: web
    typeOfSet: [4]
    minNumberNeeded: 1
    members: [{name: a}, {name: b, role: spare}]
`
	s := newServer(t, text, nil)
	if got := serveLocal(s, "GET", "/readyz", "", ""); got != 503 {
		t.Errorf("/readyz before Start = %d, want 503", got)
	}
	began := time.Now()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("Start took %v; the slow probe's timeout (300ms) should bound it", took)
	}
	want := map[string]engine.Health{"a": engine.HealthOK, "b": engine.HealthOK, "down": engine.HealthFailed,
		"slow": engine.HealthFailed, "pushed": engine.HealthUnknown}
	for name, h := range want {
		m, err := s.Engine().GetMember(name)
		if err != nil || m.Health.State != h {
			t.Errorf("member %s right after Start: %v (%v), want %v", name, m.Health.State, err, h)
		}
	}
	code, body := get(t, "http://"+s.Addrs()[0]+"/readyz")
	if code != 200 {
		t.Errorf("/readyz after Start = %d %q", code, body)
	}
	if res := s.Engine().Failover(context.Background(), "redset:web", "a", "b"); res.Code != engine.CodeCompleted {
		t.Errorf("a failover right after Start = %d %s, want 0", res.Code, res.Reason)
	}
}

// Health and status transitions are logged at info, once each.
func TestTransitionsAreLogged(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go acceptAndClose(up)
	logs := &syncBuffer{}
	cfg := parsed(t, "members:\n  - {name: a, probe: {type: tcp, address: \""+up.Addr().String()+"\", interval: 1m}}\n"+
		"sets:\n  - {id: s, typeOfSet: [2], minNumberNeeded: 1, members: [{name: a}]}\n", t.TempDir())
	s, err := New(context.Background(), cfg, NewLogger(logs, LogConfig{Format: "text", Level: "info"}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`level=INFO msg="member health changed" part=events member=a from=Unknown to=OK`,
		`level=INFO msg="set status changed" part=events set=redset:s from="0 Unknown" to="4 Redundancy Lost"`,
		`msg=audit audit=true action="set created" outcome=ok`,
	} {
		eventually(t, 5*time.Second, "the log line "+want+" in\n"+logs.String(), func() bool { return strings.Count(logs.String(), want) == 1 })
	}
	// The audit line tells the change; the event log does not repeat it.
	if strings.Contains(logs.String(), `msg="configuration changed"`) {
		t.Errorf("a configuration change is logged twice (audit and events):\n%s", logs.String())
	}
}

// With the audit stream in its own file, the main log still tells
// configuration changes, once each.
func TestConfigChangesLoggedWhenAuditHasItsFile(t *testing.T) {
	logs := &syncBuffer{}
	dir := t.TempDir()
	cfg := parsed(t, "sets:\n  - {id: s, typeOfSet: [2], minNumberNeeded: 1}\n", dir)
	cfg.Audit.File = filepath.Join(dir, "audit.jsonl")
	s, err := New(context.Background(), cfg, NewLogger(logs, LogConfig{Format: "text", Level: "info"}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `level=INFO msg="configuration changed" part=events action="set created" set=redset:s`
	eventually(t, 5*time.Second, "the log line "+want+" in\n"+logs.String(), func() bool { return strings.Count(logs.String(), want) == 1 })
	if strings.Contains(logs.String(), "msg=audit") {
		t.Errorf("audit lines in the main log although the audit has its own file:\n%s", logs.String())
	}
}

// A failover's outcome is one info line of the main log, whether the
// audit stream is in it (the audit entry) or has its own file (the event
// log's line); the engine's own lines are at debug.
func TestFailoversLoggedOnce(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go acceptAndClose(up)
	text := "members:\n  - {name: a, probe: {type: tcp, address: \"" + up.Addr().String() + "\", interval: 1m}}\n" +
		"  - {name: b, probe: {type: tcp, address: \"" + up.Addr().String() + "\", interval: 1m}}\n" +
		"sets:\n  - {id: s, typeOfSet: [4], minNumberNeeded: 1, members: [{name: a}, {name: b, role: spare}]}\n"
	for _, auditFile := range []bool{false, true} {
		logs := &syncBuffer{}
		dir := t.TempDir()
		cfg := parsed(t, text, dir)
		if auditFile {
			cfg.Audit.File = filepath.Join(dir, "audit.jsonl")
		}
		s, err := New(context.Background(), cfg, NewLogger(logs, LogConfig{Format: "text", Level: "info"}))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if res := s.Engine().Failover(context.Background(), "redset:s", "a", "b"); res.Code != engine.CodeCompleted {
			t.Fatalf("failover: %d %s", res.Code, res.Reason)
		}
		if res := s.Engine().Failover(context.Background(), "redset:s", "a", "b"); res.Code == engine.CodeCompleted {
			t.Fatal("a failover from a spare completed")
		}
		want := []string{`msg=audit audit=true action=failover outcome=ok`, `msg=audit audit=true action=failover outcome=refused`}
		if auditFile {
			want = []string{`msg="failover completed" part=events set=redset:s from=a to=b`, `msg="failover refused" part=events set=redset:s from=a to=b`}
		}
		for _, w := range want {
			eventually(t, 5*time.Second, "the log line "+w+" in\n"+logs.String(), func() bool { return strings.Contains(logs.String(), w) })
		}
		_ = s.Close()
		if n := strings.Count(logs.String(), "from=a to=b"); n != 2 {
			t.Errorf("audit file %v: %d lines about the two failovers, want 2:\n%s", auditFile, n, logs.String())
		}
	}
}
