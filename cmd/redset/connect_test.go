package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/redsettest"
	"github.com/redset/redset/server"
)

// A TLS server with a self-signed certificate: the CLI trusts it with
// --cacert, refuses it without, and --insecure skips the check.
func TestCLITLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSignedFiles(t, dir)
	srv := redsettest.Start(t, redsettest.Options{Config: fmt.Sprintf("tls: {cert: %q, key: %q}\n", cert, key)})
	url := "https://" + strings.TrimPrefix(srv.URL, "http://")
	auth := []string{"--server", url, "--user", "admin", "--password", redsettest.AdminPassword}
	run := func(args ...string) cliResult { return runCLI(context.Background(), append(args, auth...)...) }

	wantRun(t, run("sets", "--cacert", cert), 0, "INSTANCEID")
	t.Setenv("REDSET_CACERT", cert)
	wantRun(t, run("user", "list"), 0, "admin")
	t.Setenv("REDSET_CACERT", "")
	wantFail(t, run("sets"), "certificate", "--cacert")
	wantRun(t, run("sets", "--insecure"), 0, "INSTANCEID")

	other, _ := selfSignedFiles(t, t.TempDir())
	wantFail(t, run("sets", "--cacert", other), "certificate")
	wantFail(t, run("sets", "--cacert", key), "no PEM certificate")
	wantFail(t, run("sets", "--cacert", filepath.Join(dir, "missing.pem")), "--cacert")
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startAt runs a server on a fixed data directory and address, so that a
// second one can take its place.
func startAt(t *testing.T, data, addr string, beforeStart func(*server.Server)) *server.Server {
	t.Helper()
	cfg := server.Config{Data: data, Listen: []string{addr}, AdminPassword: redsettest.AdminPassword}
	srv, err := server.New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if beforeStart != nil {
		beforeStart(srv)
	}
	if err := srv.Start(context.Background()); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// watch follows a server that restarts (same data, same address): it
// reconnects, and resumes after the last event it showed, so an event made
// while it was away is shown once.
func TestCLIWatchReconnects(t *testing.T) {
	data, addr := t.TempDir(), freeAddr(t)
	first := startAt(t, data, addr, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- execCLI(ctx, out, errOut, "watch", "--recent", "0", "-o", "json", "--server", "http://"+addr,
			"--user", "admin", "--password", redsettest.AdminPassword)
	}()
	refuse := func(srv *server.Server, detail string) { // any event will do: a recorded configuration note
		if _, err := srv.Engine().RecordConfig(context.Background(), "test event", detail); err != nil {
			t.Error(err)
		}
	}
	waitFor(t, out, errOut, done, `"detail":"before"`, func() { refuse(first, "before") })

	first.Close()
	waitFor(t, errOut, errOut, done, "reconnecting", nil)
	startAt(t, data, addr, func(second *server.Server) {
		refuse(second, "while-away") // before the listener opens: only a resume can show it
	})
	waitFor(t, errOut, errOut, done, "reconnected", nil)
	waitFor(t, out, errOut, done, `"detail":"while-away"`, nil)
	var seqs []uint64
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var e api.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("watch -o json printed %q: %v", line, err)
		}
		if len(seqs) > 0 && e.Seq <= seqs[len(seqs)-1] {
			t.Errorf("event %d shown after %d: repeated or out of order:\n%s", e.Seq, seqs[len(seqs)-1], out.String())
		}
		seqs = append(seqs, e.Seq)
	}
	if n := strings.Count(out.String(), `"detail":"while-away"`); n != 1 {
		t.Errorf("the event made while watch was away is shown %d times, want once:\n%s", n, out.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("watch exited %d when interrupted, want 0; stderr:\n%s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not end with its context")
	}
}

// waitFor polls until buf holds want, calling poke (if any) between looks;
// it fails if the command ends first.
func waitFor(t *testing.T, buf, errOut *lockedBuffer, done chan int, want string, poke func()) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(buf.String(), want) {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("the command ended with %d before %q showed; stderr:\n%s", code, want, errOut.String())
		case <-deadline:
			t.Fatalf("%q did not show:\n%s\nstderr:\n%s", want, buf.String(), errOut.String())
		case <-tick.C:
			if poke != nil {
				poke()
			}
		}
	}
}

func TestReadBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "abc123"},
		{Key: "vcs.time", Value: "2025-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	want := buildInfo{Version: version, Revision: "abc123", Time: "2025-01-02T03:04:05Z", Modified: true, GoVersion: runtime.Version()}
	if diff := cmp.Diff(want, buildInfoOf(bi)); diff != "" {
		t.Errorf("buildInfoOf (-want +got):\n%s", diff)
	}
	wantRun(t, runCLI(context.Background(), "version"), 0, "redset "+version, "go")
	wantFail(t, runCLI(context.Background(), "version", "-o", "yaml"), "table or json")
}

// A binary built with go build reports the commit it was built from, and
// the build time a release build stamps.
func TestVersionOfABuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout (%v)", err)
	}
	bin := filepath.Join(t.TempDir(), "redset")
	const stamped = "2030-01-02T03:04:05Z"
	build := exec.Command("go", "build", "-buildvcs=true", "-ldflags", "-X main.buildTime="+stamped, "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	outText, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var got buildInfo
	if err := json.Unmarshal(outText, &got); err != nil {
		t.Fatalf("%v\n%s", err, outText)
	}
	if got.BuildTime != stamped {
		t.Errorf("buildTime = %q, want the stamped %q", got.BuildTime, stamped)
	}
	if got.Revision == "" {
		t.Skipf("the go command stamped no VCS data here (a linked git worktree?): %s", outText)
	}
	if got.Revision != strings.TrimSpace(string(head)) || got.Time == "" || got.Version != version {
		t.Errorf("version -o json = %+v, want revision %s with its time", got, head)
	}
}
