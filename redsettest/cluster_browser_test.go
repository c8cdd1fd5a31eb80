//go:build linux

package redsettest_test

import (
	"strings"
	"testing"
	"time"
)

// TestDashboardClusterInBrowser opens the dashboard of a follower of a
// three-server cluster in chromium (web/e2e/cluster.mjs): the cluster
// strip lists the three servers and tags the leader and the answering
// server; when the test kills the leader (SIGKILL), the strip names the
// new leader and drops the dead server, without a reload.
func TestDashboardClusterInBrowser(t *testing.T) {
	node, chromium, dir := needBrowser(t, "starts a cluster and a browser")
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
