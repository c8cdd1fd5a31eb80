package hook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/internal/clock"
)

// Outcomes of a Delivery.
const (
	OutcomeOK      = "ok"      // the command exited 0 / the webhook answered 2xx
	OutcomeFailed  = "failed"  // every attempt failed
	OutcomeDropped = "dropped" // never attempted: the hook's queue was full or the runner closed
	OutcomeVetoed  = "vetoed"  // a pre-failover hook refused the failover
)

// Defaults of Options.
const (
	// DefaultQueueSize lets a hook fall behind a mass failure of many
	// sets (every set of a failed member failing over at once) without
	// dropping any of its runs; a waiting event takes about 80 bytes.
	DefaultQueueSize   = 16384
	MaxQueue           = 1 << 20 // the largest Spec.Queue
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
)

// Delivery is the record of one hook run for one event, reported through
// Options.Record.
type Delivery struct {
	Hook     string        `json:"hook"`
	Kind     string        `json:"kind"`          // "exec" or "webhook"
	Event    string        `json:"event"`         // failover, refused, status, prefailover
	Seq      uint64        `json:"seq,omitempty"` // the event's record; 0 for prefailover
	SetID    string        `json:"setId"`
	Attempts int           `json:"attempts"` // 0 for a dropped delivery
	Outcome  string        `json:"outcome"`
	Code     int           `json:"code"` // exit code (-1: killed or not started) or last HTTP status (0: none)
	Duration time.Duration `json:"duration"`
	Error    string        `json:"error,omitempty"`
}

// Clock is the source of time for backoff and durations (see package
// clock).
type Clock = clock.Clock

// Timer is a pending AfterFunc call. *time.Timer satisfies it.
type Timer = clock.Timer

// Options configure a Runner. All fields are optional.
type Options struct {
	Logger     *slog.Logger // default: discard
	HTTPClient *http.Client // for webhooks; default: a plain http.Client
	Clock      Clock        // default: the wall clock
	// Record receives every Delivery. It is called from the runner's
	// goroutines (also concurrently, and from the goroutine reading events
	// for dropped deliveries) and from PreFailover's caller: it must be safe
	// for concurrent use and return quickly.
	Record      func(Delivery)
	QueueSize   int           // events each post-event hook may have waiting; default DefaultQueueSize
	BackoffBase time.Duration // wait before the first retry; default DefaultBackoffBase
	BackoffMax  time.Duration // longest wait between retries; default DefaultBackoffMax
}

func (o *Options) fill() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Record == nil {
		o.Record = func(Delivery) {}
	}
	if o.QueueSize < 1 {
		o.QueueSize = DefaultQueueSize
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	o.BackoffMax = max(o.BackoffMax, o.BackoffBase)
}

// Runner runs the hooks of a configuration. See the package documentation
// for ordering, concurrency and backpressure.
type Runner struct {
	opts   Options
	client *http.Client
	clock  Clock
	log    *slog.Logger
	pre    []*hook
	post   []*hook

	ctx     context.Context // ends when Close gives up waiting
	cancel  context.CancelFunc
	stop    chan struct{} // closed by Close: stop reading events
	mu      sync.Mutex    // guards started and closed
	started bool
	closed  bool
	intake  sync.WaitGroup
	workers sync.WaitGroup
}

// hook is one configured hook and, for post-event hooks, its queue.
type hook struct {
	spec  Spec
	queue chan notice
}

// ErrState is returned by Start when the runner was already started or
// closed.
var ErrState = errors.New("hook: runner already started or closed")

// New checks the specs and returns a Runner for them. A spec without a name
// is named "hooks[i]" after its index; names must be unique.
func New(specs []Spec, opts Options) (*Runner, error) {
	opts.fill()
	r := &Runner{opts: opts, client: opts.HTTPClient, clock: opts.Clock, log: opts.Logger,
		stop: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	seen := map[string]bool{}
	for i, s := range specs {
		if s.Name == "" {
			s.Name = fmt.Sprintf("hooks[%d]", i)
		}
		if err := s.Validate(); err != nil {
			return nil, err
		}
		if seen[s.Name] {
			return nil, &SpecError{Hook: s.Name, Field: "name", Reason: "another hook has this name"}
		}
		seen[s.Name] = true
		r.add(s)
	}
	return r, nil
}

func (r *Runner) add(s Spec) {
	s.On = append([]string(nil), s.On...)
	s.Exec = append([]string(nil), s.Exec...)
	if s.Pre {
		r.pre = append(r.pre, &hook{spec: s})
		return
	}
	size := r.opts.QueueSize
	if s.Queue > 0 {
		size = s.Queue
	}
	r.post = append(r.post, &hook{spec: s, queue: make(chan notice, size)})
}

// Wants reports whether some post-event hook runs on rec. It is cheap and
// never blocks, so it can be the filter of a Bus subscription.
func (r *Runner) Wants(rec event.Record) bool {
	name := eventName(rec)
	if name == "" {
		return false
	}
	for _, h := range r.post {
		if h.spec.wants(name) {
			return true
		}
	}
	return false
}

// Start reads events until the channel closes or Close is called, and
// hands each to the queues of the post-event hooks that want it. It returns
// at once; it may be called once, and not after Close.
func (r *Runner) Start(events <-chan event.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.closed {
		return ErrState
	}
	r.started = true
	for _, h := range r.post {
		r.workers.Add(1)
		go r.work(h)
	}
	r.intake.Add(1)
	go r.read(events)
	return nil
}

// read is the intake goroutine. It never blocks on a hook: a full queue
// drops the event for that hook. On return it closes every queue.
func (r *Runner) read(events <-chan event.Record) {
	defer r.intake.Done()
	defer r.closeQueues()
	for {
		select {
		case <-r.stop:
			return
		case rec, ok := <-events:
			if !ok {
				r.log.Info("hook: event stream ended")
				return
			}
			r.dispatch(rec)
		}
	}
}

func (r *Runner) closeQueues() {
	for _, h := range r.post {
		close(h.queue)
	}
}

func (r *Runner) dispatch(rec event.Record) {
	n, ok := noticeOf(rec)
	if !ok {
		return
	}
	for _, h := range r.post {
		if !h.spec.wants(n.event) {
			continue
		}
		select {
		case h.queue <- n:
		default:
			r.drop(h, n, "queue full")
		}
	}
}

// drop records a delivery that is never attempted.
func (r *Runner) drop(h *hook, n notice, why string) {
	d := Delivery{Hook: h.spec.Name, Kind: h.spec.kind(), Event: n.event, Seq: n.seq,
		SetID: n.set, Outcome: OutcomeDropped, Error: why}
	r.report(d)
}

// work delivers a hook's events one at a time, in the order they came.
func (r *Runner) work(h *hook) {
	defer r.workers.Done()
	for n := range h.queue {
		if r.ctx.Err() != nil {
			r.drop(h, n, "runner closed")
			continue
		}
		r.report(r.deliver(r.ctx, h, n))
	}
}

// attemptResult is how one attempt of a delivery ended.
type attemptResult struct {
	code      int
	err       error
	retryable bool
}

// deliver runs one post-event delivery with its retries.
func (r *Runner) deliver(ctx context.Context, h *hook, n notice) Delivery {
	start := r.clock.Now()
	d := Delivery{Hook: h.spec.Name, Kind: h.spec.kind(), Event: n.event, Seq: n.seq, SetID: n.set}
	attempt := r.attempter(h, n)
	for {
		d.Attempts++
		res := attempt(ctx, d.Attempts)
		d.Code, d.Outcome, d.Error = res.code, OutcomeOK, ""
		if res.err == nil {
			break
		}
		d.Outcome, d.Error = OutcomeFailed, res.err.Error()
		if !res.retryable || d.Attempts > h.spec.Retries || !r.wait(ctx, r.backoff(d.Attempts)) {
			break
		}
	}
	d.Duration = r.clock.Now().Sub(start)
	return d
}

// attempter prepares what every attempt of a delivery shares (the
// environment, the JSON body) and returns the attempt function.
func (r *Runner) attempter(h *hook, n notice) func(context.Context, int) attemptResult {
	if h.spec.Webhook != "" {
		body, err := json.Marshal(payloadOf(h.spec.Name, n))
		return func(ctx context.Context, attempt int) attemptResult {
			if err != nil {
				return attemptResult{err: err}
			}
			return r.webhookAttempt(ctx, h, body, attempt)
		}
	}
	env := commandEnv(h.spec.Name, n)
	return func(ctx context.Context, _ int) attemptResult {
		res := runCommand(ctx, h.spec.Exec, env, h.spec.timeout())
		return attemptResult{code: res.code, err: res.attemptError(), retryable: res.started}
	}
}

// backoff is the wait before retry number n (1 for the first retry): the
// base doubled for each earlier retry, capped, then jittered to a random
// point between half of it and all of it.
func (r *Runner) backoff(n int) time.Duration {
	d := r.opts.BackoffBase
	for i := 1; i < n && d < r.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, r.opts.BackoffMax)
	return d/2 + rand.N(d/2+1)
}

// wait waits d on the runner's clock; false if ctx ended first.
func (r *Runner) wait(ctx context.Context, d time.Duration) bool {
	fired := make(chan struct{})
	t := r.clock.AfterFunc(d, func() { close(fired) })
	select {
	case <-fired:
		return true
	case <-ctx.Done():
		t.Stop()
		return false
	}
}

// report logs a delivery and hands it to Options.Record.
func (r *Runner) report(d Delivery) {
	attrs := []any{"hook", d.Hook, "event", d.Event, "seq", d.Seq, "set", d.SetID,
		"outcome", d.Outcome, "attempts", d.Attempts, "code", d.Code, "duration", d.Duration}
	switch d.Outcome {
	case OutcomeOK:
		r.log.Debug("hook delivered", attrs...)
	case OutcomeVetoed:
		r.log.Warn("hook vetoed failover", append(attrs, "error", d.Error)...)
	default:
		r.log.Warn("hook delivery "+d.Outcome, append(attrs, "error", d.Error)...)
	}
	r.opts.Record(d)
}

// PreFailover runs the pre-failover hooks in configuration order, each
// once, and returns the *VetoError of the first that fails (exits non-zero,
// times out or cannot start); later hooks then do not run. It returns nil
// when every hook succeeded (or there is none). Calls may run concurrently.
func (r *Runner) PreFailover(ctx context.Context, set, from, to string, planned bool) error {
	n := preNotice(set, from, to, planned)
	for _, h := range r.pre {
		if err := r.runPre(ctx, h, n); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) runPre(ctx context.Context, h *hook, n notice) error {
	start := r.clock.Now()
	res := runCommand(ctx, h.spec.Exec, commandEnv(h.spec.Name, n), h.spec.timeout())
	d := Delivery{Hook: h.spec.Name, Kind: "exec", Event: n.event, SetID: n.set,
		Attempts: 1, Outcome: OutcomeOK, Code: res.code, Duration: r.clock.Now().Sub(start)}
	var veto error
	if res.err != nil {
		veto = &VetoError{Hook: h.spec.Name, Output: res.output, Cause: res.err}
		d.Outcome, d.Error = OutcomeVetoed, veto.Error()
	}
	r.report(d)
	return veto
}

// Close stops reading events, lets queued and running deliveries finish
// until ctx ends, then cancels the running ones (killing commands, aborting
// requests), records the still queued ones as dropped and returns ctx's
// error. After Close returns no post-event hook runs and the runner's
// goroutines have ended (PreFailover still works: it runs on its caller's
// goroutine). Close may be called more than once.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.stop)
	}
	r.mu.Unlock()
	r.intake.Wait()
	done := make(chan struct{})
	go func() {
		r.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		r.cancel()
		return nil
	case <-ctx.Done():
		r.cancel()
		<-done
		return ctx.Err()
	}
}

// notice is an event as hooks see it.
type notice struct {
	event    string
	seq      uint64
	time     time.Time
	set      string
	failover *event.Failover      // failover, refused, prefailover
	status   *event.StatusChanged // status
}

// eventName maps a record to the hook event it is, or "".
func eventName(rec event.Record) string {
	switch {
	case rec.Kind == event.KindFailoverSucceeded && rec.Failover != nil:
		return EventFailover
	case rec.Kind == event.KindFailoverRefused && rec.Failover != nil:
		return EventRefused
	case rec.Kind == event.KindStatusChanged && rec.Status != nil:
		return EventStatus
	}
	return ""
}

func noticeOf(rec event.Record) (notice, bool) {
	name := eventName(rec)
	if name == "" {
		return notice{}, false
	}
	n := notice{event: name, seq: rec.Seq, time: rec.Time, set: rec.SetID}
	if rec.Failover != nil {
		f := *rec.Failover
		n.failover = &f
	}
	if rec.Status != nil {
		s := *rec.Status
		n.status = &s
	}
	return n, true
}

// preNotice describes a failover about to commit. Its reason says whether
// an operator asked for it or redset started it on its own.
func preNotice(set, from, to string, planned bool) notice {
	reason := "automatic failover"
	if planned {
		reason = "requested failover"
	}
	return notice{event: EventPreFailover, set: set,
		failover: &event.Failover{Planned: planned, From: from, To: to, Reason: reason}}
}
