//go:build unix

package redsettest_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// gateHook is a pre-failover hook that stops in the middle of a failover
// until the test lets it go: it announces the failover on the FIFO
// "entered" (opening it blocks until the test reads), then reads its
// verdict from the FIFO "gate" and vetoes the failover unless it is "ok".
type gateHook struct {
	dir   string
	spare *[]*os.File // held open by release until the end of the test
}

func newGateHook(t *testing.T) gateHook {
	t.Helper()
	g := gateHook{dir: t.TempDir(), spare: new([]*os.File)}
	for _, name := range []string{"entered", "gate"} {
		if err := syscall.Mkfifo(filepath.Join(g.dir, name), 0o600); err != nil {
			t.Skipf("cannot make a FIFO: %v", err)
		}
	}
	t.Cleanup(func() { // after the server has stopped
		for _, f := range *g.spare {
			f.Close()
		}
	})
	return g
}

// releaseOnCleanup lets any hook still waiting go (with a veto) when the
// test failed, so that the server stops promptly and later tests do not
// find the set busy. Call it after Start and in every subtest. A FIFO
// opened read-write never blocks, and what is written stays for the hook
// to read while the file is open.
func (g gateHook) releaseOnCleanup(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		entered, err1 := os.OpenFile(filepath.Join(g.dir, "entered"), os.O_RDWR, 0)
		gate, err2 := os.OpenFile(filepath.Join(g.dir, "gate"), os.O_RDWR, 0)
		if err1 != nil || err2 != nil {
			return
		}
		_, _ = gate.WriteString("released\nreleased\n")
		*g.spare = append(*g.spare, entered, gate)
	})
}

// config is the server configuration that installs the hook.
func (g gateHook) config() string {
	script := `echo "$REDSET_FROM $REDSET_TO" > '` + g.dir + `/entered'; read verdict < '` + g.dir + `/gate'; ` +
		`[ "$verdict" = ok ] || { echo "vetoed by the test"; exit 1; }`
	return "hooks:\n  - name: gate\n    pre: true\n    timeout: 30s\n    exec: [\"/bin/sh\", \"-c\", " + yamlQuote(script) + "]\n"
}

func yamlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// entered waits until a failover is inside the hook and returns "FROM TO".
func (g gateHook) entered(t *testing.T) string {
	t.Helper()
	return withDeadline(t, "a failover entering the pre-failover hook", func() string {
		f, err := os.Open(filepath.Join(g.dir, "entered"))
		if err != nil {
			return "error: " + err.Error()
		}
		defer f.Close()
		line, _ := bufio.NewReader(f).ReadString('\n')
		return strings.TrimSpace(line)
	})
}

// decide lets the waiting hook go with a verdict.
func (g gateHook) decide(t *testing.T, verdict string) {
	t.Helper()
	withDeadline(t, "the hook reading its verdict", func() string {
		f, err := os.OpenFile(filepath.Join(g.dir, "gate"), os.O_WRONLY, 0)
		if err != nil {
			return err.Error()
		}
		defer f.Close()
		_, _ = f.WriteString(verdict + "\n")
		return ""
	})
}

// withDeadline runs f, failing the test if it does not return in time.
func withDeadline(t *testing.T, what string, f func() string) string {
	t.Helper()
	done := make(chan string, 1)
	go func() { done <- f() }()
	select {
	case s := <-done:
		return s
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return ""
	}
}

// TestCIMXMLWbemcliFailoverDuringHook makes a second Failover arrive while
// a first one is running (held in a pre-failover hook): wbemcli's cm gets
// 3 Busy and nothing changes; the first then completes with 0. A hook
// that vetoes makes the failover return 2 (Unknown/Unspecified Error).
func TestCIMXMLWbemcliFailoverDuringHook(t *testing.T) {
	bin := redsettest.RequireTool(t, "wbemcli", "apt-get install -y sblim-wbemcli")
	g := newGateHook(t)
	srv := redsettest.Start(t, redsettest.Options{Config: g.config()})
	g.releaseOnCleanup(t)
	eng := srv.Engine()
	const id = "redset:hooked"
	putMembers(t, eng, "h-a", "h-b")
	reportHealth(t, eng, engine.HealthOK, "h-a", "h-b")
	createSet(t, eng, engine.Set{InstanceID: id, TypeOfSet: []uint16{engine.TypeSparing}, MinNumberNeeded: 1},
		map[string]engine.Role{"h-a": inService, "h-b": hotSpare})
	w := &wbemcli{bin: bin, base: "http://admin:" + redsettest.AdminPassword + "@" +
		strings.TrimPrefix(srv.URL, "http://") + "/" + cimNamespace}
	set := w.path(setPath(id))
	roles := func() string {
		return roleOf(t, eng, id, "h-a").String() + "/" + roleOf(t, eng, id, "h-b").String()
	}

	t.Run("busy while another failover runs", func(t *testing.T) {
		g.releaseOnCleanup(t)
		first := goFailover(w, set, "h-a", "h-b")
		if got := g.entered(t); got != "h-a h-b" {
			t.Fatalf("hook saw %q, want the failover h-a h-b", got)
		}
		second := w.run(t, "cm", set, failoverArgs("h-a", "h-b"))
		if rv, _ := failoverReturn(second.out); rv != "3" {
			t.Errorf("second Failover = %q (stderr %q), want 3 (Busy)", second.out, second.errOut)
		}
		if got := roles(); got != "in service/spare" {
			t.Errorf("roles while the first failover waits = %s, want unchanged", got)
		}
		g.decide(t, "ok")
		if rv := first.wait(t); rv != "0" {
			t.Errorf("first Failover = %s, want 0", rv)
		}
		if got := roles(); got != "spare/in service" {
			t.Errorf("roles after the first failover = %s, want h-a spare, h-b in service", got)
		}
	})
	t.Run("vetoed by the hook", func(t *testing.T) {
		g.releaseOnCleanup(t)
		if got := roles(); got != "spare/in service" {
			t.Fatalf("roles = %s: the previous failover did not complete, so h-b cannot fail over to h-a", got)
		}
		call := goFailover(w, set, "h-b", "h-a")
		if got := g.entered(t); got != "h-b h-a" {
			t.Fatalf("hook saw %q, want the failover h-b h-a", got)
		}
		g.decide(t, "no")
		if rv := call.wait(t); rv != "2" {
			t.Errorf("vetoed Failover = %s, want 2 (Unknown/Unspecified Error)", rv)
		}
		if got := roles(); got != "spare/in service" {
			t.Errorf("roles after a vetoed failover = %s, want unchanged", got)
		}
	})
}

// pendingFailover is a wbemcli cm running in the background.
type pendingFailover chan string

func goFailover(w *wbemcli, set, from, to string) pendingFailover {
	p := make(pendingFailover, 1)
	go func() {
		res, err := w.exec("cm", set, failoverArgs(from, to))
		rv, ok := failoverReturn(res.out)
		switch {
		case err != nil:
			rv = "wbemcli failed: " + err.Error()
		case !ok:
			rv = "no return value in " + res.out + res.errOut
		}
		p <- rv
	}()
	return p
}

// wait returns the call's ReturnValue (or what went wrong).
func (p pendingFailover) wait(t *testing.T) string {
	t.Helper()
	return withDeadline(t, "the background Failover", func() string { return <-p })
}
