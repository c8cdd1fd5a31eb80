package server

import (
	"container/list"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// admission puts reads in line below net/http, so that a change never
// queues for the processors behind them.
//
// Every connection a listener accepts is an admitConn. Once the bytes of
// a request are in (its headers and, when it announces its length, its
// body), before net/http parses them, the request is judged by its first
// bytes (judge):
//   - a change (a CIM write or extrinsic method such as Failover, a WS-Man
//     action that writes, a JSON API write) goes on at once;
//   - so do the requests that last or cost nothing: the event stream, a
//     WS-Man Pull of events, the health checks;
//   - any other request, a read, waits for one of the admission's places,
//     in arrival order, and holds it until its answer is written. It waits
//     at most wait and then goes on without a place, so admission orders
//     work and never refuses (limits.maxOperations decides what is
//     refused).
//
// There are limits.maxReads places while no change is under way, one
// processor less than the runtime uses by default, and one fewer (at
// least one) while changes are and for a second after the last one
// (changeCalm): `redset serve` runs one processor more than the machine
// has (SpareProcessor), so reads alone use every CPU, and while changes
// come, processors are left to them. An idle processor
// reads a change off the network the moment it arrives, where a busy
// runtime looks at the network only every 10 ms and then lines up all
// that arrived, a change behind the reads; the store's committer finds a
// processor free when it returns from an fsync. A request whose bytes
// are slow to come holds no place while they come, and what waits for a
// place is parked, not runnable.
//
// The connection sits above TLS (the listener hands net/http the TLS
// connection wrapped), so HTTPS requests are judged as plain ones;
// withTLSState gives the handlers the TLS state net/http cannot see.
type admission struct {
	most int              // places while no change is under way (limits.maxReads)
	wait time.Duration    // the longest a read waits for a place
	calm time.Duration    // how long after a change reads keep one place fewer
	now  func() time.Time // the clock of calm

	mu         sync.Mutex
	reads      int        // reads holding a place
	changes    int        // changes under way
	lastChange time.Time  // when a change last started or ended
	queue      *list.List // of chan struct{}: reads waiting, first in front
}

// changeCalm is how long after the last change reads keep one place
// fewer: changes tend to come in runs (an operator's script, failovers
// under load), and a place given back at once would let a read in
// between two of them.
const changeCalm = time.Second

// judgeBytes is the most of a request kept to judge it: its headers and
// the start of its body, where a WS-Man envelope names its action.
const judgeBytes = 8 << 10

func newAdmission(maxReads int) *admission {
	return &admission{most: maxReads, wait: gateWait, calm: changeCalm, now: time.Now, queue: list.New()}
}

// defaultMaxReads is the default of limits.maxReads: one less than the
// processors the runtime uses, at least one.
func defaultMaxReads() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// SpareProcessor makes the runtime use one processor more than it would
// (runtime.GOMAXPROCS: the CPUs, or the container's CPU quota), unless
// the GOMAXPROCS environment variable sets it: with limits.maxReads one
// below it, reads keep every CPU busy and a processor is left for what
// goes first (see admission). The server command calls it once, first.
func SpareProcessor() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
}

// places is how many reads may hold a place now; a.mu is held.
func (a *admission) places() int {
	if a.changes > 0 || a.now().Sub(a.lastChange) < a.calm {
		return max(1, a.most-1)
	}
	return a.most
}

// enter waits for a place, at most a.wait; it reports whether it got one.
func (a *admission) enter() bool {
	a.mu.Lock()
	if a.queue.Len() == 0 && a.reads < a.places() {
		a.reads++
		a.mu.Unlock()
		return true
	}
	given := make(chan struct{})
	e := a.queue.PushBack(given)
	a.mu.Unlock()
	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case <-given:
		return true
	case <-t.C:
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-given: // given just as the wait ended
		return true
	default:
		a.queue.Remove(e)
		return false
	}
}

// leave gives a read's place back.
func (a *admission) leave() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reads--
	a.give()
}

// changeStarted and changeEnded count the changes under way.
func (a *admission) changeStarted() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.changes++
	a.lastChange = a.now()
}

func (a *admission) changeEnded() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.changes--
	a.lastChange = a.now()
	a.give()
}

// give hands the free places to the reads waiting longest; a.mu is held.
func (a *admission) give() {
	for a.queue.Len() > 0 && a.reads < a.places() {
		close(a.queue.Remove(a.queue.Front()).(chan struct{}))
		a.reads++
	}
}

// counts returns the reads holding a place, the reads waiting and the
// changes under way.
func (a *admission) counts() (reads, waiting, changes int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reads, a.queue.Len(), a.changes
}

// gauges are the admission's metrics, read at scrape time.
func (a *admission) gauges() []prometheus.Collector {
	gauge := func(name, help string, of func(reads, waiting, changes int) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return float64(of(a.counts())) })
	}
	return []prometheus.Collector{
		gauge("redset_reads_in_progress", "Reads holding a place (limits.maxReads).", func(r, _, _ int) int { return r }),
		gauge("redset_reads_waiting", "Reads waiting for a place; changes never wait.", func(_, w, _ int) int { return w }),
		gauge("redset_changes_in_progress", "Changes (writes and methods) being served.", func(_, _, c int) int { return c }),
	}
}
