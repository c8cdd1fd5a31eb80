package redsettest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/api"
)

// TestClusterEtcdQuorumLostInFlight: a failover sent to the leader just as
// etcd loses its quorum (the etcd leader stays, its two followers stop)
// reaches etcd's leader before it steps down (etcd's election timeout is
// made long enough for that) and cannot learn whether it was committed: it
// answers 504 outcome-unknown without Retry-After, not 503, whose retry
// could fail over twice. Once the quorum is back every server agrees on
// the roles, and etcd holds the failover once (and its hook ran once) if
// the roles moved, else not at all.
func TestClusterEtcdQuorumLostInFlight(t *testing.T) {
	const set = "redset:ct-db"
	c := startCluster(t, ctOptions{Cluster: true, EtcdElectionMs: 3000})
	leader := c.waitLeader(t, 10*time.Second)
	from, to := c.agreedSparing(t, set, "db-a", "db-b")
	c.waitHealth(t, 10*time.Second, to, "OK")
	rev := c.commits.revision(t)
	survivor := c.etcd.Leader()
	if survivor == nil {
		t.Fatal("no etcd member leads")
	}
	for _, m := range c.etcd.Members {
		if m != survivor {
			m.Stop()
		}
	}
	code, retry, p, took := failoverProblem(t, leader, set, from, to)
	t.Logf("failover sent as the quorum was lost: %d %s %q, Retry-After %q, after %v", code, p.Type, p.Detail, retry, took.Round(time.Millisecond))
	if code != http.StatusGatewayTimeout || p.Type != api.ProblemOutcomeUnknown || retry != "" || !strings.Contains(p.Detail, "unknown") {
		t.Errorf("answer %d %+v with Retry-After %q, want 504 outcome-unknown saying so, without Retry-After", code, p, retry)
	}

	for _, m := range c.etcd.Members {
		if m != survivor {
			m.Restart(t)
		}
	}
	c.waitLeader(t, 20*time.Second)
	active, _ := c.agreedSparing(t, set, from, to)
	c.commits.caughtUp(t, c.commits.revision(t))
	n := len(c.failoversOf(set, rev))
	switch {
	case active == to:
		// Stored after all: once, by the server that sent it, whose hook
		// ran once (when it learnt that the failover was stored).
		c.expectOneFailover(t, set, from, to, leader.name, rev)
	case n != 0:
		t.Errorf("%s is still in service but %d failovers were committed", from, n)
	}
	t.Logf("after the quorum returned: %s in service, %d failovers committed", active, n)
}

// failoverProblem posts a failover to s and waits for its answer as long
// as the server may take to give up on etcd (its commit, then reading
// back, each bounded by etcd's request timeout).
func failoverProblem(t *testing.T, s *ctServer, set, from, to string) (int, string, api.Problem, time.Duration) {
	t.Helper()
	body := fmt.Sprintf(`{"from":%q,"to":%q}`, from, to)
	req, err := http.NewRequest(http.MethodPost, s.base+"/api/v1/sets/"+set+"/failover", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", ctPassword)
	start := time.Now()
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("failover on %s: %v", s.name, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var p api.Problem
	if resp.StatusCode == http.StatusOK {
		p.Detail = string(data) // the method's answer, for the log
	} else if err := json.Unmarshal(data, &p); err != nil {
		t.Errorf("answer %d %q is no problem document: %v", resp.StatusCode, data, err)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), p, took
}
