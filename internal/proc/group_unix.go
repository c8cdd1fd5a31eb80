//go:build unix

package proc

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// KillGroupOnCancel starts the command in a process group of its own and
// makes cancellation kill the whole group, so that children of a shell
// script do not outlive it.
func KillGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}
