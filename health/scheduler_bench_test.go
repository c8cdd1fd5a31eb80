package health

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

var noop = ProbeFunc(func(context.Context) Outcome { return Outcome{State: OK} })

// countingSink counts results and signals when the count reaches a target.
type countingSink struct {
	delivered, target atomic.Int64 // target -1: none
	reached           chan struct{}
}

func newCountingSink() *countingSink {
	c := &countingSink{reached: make(chan struct{}, 1)}
	c.target.Store(-1)
	return c
}

func (c *countingSink) Observe(Result) {
	n := c.delivered.Add(1)
	if t := c.target.Load(); t >= 0 && n >= t && c.target.CompareAndSwap(t, -1) {
		c.reached <- struct{}{}
	}
}

// expect sets the target n results beyond those delivered so far; wait
// blocks until it is reached. Call expect before causing the results.
func (c *countingSink) expect(n int64) {
	c.target.Store(c.delivered.Load() + n)
}

func (c *countingSink) wait() { <-c.reached }

// waitOrSkipped is wait for a target that skipped slots may make
// unreachable: while the results do not come, it polls the scheduler and
// accepts an idle one that skipped slots since skipped was read, dropping
// the target. It reports whether it had to poll.
func (c *countingSink) waitOrSkipped(b *testing.B, s *Scheduler, skipped uint64) bool {
	deadline := time.Now().Add(10 * time.Second)
	for polled := false; ; polled = true {
		select {
		case <-c.reached:
			return polled
		case <-time.After(10 * time.Millisecond):
		}
		st := s.Stats()
		if st.Queued == 0 && st.Running == 0 && st.Skipped != skipped {
			if t := c.target.Load(); t < 0 || !c.target.CompareAndSwap(t, -1) {
				<-c.reached // the target was reached after all
			}
			return true
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d results delivered, %d expected: Stats %+v", c.delivered.Load(), c.target.Load(), st)
		}
	}
}

// BenchmarkScheduler10000 measures the scheduler's cost per check with
// 10,000 no-op probes due every second, under no overload. A manual clock
// moves in 1ms steps (so the timing loop wakes about as often as it would
// for real); after each step the benchmark waits for the checks that fell
// due in it. One op is one check, from the timing loop through the queue, a
// worker and Run to the Sink; no real time is spent waiting for slots.
//
// Fake time runs about a hundred times faster than real time here, so a
// worker that the Go runtime leaves aside for a few milliseconds between
// its Sink call and marking the check done makes the task's next slot find
// it busy: that slot is skipped, as designed, and the step polls until it
// sees so. Steps that had to poll are counted as "stalls" (their polling
// time is included in ns/op; it is small unless stalls are many).
func BenchmarkScheduler10000(b *testing.B) {
	const n, workers, step = 10000, 64, time.Millisecond
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := newManualClock(start)
	sink := newCountingSink()
	base := runtime.NumGoroutine()
	s := NewScheduler(sink, Options{Workers: workers, Clock: clock, Seed: 1})
	defer s.Close()
	perStep := make([]int64, time.Second/step) // checks due in each step of a second
	for i := range n {
		if err := s.Set(Task{Member: fmt.Sprint(i), Probe: noop, Interval: time.Second, Timeout: time.Second}); err != nil {
			b.Fatal(err)
		}
		next, _ := s.Next(fmt.Sprint(i))
		perStep[(next.Sub(start)+step-1)/step%(time.Second/step)]++
	}
	goroutines := runtime.NumGoroutine() - base
	stalls := 0
	b.ResetTimer()
	for k, checks := 1, int64(0); checks < int64(b.N); k++ {
		due := perStep[k%len(perStep)]
		skipped := s.Stats().Skipped
		if due > 0 {
			sink.expect(due)
		}
		clock.set(start.Add(time.Duration(k) * step))
		// The loop may have armed its timer from a reading just before
		// the jump; a poke makes it look at the new time in any case.
		s.poke()
		if due > 0 && sink.waitOrSkipped(b, s, skipped) {
			stalls++
		}
		checks += due
	}
	b.StopTimer()
	b.ReportMetric(float64(goroutines), "goroutines")
	b.ReportMetric(float64(stalls), "stalls")
}

// BenchmarkScheduler10000Overloaded runs 10,000 no-op probes due every 10ms
// on the real clock: a million checks a second, more than the machine can
// do, so the scheduler runs flat out and skips the slots of tasks whose
// previous check is still queued. One op is one delivered check; ns/op is
// the inverse of the throughput, skipped/slot the share of slots skipped.
func BenchmarkScheduler10000Overloaded(b *testing.B) {
	const n, workers = 10000, 64
	sink := newCountingSink()
	s := NewScheduler(sink, Options{Workers: workers, Seed: 1})
	defer s.Close()
	for i := range n {
		if err := s.Set(Task{Member: fmt.Sprint(i), Probe: noop, Interval: 10 * time.Millisecond, Timeout: time.Second}); err != nil {
			b.Fatal(err)
		}
	}
	before := s.Stats()
	b.ResetTimer()
	sink.expect(int64(b.N))
	sink.wait()
	b.StopTimer()
	after := s.Stats()
	skipped, started := after.Skipped-before.Skipped, after.Started-before.Started
	b.ReportMetric(float64(skipped)/float64(skipped+started), "skipped/slot")
}

// BenchmarkSchedulerSetRemove measures adding a task to a scheduler that
// holds 10,000 and removing it again.
func BenchmarkSchedulerSetRemove(b *testing.B) {
	s := NewScheduler(nil, Options{Seed: 1})
	defer s.Close()
	for i := range 10000 {
		s.Set(Task{Member: fmt.Sprint(i), Probe: noop, Interval: time.Hour, Timeout: time.Second})
	}
	for b.Loop() {
		s.Set(Task{Member: "extra", Probe: noop, Interval: time.Hour, Timeout: time.Second})
		s.Remove("extra")
	}
}
