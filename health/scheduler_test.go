package health

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorder is a Sink that keeps every result.
type recorder struct {
	mu      sync.Mutex
	results []Result
}

func (r *recorder) Observe(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)
}

// times returns when the checks of member completed, in order.
func (r *recorder) times(member string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Time
	for _, res := range r.results {
		if res.Member == member {
			out = append(out, res.At)
		}
	}
	return out
}

// starts returns when the checks of member started, in order.
func (r *recorder) starts(member string) []time.Time {
	var out []time.Time
	for _, at := range r.timesWithLatency(member) {
		out = append(out, at.At.Add(-at.Latency))
	}
	return out
}

func (r *recorder) timesWithLatency(member string) []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Result
	for _, res := range r.results {
		if res.Member == member {
			out = append(out, res)
		}
	}
	return out
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.results)
}

func (r *recorder) last() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.results[len(r.results)-1]
}

var instant = noop

func task(member string, interval time.Duration, p Probe) Task {
	return Task{Member: member, Name: "test", Probe: p, Interval: interval, Timeout: interval}
}

func mustSet(t *testing.T, s *Scheduler, tasks ...Task) {
	t.Helper()
	for _, task := range tasks {
		if err := s.Set(task); err != nil {
			t.Fatalf("Set(%s) error %v", task.Member, err)
		}
	}
}

// checkRhythm verifies that times start within one interval of start and
// follow each other at exactly interval, up to end.
func checkRhythm(t *testing.T, member string, times []time.Time, start, end time.Time, interval time.Duration) {
	t.Helper()
	if len(times) == 0 {
		t.Fatalf("%s never ran", member)
	}
	first := times[0]
	if first.Before(start) || !first.Before(start.Add(interval)) {
		t.Errorf("%s first ran at +%v, want within [0, %v)", member, first.Sub(start), interval)
	}
	for k, at := range times {
		if want := first.Add(time.Duration(k) * interval); !at.Equal(want) {
			t.Fatalf("%s run %d at +%v, want +%v (no drift)", member, k, at.Sub(start), want.Sub(start))
		}
	}
	if want := int(end.Sub(first)/interval) + 1; len(times) != want {
		t.Errorf("%s ran %d times, want %d", member, len(times), want)
	}
}

func TestSchedulerKeepsIntervalsWithoutDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := NewScheduler(rec, Options{Seed: 1})
		defer s.Close()
		// Every check takes 100ms: a schedule counted from the end of the
		// previous check would drift by that much per period.
		const work = 100 * time.Millisecond
		busy := ProbeFunc(func(context.Context) Outcome { pass(work); return Outcome{State: OK} })
		intervals := map[string]time.Duration{"a": time.Second, "b": 7 * time.Second, "c": 250 * time.Millisecond, "d": 3*time.Second + 1}
		start := time.Now()
		for member, iv := range intervals {
			mustSet(t, s, task(member, iv, busy))
		}
		advance(30 * time.Minute)
		end := time.Now().Add(-work) // the last check started by then has completed
		for member, iv := range intervals {
			checkRhythm(t, member, rec.starts(member), start, end, iv)
		}
		if st := s.Stats(); st.Skipped != 0 || st.Dropped != 0 || st.Delivered != uint64(rec.count()) {
			t.Errorf("Stats = %+v, want no skips or drops and %d delivered", st, rec.count())
		}
	})
}

func TestSchedulerJitterSpreadsFirstRuns(t *testing.T) {
	const n, interval, buckets = 1000, 10 * time.Second, 10
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler(nil, Options{Seed: 7})
		defer s.Close()
		start := time.Now()
		counts := make([]int, buckets)
		for i := range n {
			mustSet(t, s, task(fmt.Sprint(i), interval, instant))
			next, _ := s.Next(fmt.Sprint(i))
			offset := next.Sub(start)
			if offset < 0 || offset >= interval {
				t.Fatalf("task %d first due at +%v, want within [0, %v)", i, offset, interval)
			}
			counts[offset*buckets/interval]++
		}
		for b, c := range counts {
			if c < n/buckets/2 || c > n/buckets*3/2 {
				t.Errorf("%d of %d first runs fall in tenth %d of the interval, want about %d", c, n, b, n/buckets)
			}
		}
	})
}

