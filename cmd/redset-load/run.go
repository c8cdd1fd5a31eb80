package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runner is one run: what every client shares.
type runner struct {
	cfg         config
	conn        *conn
	host        string // the server's host, as CIM-XML references name it
	wsmanTo     string // the WS-Man To address
	wsEnumerate string
	wsPull      pullRequest
	historyPath string

	targets []*target  // every set of the server
	pairs   []*pair    // the tool's own sets
	free    chan *pair // the pairs no client is failing over

	createdMu      sync.Mutex
	createdSets    []string
	createdMembers []string

	errs   errorLog
	events atomic.Uint64
}

func newRunner(cfg config) *runner {
	u, _ := url.Parse(cfg.server) // checked by config.complete
	r := &runner{cfg: cfg, conn: newConn(cfg), host: u.Hostname(), wsmanTo: cfg.server + "/wsman"}
	r.wsEnumerate = wsmanEnumerateBody(r.wsmanTo)
	r.wsPull = newPullRequest(r.wsmanTo, cfg.pullMaxElements)
	r.historyPath = "/api/v1/history?limit=" + strconv.Itoa(cfg.historyLimit)
	return r
}

// run creates the tool's sets, runs the load for the configured duration
// (or until ctx ends), deletes the sets and reports. progress receives a
// line per stage. An error means the run could not start.
func run(ctx context.Context, cfg config, progress io.Writer) (*report, error) {
	r := newRunner(cfg)
	defer r.conn.client.CloseIdleConnections()
	rep := &report{cfg: cfg}
	if s := r.conn.readSample(ctx); s.err == nil {
		rep.before = s
	} else {
		fmt.Fprintf(progress, "redset-load: the server's metrics are unavailable: %v\n", s.err)
	}
	if cfg.sets > 0 {
		fmt.Fprintf(progress, "redset-load: creating %d sets of two heartbeat members each\n", cfg.sets)
		err := r.createPairs(ctx)
		if err != nil {
			rep.cleanup = r.cleanup()
			return nil, fmt.Errorf("creating the sets: %w (cleanup: %d problems)", err, len(rep.cleanup))
		}
	}
	if err := r.loadTargets(ctx); err != nil {
		rep.cleanup = r.cleanup()
		return nil, err
	}
	rep.sets, rep.ownSets = len(r.targets), len(r.pairs)
	fmt.Fprintf(progress, "redset-load: %d clients (%d following events) for %v against %s, %d sets (%d of its own)\n",
		cfg.clients, cfg.subscribers, cfg.duration, cfg.server, rep.sets, rep.ownSets)
	r.load(ctx, rep)
	rep.cleanup = r.cleanup()
	rep.after = r.conn.readSample(context.Background())
	return rep, nil
}

// load runs the clients, the event subscribers, the heartbeats and the
// server samples, then gathers their counts into rep.
func (r *runner) load(ctx context.Context, rep *report) {
	r.free = make(chan *pair, len(r.pairs))
	for _, p := range r.pairs {
		r.free <- p
	}
	beatCtx, stopBeats := context.WithCancel(context.Background())
	var beats opStats
	beatsDone := make(chan struct{})
	go func() { defer close(beatsDone); r.heartbeats(beatCtx, &beats) }()

	rep.start = r.conn.readSample(ctx)
	end := time.Now().Add(r.cfg.duration)
	if !r.cfg.until.IsZero() {
		end = r.cfg.until
	}
	loadCtx, stop := context.WithDeadline(ctx, end)
	defer stop()
	probeDone := r.startProbe(loadCtx, end, rep)
	tallies := make([]*tally, r.cfg.clients)
	var wg sync.WaitGroup
	began := time.Now()
	for i := range r.cfg.clients {
		tallies[i] = new(tally)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i < r.cfg.subscribers {
				r.subscribe(loadCtx, tallies[i])
				return
			}
			r.client(loadCtx, i, tallies[i])
		}()
	}
	rep.samples = r.sampleUntil(loadCtx, began)
	wg.Wait()
	<-probeDone
	rep.elapsed = time.Since(began)
	stopBeats()
	<-beatsDone
	r.conn.client.CloseIdleConnections()
	rep.end = r.conn.readSample(context.Background())
	for _, t := range tallies {
		for o := range numOps {
			rep.ops[o].merge(&t[o])
		}
	}
	rep.ops[apiHeartbeat].merge(&beats)
	for o := range numOps {
		rep.errTexts[o] = r.errs.texts(o)
	}
	rep.events = r.events.Load()
}

