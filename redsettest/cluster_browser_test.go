//go:build linux

package redsettest_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/redsettest"
)

// TestDashboardClusterInBrowser opens the dashboard of a follower of a
// three-server cluster in chromium (web/e2e/cluster.mjs): the cluster
// strip lists the three servers and tags the leader and the answering
// server; when the test kills the leader (SIGKILL), the strip names the
// new leader and drops the dead server, without a reload.
func TestDashboardClusterInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and a browser; skipped with -short")
	}
	node := redsettest.RequireTool(t, "node", "apt-get install nodejs npm")
	chromium := redsettest.RequireTool(t, "chromium", "apt-get install chromium")
	dir, err := filepath.Abs(e2eDir)
	if err != nil {
		t.Fatal(err)
	}
	ensureNodeModules(t, dir)
	c := startCluster(t, ctOptions{Cluster: true})
	leader := c.waitLeader(t, 10*time.Second)
	follower := c.followers(leader)[0]
	var names []string
	for _, s := range c.servers {
		names = append(names, s.name)
	}
	shots := artifactDir(t)

	script := startDriver(t, node, dir, "cluster.mjs", follower.base, chromium, shots,
		"REDSET_USER=admin", "REDSET_PASSWORD="+ctPassword, "REDSET_WAIT_MS=30000",
		"REDSET_LEADER="+leader.name, "REDSET_SELF="+follower.name, "REDSET_SERVERS="+strings.Join(names, ","))
	if !script.waitFor("strip-ok") {
		t.Fatalf("web/e2e/cluster.mjs failed before the leader was killed:\n%s", script.wait())
	}
	leader.Kill(t)
	out := script.wait()
	t.Logf("web/e2e/cluster.mjs:\n%s", out)
	if script.err != nil {
		t.Fatalf("the cluster browser test failed (%v); screenshots in %s", script.err, shots)
	}
	next := c.waitLeader(t, 10*time.Second)
	if !strings.Contains(out, "new leader: "+next.name) {
		t.Errorf("the strip named another leader than the one the servers agree on (%s)", next.name)
	}
	checkScreenshots(t, shots, "dashboard-cluster.png")
}

// driver is a browser driver script running in the background, whose
// output the test reads line by line.
type driver struct {
	cmd   *exec.Cmd
	lines chan string
	out   strings.Builder
	done  chan struct{}
	err   error
}

// startDriver starts a driver script like runDriver, without waiting.
func startDriver(t *testing.T, node, dir, script, url, chromium, shots string, env ...string) *driver {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	cmd := exec.CommandContext(ctx, node, script, url)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REDSET_SCREENSHOTS="+shots, "CHROMIUM="+chromium)
	cmd.Env = append(cmd.Env, env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	d := &driver{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", script, err)
	}
	go d.read(r)
	go func() {
		d.err = cmd.Wait()
		_ = w.Close()
		cancel()
	}()
	t.Cleanup(func() { d.wait() })
	return d
}

// read keeps every line and hands each to waitFor.
func (d *driver) read(r io.Reader) {
	defer close(d.done)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		d.out.WriteString(sc.Text() + "\n")
		select {
		case d.lines <- sc.Text():
		default:
		}
	}
	close(d.lines)
}

// waitFor reports whether the script printed the line before it ended.
func (d *driver) waitFor(line string) bool {
	for l := range d.lines {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// wait waits for the script to end and returns its whole output.
func (d *driver) wait() string {
	go func() {
		for range d.lines { // drain what waitFor did not read
		}
	}()
	<-d.done
	return d.out.String()
}
