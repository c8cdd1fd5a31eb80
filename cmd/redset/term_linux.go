//go:build linux

package main

import (
	"context"
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// isTerminal reports whether f is a terminal: one whose termios settings
// can be read.
func isTerminal(f *os.File) bool {
	_, err := getTermios(int(f.Fd()))
	return err == nil
}

func getTermios(fd int) (*syscall.Termios, error) {
	var t syscall.Termios
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TCGETS, uintptr(unsafe.Pointer(&t))); errno != 0 {
		return nil, errno
	}
	return &t, nil
}

func setTermios(fd int, t *syscall.Termios) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TCSETS, uintptr(unsafe.Pointer(t))); errno != 0 {
		return errno
	}
	return nil
}

// readHidden reads one line from the terminal tty with echo turned off,
// and turns it back on before returning, also when ctx ends first.
func readHidden(ctx context.Context, tty *os.File) (string, error) {
	fd := int(tty.Fd())
	old, err := getTermios(fd)
	if err != nil {
		return "", err
	}
	hidden := *old
	hidden.Lflag &^= syscall.ECHO
	hidden.Lflag |= syscall.ICANON | syscall.ISIG
	hidden.Iflag |= syscall.ICRNL
	if err := setTermios(fd, &hidden); err != nil {
		return "", err
	}
	defer setTermios(fd, old) //nolint:errcheck // best effort: the terminal is restored as it was
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := readLine(tty)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// maxSecretLine caps a typed line.
const maxSecretLine = 4096

// readLine reads up to a newline one byte at a time, so nothing after the
// line is consumed.
func readLine(f *os.File) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for len(line) < maxSecretLine {
		n, err := f.Read(b)
		if n == 1 && b[0] == '\n' {
			return string(line), nil
		}
		if n == 1 && b[0] != '\r' {
			line = append(line, b[0])
		}
		if err != nil {
			return string(line), err
		}
	}
	return "", errors.New("the typed line is too long")
}
