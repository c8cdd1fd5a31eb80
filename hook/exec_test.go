package hook

import (
	"context"
	"errors"
	"github.com/redset/redset/internal/proc"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/redset/redset/event"
)

func TestExecHookEnvironment(t *testing.T) {
	clearRedsetEnv(t)
	t.Setenv("REDSET_FROM", "stale value from redset's own environment")
	t.Setenv("REDSET_SERVER", "http://127.0.0.1:5985")
	common := map[string]string{"REDSET_SERVER": "http://127.0.0.1:5985", "REDSET_HOOK": "env",
		"REDSET_SET": "redset:web", "REDSET_TIME": "2025-06-07T08:09:10.123Z"}
	tests := []struct {
		name string
		rec  event.Record
		want map[string]string
	}{
		{"completed failover", failoverRecord(7, 0, ""), map[string]string{
			"REDSET_EVENT": "failover", "REDSET_SEQ": "7", "REDSET_FROM": "web-a", "REDSET_TO": "web-b",
			"REDSET_PLANNED": "false", "REDSET_REASON": "", "REDSET_CODE": "0",
			"REDSET_STATUS": "", "REDSET_OLD_STATUS": ""}},
		{"refused failover", failoverRecord(8, 3, "set is busy"), map[string]string{
			"REDSET_EVENT": "refused", "REDSET_SEQ": "8", "REDSET_FROM": "web-a", "REDSET_TO": "web-b",
			"REDSET_PLANNED": "false", "REDSET_REASON": "set is busy", "REDSET_CODE": "3",
			"REDSET_STATUS": "", "REDSET_OLD_STATUS": ""}},
		{"status change", statusRecord(9, 2, 4), map[string]string{
			"REDSET_EVENT": "status", "REDSET_SEQ": "9", "REDSET_FROM": "", "REDSET_TO": "",
			"REDSET_PLANNED": "", "REDSET_REASON": "", "REDSET_CODE": "",
			"REDSET_STATUS": "4", "REDSET_OLD_STATUS": "2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "env")
			_, events, rec := startRunner(t, []Spec{sh("env", envScript, out)}, Options{})
			events <- tc.rec
			if d := rec.next(t); d.Outcome != OutcomeOK {
				t.Fatalf("delivery = %+v, want outcome ok", d)
			}
			want := merge(common, tc.want)
			if diff := cmp.Diff(want, readEnv(t, out)); diff != "" {
				t.Errorf("hook environment (-want +got):\n%s", diff)
			}
		})
	}
}

