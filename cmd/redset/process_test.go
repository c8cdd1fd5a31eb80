package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redset/redset/api"
)

// built is the redset binary the tests of this package build once.
var built struct {
	once sync.Once
	path string
	err  error
}

// buildRedset builds the redset binary (once per test run) into a
// temporary directory that TestMain removes.
func buildRedset(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not installed; this test builds redset")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "redset-build-")
		if err != nil {
			built.err = err
			return
		}
		buildDir = dir
		built.path = filepath.Join(dir, "redset")
		if out, err := exec.Command(gobin, "build", "-o", built.path, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// process is a redset started as its own process.
type process struct {
	cmd      *exec.Cmd
	out, err *lockedBuffer
	done     chan error
}

func startProcess(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), out: &lockedBuffer{}, err: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = env, p.out, p.err
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// running fails the test if the process has ended.
func (p *process) running(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		t.Fatalf("redset ended (%v)\nstdout:\n%s\nstderr:\n%s", err, p.out.String(), p.err.String())
	default:
	}
}

// TestServeReloadsOnSIGHUP runs redset as a real process: SIGHUP reloads
// the configuration file (it used to end the process), an invalid file
// changes nothing and the server keeps serving, SIGTERM ends it cleanly.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	bin := buildRedset(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "redset.yaml")
	text := "members:\n  - {name: a, probe: {type: heartbeat, ttl: 1h}}\nsets:\n  - id: s\n    caption: before\n    typeOfSet: [2]\n    members: [{name: a}]\n"
	writeText(t, cfg, text)
	env := []string{"REDSET_ADMIN_PASSWORD=pw", "PATH=/usr/bin:/bin", "HOME=" + dir}
	p := startProcess(t, bin, env, "serve", "--config", cfg, "--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0")
	var base string
	poll(t, 30*time.Second, "the banner", func() bool {
		p.running(t)
		m := regexp.MustCompile(`dashboard\s+(http://\S+)/`).FindStringSubmatch(p.out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	c, err := api.NewClient(base, "admin", "pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	caption := func() string {
		s, err := c.GetSet(ctx, "redset:s")
		if err != nil {
			t.Fatalf("GetSet: %v\nstderr:\n%s", err, p.err.String())
		}
		return s.Caption
	}
	reloads := func() int {
		hist, err := c.History(ctx, api.HistoryQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range hist {
			if e.Kind == "ConfigChanged" {
				n++
			}
		}
		return n
	}

	writeText(t, cfg, strings.Replace(text, "before", "after", 1))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "the new caption after SIGHUP", func() bool { p.running(t); return caption() == "after" })
	records := reloads()

	writeText(t, cfg, strings.Replace(text, "caption: before", "caption: "+strings.Repeat("x", 65), 1))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	want := cfg + ":5: sets[0].caption: "
	poll(t, 20*time.Second, "the refused reload in the log", func() bool {
		p.running(t)
		return strings.Contains(p.err.String(), "configuration reload refused") && strings.Contains(p.err.String(), want)
	})
	if got := caption(); got != "after" {
		t.Errorf("caption after the refused reload = %q, want after", got)
	}
	if got := reloads(); got != records {
		t.Errorf("ConfigChanged records went from %d to %d on a refused reload", records, got)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("redset ended with %v after SIGTERM, want exit 0\nstderr:\n%s", err, p.err.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("redset did not end after SIGTERM")
	}
}
