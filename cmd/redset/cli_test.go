package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
	"github.com/spf13/cobra"
)

// lockedBuffer collects a command's output; it may be read while the
// command still writes (watch, serve).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// cliResult is what one run of the command line gave.
type cliResult struct {
	out, err string
	code     int // the process exit code main would use
}

// runCLI runs the command line in-process, as main does, until ctx ends
// or the command returns.
func runCLI(ctx context.Context, args ...string) cliResult {
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	code := execCLI(ctx, out, errOut, args...)
	return cliResult{out: out.String(), err: errOut.String(), code: code}
}

func execCLI(ctx context.Context, out, errOut *lockedBuffer, args ...string) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if !isSilent(err) {
		fmt.Fprintln(errOut, "redset:", err)
	}
	return exitCode(err)
}

// demoCLI is a demo server and the flags that reach it.
type demoCLI struct {
	srv   *redsettest.Server
	flags []string
	api   *api.Client
}

func startDemo(t *testing.T) *demoCLI {
	t.Helper()
	srv := redsettest.Start(t, redsettest.Options{Demo: true})
	c, err := api.NewClient(srv.URL, "admin", redsettest.AdminPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &demoCLI{srv: srv, api: c,
		flags: []string{"--server", srv.URL, "--user", "admin", "--password", redsettest.AdminPassword}}
	d.waitAllOK(t)
	return d
}

// run runs a client subcommand against the demo server.
func (d *demoCLI) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLI(context.Background(), append(args, d.flags...)...)
}

func (d *demoCLI) waitAllOK(t *testing.T) {
	t.Helper()
	poll(t, 20*time.Second, "every demo member OK", func() bool {
		ms, err := d.api.ListMembers(context.Background())
		if err != nil || len(ms) == 0 {
			return false
		}
		for _, m := range ms {
			if m.Health.State != "OK" {
				return false
			}
		}
		return true
	})
}

func poll(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		<-tick.C
	}
}

func wantRun(t *testing.T, r cliResult, code int, stdout ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.out, r.err)
	}
	for _, s := range stdout {
		if !strings.Contains(r.out, s) {
			t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", s, r.out, r.err)
		}
	}
}

func roleOf(t *testing.T, eng *engine.Engine, set, member string) engine.RoleKind {
	t.Helper()
	v, err := eng.GetSet(set)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range v.Members {
		if m.Name == member {
			return m.Role.Kind
		}
	}
	t.Fatalf("%s is not in %s", member, set)
	return 0
}