// sampleUntil reads the server's samples while the load runs: after the
// warm-up, then every sample interval, and a last one shortly before the
// end.
func (r *runner) sampleUntil(ctx context.Context, began time.Time) []sample {
	var out []sample
	deadline, _ := ctx.Deadline()
	final := deadline.Add(-min(time.Second, r.cfg.duration/10))
	next := began.Add(r.cfg.warmup)
	for {
		if next.After(final) {
			next = final
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return out
		case <-t.C:
		}
		s := r.conn.readSample(ctx)
		if ctx.Err() != nil {
			return out
		}
		out = append(out, s)
		if !next.Before(final) {
			return out
		}
		next = next.Add(r.cfg.sampleInterval)
	}
}

// startProbe runs the probe process (see probe.go) until end, when
// -probe-rate asks for one, filling rep.probe or rep.probeErr; the channel
// closes when it is done.
func (r *runner) startProbe(ctx context.Context, end time.Time, rep *report) <-chan struct{} {
	done := make(chan struct{})
	if r.cfg.probeRate <= 0 {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		rep.probe, rep.probeErr = runProbe(context.WithoutCancel(ctx), r.cfg, end)
	}()
	return done
}

// client repeats its cycle of operations until ctx ends.
func (r *runner) client(ctx context.Context, i int, t *tally) {
	w := &worker{r: r, cycle: r.cycle(i), next: i}
	defer func() { *t = w.t }()
	pace := r.pacer(i)
	skipped := 0
	for n := 0; ctx.Err() == nil; n++ {
		o := w.cycle[n%len(w.cycle)]
		if o.failover() {
			if !w.failover(ctx, o, skipped >= len(w.cycle)) {
				skipped++
				continue
			}
			skipped = 0
		} else {
			w.run(ctx, o)
			skipped = 0
		}
		pace(ctx)
	}
}

// cycle is a client's order of operations: each operation as often as its
// weight, shuffled per client so that clients do not move in step.
// Failovers are left out when the tool has no sets of its own.
func (r *runner) cycle(i int) []op {
	var c []op
	for o, n := range r.cfg.mix {
		if op(o).failover() && len(r.pairs) == 0 {
			continue
		}
		for range n {
			c = append(c, op(o))
		}
	}
	if len(c) == 0 { // only failovers were asked for, and there is no set to fail over
		c = []op{apiSets}
	}
	rng := rand.New(rand.NewPCG(uint64(i), 0x5eed))
	rng.Shuffle(len(c), func(a, b int) { c[a], c[b] = c[b], c[a] })
	return c
}

// pacer returns what a client calls after each operation: nothing without
// -rate, else a wait until the client's next turn, so that all clients
// together send about -rate requests per second.
func (r *runner) pacer(i int) func(context.Context) {
	senders := r.cfg.clients - r.cfg.subscribers
	if r.cfg.rate <= 0 || senders <= 0 {
		return func(context.Context) {}
	}
	every := time.Duration(float64(senders) / r.cfg.rate * float64(time.Second))
	next := time.Now().Add(time.Duration(i%senders) * every / time.Duration(senders))
	return func(ctx context.Context) {
		next = next.Add(every)
		now := time.Now()
		if next.Before(now.Add(-every)) { // far behind: do not send a burst to catch up
			next = now
		}
		t := time.NewTimer(time.Until(next))
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}
