//go:build linux

package redsettest_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/api"
)

// ctRandomSteps is how many faults the randomised run injects.
const ctRandomSteps = 20

// TestClusterRandomFaults is a randomised, bounded fault run: a seeded
// sequence of faults (SIGKILL, SIGSTOP/SIGCONT, SIGTERM of servers, etcd
// members stopped and restarted, member services broken and mended) while
// two clients send planned failovers, each trying the servers in turn
// when one does not answer. At the end, with every fault repaired:
//
//   - every acknowledged failover is in etcd's history, as acknowledged;
//   - none was applied twice: each set's failovers form one chain (each
//     starts from the member the one before put in service), with
//     distinct sequence numbers, and the servers all show the chain's end;
//   - no server ever showed two members in service in one set;
//   - every failover's hook ran exactly once, on the server that committed
//     it (at most once when that server was killed just after);
//   - every history record names the server that committed it; no server
//     panicked.
//
// REDSET_CLUSTER_SEED=N repeats a run.
func TestClusterRandomFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("a randomised fault run of three servers on etcd; skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("REDSET_CLUSTER_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("REDSET_CLUSTER_SEED=%q: %v", v, err)
		}
	}
	c := startCluster(t, ctOptions{Cluster: true})
	t.Logf("seed %d (REDSET_CLUSTER_SEED=%d repeats this run)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	c.waitLeader(t, 10*time.Second)
	rev0 := c.commits.revision(t)

	r := &ctRun{c: c, t: t, rng: rng, rev0: rev0, disrupted: map[string][]time.Time{}}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for i := range 2 {
		crng := rand.New(rand.NewPCG(seed, uint64(10+i)))
		wg.Go(func() { r.client(ctx, crng) })
	}
	wg.Go(func() { r.monitor(ctx) })
	for step := range ctRandomSteps {
		r.step(step)
	}
	r.repairAll()
	cancel()
	wg.Wait()
	r.check()
}

// ctRun is the state of a randomised run.
type ctRun struct {
	c    *ctCluster
	t    *testing.T
	rng  *rand.Rand
	rev0 int64

	mu         sync.Mutex
	acks       []ctAck
	answers    int // failovers a server answered (done or refused)
	violations []string
	disrupted  map[string][]time.Time // server -> times it was killed or terminated
	etcdDown   int                    // index of the stopped etcd member, when etcdIsDown
	etcdIsDown bool
}

// ctAck is a failover a server acknowledged (ReturnValue 0).
type ctAck struct {
	Via, Set, From, To string
	Seq                uint64
}

// step injects one fault chosen at random among those that keep a
// majority of servers and of etcd members up, then waits for a leader.
func (r *ctRun) step(n int) {
	t, c := r.t, r.c
	var running []*ctServer
	var dead []*ctServer
	for _, s := range c.servers {
		if s.running() {
			running = append(running, s)
		} else {
			dead = append(dead, s)
		}
	}
	type action struct {
		name string
		do   func()
	}
	var acts []action
	if len(running) == len(c.servers) {
		s := running[r.rng.IntN(len(running))]
		acts = append(acts,
			action{"SIGKILL " + s.name, func() { r.disrupt(s); s.Kill(t) }},
			action{"SIGTERM " + s.name, func() { r.disrupt(s); s.Term(t) }},
			action{"SIGSTOP/SIGCONT " + s.name, func() { r.freeze(s) }})
	}
	if len(dead) > 0 {
		s := dead[0]
		acts = append(acts, action{"restart " + s.name, func() { s.start(t) }})
	}
	if r.etcdIsDown {
		m := c.etcd.Members[r.etcdDown]
		acts = append(acts, action{fmt.Sprintf("restart etcd member %d", r.etcdDown), func() { m.Restart(t); r.etcdIsDown = false }})
	} else {
		i := r.rng.IntN(len(c.etcd.Members))
		acts = append(acts, action{fmt.Sprintf("stop etcd member %d", i), func() { c.etcd.Members[i].Stop(); r.etcdDown, r.etcdIsDown = i, true }})
	}
	names := slices.Sorted(maps.Keys(c.services))
	svc := c.services[names[r.rng.IntN(len(names))]]
	acts = append(acts, action{"break or mend " + svc.name, func() {
		svc.mu.Lock()
		up := svc.ln != nil
		svc.mu.Unlock()
		if up {
			svc.Break()
		} else {
			svc.Heal(t)
		}
	}})
	a := acts[r.rng.IntN(len(acts))]
	t.Logf("step %d at %s: %s", n, time.Now().Format("15:04:05.000"), a.name)
	a.do()
	c.waitLeader(t, 4*ctLeaseTTL+5*time.Second)
	// Let the clients get an answer (a failover, or a refusal when the
	// members are broken) before the next fault.
	answered := r.answerCount()
	waitUntil(t, 10*time.Second, "a client's failover answered after the fault", func() (bool, string) {
		return r.answerCount() > answered, fmt.Sprintf("%d answered", r.answerCount())
	})
}

func (r *ctRun) answerCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.answers
}

// freeze stops s past its lease, waits for the others to have a leader,
// and lets it run again.
func (r *ctRun) freeze(s *ctServer) {
	s.Stop(r.t)
	r.c.waitLeader(r.t, 4*ctLeaseTTL+5*time.Second)
	s.Cont(r.t)
}

func (r *ctRun) disrupt(s *ctServer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disrupted[s.name] = append(r.disrupted[s.name], time.Now())
}

// repairAll mends every service, restarts every etcd member and server,
// and waits for one leader and the members' health.
func (r *ctRun) repairAll() {
	t, c := r.t, r.c
	for _, s := range c.services {
		s.Heal(t)
	}
	if r.etcdIsDown {
		c.etcd.Members[r.etcdDown].Restart(t)
		r.etcdIsDown = false
	}
	for _, s := range c.servers {
		if !s.running() {
			s.start(t)
		}
	}
	c.waitLeader(t, 4*ctLeaseTTL+5*time.Second)
	for name := range c.services {
		c.waitHealth(t, 15*time.Second, name, "OK")
	}
}

