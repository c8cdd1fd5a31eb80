//go:build linux

package redsettest_test

// Benchmarks of cluster mode, on the harness (three redset processes on a
// three-member embedded etcd, leaseTTL 1s). Each is skipped when the build
// has no cluster mode. The takeover and handover ones run fixed rounds:
// run them with -benchtime=1x, e.g.
//
//	go test ./redsettest -run '^$' -bench BenchmarkCluster -benchtime=1x
//
// Goals (issue 9): failover p99 < 10 ms through the leader and through a
// follower; takeover after SIGKILL < 2×leaseTTL; SIGTERM handover < 1 s;
// 10,000 sets losing their active member at once failed over in < 3 s.

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkClusterFailover: planned failovers (JSON API) sent to the
// leader, and to a follower (which forwards them), one after another.
func BenchmarkClusterFailover(b *testing.B) {
	for _, via := range []string{"leader", "follower"} {
		b.Run("via "+via, func(b *testing.B) {
			c := startCluster(b, ctOptions{Cluster: true,
				Sets: []ctSet{{ID: "redset:ct-db", Active: ctMember{Name: "db-a"}, Spare: ctMember{Name: "db-b"}, DisableAuto: true, MaxFailoverCap: 1000000}}})
			leader := c.waitLeader(b, 10*time.Second)
			s := leader
			if via == "follower" {
				s = c.followers(leader)[0]
			}
			from, to := "db-a", "db-b"
			var lat latencies
			for b.Loop() {
				start := time.Now()
				res, err := s.api.Failover(b.Context(), "redset:ct-db", from, to)
				lat = append(lat, time.Since(start))
				if err != nil || res.ReturnValue != 0 {
					b.Fatalf("failover %s -> %s via %s: %+v %v", from, to, s.name, res, err)
				}
				from, to = to, from
			}
			lat.report(b)
		})
	}
}