func TestCLIAgainstDemo(t *testing.T) {
	d := startDemo(t)
	eng := d.srv.Engine()

	t.Run("sets", func(t *testing.T) {
		r := d.run(t, "sets")
		wantRun(t, r, 0, "INSTANCEID", "STATUS")
		lines := strings.Split(strings.TrimSpace(r.out), "\n")
		if len(lines) != 4 {
			t.Fatalf("sets printed %d lines, want a header and 3 sets:\n%s", len(lines), r.out)
		}
		for i, want := range []string{"redset:demo-db", "redset:demo-lb", "redset:demo-web"} {
			if f := strings.Fields(lines[i+1]); len(f) < 4 || f[0] != want || f[1] != "2" || f[2] != "Fully" {
				t.Errorf("line %d = %q, want %s with 2 Fully Redundant", i+1, lines[i+1], want)
			}
		}
		wantRun(t, r, 0, "Sparing", "N+1", "Load Balanced", "web-a(OK)", "web-b(OK)")
	})
	t.Run("cluster status", func(t *testing.T) {
		r := d.run(t, "cluster", "status")
		wantRun(t, r, 0, "cluster mode single", "SERVER", "leader (this server)")
		r = d.run(t, "cluster", "status", "-o", "json")
		var info api.ClusterInfo
		if err := json.Unmarshal([]byte(r.out), &info); err != nil || info.Mode != "single" || !info.IsLeader ||
			info.Leader == nil || len(info.Servers) != 1 {
			t.Errorf("cluster status -o json = %+v (%v):\n%s", info, err, r.out)
		}
	})
	t.Run("sets -o json", func(t *testing.T) {
		r := d.run(t, "sets", "-o", "json")
		wantRun(t, r, 0)
		var sets []api.Set
		if err := json.Unmarshal([]byte(r.out), &sets); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.out)
		}
		var ids []string
		for _, s := range sets {
			ids = append(ids, s.InstanceID)
		}
		if diff := cmp.Diff([]string{"redset:demo-db", "redset:demo-lb", "redset:demo-web"}, ids); diff != "" {
			t.Errorf("sets (-want +got):\n%s", diff)
		}
	})
	t.Run("set get", func(t *testing.T) {
		r := d.run(t, "set", "get", "redset:demo-web")
		wantRun(t, r, 0, "InstanceID:", "redset:demo-web", "RedundancyStatus:", "2 Fully Redundant", "TypeOfSet:", "Sparing",
			"LoadBalanceAlgorithm:", "2 No Load Balancing", "MEMBER")
		for _, row := range []string{`web-a\s+inService\s+OK\s+-\s+-\s+0`, `web-b\s+spare\s+OK\s+2 Hot Standby\s+4 Both\s+0`} {
			if !regexp.MustCompile(row).MatchString(r.out) {
				t.Errorf("set get has no row matching %s:\n%s", row, r.out)
			}
		}
	})
	t.Run("set get of an unknown set", func(t *testing.T) {
		r := d.run(t, "set", "get", "redset:nope")
		if r.code != 1 || !strings.Contains(r.err, "redset:nope") {
			t.Errorf("exit %d, stderr %q; want 1 naming the set", r.code, r.err)
		}
	})
	t.Run("members", func(t *testing.T) {
		r := d.run(t, "members")
		wantRun(t, r, 0, "NAME", "HEALTH", "PROBE")
		for _, m := range []string{"web-a", "web-b", "db-1", "db-2", "db-3", "lb-1", "lb-2", "lb-3", "lb-4"} {
			row := `(?m)^` + m + `\s+OK\s+(http\s+http://127\.0\.0\.1:\d+/|tcp\s+127\.0\.0\.1:\d+)\s`
			if !regexp.MustCompile(row).MatchString(r.out) {
				t.Errorf("members has no OK row for %s with its probe's type and target:\n%s", m, r.out)
			}
		}
	})
	t.Run("failover", func(t *testing.T) {
		r := d.run(t, "failover", "redset:demo-web", "--from", "web-a", "--to", "web-b")
		wantRun(t, r, 0, "0 Completed")
		if got := roleOf(t, eng, "redset:demo-web", "web-b"); got != engine.RoleInService {
			t.Errorf("after the failover web-b is %v, want in service", got)
		}
		if got := roleOf(t, eng, "redset:demo-web", "web-a"); got != engine.RoleSpare {
			t.Errorf("after the failover web-a is %v, want spare", got)
		}
	})
	t.Run("refused failover", func(t *testing.T) {
		r := d.run(t, "failover", "redset:demo-web", "--from", "web-a", "--to", "web-b")
		wantRun(t, r, 2, "4 Parameter Error", "Reason:")
		if r.err != "" {
			t.Errorf("a refusal printed to stderr too: %q", r.err)
		}
	})
	t.Run("refused failover -o json", func(t *testing.T) {
		r := d.run(t, "failover", "redset:demo-web", "--from", "web-a", "--to", "web-b", "-o", "json")
		var res api.FailoverResult
		if err := json.Unmarshal([]byte(r.out), &res); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.out)
		}
		if r.code != 2 || res.ReturnValue != 4 || res.Reason == "" {
			t.Errorf("exit %d, %+v; want exit 2, return value 4 with a reason", r.code, res)
		}
	})
	t.Run("drain and enable", func(t *testing.T) {
		r := d.run(t, "failover", "redset:demo-db", "--from", "db-1", "--to", "db-2")
		wantRun(t, r, 0, "0 Completed")
		if got := roleOf(t, eng, "redset:demo-db", "db-1"); got != engine.RoleDrained {
			t.Fatalf("db-1 is %v after an N+1 failover, want drained", got)
		}
		r = d.run(t, "enable", "redset:demo-db", "db-1")
		wantRun(t, r, 0, "db-1")
		if got := roleOf(t, eng, "redset:demo-db", "db-1"); got != engine.RoleInService {
			t.Errorf("db-1 is %v after enable, want in service", got)
		}
	})
	t.Run("history", func(t *testing.T) {
		r := d.run(t, "history", "--limit", "5")
		wantRun(t, r, 0, "SEQ", "KIND")
		lines := strings.Split(strings.TrimSpace(r.out), "\n")
		if len(lines) != 6 {
			t.Errorf("history --limit 5 printed %d lines, want a header and 5 events:\n%s", len(lines), r.out)
		}
		r = d.run(t, "history", "--set", "redset:demo-web", "-o", "json")
		var evs []api.Event
		if err := json.Unmarshal([]byte(r.out), &evs); err != nil {
			t.Fatalf("history -o json: %v\n%s", err, r.out)
		}
		planned := 0
		for _, e := range evs {
			if e.SetID != "redset:demo-web" {
				t.Errorf("history --set redset:demo-web has an event of %q", e.SetID)
			}
			if e.Kind == "FailoverSucceeded" && e.Failover.Planned {
				planned++
			}
		}
		if planned != 1 {
			t.Errorf("history of demo-web has %d planned failovers, want 1", planned)
		}
	})
	t.Run("watch", func(t *testing.T) { testWatch(t, d) })
	t.Run("demo fail and heal", func(t *testing.T) {
		wantRun(t, d.run(t, "demo", "fail", "lb-4"), 0, "lb-4: service stopped")
		poll(t, 20*time.Second, "lb-4 Failed", func() bool { return memberHealth(t, d, "lb-4") == "Failed" })
		wantRun(t, d.run(t, "demo", "heal", "lb-4"), 0, "lb-4: service running")
		poll(t, 20*time.Second, "lb-4 OK", func() bool { return memberHealth(t, d, "lb-4") == "OK" })
		r := d.run(t, "demo", "fail", "nobody")
		if r.code != 1 || !strings.Contains(r.err, "not a demo member") {
			t.Errorf("demo fail nobody: exit %d, stderr %q", r.code, r.err)
		}
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv("REDSET_SERVER", d.srv.URL)
		t.Setenv("REDSET_USER", "admin")
		t.Setenv("REDSET_PASSWORD", redsettest.AdminPassword)
		wantRun(t, runCLI(context.Background(), "sets"), 0, "redset:demo-web")
	})
}