// firstDues returns the first due offsets of n tasks scheduled with seed.
func firstDues(t *testing.T, seed uint64, n int) []time.Duration {
	var out []time.Duration
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler(nil, Options{Seed: seed})
		defer s.Close()
		for i := range n {
			mustSet(t, s, task(fmt.Sprint(i), time.Minute, instant))
			next, _ := s.Next(fmt.Sprint(i))
			out = append(out, time.Until(next))
		}
	})
	return out
}

func TestSchedulerJitterIsSeeded(t *testing.T) {
	a, b, c := firstDues(t, 3, 20), firstDues(t, 3, 20), firstDues(t, 4, 20)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("the same seed gave different first runs (-first +second):\n%s", diff)
	}
	if cmp.Equal(a, c) {
		t.Errorf("seeds 3 and 4 gave the same first runs %v", a)
	}
}

func TestSchedulerRemoveStopsProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := NewScheduler(rec, Options{})
		defer s.Close()
		mustSet(t, s, task("a", time.Second, instant), task("b", time.Second, instant))
		advance(5 * time.Second)
		before := len(rec.times("a"))
		if !s.Remove("a") {
			t.Fatalf("Remove(a) = false, want true")
		}
		advance(10 * time.Second)
		if got := len(rec.times("a")); got != before {
			t.Errorf("a ran %d times after its removal, want 0", got-before)
		}
		if got := len(rec.times("b")); got != 15 {
			t.Errorf("b ran %d times in 15s, want 15", got)
		}
		if s.Remove("a") {
			t.Errorf("second Remove(a) = true, want false")
		}
		if _, ok := s.Next("a"); ok || s.Stats().Tasks != 1 {
			t.Errorf("a is still scheduled (Stats %+v)", s.Stats())
		}
	})
}

func TestSchedulerRemoveCancelsRunningCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := NewScheduler(rec, Options{})
		defer s.Close()
		var cause atomic.Value
		probe := ProbeFunc(func(ctx context.Context) Outcome {
			<-ctx.Done()
			cause.Store(context.Cause(ctx))
			return Outcome{State: Failed}
		})
		mustSet(t, s, Task{Member: "a", Probe: probe, Interval: time.Second, Timeout: time.Minute})
		advance(time.Second)
		if st := s.Stats(); st.Running != 1 {
			t.Fatalf("Stats = %+v, want one check running", st)
		}
		s.Remove("a")
		synctest.Wait()
		if got, _ := cause.Load().(error); !errors.Is(got, errRemoved) {
			t.Errorf("the running check ended with %v, want errRemoved", got)
		}
		if st := s.Stats(); rec.count() != 0 || st.Dropped != 1 || st.Running != 0 {
			t.Errorf("%d results delivered, Stats %+v; want the result dropped", rec.count(), st)
		}
	})
}

func TestSchedulerSlowProbeDoesNotDelayOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := NewScheduler(rec, Options{Workers: 2})
		defer s.Close()
		slow := ProbeFunc(func(context.Context) Outcome { pass(5500 * time.Millisecond); return Outcome{State: OK} })
		start := time.Now()
		mustSet(t, s, Task{Member: "slow", Probe: slow, Interval: time.Second, Timeout: time.Minute},
			task("fast1", time.Second, instant), task("fast2", 2*time.Second, instant))
		advance(time.Minute)
		end := time.Now()
		checkRhythm(t, "fast1", rec.times("fast1"), start, end, time.Second)
		checkRhythm(t, "fast2", rec.times("fast2"), start, end, 2*time.Second)
		slowTimes := rec.times("slow")
		for i := 1; i < len(slowTimes); i++ {
			if gap := slowTimes[i].Sub(slowTimes[i-1]); gap != 6*time.Second {
				t.Errorf("slow finished runs %d and %d %v apart, want 6s (next free slot, no catch-up burst)", i-1, i, gap)
			}
		}
		if st := s.Stats(); st.Skipped < uint64(5*(len(slowTimes)-1)) {
			t.Errorf("Stats = %+v, want at least %d skipped slots", st, 5*(len(slowTimes)-1))
		}
	})
}

