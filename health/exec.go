package health

import (
	"context"
	"fmt"
	"github.com/redset/redset/internal/proc"
	"os"
	"os/exec"
	"strings"
	"time"
)

// OutputLimit is how many bytes of a command's output an exec probe keeps
// (stdout and stderr together); the rest is read and discarded.
const OutputLimit = 4 << 10

// execWaitDelay bounds how long a check waits for the output pipes to close
// after the command exited or was killed (a descendant that left the process
// group may hold them open).
const execWaitDelay = time.Second

// ExecProbe checks a member by running a command, with the exit code
// convention of Nagios plugins: 0 is OK, 1 is Degraded (a warning), anything
// else (2 critical, 3 unknown, killed by a signal, cannot start) is Failed.
//
// Command[0] is the program (looked up in PATH when it has no slash) and the
// rest are its arguments; no shell is involved. The command reads nothing,
// and its combined output (up to OutputLimit) becomes the Detail. On Unix
// the command runs in its own process group, and the whole group is killed
// when ctx ends.
//
// The command does not inherit redset's environment, which may hold
// secrets: it gets only PATH, HOME, LANG, LC_ALL, TZ and TMPDIR (those that
// redset has) and then Env ("KEY=value" entries, which win).
type ExecProbe struct {
	Command []string
	Env     []string
}

// passedEnv names the variables of redset's environment that commands of
// exec probes receive.
var passedEnv = [...]string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}

// Check runs the command within ctx.
func (p ExecProbe) Check(ctx context.Context) Outcome {
	if len(p.Command) == 0 || p.Command[0] == "" {
		return Outcome{State: Failed, Detail: "no command"}
	}
	cmd := exec.CommandContext(ctx, p.Command[0], p.Command[1:]...)
	out := &proc.CappedBuffer{Limit: OutputLimit}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = execWaitDelay
	cmd.Env = p.environ()
	proc.KillGroupOnCancel(cmd)
	err := cmd.Run()
	return execOutcome(ctx, cmd, err, out.String())
}

// environ builds the command's environment.
func (p ExecProbe) environ() []string {
	env := make([]string, 0, len(passedEnv)+len(p.Env))
	for _, key := range passedEnv {
		if value, ok := os.LookupEnv(key); ok {
			env = append(env, key+"="+value)
		}
	}
	return append(env, p.Env...)
}

// execOutcome maps how a command ended to an Outcome.
func execOutcome(ctx context.Context, cmd *exec.Cmd, err error, output string) Outcome {
	output = strings.TrimSpace(output)
	state := cmd.ProcessState
	switch {
	case ctx.Err() != nil:
		return Outcome{State: Failed, Detail: joinDetail("stopped", output)}
	case state == nil:
		return Outcome{State: Failed, Detail: err.Error()}
	}
	code := state.ExitCode()
	detail := joinDetail(fmt.Sprintf("exit %d", code), output)
	switch code {
	case 0:
		return Outcome{State: OK, Detail: detail}
	case 1:
		return Outcome{State: Degraded, Detail: detail}
	case -1:
		return Outcome{State: Failed, Detail: joinDetail(state.String(), output)}
	}
	return Outcome{State: Failed, Detail: detail}
}
