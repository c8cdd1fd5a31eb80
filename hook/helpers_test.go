package hook

import (
	"bufio"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/event"
)

// waitLimit bounds every wait for something the runner does in the
// background; it is a deadline for failing the test, not a pause.
const waitLimit = 10 * time.Second

// recorder collects deliveries from Options.Record.
type recorder struct {
	ch chan Delivery
}

func newRecorder() *recorder { return &recorder{ch: make(chan Delivery, 1000)} }

func (r *recorder) record(d Delivery) { r.ch <- d }

// next returns the next delivery, failing the test if none comes in time.
func (r *recorder) next(t *testing.T) Delivery {
	t.Helper()
	select {
	case d := <-r.ch:
		return d
	case <-time.After(waitLimit):
		t.Fatal("no delivery was recorded")
		return Delivery{}
	}
}

// none fails the test if a delivery is already waiting.
func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case d := <-r.ch:
		t.Errorf("unexpected delivery %+v", d)
	default:
	}
}

// fakeClock is a manual Clock: timers fire only when Advance passes them.
// Every AfterFunc duration is also sent on waits, so a test can see a
// backoff begin without polling.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	waits  chan time.Duration
}

type fakeTimer struct {
	c    *fakeClock
	at   time.Time
	f    func()
	done bool // fired or stopped; guarded by c.mu
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), waits: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	c.waits <- d
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// Advance moves time forward and runs the timers that became due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.done && !t.at.After(c.now) {
			t.done = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		go f()
	}
}

// nextWait returns the duration of the next AfterFunc call.
func (c *fakeClock) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	case <-time.After(waitLimit):
		t.Fatal("the runner did not start a backoff wait")
		return 0
	}
}

// startRunner builds and starts a runner fed by the returned channel; it is
// closed when the test ends.
func startRunner(t *testing.T, specs []Spec, opts Options) (*Runner, chan<- event.Record, *recorder) {
	t.Helper()
	rec := newRecorder()
	opts.Record = rec.record
	r, err := New(specs, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	events := make(chan event.Record, 16)
	if err := r.Start(events); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		_ = r.Close(ctx)
	})
	return r, events, rec
}

// sh is an exec hook running a /bin/sh script with arguments ($1 ...).
func sh(name, script string, args ...string) Spec {
	return Spec{Name: name, Exec: append([]string{"/bin/sh", "-c", script, "sh"}, args...)}
}

// envScript writes the REDSET_* variables of its environment to $1.
const envScript = `env | grep '^REDSET_' > "$1"`

// readEnv reads a file of NAME=value lines.
func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the hook did not write its environment: %v", err)
	}
	defer f.Close()
	got := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), "=")
		got[name] = value
	}
	return got
}

func eventually(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf(format, args...)
		}
		<-tick.C
	}
}

var testTime = time.Date(2025, 6, 7, 8, 9, 10, 123000000, time.UTC)

func failoverRecord(seq uint64, code uint32, reason string) event.Record {
	kind := event.KindFailoverSucceeded
	if code != 0 {
		kind = event.KindFailoverRefused
	}
	return event.Record{Seq: seq, Time: testTime, Kind: kind, SetID: "redset:web", Member: "web-b",
		Failover: &event.Failover{Planned: false, From: "web-a", To: "web-b", Code: code, Reason: reason,
			Duration: 12 * time.Millisecond}}
}

func statusRecord(seq uint64, from, to uint16) event.Record {
	return event.Record{Seq: seq, Time: testTime, Kind: event.KindStatusChanged, SetID: "redset:web",
		Status: &event.StatusChanged{From: from, To: to}}
}

// clearRedsetEnv removes the REDSET_* variables the test process inherited
// (CI sets some), restoring them when the test ends, so that hook
// environments can be compared exactly.
func clearRedsetEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "REDSET_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}
