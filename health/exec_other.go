//go:build !unix

package health

import "os/exec"

// killGroupOnCancel keeps os/exec's default: cancellation kills the process
// itself (process groups are a Unix notion).
func killGroupOnCancel(*exec.Cmd) {}
