package hook

import (
	"context"
	"errors"
	"fmt"
	"github.com/redset/redset/internal/proc"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// OutputLimit is how many bytes of a command's combined stdout and stderr a
// hook keeps; the rest is read and discarded.
const OutputLimit = 1 << 10

// execWaitDelay bounds how long a run waits for the output pipes to close
// after the command exited or was killed (a descendant that left the process
// group may hold them open).
const execWaitDelay = time.Second

// ErrTimeout is wrapped by the error of a command or webhook attempt that
// ran out of its Timeout.
var ErrTimeout = errors.New("timed out")

// VetoError is how a pre-failover hook refuses a failover. Its text is the
// command's output when the command exited non-zero and printed something;
// otherwise it says what happened (timed out, exit status, cannot start).
type VetoError struct {
	Hook   string // the hook's name
	Output string // combined output, trimmed and capped at OutputLimit
	Cause  error  // the exit status, ErrTimeout or the start error
}

func (e *VetoError) Error() string {
	var exit *exec.ExitError
	if e.Output != "" && errors.As(e.Cause, &exit) {
		return e.Output
	}
	return joinOutput(fmt.Sprintf("hook %q: %v", e.Hook, e.Cause), e.Output)
}

// Unwrap returns the cause.
func (e *VetoError) Unwrap() error { return e.Cause }

// commandResult is how one run of a command ended.
type commandResult struct {
	code    int    // exit code; -1 when it did not exit normally
	output  string // trimmed, capped combined output
	err     error  // nil exactly when the exit code is 0
	started bool
}

// runCommand runs argv with env until it exits or timeout passes (or ctx
// ends), killing its process group when stopped early.
func runCommand(ctx context.Context, argv, env []string, timeout time.Duration) commandResult {
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, argv[0], argv[1:]...)
	out := &proc.CappedBuffer{Limit: OutputLimit}
	cmd.Stdout, cmd.Stderr, cmd.Env = out, out, env
	cmd.WaitDelay = execWaitDelay
	proc.KillGroupOnCancel(cmd)
	err := cmd.Run()
	res := commandResult{code: -1, output: cleanOutput(out.String()), err: err, started: cmd.Process != nil}
	if cmd.ProcessState != nil {
		res.code = cmd.ProcessState.ExitCode()
	}
	if err != nil && runCtx.Err() != nil {
		res.err = stopCause(ctx, timeout)
	}
	return res
}

// stopCause explains why a run was stopped: the caller's context ended, or
// the hook's own timeout passed.
func stopCause(ctx context.Context, timeout time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w after %s", ErrTimeout, timeout)
}

// attemptError is the error of a failed post-event run, for the Delivery.
func (r commandResult) attemptError() error {
	if r.err == nil {
		return nil
	}
	return errors.New(joinOutput(r.err.Error(), r.output))
}

func joinOutput(msg, output string) string {
	if output == "" {
		return msg
	}
	return msg + ": " + output
}

// The environment variables a hook command gets. Variables of these names
// inherited from redset's own environment are removed first, so a command
// never sees a stale value.
var envNames = []string{
	"REDSET_EVENT", "REDSET_HOOK", "REDSET_SEQ", "REDSET_TIME", "REDSET_SET",
	"REDSET_FROM", "REDSET_TO", "REDSET_PLANNED", "REDSET_REASON", "REDSET_CODE",
	"REDSET_STATUS", "REDSET_OLD_STATUS",
}

// commandEnv is redset's environment without the hook variables, followed
// by the hook variables of n (every one of them, empty where it does not
// apply).
func commandEnv(hookName string, n notice) []string {
	parent := os.Environ()
	env := make([]string, 0, len(parent)+len(envNames))
	for _, kv := range parent {
		if name, _, _ := strings.Cut(kv, "="); !isHookVar(name) {
			env = append(env, kv)
		}
	}
	vals := n.envValues(hookName)
	for i, name := range envNames {
		env = append(env, name+"="+strings.ReplaceAll(vals[i], "\x00", ""))
	}
	return env
}

func isHookVar(name string) bool {
	for _, n := range envNames {
		if n == name {
			return true
		}
	}
	return false
}

// envValues gives the values of envNames, in that order.
func (n notice) envValues(hookName string) []string {
	v := make([]string, len(envNames))
	v[0], v[1], v[4] = n.event, hookName, n.set
	if n.seq != 0 {
		v[2] = strconv.FormatUint(n.seq, 10)
	}
	if !n.time.IsZero() {
		v[3] = n.time.UTC().Format(time.RFC3339Nano)
	}
	if f := n.failover; f != nil {
		v[5], v[6], v[7], v[8] = f.From, f.To, strconv.FormatBool(f.Planned), f.Reason
		if n.event != EventPreFailover {
			v[9] = strconv.FormatUint(uint64(f.Code), 10)
		}
	}
	if s := n.status; s != nil {
		v[10], v[11] = strconv.Itoa(int(s.To)), strconv.Itoa(int(s.From))
	}
	return v
}

// cleanOutput trims a command's kept output and replaces invalid UTF-8
// (such as a rune cut in half by the cap) with U+FFFD.
func cleanOutput(s string) string {
	return strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
}