func memberHealth(t *testing.T, d *demoCLI, name string) string {
	t.Helper()
	m, err := d.api.GetMember(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return m.Health.State
}

// testWatch follows the live events until the first one arrives, made by a
// refused failover (which changes nothing).
func testWatch(t *testing.T, d *demoCLI) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- execCLI(ctx, out, errOut, append([]string{"watch"}, d.flags...)...) }()
	trigger := time.NewTicker(100 * time.Millisecond)
	defer trigger.Stop()
	deadline := time.After(15 * time.Second)
	for !strings.Contains(out.String(), "lb-1 → nobody") {
		select {
		case <-trigger.C:
			// Until watch is connected the events are missed; repeat.
			_, _ = d.api.Failover(context.Background(), "redset:demo-lb", "lb-1", "nobody")
		case code := <-done:
			t.Fatalf("watch ended by itself with %d: %s", code, errOut.String())
		case <-deadline:
			t.Fatalf("watch printed no event:\n%s\nstderr:\n%s", out.String(), errOut.String())
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("watch exited %d after its context ended, want 0; stderr %q", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not end when its context did")
	}
	if !strings.Contains(out.String(), "redset:demo-lb") || !strings.Contains(out.String(), "lb-1 → nobody") {
		t.Errorf("watch output does not describe the refusal:\n%s", out.String())
	}
}

func TestCLIConnectionErrors(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"bad credentials", []string{"sets", "--server", srv.URL, "--user", "admin", "--password", "wrong"},
			[]string{"401", "REDSET_USER", "REDSET_PASSWORD"}},
		{"no password", []string{"sets", "--server", srv.URL, "--password", ""}, []string{"REDSET_USER", "REDSET_PASSWORD"}},
		{"no server", []string{"sets", "--server", closed, "--password", "x"}, []string{"connection refused", "REDSET_SERVER", closed}},
		{"bad server address", []string{"sets", "--server", "127.0.0.1:5988"}, []string{"REDSET_SERVER", "http://127.0.0.1:5988"}},
		{"bad output", []string{"sets", "--server", srv.URL, "-o", "yaml"}, []string{"table or json"}},
		{"failover without --to", []string{"failover", "redset:x", "--from", "a", "--server", srv.URL}, []string{"--to is required"}},
		{"unknown command", []string{"sest"}, []string{"unknown command"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(context.Background(), tc.args...)
			if r.code != 1 {
				t.Errorf("exit code %d, want 1", r.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr %q lacks %q", r.err, w)
				}
			}
		})
	}
}

func TestCLIOffline(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.mof")
	good := filepath.Join(dir, "good.mof")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(broken, "class My_Thing : CIM_ManagedElement {\n  string Name\n};\n")
	write(good, "class My_Thing : CIM_ManagedElement {\n  [Key] string Name;\n};\n")

	t.Run("mof show", func(t *testing.T) {
		wantRun(t, runCLI(context.Background(), "mof", "show", "Msvm_RedundancySet"), 0,
			"class Msvm_RedundancySet", "CIM_RedundancySet", "Failover", "RedundancyStatus")
	})
	t.Run("mof show of an unknown class", func(t *testing.T) {
		if r := runCLI(context.Background(), "mof", "show", "No_Such"); r.code != 1 || !strings.Contains(r.err, "No_Such") {
			t.Errorf("exit %d, stderr %q; want 1 naming the class", r.code, r.err)
		}
	})
	t.Run("mof check of a broken file", func(t *testing.T) {
		r := runCLI(context.Background(), "mof", "check", broken)
		wantRun(t, r, 1)
		if !regexp.MustCompile(regexp.QuoteMeta(broken) + `:\d+:\d+: `).MatchString(r.out) {
			t.Errorf("mof check printed no file:line:col diagnostic:\n%s", r.out)
		}
	})
	t.Run("mof check of a good file", func(t *testing.T) {
		wantRun(t, runCLI(context.Background(), "mof", "check", good), 0)
	})
	t.Run("completion bash", func(t *testing.T) {
		wantRun(t, runCLI(context.Background(), "completion", "bash"), 0, "bash completion", "__start_redset")
	})
	t.Run("completion zsh", func(t *testing.T) {
		wantRun(t, runCLI(context.Background(), "completion", "zsh"), 0, "#compdef redset")
	})
	t.Run("version", func(t *testing.T) {
		wantRun(t, runCLI(context.Background(), "version"), 0, "redset "+version)
	})
	t.Run("hash-password", func(t *testing.T) {
		r := runCLI(context.Background(), "hash-password", "s3cret")
		wantRun(t, r, 0)
		users := auth.NewUsers(auth.User{Name: "u", PasswordHash: strings.TrimSpace(r.out), Role: auth.Reader})
		if _, err := users.Authenticate(context.Background(), "u", "s3cret"); err != nil {
			t.Errorf("hash-password printed %q, not a hash of the password: %v", r.out, err)
		}
	})
}

