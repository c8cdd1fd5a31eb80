package bolt

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"go.etcd.io/bbolt"

	"github.com/redset/redset/store"
)

// maxBatchBytes caps the keys and values of one batch, so a burst of large
// transactions is split over several fsyncs. A single larger transaction
// still goes through, alone.
const maxBatchBytes = 16 << 20

// Request states: a request is taken by the committer or abandoned by its
// caller, whichever happens first; the loser backs off.
const (
	stateQueued int32 = iota
	stateTaken
	stateAbandoned
)

// request is one Commit waiting for the committer.
type request struct {
	ctx   context.Context
	txn   store.Txn
	state atomic.Int32
	done  chan result // buffered: the committer never blocks on it
}

type result struct {
	rev int64
	err error
}

// committer owns every write to the database. Callers queue requests; one
// goroutine takes everything queued (up to maxBatch transactions or
// maxBatchBytes), writes it in one bbolt transaction, fsyncs once, publishes
// the events and then answers each caller. It never waits for more work
// while there is work to do, so an idle store commits a lone request at once.
type committer struct {
	db       *bbolt.DB
	hub      *hub
	log      *slog.Logger
	maxBatch int
	onBatch  func(int)

	mu      sync.Mutex
	wake    *sync.Cond
	queue   []*request
	stopped bool
	done    chan struct{}
}

func startCommitter(db *bbolt.DB, h *hub, opts Options) *committer {
	c := &committer{
		db: db, hub: h, log: opts.Logger,
		maxBatch: opts.MaxBatch, onBatch: opts.OnBatch,
		done: make(chan struct{}),
	}
	c.wake = sync.NewCond(&c.mu)
	go c.run()
	return c
}

// submit queues txn and waits for its outcome; see Store.Commit.
func (c *committer) submit(ctx context.Context, txn store.Txn) (int64, error) {
	r := &request{ctx: ctx, txn: txn, done: make(chan result, 1)}
	if !c.enqueue(r) {
		return 0, store.ErrClosed
	}
	select {
	case res := <-r.done:
		return res.rev, res.err
	case <-ctx.Done():
		if r.state.CompareAndSwap(stateQueued, stateAbandoned) {
			return 0, ctx.Err()
		}
		res := <-r.done
		return res.rev, res.err
	}
}

func (c *committer) enqueue(r *request) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return false
	}
	c.queue = append(c.queue, r)
	c.wake.Signal()
	return true
}

// pending is the number of queued requests (for tests).
func (c *committer) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// isStopped reports whether stop has been called (for tests).
func (c *committer) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// stop makes the committer finish its current batch, fail everything still
// queued with store.ErrClosed, and exit. It returns once it has exited.
func (c *committer) stop() {
	c.mu.Lock()
	c.stopped = true
	c.wake.Signal()
	c.mu.Unlock()
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	for {
		batch, ok := c.next()
		if !ok {
			return
		}
		if len(batch) > 0 {
			c.commit(batch)
		}
	}
}

// next waits for work and takes the next batch. After stop it answers the
// remaining queue with store.ErrClosed and reports false.
func (c *committer) next() ([]*request, bool) {
	c.mu.Lock()
	for len(c.queue) == 0 && !c.stopped {
		c.wake.Wait()
	}
	if c.stopped {
		rest := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, r := range take(rest) {
			r.done <- result{err: store.ErrClosed}
		}
		return nil, false
	}
	n := batchLen(c.queue, c.maxBatch)
	batch := c.queue[:n:n]
	c.queue = append([]*request(nil), c.queue[n:]...)
	c.mu.Unlock()
	return take(batch), true
}

// batchLen is how many queued requests fit in one batch (at least one).
func batchLen(queue []*request, maxBatch int) int {
	size := 0
	for i, r := range queue {
		if i == maxBatch || (i > 0 && size > maxBatchBytes) {
			return i
		}
		size += txnBytes(r.txn)
	}
	return len(queue)
}

func txnBytes(txn store.Txn) int {
	n := 0
	for _, op := range txn.Ops {
		n += len(op.Key) + len(op.Value)
	}
	return n
}

// take claims the requests whose callers are still waiting.
func take(rs []*request) []*request {
	taken := rs[:0]
	for _, r := range rs {
		if r.state.CompareAndSwap(stateQueued, stateTaken) {
			taken = append(taken, r)
		}
	}
	return taken
}

// commit writes one batch durably, publishes its events and answers its
// callers. If the write fails, every caller gets the error and no event is
// published.
func (c *committer) commit(batch []*request) {
	results := make([]result, len(batch))
	events, err := c.write(batch, results)
	if err != nil {
		c.log.Error("store commit failed", "txns", len(batch), "err", err)
		for i := range results {
			results[i] = result{err: err}
		}
	}
	if c.onBatch != nil {
		c.onBatch(len(batch))
	}
	c.hub.publish(events)
	for i, r := range batch {
		r.done <- results[i]
	}
}

// write applies the batch in one bbolt transaction, filling results, and
// commits it; a batch that changed nothing is rolled back (no fsync).
func (c *committer) write(batch []*request, results []result) ([]store.Event, error) {
	tx, err := c.db.Begin(true)
	if err != nil {
		return nil, fmt.Errorf("bolt: commit: %w", err)
	}
	events, changed, err := applyBatch(tx, batch, results)
	if err != nil || !changed {
		_ = tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("bolt: commit: %w", err)
	}
	return events, nil
}

// applyBatch applies each request in order against the state left by the
// ones before it, filling results. Each request that changes something gets
// the next revision. It reports whether anything changed.
func applyBatch(tx *bbolt.Tx, batch []*request, results []result) ([]store.Event, bool, error) {
	start, err := readRev(tx)
	if err != nil {
		return nil, false, err
	}
	kv, rev := tx.Bucket(bucketKV), start
	var events []store.Event
	for i, r := range batch {
		evs, res, err := applyOne(kv, r, rev)
		if err != nil {
			return nil, false, fmt.Errorf("bolt: commit: %w", err)
		}
		if len(evs) > 0 {
			rev++
		}
		results[i] = res
		events = append(events, evs...)
	}
	if rev == start {
		return nil, false, nil
	}
	return events, true, tx.Bucket(bucketMeta).Put(keyRev, encodeRev(rev))
}

// applyOne applies one request on top of revision rev, unless its context
// has ended or a compare fails. The result carries rev+1 when the request
// changed something, rev when it changed nothing.
func applyOne(kv *bbolt.Bucket, r *request, rev int64) ([]store.Event, result, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, result{err: err}, nil
	}
	ok, err := comparesHold(kv, r.txn)
	if err != nil {
		return nil, result{}, err
	}
	if !ok {
		return nil, result{err: store.ErrConflict}, nil
	}
	evs, err := applyOps(kv, r.txn, rev+1)
	if err != nil {
		return nil, result{}, err
	}
	if len(evs) == 0 {
		return nil, result{rev: rev}, nil
	}
	return evs, result{rev: rev + 1}, nil
}
