package health

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// pass lets d of a synctest bubble's fake time pass for the caller: it
// blocks on a timer of the bubble, which fires once every other goroutine of
// the bubble is idle, so no real time passes. Probes use it to stand for
// work that takes time.
func pass(d time.Duration) {
	<-time.NewTimer(d).C
}

// advance moves the bubble's fake clock forward by d and then lets the
// goroutines woken on the way settle.
func advance(d time.Duration) {
	pass(d)
	synctest.Wait()
}

// blockUntilDone is a probe that waits for its context and reports why it
// ended.
func blockUntilDone(ctx context.Context) Outcome {
	<-ctx.Done()
	return Outcome{State: Failed, Detail: context.Cause(ctx).Error()}
}

func TestStateString(t *testing.T) {
	tests := []struct {
		state State
		want  string
	}{
		{Unknown, "Unknown"},
		{OK, "OK"},
		{Degraded, "Degraded"},
		{Failed, "Failed"},
		{State(42), "Unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.state.String(); got != tc.want {
				t.Errorf("State(%d).String() = %q, want %q", int(tc.state), got, tc.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short stays", "abc", 5, "abc"},
		{"exact stays", "abcde", 5, "abcde"},
		{"long is cut", "abcdefgh", 5, "abcde…"},
		{"cut before a split character", "abcdé", 5, "abcd…"},
		{"trailing space removed", "ab   cdef", 5, "ab…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := truncate(tc.in, tc.n)
			if got != tc.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("truncate(%q, %d) = %q is not valid UTF-8", tc.in, tc.n, got)
			}
		})
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		probe   ProbeFunc
		timeout time.Duration
		cancel  bool // cancel the parent context before the check ends
		want    Result
	}{
		{
			name:  "outcome and timing are reported",
			probe: func(context.Context) Outcome { pass(300 * time.Millisecond); return Outcome{OK, "fine"} },
			want:  Result{State: OK, Detail: "fine", Latency: 300 * time.Millisecond},
		},
		{
			name:    "timeout makes the check Failed",
			probe:   blockUntilDone,
			timeout: time.Second,
			want:    Result{State: Failed, Detail: "timed out after 1s: health: check timed out", Latency: time.Second},
		},
		{
			name:    "a late OK is still a timeout",
			probe:   func(context.Context) Outcome { pass(3 * time.Second); return Outcome{OK, ""} },
			timeout: time.Second,
			want:    Result{State: Failed, Detail: "timed out after 1s", Latency: 3 * time.Second},
		},
		{
			name:   "an abandoned check is Unknown",
			probe:  blockUntilDone,
			cancel: true,
			want:   Result{State: Unknown, Detail: "check abandoned: context canceled", Latency: 5 * time.Second},
		},
		{
			name:  "a panic is Failed",
			probe: func(context.Context) Outcome { panic("boom") },
			want:  Result{State: Failed, Detail: "probe panicked: boom"},
		},
		{
			name:  "detail is cut",
			probe: func(context.Context) Outcome { return Outcome{OK, strings.Repeat("x", 2*MaxDetail)} },
			want:  Result{State: OK, Detail: strings.Repeat("x", MaxDetail) + "…"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tc.cancel {
					time.AfterFunc(5*time.Second, cancel)
				}
				task := Task{Member: "m1", Name: "test", Probe: tc.probe, Timeout: tc.timeout}
				got := Run(ctx, SystemClock{}, task)
				want := tc.want
				want.Member, want.Probe, want.At = "m1", "test", time.Now()
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Run result mismatch (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestRunTimeoutCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cause error
		probe := ProbeFunc(func(ctx context.Context) Outcome {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return Outcome{}
		})
		Run(t.Context(), SystemClock{}, Task{Member: "m", Probe: probe, Timeout: time.Second})
		if !errors.Is(cause, ErrTimeout) {
			t.Errorf("the probe's context ended with %v, want ErrTimeout", cause)
		}
	})
}

func TestTaskValidate(t *testing.T) {
	probe := ProbeFunc(func(context.Context) Outcome { return Outcome{} })
	good := Task{Member: "m", Probe: probe, Interval: time.Second, Timeout: time.Second}
	tests := []struct {
		name      string
		edit      func(*Task)
		wantField string
	}{
		{"valid", func(*Task) {}, ""},
		{"no member", func(t *Task) { t.Member = "" }, "member"},
		{"no probe", func(t *Task) { t.Probe = nil }, "probe"},
		{"zero interval", func(t *Task) { t.Interval = 0 }, "interval"},
		{"negative timeout", func(t *Task) { t.Timeout = -1 }, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := good
			tc.edit(&task)
			if got := fieldOf(task.validate()); got != tc.wantField {
				t.Errorf("validate() field = %q, want %q", got, tc.wantField)
			}
		})
	}
}

// fieldOf returns the Field of a *FieldError, "" for nil, and a marker for
// any other error.
func fieldOf(err error) string {
	if err == nil {
		return ""
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		return "not a FieldError: " + err.Error()
	}
	return fe.Field
}