// clusterRounds is how many rounds the takeover and handover benchmarks
// run (REDSET_BENCH_ROUNDS overrides it).
func clusterRounds() int {
	if n, err := strconv.Atoi(os.Getenv("REDSET_BENCH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 20
}

// reportDurations reports p50, p99 and max of ds in milliseconds, and logs
// the whole distribution.
func reportDurations(b *testing.B, name string, ds []time.Duration) {
	slices.Sort(ds)
	var parts []string
	for _, d := range ds {
		parts = append(parts, d.Round(time.Millisecond).String())
	}
	b.Logf("%s over %d rounds: %s", name, len(ds), strings.Join(parts, " "))
	latencies(ds).report(b)
	b.ReportMetric(float64(ds[len(ds)-1])/float64(time.Millisecond), "max-ms")
}

// BenchmarkClusterTakeover: SIGKILL the leader, and time until every live
// server names a new leader; the killed server is started again between
// rounds.
func BenchmarkClusterTakeover(b *testing.B) {
	c := startCluster(b, ctOptions{Cluster: true})
	var ds []time.Duration
	for round := range clusterRounds() {
		old := c.waitLeader(b, 10*time.Second)
		killed := time.Now()
		old.Kill(b)
		c.waitLeader(b, 10*ctLeaseTTL)
		ds = append(ds, time.Since(killed))
		old.start(b)
		b.Logf("round %d: %s killed, takeover in %v", round, old.name, ds[len(ds)-1])
	}
	reportDurations(b, "takeover after SIGKILL (leaseTTL "+ctLeaseTTL.String()+")", ds)
}

// BenchmarkClusterHandover: SIGTERM the leader, and time until another
// server has taken over and serves a write (a planned failover sent to it
// returns 0).
func BenchmarkClusterHandover(b *testing.B) {
	c := startCluster(b, ctOptions{Cluster: true,
		Sets: []ctSet{{ID: "redset:ct-db", Active: ctMember{Name: "db-a"}, Spare: ctMember{Name: "db-b"}, DisableAuto: true, MaxFailoverCap: 1000000}}})
	var ds []time.Duration
	from, to := "db-a", "db-b"
	for range clusterRounds() {
		old := c.waitLeader(b, 10*time.Second)
		termed := time.Now()
		old.signal(b, syscall.SIGTERM) // the process exits in the background
		waitUntil(b, 10*time.Second, "a write served by a new leader", func() (bool, string) {
			for _, s := range c.servers {
				if s == old || !s.running() {
					continue
				}
				if in, _, err := s.info(); err != nil || !in.IsLeader {
					continue
				}
				res, err := s.api.Failover(b.Context(), "redset:ct-db", from, to)
				return err == nil && res.ReturnValue == 0, fmt.Sprintf("%+v %v", res, err)
			}
			return false, "no other server leads"
		})
		ds = append(ds, time.Since(termed))
		from, to = to, from
		old.waitExit(b, old.exited())
		old.start(b)
	}
	reportDurations(b, "SIGTERM handover to a served write", ds)
}

// BenchmarkClusterMassFailover: REDSET_BENCH_SETS sets (default 10,000),
// all with mass-a in service and mass-b spare, declared in server 0's
// configuration; mass-a's service breaks, and the benchmark times until
// etcd holds a failover of every set (from the break, and from the first
// failover committed).
func BenchmarkClusterMassFailover(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("REDSET_BENCH_SETS")); err == nil && v > 0 {
		n = v
	}
	a, sp := startService(b, "mass-a"), startService(b, "mass-b")
	var cfg strings.Builder
	cfg.WriteString("members:\n")
	for _, s := range []*ctService{a, sp} {
		fmt.Fprintf(&cfg, "  - {name: %s, probe: {type: tcp, address: %q, interval: %s, timeout: %s, rise: %d, fall: %d}}\n",
			s.name, s.addr, ctProbeInterval, ctProbeInterval, ctProbeRise, ctProbeFall)
	}
	cfg.WriteString("sets:\n")
	for i := range n {
		fmt.Fprintf(&cfg, "  - {id: mass-%05d, typeOfSet: [4], minNumberNeeded: 1, policy: {maxFailovers: 10, period: 1h}, members: [{name: mass-a, role: inService}, {name: mass-b, role: spare}]}\n", i)
	}
	c := startCluster(b, ctOptions{Cluster: true, Sets: []ctSet{}, ExtraConfig: cfg.String(), StartWithin: 10 * time.Minute})
	leader := c.waitLeader(b, 30*time.Second)
	// Only a leader writes its configuration, once it leads.
	waitUntil(b, 10*time.Minute, fmt.Sprintf("the %d sets of the configuration", n), func() (bool, string) {
		sets, err := leader.api.ListSets(b.Context())
		return err == nil && len(sets) >= n, fmt.Sprintf("%d %v", len(sets), err)
	})
	c.waitHealth(b, 30*time.Second, "mass-a", "OK")
	rev := c.commits.revision(b)
	c.commits.caughtUp(b, rev)
	writes0, fos0 := c.commits.writes(), c.commits.failoverCount()
	cpu0, own0 := serversCPU(c), ownCPU()
	broke := time.Now()
	a.Break()
	waitUntil(b, 5*time.Minute, fmt.Sprintf("%d failovers committed", n), func() (bool, string) {
		got := c.commits.failoverCount() - fos0
		return got >= n, fmt.Sprintf("%d", got)
	})
	cpu, own := serversCPU(c)-cpu0, ownCPU()-own0
	fos := c.commits.failovers(rev)
	first, last := fos[0].Seen, fos[0].Seen
	for _, f := range fos {
		first, last = minTime(first, f.Seen), maxTime(last, f.Seen)
	}
	b.ReportMetric(float64(last.Sub(broke))/float64(time.Millisecond), "from-break-ms")
	b.ReportMetric(float64(last.Sub(first))/float64(time.Millisecond), "first-to-last-ms")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond), "servers-cpu-ms")
	b.ReportMetric(float64(own)/float64(time.Millisecond), "etcd-cpu-ms")
	c.commits.caughtUp(b, c.commits.revision(b))
	writes := c.commits.writes()
	for k, v := range writes0 {
		writes[k] -= v
	}
	b.Logf("keys written in etcd after the break, by kind: %v", writes)
	reloads := 0
	for _, s := range c.servers {
		reloads += strings.Count(s.log.String(), "loading the state again")
	}
	b.ReportMetric(float64(reloads), "follower-reloads")
	b.Logf("%d sets: last failover %v after the break (detection takes about %d×%v), %v after the first", n, last.Sub(broke), ctProbeFall, ctProbeInterval, last.Sub(first))
}

// serversCPU is the processor time the cluster's servers have used so
// far (user and system, from /proc), so that a run on a busy machine can
// still be compared with another.
func serversCPU(c *ctCluster) time.Duration {
	var total time.Duration
	for _, s := range c.servers {
		if d, err := procCPU(s.pid()); err == nil {
			total += d
		}
	}
	return total
}

// ownCPU is the processor time of the test process: the embedded etcd
// members and the test's watch.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