func TestSchedulerBoundsConcurrentChecks(t *testing.T) {
	const workers, tasks = 3, 10
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := NewScheduler(rec, Options{Workers: workers})
		defer s.Close()
		release := make(chan struct{})
		var running, most atomic.Int32
		probe := ProbeFunc(func(ctx context.Context) Outcome {
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			<-release
			return Outcome{State: OK}
		})
		for i := range tasks {
			mustSet(t, s, Task{Member: fmt.Sprint(i), Probe: probe, Interval: time.Minute, Timeout: time.Hour})
		}
		advance(time.Minute)
		st := s.Stats()
		if running.Load() != workers || st.Running != workers || st.Queued != tasks-workers {
			t.Errorf("%d checks running, Stats %+v; want %d running and %d queued", running.Load(), st, workers, tasks-workers)
		}
		close(release)
		synctest.Wait()
		if rec.count() != tasks || most.Load() != workers {
			t.Errorf("%d results, at most %d at once; want %d results, at most %d at once", rec.count(), most.Load(), tasks, workers)
		}
	})
}

func TestSchedulerTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := NewScheduler(rec, Options{})
		defer s.Close()
		mustSet(t, s, Task{Member: "a", Name: "hang", Probe: ProbeFunc(blockUntilDone), Interval: 10 * time.Second, Timeout: 2 * time.Second})
		advance(12 * time.Second)
		got := rec.last()
		want := Result{Member: "a", Probe: "hang", State: Failed, Detail: "timed out after 2s: health: check timed out", Latency: 2 * time.Second}
		if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".At" }, cmp.Ignore())); diff != "" {
			t.Errorf("result mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestSchedulerReplace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := NewScheduler(rec, Options{})
		defer s.Close()
		version := func(v string) Probe {
			return ProbeFunc(func(context.Context) Outcome { return Outcome{State: OK, Detail: v} })
		}
		mustSet(t, s, task("a", time.Second, version("v1")))
		advance(3 * time.Second)
		before, _ := s.Next("a")
		mustSet(t, s, task("a", time.Second, version("v2")))
		if after, _ := s.Next("a"); !after.Equal(before) {
			t.Errorf("same interval: next due moved from %v to %v, want kept", before, after)
		}
		advance(time.Second)
		if got := rec.last().Detail; got != "v2" {
			t.Errorf("after replacement the result came from %q, want v2", got)
		}
		now := time.Now()
		mustSet(t, s, task("a", 5*time.Second, version("v3")))
		next, _ := s.Next("a")
		if next.Before(now) || !next.Before(now.Add(5*time.Second)) {
			t.Errorf("new interval: next due +%v, want within [0, 5s)", next.Sub(now))
		}
		n := rec.count()
		advance(time.Minute)
		times := rec.times("a")[n:]
		checkRhythm(t, "a", times, now, time.Now(), 5*time.Second)
	})
}

func TestSchedulerReplaceCancelsRunningCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := NewScheduler(rec, Options{})
		defer s.Close()
		mustSet(t, s, Task{Member: "a", Probe: ProbeFunc(blockUntilDone), Interval: time.Second, Timeout: time.Hour})
		advance(time.Second)
		mustSet(t, s, task("a", time.Second, instant))
		synctest.Wait()
		if st := s.Stats(); st.Dropped != 1 || rec.count() != 0 {
			t.Errorf("Stats %+v with %d results, want the old check's result dropped", st, rec.count())
		}
		advance(2 * time.Second)
		if got := rec.count(); got != 2 {
			t.Errorf("the new task gave %d results in 2s, want 2", got)
		}
	})
}

func TestSchedulerSetRejectsBadTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler(nil, Options{})
		tests := []struct {
			name      string
			task      Task
			wantField string
		}{
			{"no member", Task{Probe: instant, Interval: time.Second, Timeout: time.Second}, "member"},
			{"no probe", Task{Member: "a", Interval: time.Second, Timeout: time.Second}, "probe"},
			{"no interval", Task{Member: "a", Probe: instant, Timeout: time.Second}, "interval"},
			{"no timeout", Task{Member: "a", Probe: instant, Interval: time.Second}, "timeout"},
		}
		for _, tc := range tests {
			if got := fieldOf(s.Set(tc.task)); got != tc.wantField {
				t.Errorf("%s: Set error field %q, want %q", tc.name, got, tc.wantField)
			}
		}
		if n := s.Stats().Tasks; n != 0 {
			t.Errorf("%d tasks scheduled after bad Sets, want 0", n)
		}
		s.Close()
		if err := s.Set(task("a", time.Second, instant)); !errors.Is(err, ErrClosed) {
			t.Errorf("Set after Close = %v, want ErrClosed", err)
		}
	})
}

// overlapSink records, per member, how many Observe calls were in progress
// at most at once; Observe for "a" blocks until its gate opens.
type overlapSink struct {
	mu       sync.Mutex
	inFlight map[string]int
	most     map[string]int
	calls    int
	gate     chan struct{}
}

func (o *overlapSink) Observe(r Result) {
	o.mu.Lock()
	o.calls++
	o.inFlight[r.Member]++
	o.most[r.Member] = max(o.most[r.Member], o.inFlight[r.Member])
	o.mu.Unlock()
	if r.Member == "a" {
		<-o.gate
	}
	o.mu.Lock()
	o.inFlight[r.Member]--
	o.mu.Unlock()
}

func TestSchedulerNeverOverlapsObserveOfOneMember(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &overlapSink{inFlight: map[string]int{}, most: map[string]int{}, gate: make(chan struct{})}
		s := NewScheduler(sink, Options{})
		defer s.Close()
		mustSet(t, s, task("a", time.Second, instant))
		advance(time.Second) // the first Observe of a is now blocked
		advance(5 * time.Second)
		s.Remove("a")
		mustSet(t, s, task("a", time.Second, instant)) // revived while delivering
		advance(5 * time.Second)
		sink.mu.Lock()
		calls := sink.calls
		sink.mu.Unlock()
		if calls != 1 {
			t.Errorf("%d Observe calls while the first was blocked, want 1", calls)
		}
		close(sink.gate)
		advance(5 * time.Second)
		sink.mu.Lock()
		defer sink.mu.Unlock()
		if sink.most["a"] != 1 || sink.calls < 5 {
			t.Errorf("at most %d Observe calls of a at once over %d calls, want 1 over at least 5", sink.most["a"], sink.calls)
		}
	})
}

// labelled runs f with a pprof label that the goroutines it starts inherit,
// so that countLabelled counts them apart from the rest of the process.
func labelled(value string, f func()) {
	pprof.Do(context.Background(), pprof.Labels("healthtest", value), func(context.Context) { f() })
}

// countLabelled counts the live goroutines that carry the label value.
func countLabelled(t *testing.T, value string) int {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		t.Fatal(err)
	}
	label := fmt.Sprintf(`"healthtest":%q`, value)
	total, group := 0, 0
	for line := range strings.Lines(buf.String()) {
		if n, err := fmt.Sscanf(line, "%d @", &group); n != 1 || err != nil {
			if strings.HasPrefix(line, "# labels:") && strings.Contains(line, label) {
				total += group
			}
		}
	}
	return total
}

