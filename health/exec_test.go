package health

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func sh(script string, args ...string) ExecProbe {
	return ExecProbe{Command: append([]string{"/bin/sh", "-c", script, "sh"}, args...)}
}

func TestExecProbe(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name       string
		ctx        context.Context
		probe      ExecProbe
		wantState  State
		wantDetail string
	}{
		{"exit 0 is OK", t.Context(), sh("echo fine; exit 0"), OK, "exit 0: fine"},
		{"exit 1 is Degraded", t.Context(), sh("echo warn >&2; exit 1"), Degraded, "exit 1: warn"},
		{"exit 2 is Failed", t.Context(), sh("echo critical; exit 2"), Failed, "exit 2: critical"},
		{"exit 3 is Failed", t.Context(), sh("exit 3"), Failed, "exit 3"},
		{"signal is Failed", t.Context(), sh("kill -9 $$"), Failed, "signal: killed"},
		{"missing program is Failed", t.Context(), ExecProbe{Command: []string{"/nonexistent/probe"}}, Failed, "no such file"},
		{"no command is Failed", t.Context(), ExecProbe{}, Failed, "no command"},
		{"cancelled is Failed", cancelled, sh("exit 0"), Failed, "stopped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.probe.Check(tc.ctx)
			if got.State != tc.wantState || !strings.Contains(got.Detail, tc.wantDetail) {
				t.Errorf("Check = %v %q, want %v containing %q", got.State, got.Detail, tc.wantState, tc.wantDetail)
			}
		})
	}
}

func TestExecProbeEnvironment(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "secret")
	t.Setenv("TZ", "UTC")
	probe := sh(`echo "pw=$REDSET_ADMIN_PASSWORD tz=$TZ extra=$EXTRA path=${PATH:+set}"`)
	probe.Env = []string{"EXTRA=1", "TZ=Europe/Paris"}
	got := probe.Check(t.Context())
	if want := "exit 0: pw= tz=Europe/Paris extra=1 path=set"; got.Detail != want {
		t.Errorf("Check detail = %q, want %q (secrets withheld, PATH passed, Env added and winning)", got.Detail, want)
	}
}

func TestExecProbeOutputIsCapped(t *testing.T) {
	got := sh("head -c 200000 /dev/zero | tr '\\0' x; exit 1").Check(t.Context())
	want := "exit 1: " + strings.Repeat("x", OutputLimit)
	if got.State != Degraded || got.Detail != want {
		t.Errorf("Check = %v with %d bytes of detail, want Degraded with %d", got.State, len(got.Detail), len(want))
	}
}

func TestExecProbeTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	probe := sh(`sleep 30 & echo $! > "$1"; wait`, pidFile)
	got := Run(t.Context(), SystemClock{}, Task{Member: "m", Probe: probe, Timeout: 300 * time.Millisecond})
	if got.State != Failed || !strings.HasPrefix(got.Detail, "timed out after 300ms") {
		t.Errorf("Run = %v %q, want Failed timed out after 300ms", got.State, got.Detail)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the script did not record its child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file holds %q: %v", data, err)
	}
	eventually(t, 10*time.Second, func() bool { return !processAlive(pid) },
		"the background child of the timed-out command (pid %d) is still running", pid)
}

// processAlive reports whether pid is a live process (not gone, not a
// zombie waiting to be reaped).
func processAlive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf(format, args...)
		}
		<-tick.C
	}
}
