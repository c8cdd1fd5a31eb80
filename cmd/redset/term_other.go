//go:build !linux

package main

import (
	"context"
	"errors"
	"os"
)

// isTerminal reports whether f looks like a terminal (a character device).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// readHidden is not available here: echo cannot be turned off portably
// without another dependency, and a password must not be echoed.
func readHidden(context.Context, *os.File) (string, error) {
	return "", errors.New("password prompts without echo need Linux here; give the password on standard input instead")
}