func TestCountLabelled(t *testing.T) {
	release := make(chan struct{})
	var started sync.WaitGroup
	labelled(t.Name(), func() {
		for range 3 {
			started.Go(func() { <-release })
		}
	})
	if got := countLabelled(t, t.Name()); got != 3 {
		t.Errorf("countLabelled = %d with 3 labelled goroutines blocked, want 3", got)
	}
	close(release)
	started.Wait()
}

func TestScheduler10000ProbesBoundedGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		labelled(t.Name(), func() { schedule10000(t) })
	})
}

func schedule10000(t *testing.T) {
	const n, workers = 10000, 64
	var runs atomic.Int64
	sink := SinkFunc(func(Result) { runs.Add(1) })
	base := countLabelled(t, t.Name())
	s := NewScheduler(sink, Options{Workers: workers})
	firsts := make([]time.Time, n)
	for i := range n {
		mustSet(t, s, task(fmt.Sprint(i), time.Second, instant))
		firsts[i], _ = s.Next(fmt.Sprint(i))
	}
	advance(5 * time.Second)
	if grew := countLabelled(t, t.Name()) - base; grew > workers+1 {
		t.Errorf("%d goroutines for %d probes, want at most %d", grew, n, workers+1)
	}
	var want int64
	for _, first := range firsts {
		want += int64(time.Since(first)/time.Second) + 1
	}
	if got := runs.Load(); got != want {
		t.Errorf("%d checks ran, want %d", got, want)
	}
	s.Close()
	synctest.Wait() // a goroutine may still be returning after its wg.Done
	if left := countLabelled(t, t.Name()) - base; left != 0 {
		t.Errorf("%d goroutines left after Close", left)
	}
}

func TestSchedulerCloseStopsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		labelled(t.Name(), func() { closeStopsEverything(t) })
	})
}

func closeStopsEverything(t *testing.T) {
	rec := &recorder{}
	base := countLabelled(t, t.Name())
	s := NewScheduler(rec, Options{Workers: 4})
	mustSet(t, s, Task{Member: "hang", Probe: ProbeFunc(blockUntilDone), Interval: time.Second, Timeout: time.Hour},
		task("a", time.Second, instant))
	advance(3 * time.Second)
	if st := s.Stats(); st.Running != 1 {
		t.Fatalf("Stats = %+v, want the hanging check running", st)
	}
	delivered := rec.count()
	closing := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if waited := time.Since(closing); waited != 0 {
		t.Errorf("Close took %v of fake time, want 0 (it must cancel the hanging check)", waited)
	}
	if st := s.Stats(); st.Running != 0 {
		t.Errorf("Close returned with %d checks still running", st.Running)
	}
	synctest.Wait() // a goroutine may still be returning after its wg.Done
	if left := countLabelled(t, t.Name()) - base; left != 0 {
		t.Errorf("%d goroutines left after Close", left)
	}
	advance(10 * time.Second)
	if got := rec.count(); got != delivered {
		t.Errorf("%d results after Close, want none (the cancelled check is dropped)", got-delivered)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
}

func TestSchedulerSkipsSlotsItMissed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		rec := &recorder{}
		s := NewScheduler(rec, Options{Clock: clock})
		defer s.Close()
		mustSet(t, s, task("a", time.Second, instant))
		first, _ := s.Next("a")
		clock.set(first)
		synctest.Wait()
		clock.set(first.Add(10*time.Second + 500*time.Millisecond)) // the scheduler was asleep for ten slots
		synctest.Wait()
		next, _ := s.Next("a")
		if got, want := rec.times("a"), []time.Time{first, first.Add(10*time.Second + 500*time.Millisecond)}; !cmp.Equal(got, want) {
			t.Errorf("a ran at %v, want %v (one run per wake-up, no burst)", got, want)
		}
		if st := s.Stats(); st.Skipped != 9 || !next.Equal(first.Add(11*time.Second)) {
			t.Errorf("Skipped = %d, next due +%v; want 9 skipped and next at +11s", st.Skipped, next.Sub(first))
		}
	})
}
