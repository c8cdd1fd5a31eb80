//go:build linux

package redsettest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/redsettest"
)

// TestClusterDemoScript runs scripts/cluster-demo.sh, the steps of the
// README's "Running a cluster", as written: three etcd processes (Debian's
// etcd-server), three redset servers, a set, kill -9 of the leader with
// the set unaffected. Only the ports (free ones), the working directory and
// leaseTTL (1s) differ.
func TestClusterDemoScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and three redset servers; skipped with -short")
	}
	etcd := redsettest.RequireTool(t, "etcd", "apt-get install etcd-server")
	redsettest.RequireTool(t, "curl", "apt-get install curl")
	redsettest.RequireTool(t, "python3", "apt-get install python3")
	bin := clusterBinary(t)
	ports := ctFreePorts(t, 10)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../scripts/cluster-demo.sh")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "REDSET=" + bin, "ETCD=" + etcd, "DIR=" + dir,
		"ETCD_PORTS=" + portsOf(ports[0:3]), "ETCD_PEER_PORTS=" + portsOf(ports[3:6]), "REDSET_PORTS=" + portsOf(ports[6:9]),
		"FRONTEND_PORT=" + portsOf(ports[9:10]), "LEASE_TTL=1s"}
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("scripts/cluster-demo.sh:\n%s", out)
	if err != nil {
		for _, name := range []string{"node-0", "node-1", "node-2"} {
			if data, rerr := os.ReadFile(dir + "/" + name + ".log"); rerr == nil {
				t.Logf("---- %s.log ----\n%s", name, tail(string(data), 16<<10))
			}
		}
		t.Fatalf("scripts/cluster-demo.sh: %v", err)
	}
	if !strings.Contains(string(out), "the set is unaffected") {
		t.Errorf("the script ended without saying the set was unaffected")
	}
	if !strings.Contains(string(out), "both servers' frontend changes are in the history") {
		t.Errorf("the script ended without the frontends' records")
	}
}

// portsOf joins the ports of host:port addresses with spaces.
func portsOf(addrs []string) string {
	var ps []string
	for _, a := range addrs {
		ps = append(ps, a[strings.LastIndex(a, ":")+1:])
	}
	return strings.Join(ps, " ")
}
