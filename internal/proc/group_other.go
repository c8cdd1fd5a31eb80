//go:build !unix

package proc

import "os/exec"

// KillGroupOnCancel keeps os/exec's default: cancellation kills the process
// itself (process groups are a Unix notion).
func KillGroupOnCancel(*exec.Cmd) {}
