//go:build linux

package redsettest_test

// The fault tests of cluster mode (issue 9): real etcd, real redset
// processes, faults sent by PID. Each test is skipped when this build has
// no cluster mode (no cluster section in the configuration, or GET
// /api/v1/cluster answers 404).

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/redsettest"
)

// holdsFor polls cond for the whole of d and fails the test the first
// time it does not hold: the check that something does not happen.
func holdsFor(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if ok, seen := cond(); !ok {
			t.Fatalf("%s: broken: %s", what, seen)
		}
		time.Sleep(ctPoll) // a poll interval, not a wait for the condition
	}
}

// failoversOf are the succeeded failovers of one set committed after rev.
func (c *ctCluster) failoversOf(set string, rev int64) []ctCommit {
	var out []ctCommit
	for _, f := range c.commits.failovers(rev) {
		if f.SetID == set {
			out = append(out, f)
		}
	}
	return out
}

// hookRunsOf are the hook runs for the failover recorded with seq.
func (c *ctCluster) hookRunsOf(seq uint64) []ctHookRun {
	var out []ctHookRun
	for _, h := range c.hookRuns() {
		if h.Seq == fmt.Sprint(seq) {
			out = append(out, h)
		}
	}
	return out
}

// expectOneFailover checks that exactly one failover of set from -> to was
// committed after rev, by origin, and that its hook ran exactly once, on
// origin; it returns the record.
func (c *ctCluster) expectOneFailover(t *testing.T, set, from, to, origin string, rev int64) ctCommit {
	t.Helper()
	c.commits.caughtUp(t, c.commits.revision(t))
	fos := c.failoversOf(set, rev)
	if len(fos) != 1 {
		t.Fatalf("%d failovers of %s committed, want exactly 1:\n%s", len(fos), set, c.commits.summary())
	}
	f := fos[0]
	if f.Failover.From != from || f.Failover.To != to || f.Origin != origin {
		t.Fatalf("failover of %s: %s -> %s by %q, want %s -> %s by %q", set, f.Failover.From, f.Failover.To, f.Origin, from, to, origin)
	}
	waitUntil(t, 10*time.Second, fmt.Sprintf("the hook of failover #%d", f.Seq), func() (bool, string) {
		runs := c.hookRunsOf(f.Seq)
		return len(runs) >= 1, fmt.Sprint(c.hookLines())
	})
	holdsFor(t, ctLeaseTTL, fmt.Sprintf("failover #%d: one failover, one hook run", f.Seq), func() (bool, string) {
		runs := c.hookRunsOf(f.Seq)
		n := len(c.failoversOf(set, rev))
		return len(runs) == 1 && runs[0].Server == origin && n == 1, fmt.Sprintf("hook runs %v, failovers %d", runs, n)
	})
	return f
}

