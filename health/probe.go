package health

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// State is the health a single check observed. The zero value is Unknown.
type State int

// The states a check can observe. Their names match the health names the
// rest of redset uses ("OK", "Degraded", "Failed", "Unknown").
const (
	Unknown  State = iota // nothing was learnt (the check was abandoned)
	OK                    // the member answered as expected
	Degraded              // the member works but reports a warning
	Failed                // the member did not answer as expected
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case OK:
		return "OK"
	case Degraded:
		return "Degraded"
	case Failed:
		return "Failed"
	}
	return "Unknown"
}

// MaxDetail is the longest Detail (in bytes, before the trailing ellipsis)
// that Run reports; longer texts are cut at a character boundary.
const MaxDetail = 512

// ErrTimeout is the cause of a check's context when its Task.Timeout ran out.
var ErrTimeout = errors.New("health: check timed out")

// Outcome is what one probe check observed: a state and a short text for
// operators (an error, a status line, a command's output).
type Outcome struct {
	State  State
	Detail string
}

// Probe checks one member once.
//
// Check must honour ctx: when ctx is done it returns promptly (any outcome
// is fine; Run replaces it). Check may be called from several goroutines,
// but the Scheduler never runs two checks of the same Task at once.
type Probe interface {
	Check(ctx context.Context) Outcome
}

// ProbeFunc adapts a function to the Probe interface.
type ProbeFunc func(ctx context.Context) Outcome

// Check calls f(ctx).
func (f ProbeFunc) Check(ctx context.Context) Outcome { return f(ctx) }

// Result is one completed check of a member, as delivered to a Sink.
//
// At is when the check completed (the Clock's time); Latency is how long it
// took, including a timeout. Probe is the Task's Name (e.g. "http").
type Result struct {
	Member  string
	Probe   string
	State   State
	Detail  string
	Latency time.Duration
	At      time.Time
}

// Sink receives the results of scheduled checks.
//
// Observe is called from the Scheduler's worker goroutines: calls for
// different members may run concurrently; calls for one member never overlap
// and arrive in the order the checks ran. Observe should return quickly
// (hand the result on, do not do I/O): while it runs it holds a worker, and
// that member's next check is skipped until it returns. Observe must not
// call Scheduler.Close.
type Sink interface {
	Observe(Result)
}

// SinkFunc adapts a function to the Sink interface.
type SinkFunc func(Result)

// Observe calls f(r).
func (f SinkFunc) Observe(r Result) { f(r) }

// Task is one member's scheduled probe.
//
// Member identifies the task: a Scheduler holds at most one Task per member
// (a member's health is one fact). Interval is the time between the starts
// of two checks; Timeout bounds each check (0 means no bound, for Run only).
type Task struct {
	Member   string
	Name     string
	Probe    Probe
	Interval time.Duration
	Timeout  time.Duration
}

// validate checks what the Scheduler needs of a Task.
func (t Task) validate() error {
	switch {
	case t.Member == "":
		return &FieldError{Field: "member", Reason: "missing"}
	case t.Probe == nil:
		return &FieldError{Field: "probe", Reason: "missing"}
	case t.Interval <= 0:
		return &FieldError{Field: "interval", Reason: fmt.Sprintf("%v is not positive", t.Interval)}
	case t.Timeout <= 0:
		return &FieldError{Field: "timeout", Reason: fmt.Sprintf("%v is not positive", t.Timeout)}
	}
	return nil
}

// Run performs one check of t.Probe and measures it with clock.
//
// If t.Timeout > 0 and the check is not done in time, its context is
// cancelled with cause ErrTimeout and the result is Failed ("timed out
// after ..."), whatever the probe returned. If ctx itself ends first, the
// result is Unknown: nothing was learnt about the member. A panicking probe
// gives Failed. Detail is cut to MaxDetail bytes.
func Run(ctx context.Context, clock Clock, t Task) Result {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	return run(ctx, cancel, clock, t)
}

// run is Run on a context that cancel ends (cause ErrTimeout on timeout).
func run(ctx context.Context, cancel context.CancelCauseFunc, clock Clock, t Task) Result {
	var timer Timer
	if t.Timeout > 0 {
		timer = clock.AfterFunc(t.Timeout, func() { cancel(ErrTimeout) })
	}
	start := clock.Now()
	out := safeCheck(ctx, t.Probe)
	end := clock.Now()
	timedOut := timer != nil && !timer.Stop()
	out = settle(ctx, out, timedOut, t.Timeout)
	return Result{
		Member:  t.Member,
		Probe:   t.Name,
		State:   out.State,
		Detail:  truncate(out.Detail, MaxDetail),
		Latency: end.Sub(start),
		At:      end,
	}
}

// safeCheck calls p.Check and turns a panic into a Failed outcome.
func safeCheck(ctx context.Context, p Probe) (out Outcome) {
	defer func() {
		if v := recover(); v != nil {
			out = Outcome{State: Failed, Detail: fmt.Sprintf("probe panicked: %v", v)}
		}
	}()
	return p.Check(ctx)
}

// settle applies the timeout and cancellation rules of Run to an outcome.
func settle(ctx context.Context, out Outcome, timedOut bool, timeout time.Duration) Outcome {
	switch {
	case timedOut:
		return Outcome{State: Failed, Detail: joinDetail(fmt.Sprintf("timed out after %v", timeout), out.Detail)}
	case ctx.Err() != nil:
		return Outcome{State: Unknown, Detail: joinDetail("check abandoned", context.Cause(ctx).Error())}
	}
	return out
}

func joinDetail(head, tail string) string {
	if tail == "" {
		return head
	}
	return head + ": " + tail
}

// truncate cuts s to at most n bytes at a character boundary and marks the
// cut with an ellipsis.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRightFunc(s[:cut], isSpace) + "…"
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }
