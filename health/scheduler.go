package health

import (
	"container/heap"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultWorkers is the number of checks a Scheduler runs at once unless
// Options say otherwise.
const DefaultWorkers = 64

// ErrClosed is returned by Set after Close.
var ErrClosed = errors.New("health: scheduler closed")

// Causes given to the context of a check that is stopped early.
var (
	errRemoved  = errors.New("health: task removed")
	errReplaced = errors.New("health: task replaced")
)

// Options configure a Scheduler. The zero value is usable.
type Options struct {
	// Workers bounds how many checks run at once; <= 0 means DefaultWorkers.
	Workers int
	// Clock is the source of time; nil means SystemClock.
	Clock Clock
	// Seed seeds the jitter of first runs: the same seed and the same
	// sequence of Set calls give the same first-run times.
	Seed uint64
}

// Stats are counters of a Scheduler since it was made.
type Stats struct {
	Tasks     int    // tasks scheduled now
	Queued    int    // due checks waiting for a worker
	Running   int    // checks running or delivering their result
	Started   uint64 // checks started
	Delivered uint64 // results passed to the Sink
	Dropped   uint64 // results discarded: task removed, replaced or scheduler closed meanwhile
	Skipped   uint64 // due slots skipped because the task's previous check was not done
}

// Scheduler runs the probes of many members on their intervals and hands
// each result to a Sink. See the package documentation for its timing and
// concurrency contract. All methods are safe for concurrent use.
type Scheduler struct {
	sink  Sink
	clock Clock
	epoch time.Time     // due times are offsets from it
	done  chan struct{} // closed by Close
	wake  chan struct{} // capacity 1: "look at the heap again"
	wg    sync.WaitGroup

	mu      sync.Mutex
	cond    *sync.Cond // on mu; signalled when the queue grows or on close
	tasks   map[string]*entry
	leaving map[string]*entry // removed entries whose check is not done yet
	due     dueHeap
	queue   []*entry // FIFO of due entries from head on
	head    int
	rand    *rand.Rand
	timer   Timer
	closed  bool
	running int
	stats   Stats
}

// entry is the scheduler's state of one task.
type entry struct {
	task    Task
	due     time.Duration // the next slot, from the epoch
	index   int           // position in the heap
	gen     uint64        // bumped by every Set of this member
	busy    bool          // queued, running or delivering
	removed bool
	cancel  context.CancelCauseFunc // of the running check
}

// NewScheduler starts a scheduler (its timing goroutine and worker pool)
// that delivers results to sink. A nil sink discards them. Close stops it.
func NewScheduler(sink Sink, opts Options) *Scheduler {
	if sink == nil {
		sink = SinkFunc(func(Result) {})
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	s := &Scheduler{
		sink:    sink,
		clock:   opts.Clock,
		epoch:   opts.Clock.Now(),
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		tasks:   map[string]*entry{},
		leaving: map[string]*entry{},
		rand:    rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
	}
	s.cond = sync.NewCond(&s.mu)
	s.wg.Add(1 + opts.Workers)
	go s.loop()
	for range opts.Workers {
		go s.worker()
	}
	return s
}

// Set schedules t, or replaces the task of t.Member.
//
// A new task first runs at a random point within its first interval
// (jitter), then every Interval after that point. A replacement keeps the
// task's rhythm if the interval is unchanged and starts a new jittered one
// otherwise; a check of the old task that is under way is cancelled and its
// result dropped. Set returns a *FieldError for an invalid task and
// ErrClosed after Close, and then changes nothing.
func (s *Scheduler) Set(t Task) error {
	if err := t.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	now := s.now()
	if e, ok := s.tasks[t.Member]; ok {
		s.replace(e, t, now)
	} else {
		s.add(t, now)
	}
	s.poke()
	return nil
}

// add schedules a new member. If the member was removed while a check of
// it was not done, its entry is revived, so that the old check's delivery
// (if it already began) and the new checks never overlap.
func (s *Scheduler) add(t Task, now time.Duration) {
	e := s.leaving[t.Member]
	if e == nil {
		e = &entry{}
	}
	delete(s.leaving, t.Member)
	e.task, e.removed, e.due = t, false, now+s.jitter(t.Interval)
	e.gen++
	s.tasks[t.Member] = e
	heap.Push(&s.due, e)
}

func (s *Scheduler) replace(e *entry, t Task, now time.Duration) {
	oldInterval := e.task.Interval
	e.task = t
	e.gen++
	if e.cancel != nil {
		e.cancel(errReplaced)
	}
	if t.Interval != oldInterval {
		e.due = now + s.jitter(t.Interval)
		heap.Fix(&s.due, e.index)
	}
}

// jitter picks the offset of a first run in [0, interval).
func (s *Scheduler) jitter(interval time.Duration) time.Duration {
	return time.Duration(s.rand.Int64N(int64(interval)))
}

// Remove stops the task of member and reports whether there was one. It
// is not started again; a check of it under way is cancelled and its result
// dropped, unless its delivery to the Sink has already begun.
func (s *Scheduler) Remove(member string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tasks[member]
	if !ok {
		return false
	}
	delete(s.tasks, member)
	heap.Remove(&s.due, e.index)
	e.removed = true
	if e.cancel != nil {
		e.cancel(errRemoved)
	}
	if e.busy {
		s.leaving[member] = e
	}
	return true
}

// Next returns when the task of member is next due.
func (s *Scheduler) Next(member string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tasks[member]
	if !ok {
		return time.Time{}, false
	}
	return s.epoch.Add(e.due), true
}

// now is the clock's time as an offset from the epoch.
func (s *Scheduler) now() time.Duration {
	return s.clock.Now().Sub(s.epoch)
}

// Stats returns the scheduler's counters.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Tasks = len(s.tasks)
	st.Queued = len(s.queue) - s.head
	st.Running = s.running
	return st
}

// Close stops the scheduler: no check starts any more, checks under way are
// cancelled and their results dropped, and Close returns once every
// goroutine of the scheduler has ended (so it waits for running probes to
// honour the cancellation, and for Observe calls in progress). After Close
// no Observe call is in progress or made. Close is idempotent and must not
// be called from Observe.
func (s *Scheduler) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.disarm()
		s.cancelAll()
		s.cond.Broadcast()
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// cancelAll cancels every check under way (s.mu held).
func (s *Scheduler) cancelAll() {
	for _, entries := range []map[string]*entry{s.tasks, s.leaving} {
		for _, e := range entries {
			if e.cancel != nil {
				e.cancel(ErrClosed)
			}
		}
	}
}

// poke wakes the timing loop without blocking.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// loop is the single timing goroutine: it moves due tasks to the queue and
// sleeps (on one Clock timer) until the next is due or the heap changes.
func (s *Scheduler) loop() {
	defer s.wg.Done()
	for {
		s.tick()
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}

func (s *Scheduler) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for {
		now := s.now()
		for len(s.due) > 0 && s.due[0].due <= now {
			s.fire(s.due[0], now)
		}
		if len(s.due) == 0 {
			s.disarm()
			return
		}
		// Measure the wait from a fresh reading: handing out many
		// checks may have taken a while.
		if wait := s.due[0].due - s.now(); wait > 0 {
			s.arm(wait)
			return
		}
	}
}

// fire handles the earliest entry, due at or before now: it queues a check
// unless the previous one is not done, and moves the entry to its first slot
// after now. Slots are multiples of the interval from the first run, so
// lateness never shifts them, and missed slots are skipped, not made up.
func (s *Scheduler) fire(e *entry, now time.Duration) {
	missed := uint64((now - e.due) / e.task.Interval)
	if e.busy {
		s.stats.Skipped += missed + 1
	} else {
		s.stats.Skipped += missed
		e.busy = true
		s.queue = append(s.queue, e)
		s.cond.Signal()
	}
	e.due += time.Duration(missed+1) * e.task.Interval
	heap.Fix(&s.due, 0)
}

// arm sets the timer to wake the loop after wait.
func (s *Scheduler) arm(wait time.Duration) {
	if s.timer == nil {
		s.timer = s.clock.AfterFunc(wait, s.poke)
		return
	}
	s.timer.Reset(wait)
}

func (s *Scheduler) disarm() {
	if s.timer != nil {
		s.timer.Stop()
	}
}

// job is one check taken from the queue by a worker.
type job struct {
	e      *entry
	task   Task
	gen    uint64
	ctx    context.Context
	cancel context.CancelCauseFunc
}

func (s *Scheduler) worker() {
	defer s.wg.Done()
	for {
		j, ok := s.take()
		if !ok {
			return
		}
		res := run(j.ctx, j.cancel, s.clock, j.task)
		s.finish(j, res)
	}
}

// take waits for a queued entry and starts its check; false after Close.
func (s *Scheduler) take() (job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for s.head == len(s.queue) && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			return job{}, false
		}
		e := s.pop()
		if e.removed {
			s.release(e)
			continue
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		e.cancel = cancel
		s.running++
		s.stats.Started++
		return job{e: e, task: e.task, gen: e.gen, ctx: ctx, cancel: cancel}, true
	}
}

// pop removes the queue's first entry, compacting the slice when its dead
// front grows past half of it.
func (s *Scheduler) pop() *entry {
	e := s.queue[s.head]
	s.queue[s.head] = nil
	s.head++
	if s.head == len(s.queue) || s.head > 64 && s.head > len(s.queue)/2 {
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue = s.queue[:n]
		s.head = 0
	}
	return e
}

// finish delivers a check's result if its task is still current, then
// frees the task for its next slot.
func (s *Scheduler) finish(j job, res Result) {
	j.cancel(nil)
	if s.current(j) {
		s.sink.Observe(res)
	}
	s.mu.Lock()
	s.running--
	s.release(j.e)
	s.mu.Unlock()
}

// release marks an entry's check done (s.mu held).
func (s *Scheduler) release(e *entry) {
	e.busy = false
	if e.removed && s.leaving[e.task.Member] == e {
		delete(s.leaving, e.task.Member)
	}
}

// current reports whether j's result may be delivered, and counts it.
func (s *Scheduler) current(j job) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j.e.cancel = nil
	ok := !j.e.removed && j.e.gen == j.gen && !s.closed
	if ok {
		s.stats.Delivered++
	} else {
		s.stats.Dropped++
	}
	return ok
}

// dueHeap is a min-heap of entries by due time (container/heap).
type dueHeap []*entry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due < h[j].due }

func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *dueHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}