// TestClusterLeaderKill: SIGKILL the leader; another server leads within
// 2×leaseTTL, the sets are unchanged everywhere, a member failure is then
// failed over exactly once (its hook runs once, on the new leader), and a
// Failover sent with wbemcli to a follower returns 0 and changes the
// roles on every server.
func TestClusterLeaderKill(t *testing.T) {
	c := startCluster(t, ctOptions{Cluster: true})
	old := c.waitLeader(t, 10*time.Second)
	before := c.view(t, c.followers(old)[0])
	rev0 := c.commits.revision(t)

	killed := time.Now()
	old.Kill(t)
	var leader *ctServer
	waitUntil(t, 4*ctLeaseTTL, "a new leader", func() (bool, string) {
		leader, _ = c.agreedLeader()
		return leader != nil, ""
	})
	took := time.Since(killed)
	t.Logf("new leader %s after %v (leaseTTL %v)", leader.name, took, ctLeaseTTL)
	if took > 2*ctLeaseTTL {
		t.Errorf("the new leader took %v, want at most 2×leaseTTL = %v", took, 2*ctLeaseTTL)
	}
	for _, s := range c.live() {
		if got := c.view(t, s); got != before {
			t.Errorf("server %s shows after the kill\n%s\nbefore\n%s", s.name, got, before)
		}
	}

	c.services["web-a"].Break()
	c.waitAllSee(t, 10*time.Second, "redset:ct-web", "web-b")
	c.expectOneFailover(t, "redset:ct-web", "web-a", "web-b", leader.name, rev0)

	t.Run("wbemcli Failover to a follower", func(t *testing.T) {
		bin := redsettest.RequireTool(t, "wbemcli", "apt-get install sblim-wbemcli")
		f := c.followers(leader)[0]
		w := &wbemcli{bin: bin, base: "http://admin:" + ctPassword + "@" + f.listen[0] + "/root/hypervcluster/v2"}
		m := f.listen[0] + `/root/hypervcluster/v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem"`
		out := w.ok(t, "cm", w.path(setPath("redset:ct-db")),
			fmt.Sprintf(`Failover.FailoverFrom=%s,Name="db-a",FailoverTo=%s,Name="db-b"`, m, m))
		if !strings.Contains(out, "Failover: 0") {
			t.Fatalf("wbemcli cm Failover to follower %s printed %q, want Failover: 0", f.name, out)
		}
		c.waitAllSee(t, 5*time.Second, "redset:ct-db", "db-b")
		c.expectOneFailover(t, "redset:ct-db", "db-a", "db-b", leader.name, rev0)
	})
}

// TestClusterLeaderFreeze: SIGSTOP the leader past its lease; another
// server takes over and fails a broken member over; SIGCONT the old
// leader: it commits nothing from then on (no history record with its
// name as origin after it was deposed), steps down and follows.
func TestClusterLeaderFreeze(t *testing.T) {
	c := startCluster(t, ctOptions{Cluster: true})
	old := c.waitLeader(t, 10*time.Second)
	old.Stop(t)
	leader := c.waitLeader(t, 4*ctLeaseTTL)
	if leader == old {
		t.Fatal("the stopped server still leads")
	}
	deposed := c.commits.revision(t)

	c.services["web-a"].Break()
	c.waitAllSee(t, 10*time.Second, "redset:ct-web", "web-b")
	// The old leader wakes with a member failing that it has not seen
	// yet: if it still acted as leader, it would try to fail it over.
	c.services["db-a"].Break()
	old.Cont(t)

	waitUntil(t, 4*ctLeaseTTL+5*time.Second, "the old leader following the new one", func() (bool, string) {
		in, _, err := old.info()
		return err == nil && !in.IsLeader && in.Leader != nil && in.Leader.Name == leader.name && in.InSync, fmt.Sprintf("%+v %v", in, err)
	})
	c.waitAllSee(t, 10*time.Second, "redset:ct-db", "db-b")
	c.waitAllSee(t, 5*time.Second, "redset:ct-web", "web-b")
	c.expectOneFailover(t, "redset:ct-web", "web-a", "web-b", leader.name, deposed)
	c.expectOneFailover(t, "redset:ct-db", "db-a", "db-b", leader.name, deposed)
	if n := c.commits.by(deposed)[old.name]; n != 0 {
		t.Errorf("the deposed leader %s committed %d history records after it lost its lease:\n%s", old.name, n, c.commits.summary())
	}
	for _, rec := range c.commits.after(deposed) {
		if rec.Origin == "" {
			t.Errorf("history record #%d (%s) has no origin: the count by writer cannot see who wrote it", rec.Seq, rec.Kind)
		}
	}
}

// TestClusterEtcdOneDown: one etcd member stopped (the etcd leader, the
// harder case) changes nothing: the same redset leader, a member failure
// failed over once, a planned failover through a follower.
func TestClusterEtcdOneDown(t *testing.T) {
	c := startCluster(t, ctOptions{Cluster: true})
	leader := c.waitLeader(t, 10*time.Second)
	changes := c.leaderChanges(t)
	rev0 := c.commits.revision(t)
	m := c.etcd.Leader()
	if m == nil {
		m = c.etcd.Members[0]
	}
	m.Stop()
	c.services["web-a"].Break()
	c.waitAllSee(t, 10*time.Second, "redset:ct-web", "web-b")
	c.expectOneFailover(t, "redset:ct-web", "web-a", "web-b", leader.name, rev0)

	res, err := c.followers(leader)[0].api.Failover(t.Context(), "redset:ct-db", "db-a", "db-b")
	if err != nil || res.ReturnValue != 0 {
		t.Fatalf("planned failover through a follower with one etcd member down: %+v %v", res, err)
	}
	c.waitAllSee(t, 5*time.Second, "redset:ct-db", "db-b")
	if l, why := c.agreedLeader(); l != leader {
		t.Errorf("the leader changed with one etcd member down: %s", why)
	}
	if got := c.leaderChanges(t); !maps.Equal(got, changes) {
		t.Errorf("leader changes seen by the servers went from %v to %v", changes, got)
	}
	m.Restart(t)
}

// leaderChanges is every live server's count of leader changes.
func (c *ctCluster) leaderChanges(t *testing.T) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, s := range c.live() {
		in, _, err := s.info()
		if err != nil {
			t.Fatal(err)
		}
		out[s.name] = in.LeaderChanges
	}
	return out
}

