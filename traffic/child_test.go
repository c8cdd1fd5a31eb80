package traffic

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// runChildBackend is the test binary started again as an echo backend in a
// process of its own: it prints its address, then serves until its
// standard input ends.
func runChildBackend(name string) {
	ln := childListen()
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(0)
		}
		go func() {
			defer c.Close()
			if _, err := fmt.Fprintf(c, "%s\n", name); err != nil {
				return
			}
			_, _ = io.Copy(c, c)
		}()
	}
}

// childListen is the listener of a child backend: it prints the address
// for its parent and ends the process when its standard input ends.
func childListen() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	return ln
}

// startChildBackend starts an echo backend in a child process and returns
// its address and process id; the child ends with the test.
func startChildBackend(t testing.TB, name string) (string, int) {
	t.Helper()
	return child(t, "TRAFFIC_BACKEND="+name)
}

// child starts this test binary again with env and returns the address it
// prints and its process id; it ends with the test or benchmark.
func child(t testing.TB, env ...string) (string, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child %v: %v", env, err)
	}
	return strings.TrimSpace(line), cmd.Process.Pid
}