// client sends planned failovers of random sets until ctx ends, trying the
// servers in a random order until one answers.
func (r *ctRun) client(ctx context.Context, rng *rand.Rand) {
	sets := r.c.opts.Sets
	for ctx.Err() == nil {
		set := sets[rng.IntN(len(sets))]
		servers := slices.Clone(r.c.servers)
		rng.Shuffle(len(servers), func(i, j int) { servers[i], servers[j] = servers[j], servers[i] })
		for _, s := range servers {
			if !s.running() || s.frozen() {
				continue
			}
			in, err := s.inService(ctx, set.ID)
			if err != nil || len(in) != 1 {
				continue
			}
			from, to := set.Active.Name, set.Spare.Name
			if in[0] == to {
				from, to = to, from
			}
			res, err := s.api.Failover(ctx, set.ID, from, to)
			var p *api.Problem
			if err != nil && (!errors.As(err, &p) || p.Status >= 500) {
				continue // no answer, or Busy: the next server
			}
			r.mu.Lock()
			r.answers++
			if err == nil && res.ReturnValue == 0 {
				r.acks = append(r.acks, ctAck{Via: s.name, Set: set.ID, From: from, To: to, Seq: res.Seq})
			}
			r.mu.Unlock()
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(100+rng.IntN(300)) * time.Millisecond): // the client's pace
		}
	}
}

// monitor records any moment a server shows two members in service in one
// set.
func (r *ctRun) monitor(ctx context.Context) {
	for ctx.Err() == nil {
		for _, s := range r.c.live() {
			for _, set := range r.c.opts.Sets {
				in, err := s.inService(ctx, set.ID)
				if err == nil && len(in) > 1 {
					r.mu.Lock()
					r.violations = append(r.violations, fmt.Sprintf("%s at %s: %s has %v in service", s.name, time.Now().Format("15:04:05.000"), set.ID, in))
					r.mu.Unlock()
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond): // the monitor's pace
		}
	}
}

// check asserts the run's outcome (see TestClusterRandomFaults).
func (r *ctRun) check() {
	t, c := r.t, r.c
	c.commits.caughtUp(t, c.commits.revision(t))
	fos := c.commits.failovers(r.rev0)
	t.Logf("%d failovers committed, %d acknowledged to clients", len(fos), len(r.acks))
	for _, v := range r.violations {
		t.Errorf("two members in service: %s", v)
	}
	seqs := map[uint64]ctCommit{}
	for _, f := range fos {
		if _, dup := seqs[f.Seq]; dup {
			t.Errorf("two failover records with seq %d", f.Seq)
		}
		seqs[f.Seq] = f
	}
	for _, a := range r.acks {
		f, ok := seqs[a.Seq]
		if !ok || f.SetID != a.Set || f.Failover.From != a.From || f.Failover.To != a.To {
			t.Errorf("acknowledged failover %+v: etcd's history has %+v", a, f)
		}
	}
	for _, set := range c.opts.Sets {
		end := set.Active.Name
		for _, f := range c.failoversOf(set.ID, r.rev0) {
			if f.Failover.From != end {
				t.Errorf("%s: failover #%d from %s, but %s was in service: applied twice or out of order", set.ID, f.Seq, f.Failover.From, end)
			}
			end = f.Failover.To
		}
		c.waitAllSee(t, 10*time.Second, set.ID, end)
	}
	for _, rec := range c.commits.after(r.rev0) {
		if rec.Origin == "" {
			t.Errorf("history record #%d (%s) names no origin", rec.Seq, rec.Kind)
		}
	}
	r.checkHooks(fos)
	for _, s := range c.servers {
		if containsPanic(s.log.String()) {
			t.Errorf("server %s panicked", s.name)
		}
	}
}

// checkHooks: every failover's hook ran once on its origin, or at most once
// when the origin was killed or terminated around the commit.
func (r *ctRun) checkHooks(fos []ctCommit) {
	t, c := r.t, r.c
	sort.Slice(fos, func(i, j int) bool { return fos[i].Rev < fos[j].Rev })
	var must []ctCommit
	for _, f := range fos {
		if !r.disruptedAround(f.Origin, f.Seen) {
			must = append(must, f)
		}
	}
	waitUntil(t, 15*time.Second, "a hook run for every failover", func() (bool, string) {
		for _, f := range must {
			if len(c.hookRunsOf(f.Seq)) == 0 {
				return false, fmt.Sprintf("none yet for #%d (%s by %s)", f.Seq, f.SetID, f.Origin)
			}
		}
		return true, ""
	})
	holdsFor(t, ctLeaseTTL, "one hook run per failover, on its origin", func() (bool, string) {
		for _, f := range fos {
			runs := c.hookRunsOf(f.Seq)
			if len(runs) > 1 || (len(runs) == 1 && runs[0].Server != f.Origin) {
				return false, fmt.Sprintf("#%d by %s: hook runs %v", f.Seq, f.Origin, runs)
			}
		}
		return true, ""
	})
}

// disruptedAround: the server was killed or terminated from a second
// before to five seconds after at.
func (r *ctRun) disruptedAround(server string, at time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.disrupted[server] {
		if d.After(at.Add(-time.Second)) && d.Before(at.Add(5*time.Second)) {
			return true
		}
	}
	return false
}

func containsPanic(log string) bool {
	return slices.ContainsFunc([]string{"panic:", "fatal error:", "DATA RACE"}, func(s string) bool { return strings.Contains(log, s) })
}