// writeAnswer sends a planned failover to s with a one-second bound and
// returns the HTTP status, Retry-After and the start of the body (status
// 0: no answer in time).
func writeAnswer(s *ctServer, set, from, to string) (int, string, string, time.Duration) {
	body := fmt.Sprintf(`{"from":%q,"to":%q}`, from, to)
	req, _ := http.NewRequest(http.MethodPost, s.base+"/api/v1/sets/"+set+"/failover", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", ctPassword)
	start := time.Now()
	resp, err := (&http.Client{Timeout: time.Second}).Do(req)
	took := time.Since(start)
	if err != nil {
		return 0, "", err.Error(), took
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(answer), took
}

// TestClusterEtcdQuorumLost: two of three etcd members stopped: writes on
// every server answer 503 with Retry-After within a second, reads keep
// working, nobody panics; with the members back, writes work again.
func TestClusterEtcdQuorumLost(t *testing.T) {
	c := startCluster(t, ctOptions{Cluster: true})
	c.waitLeader(t, 10*time.Second)
	c.etcd.Members[1].Stop()
	c.etcd.Members[2].Stop()
	lost := time.Now()
	// The leader notices when its lease can no longer be renewed: within
	// leaseTTL. From then on every write answers at once.
	waitUntil(t, 2*ctLeaseTTL+time.Second, "every server answering writes with 503 within a second", func() (bool, string) {
		var seen []string
		ok := true
		for _, s := range c.live() {
			code, retry, body, took := writeAnswer(s, "redset:ct-db", "db-a", "db-b")
			seen = append(seen, fmt.Sprintf("%s: %d Retry-After %q in %v: %s", s.name, code, retry, took.Round(time.Millisecond), body))
			ok = ok && code == http.StatusServiceUnavailable && retry != "" && took < time.Second
		}
		return ok, strings.Join(seen, "; ")
	})
	t.Logf("writes refused at once %v after quorum was lost", time.Since(lost))
	for _, s := range c.live() {
		if _, err := s.api.GetSet(t.Context(), "redset:ct-db"); err != nil {
			t.Errorf("read on %s without an etcd quorum: %v", s.name, err)
		}
		if in, _, err := s.info(); err != nil {
			t.Errorf("GET /api/v1/cluster on %s without an etcd quorum: %v", s.name, err)
		} else {
			t.Logf("%s without an etcd quorum: leader %v, isLeader %v", s.name, in.Leader, in.IsLeader)
		}
	}
	c.etcd.Members[1].Restart(t)
	c.etcd.Members[2].Restart(t)
	leader := c.waitLeader(t, 10*time.Second)
	// A write sent while the quorum was being lost may still commit once it
	// is back: its answer said the outcome was not known, not that nothing
	// happened. So start from where every server agrees the set stands.
	from, to := c.agreedSparing(t, "redset:ct-db", "db-a", "db-b")
	rev := c.commits.revision(t)
	var res api.FailoverResult
	waitUntil(t, 5*time.Second, "a planned failover through a follower", func() (bool, string) {
		var err error
		res, err = c.followers(leader)[0].api.Failover(t.Context(), "redset:ct-db", from, to)
		return err == nil && res.ReturnValue == 0, fmt.Sprintf("%+v %v", res, err)
	})
	c.waitAllSee(t, 5*time.Second, "redset:ct-db", to)
	// Leadership may still settle after the quorum returns: the failover is
	// the work of whoever leads once it is done.
	c.expectOneFailover(t, "redset:ct-db", from, to, c.waitLeader(t, 10*time.Second).name, rev)
	for _, s := range c.servers {
		if containsPanic(s.log.String()) {
			t.Errorf("server %s panicked", s.name)
		}
	}
}

// TestClusterHealthQuorum: a member unreachable from one server only (the
// leader, whose own probe would decide under the "leader" policy) is not
// failed over under the majority policy; unreachable from a second
// server too, it is, once.
func TestClusterHealthQuorum(t *testing.T) {
	sets := append(defaultSets()[:1], ctSet{ID: "redset:ct-x", Active: ctMember{Name: "x-a", Exec: true}, Spare: ctMember{Name: "x-b"}})
	c := startCluster(t, ctOptions{Cluster: true, Sets: sets, HealthQuorum: "majority"})
	leader := c.waitLeader(t, 10*time.Second)
	c.waitHealth(t, 10*time.Second, "x-a", "OK")
	rev0 := c.commits.revision(t)

	leader.cutOff(t, "x-a", true)
	// Its probe fails after fall × interval; hold for several times that.
	hold := 5 * ctProbeFall * ctProbeInterval
	holdsFor(t, hold, "x-a, unreachable from the leader alone, stays in service", func() (bool, string) {
		for _, s := range c.live() {
			got, err := s.inService(t.Context(), "redset:ct-x")
			if err != nil || len(got) != 1 || got[0] != "x-a" {
				return false, fmt.Sprintf("%s sees %v %v", s.name, got, err)
			}
		}
		n := len(c.failoversOf("redset:ct-x", rev0))
		return n == 0, fmt.Sprintf("%d failovers committed", n)
	})
	c.followers(leader)[0].cutOff(t, "x-a", true)
	c.waitAllSee(t, 10*time.Second, "redset:ct-x", "x-b")
	c.expectOneFailover(t, "redset:ct-x", "x-a", "x-b", leader.name, rev0)
}

// TestClusterStartTogether: three servers started at the same moment on an
// empty store (machines booting together) all start, agree on one leader,
// and serve the sets created afterwards through a follower.
func TestClusterStartTogether(t *testing.T) {
	c := startCluster(t, ctOptions{Cluster: true, Together: true})
	leader := c.waitLeader(t, 10*time.Second)
	c.waitHealth(t, 10*time.Second, "web-a", "OK")
	c.waitHealth(t, 10*time.Second, "web-b", "OK")
	f := c.followers(leader)[0]
	res, err := f.api.Failover(t.Context(), "redset:ct-web", "web-a", "web-b")
	if err != nil || res.ReturnValue != 0 {
		t.Fatalf("planned failover through follower %s: %+v %v", f.name, res, err)
	}
	c.waitAllSee(t, 5*time.Second, "redset:ct-web", "web-b")
}

// agreedSparing waits until every live server sees the same one of a and b
// in service in set id, and returns it with the other.
func (c *ctCluster) agreedSparing(t *testing.T, id, a, b string) (active, spare string) {
	t.Helper()
	waitUntil(t, 10*time.Second, "every live server agreeing on "+id, func() (bool, string) {
		var views []string
		active = ""
		ok := true
		for _, s := range c.live() {
			got, err := s.inService(t.Context(), id)
			views = append(views, fmt.Sprintf("%s: %v %v", s.name, got, err))
			if err != nil || len(got) != 1 || (active != "" && got[0] != active) {
				ok = false
				continue
			}
			active = got[0]
		}
		return ok && active != "", strings.Join(views, "; ")
	})
	if active == a {
		return a, b
	}
	return b, a
}
