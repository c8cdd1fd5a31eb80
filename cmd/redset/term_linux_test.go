//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/spf13/cobra"
)

// openPTY opens a pseudo-terminal pair: the controller (what a terminal
// emulator holds) and the terminal a program reads.
func openPTY(t *testing.T) (controller, term *os.File) {
	t.Helper()
	controller, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { controller.Close() })
	var unlock int32
	var n uint32
	fd := controller.Fd()
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlocking the pty: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("naming the pty: %v", e)
	}
	term, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pty: %v", err)
	}
	t.Cleanup(func() { term.Close() })
	return controller, term
}

// At a terminal the password is read without echo, twice, and the
// terminal's echo is back on afterwards.
func TestReadPasswordAtATerminal(t *testing.T) {
	controller, term := openPTY(t)
	if !isTerminal(term) {
		t.Fatal("a pty is not taken for a terminal")
	}
	echoed := make(chan string, 1)
	go func() { // what the terminal shows; ends when the pty closes
		var all bytes.Buffer
		buf := make([]byte, 256)
		for {
			n, err := controller.Read(buf)
			all.Write(buf[:n])
			if err != nil || strings.Contains(all.String(), "DONE") {
				echoed <- all.String()
				return
			}
		}
	}()
	cmd := &cobra.Command{}
	cmd.SetIn(term)
	var prompts bytes.Buffer
	cmd.SetErr(&prompts)
	go typeWhenHidden(t, controller, term, "s3cret-pw\ns3cret-pw\n")
	got, err := readPassword(context.Background(), cmd, "Password for ops")
	if err != nil || got != "s3cret-pw" {
		t.Fatalf("readPassword = %q, %v; want s3cret-pw", got, err)
	}
	if !strings.Contains(prompts.String(), "Password for ops: ") || !strings.Contains(prompts.String(), "Again: ") {
		t.Errorf("prompts %q", prompts.String())
	}
	tio, err := getTermios(int(term.Fd()))
	if err != nil || tio.Lflag&syscall.ECHO == 0 {
		t.Errorf("echo is not back on after the prompt (err %v)", err)
	}
	_, _ = controller.Write([]byte("DONE\n")) // echoed now that echo is on again
	select {
	case shown := <-echoed:
		if strings.Contains(shown, "s3cret") {
			t.Errorf("the terminal showed the password: %q", shown)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal never echoed the line typed after the prompt")
	}

	t.Run("two different passwords", func(t *testing.T) {
		go typeWhenHidden(t, controller, term, "one\ntwo\n")
		if _, err := readPassword(context.Background(), cmd, "Password"); err == nil || !strings.Contains(err.Error(), "differ") {
			t.Errorf("err = %v, want the passwords differ", err)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		// Lines typed earlier and not read (the DONE above) would answer
		// the prompt before the interruption: the terminal forgets them.
		const tcflsh, tciflush = 0x540B, 0
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, term.Fd(), tcflsh, tciflush); e != 0 {
			t.Fatalf("flushing the terminal's input: %v", e)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := readHidden(ctx, term); errc <- err }()
		waitForEcho(t, term, false) // the prompt is waiting, echo off
		cancel()
		if err := <-errc; err == nil {
			t.Error("an interrupted prompt returned no error")
		}
		if tio, err := getTermios(int(term.Fd())); err != nil || tio.Lflag&syscall.ECHO == 0 {
			t.Errorf("echo is off after an interrupted prompt (err %v)", err)
		}
		_, _ = controller.Write([]byte("\n")) // let the abandoned read finish
	})
}

// typeWhenHidden types text once the terminal's echo is off, so that what
// the test sees echoed is up to the code under test, not to timing.
func typeWhenHidden(t *testing.T, controller, term *os.File, text string) {
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		if tio, err := getTermios(int(term.Fd())); err == nil && tio.Lflag&syscall.ECHO == 0 {
			_, _ = controller.Write([]byte(text))
			return
		}
		<-tick.C
	}
	t.Error("echo was never turned off")
}

// waitForEcho waits until the terminal's echo is on (or off).
func waitForEcho(t *testing.T, term *os.File, on bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if tio, err := getTermios(int(term.Fd())); err == nil && (tio.Lflag&syscall.ECHO != 0) == on {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("the terminal's echo never turned %v", on)
}