// Every command's --help says what it does and how it is used.
func TestCLIHelp(t *testing.T) {
	var walk func(c *cobra.Command)
	var cmds []*cobra.Command
	walk = func(c *cobra.Command) {
		cmds = append(cmds, c)
		for _, sub := range c.Commands() {
			if !sub.Hidden && sub.Name() != "help" {
				walk(sub)
			}
		}
	}
	walk(newRootCmd())
	if len(cmds) < 15 {
		t.Fatalf("found %d commands, want every one of redset's", len(cmds))
	}
	for _, c := range cmds {
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(c.CommandPath(), func(t *testing.T) {
			if c.Short == "" {
				t.Errorf("%s has no short description", c.CommandPath())
			}
			r := runCLI(context.Background(), append(path, "--help")...)
			desc := c.Short
			if c.Long != "" {
				desc, _, _ = strings.Cut(c.Long, "\n")
			}
			wantRun(t, r, 0, "Usage:", desc)
			if c.Runnable() && c.HasAvailableFlags() && !strings.Contains(r.out, "Flags:") {
				t.Errorf("help lists no flags:\n%s", r.out)
			}
			if c.Example != "" && !strings.Contains(r.out, "Examples:") {
				t.Errorf("help shows no examples:\n%s", r.out)
			}
		})
	}
	t.Run("client commands name the environment", func(t *testing.T) {
		r := runCLI(context.Background(), "sets", "--help")
		wantRun(t, r, 0, "REDSET_SERVER", "REDSET_USER", "REDSET_PASSWORD")
	})
	t.Run("help never shows the password from the environment", func(t *testing.T) {
		t.Setenv("REDSET_PASSWORD", "s3cret-from-env")
		r := runCLI(context.Background(), "sets", "--help")
		if strings.Contains(r.out, "s3cret-from-env") {
			t.Errorf("sets --help shows REDSET_PASSWORD's value:\n%s", r.out)
		}
	})
	t.Run("client commands with arguments show an example", func(t *testing.T) {
		for _, args := range [][]string{{"failover"}, {"set", "get"}, {"enable"}, {"demo", "fail"}, {"history"}} {
			if r := runCLI(context.Background(), append(args, "--help")...); !strings.Contains(r.out, "redset:demo-") && !strings.Contains(r.out, "web-a") {
				t.Errorf("%v --help has no example with the demo:\n%s", args, r.out)
			}
		}
	})
}

// serveCLI runs `redset serve` with args until the test ends and returns
// its output once the welcome is printed.
func serveCLI(t *testing.T, args ...string) (out *lockedBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- execCLI(ctx, out, errOut, append([]string{"serve"}, args...)...) }()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(out.String(), "redset sets") {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve ended with %d before serving:\n%s\n%s", code, out.String(), errOut.String())
		case <-deadline:
			cancel()
			t.Fatalf("serve printed no welcome:\n%s\n%s", out.String(), errOut.String())
		case <-tick.C:
		}
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop when its context ended")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return out, stop
}

func TestCLIServe(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "")
	data := t.TempDir()
	out, stop := serveCLI(t, "--data", data, "--listen", "127.0.0.1:0", "--demo")
	m := regexp.MustCompile(`user admin, password (\S+)`).FindStringSubmatch(out.String())
	base := regexp.MustCompile(`dashboard\s+(http://127\.0\.0\.1:\d+)/`).FindStringSubmatch(out.String())
	if m == nil || base == nil {
		t.Fatalf("the welcome lacks the dashboard address or the generated password:\n%s", out.String())
	}
	for _, w := range []string{"JSON API", "CIM-XML", "WS-Man", "metrics", "export REDSET_SERVER=" + base[1]} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("the welcome lacks %q:\n%s", w, out.String())
		}
	}
	r := runCLI(context.Background(), "sets", "--server", base[1], "--password", m[1])
	wantRun(t, r, 0, "redset:demo-web")
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d after its context ended, want 0", code)
	}

	t.Run("second start keeps the password", func(t *testing.T) {
		out, _ := serveCLI(t, "--data", data, "--listen", "127.0.0.1:0")
		if strings.Contains(out.String(), m[1]) || !strings.Contains(out.String(), "REDSET_ADMIN_PASSWORD") {
			t.Errorf("second start:\n%s\nwant no password shown, a pointer to REDSET_ADMIN_PASSWORD", out.String())
		}
	})
}

func TestCLIServeBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redset.yaml")
	if err := os.WriteFile(path, []byte("listen: [\"127.0.0.1:0\"]\nsets:\n  - id: x\n    caption: "+strings.Repeat("c", 65)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(context.Background(), "serve", "--config", path, "--data", t.TempDir())
	if want := path + ":4: sets[0].caption: "; r.code != 1 || !strings.Contains(r.err, want) {
		t.Errorf("exit %d, stderr %q; want 1 with %q", r.code, r.err, want)
	}
}

// A first start that cannot listen fails before it touches the store: no
// data directory, no password generated (so none is lost). The next start
// generates the password and shows it.
func TestCLIServePortInUse(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	data := filepath.Join(t.TempDir(), "data")
	r := runCLI(context.Background(), "serve", "--data", data, "--listen", "127.0.0.1:0", "--listen", busy.Addr().String())
	if r.code != 1 || !strings.Contains(r.err, "listen[1]: cannot listen on "+busy.Addr().String()) || !strings.Contains(r.err, "address already in use") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 1 and the listen error naming listen[1]", r.code, r.out, r.err)
	}
	if strings.Contains(r.out, "password") {
		t.Errorf("a start that stored nothing showed a password:\n%s", r.out)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed start created %s (stat: %v)", data, err)
	}
	out, _ := serveCLI(t, "--data", data, "--listen", "127.0.0.1:0")
	m := regexp.MustCompile(`user admin, password (\S+)`).FindStringSubmatch(out.String())
	base := regexp.MustCompile(`dashboard\s+(http://\S+)/`).FindStringSubmatch(out.String())
	if m == nil || base == nil {
		t.Fatalf("no dashboard address or generated password in:\n%s", out.String())
	}
	wantRun(t, runCLI(context.Background(), "sets", "--server", base[1], "--password", m[1]), 0, "INSTANCEID")
}

func TestCLIServeTLSWelcome(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSignedFiles(t, dir)
	cfg := filepath.Join(dir, "redset.yaml")
	text := fmt.Sprintf("tls: {cert: %q, key: %q}\n", cert, key)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REDSET_ADMIN_PASSWORD", "pw")
	out, _ := serveCLI(t, "--config", cfg, "--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0")
	if !regexp.MustCompile(`dashboard\s+https://127\.0\.0\.1:\d+/`).MatchString(out.String()) {
		t.Errorf("a TLS server's welcome does not show https addresses:\n%s", out.String())
	}
}

// selfSignedFiles writes a certificate for 127.0.0.1 and its key.
func selfSignedFiles(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for path, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// --store chooses the store: a bolt URL puts the file where it says; a
// URL of no known kind is refused before anything starts.
func TestCLIServeStoreFlag(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "pw")
	dir := t.TempDir()
	file := filepath.Join(dir, "elsewhere", "state.db")
	_, stop := serveCLI(t, "--data", filepath.Join(dir, "data"), "--store", "bolt://"+file, "--listen", "127.0.0.1:0")
	stop()
	if _, err := os.Stat(file); err != nil {
		t.Errorf("--store bolt://%s: %v", file, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "redset.db")); err == nil {
		t.Error("--store was ignored: redset.db was made in the data directory")
	}
	r := runCLI(context.Background(), "serve", "--store", "etcd://nohost", "--data", dir)
	if r.code != 1 || !strings.Contains(r.err, "store: ") || !strings.Contains(r.err, "host:port") {
		t.Errorf("exit %d, stderr %q; want 1 naming the store and host:port", r.code, r.err)
	}
}