func merge(a, b map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

func TestPreFailoverEnvironment(t *testing.T) {
	clearRedsetEnv(t)
	tests := []struct {
		name       string
		planned    bool
		wantReason string
	}{
		{"planned", true, "requested failover"},
		{"automatic", false, "automatic failover"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "env")
			spec := sh("check", envScript, out)
			spec.Pre = true
			r, err := New([]Spec{spec}, Options{})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if err := r.PreFailover(t.Context(), "redset:db", "db-1", "db-2", tc.planned); err != nil {
				t.Fatalf("PreFailover = %v, want nil", err)
			}
			want := map[string]string{"REDSET_EVENT": "prefailover", "REDSET_HOOK": "check",
				"REDSET_SEQ": "", "REDSET_TIME": "", "REDSET_SET": "redset:db", "REDSET_FROM": "db-1",
				"REDSET_TO": "db-2", "REDSET_PLANNED": strconv.FormatBool(tc.planned),
				"REDSET_REASON": tc.wantReason, "REDSET_CODE": "", "REDSET_STATUS": "", "REDSET_OLD_STATUS": ""}
			if diff := cmp.Diff(want, readEnv(t, out)); diff != "" {
				t.Errorf("pre hook environment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPreFailoverVeto(t *testing.T) {
	long := strings.Repeat("x", 3*OutputLimit)
	slow := sh("slow", "sleep 30")
	slow.Timeout = 300 * time.Millisecond
	tests := []struct {
		name      string
		spec      Spec
		wantText  string
		wantCode  int
		wantCause error
	}{
		{"output of a failed hook", sh("window", "echo 'maintenance window'; exit 1"), "maintenance window", 1, nil},
		{"stderr counts", sh("err", "echo ' busy replicating ' >&2; exit 2"), "busy replicating", 2, nil},
		{"no output", sh("quiet", "exit 3"), `hook "quiet": exit status 3`, 3, nil},
		{"output is capped", sh("chatty", "printf %s "+long+"; exit 1"), long[:OutputLimit], 1, nil},
		{"timeout", slow, `hook "slow": timed out after 300ms`, -1, ErrTimeout},
		{"cannot start", Spec{Name: "gone", Exec: []string{"/nonexistent/hook"}}, `hook "gone": fork/exec /nonexistent/hook: no such file or directory`, -1, os.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Pre = true
			rec := newRecorder()
			r, err := New([]Spec{tc.spec}, Options{Record: rec.record})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			err = r.PreFailover(t.Context(), "redset:web", "web-a", "web-b", true)
			var veto *VetoError
			if !errors.As(err, &veto) || err.Error() != tc.wantText {
				t.Fatalf("PreFailover = %v, want a *VetoError %q", err, tc.wantText)
			}
			if tc.wantCause != nil && !errors.Is(err, tc.wantCause) {
				t.Errorf("PreFailover = %v, want it to wrap %v", err, tc.wantCause)
			}
			want := Delivery{Hook: tc.spec.Name, Kind: "exec", Event: "prefailover", SetID: "redset:web",
				Attempts: 1, Outcome: OutcomeVetoed, Code: tc.wantCode, Error: tc.wantText}
			if diff := cmp.Diff(want, rec.next(t), cmpopts.IgnoreFields(Delivery{}, "Duration")); diff != "" {
				t.Errorf("recorded delivery (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPreFailoverRunsInOrderAndStopsAtVeto(t *testing.T) {
	dir := t.TempDir()
	mark := func(name string) string { return filepath.Join(dir, name) }
	specs := []Spec{
		sh("first", `touch "$1"`, mark("first")),
		sh("second", `touch "$1"; echo no; exit 1`, mark("second")),
		sh("third", `touch "$1"`, mark("third")),
	}
	for i := range specs {
		specs[i].Pre = true
	}
	r, err := New(specs, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.PreFailover(t.Context(), "s", "a", "b", true); err == nil || err.Error() != "no" {
		t.Fatalf("PreFailover = %v, want the veto %q", err, "no")
	}
	for name, want := range map[string]bool{"first": true, "second": true, "third": false} {
		_, err := os.Stat(mark(name))
		if got := err == nil; got != want {
			t.Errorf("hook %s ran = %v, want %v", name, got, want)
		}
	}
}

func TestPreFailoverWithoutHooks(t *testing.T) {
	r, err := New([]Spec{sh("post", "exit 1")}, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.PreFailover(t.Context(), "s", "a", "b", false); err != nil {
		t.Errorf("PreFailover with only post hooks = %v, want nil", err)
	}
}

func TestPreFailoverTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	spec := sh("slow", `sleep 30 & echo $! > "$1"; wait`, pidFile)
	spec.Pre, spec.Timeout = true, 300*time.Millisecond
	r, err := New([]Spec{spec}, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.PreFailover(t.Context(), "s", "a", "b", true); !errors.Is(err, ErrTimeout) {
		t.Fatalf("PreFailover = %v, want a timeout veto", err)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the script did not record its child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file holds %q: %v", data, err)
	}
	eventually(t, func() bool { return !processAlive(pid) },
		"the background child of the timed-out hook (pid %d) is still running", pid)
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

func TestExecHookRetries(t *testing.T) {
	tests := []struct {
		name      string
		spec      Spec
		wantWaits int
		want      Delivery
	}{
		{"non-zero exit is retried", Spec{Name: "h", Exec: []string{"/bin/sh", "-c", "echo down; exit 3"}, Retries: 2}, 2,
			Delivery{Attempts: 3, Outcome: OutcomeFailed, Code: 3, Error: "exit status 3: down"}},
		{"missing program is not retried", Spec{Name: "h", Exec: []string{"/nonexistent/hook"}, Retries: 2}, 0,
			Delivery{Attempts: 1, Outcome: OutcomeFailed, Code: -1, Error: "fork/exec /nonexistent/hook: no such file or directory"}},
		{"success needs one attempt", Spec{Name: "h", Exec: []string{"/bin/sh", "-c", "exit 0"}, Retries: 2}, 0,
			Delivery{Attempts: 1, Outcome: OutcomeOK, Code: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			_, events, rec := startRunner(t, []Spec{tc.spec}, Options{Clock: clk})
			events <- statusRecord(1, 2, 3)
			var total time.Duration
			for range tc.wantWaits {
				d := clk.nextWait(t)
				total += d
				clk.Advance(d)
			}
			want := tc.want
			want.Hook, want.Kind, want.Event, want.Seq, want.SetID, want.Duration = "h", "exec", "status", 1, "redset:web", total
			if diff := cmp.Diff(want, rec.next(t)); diff != "" {
				t.Errorf("delivery (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCappedBuffer(t *testing.T) {
	tests := []struct {
		name   string
		limit  int
		chunks []string
		want   string
	}{
		{"keeps the first bytes", 5, []string{"abc", "defg", "hij"}, "abcde"},
		{"trims space", 10, []string{"  ok \n"}, "ok"},
		{"replaces a cut rune", 2, []string{"aé"}, "a\uFFFD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &proc.CappedBuffer{Limit: tc.limit}
			for _, c := range tc.chunks {
				if n, err := b.Write([]byte(c)); n != len(c) || err != nil {
					t.Fatalf("Write(%q) = %d, %v, want %d, nil", c, n, err, len(c))
				}
			}
			if got := cleanOutput(b.String()); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRunCommandStoppedByCaller(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res := runCommand(ctx, []string{"/bin/sh", "-c", "sleep 30"}, nil, time.Minute)
	if !errors.Is(res.err, context.Canceled) {
		t.Errorf("runCommand with a cancelled context: err = %v, want context.Canceled", res.err)
	}
}
