package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// history keeps the stored event history bounded and writes the records
// that are not part of a change's own transaction.
//
// Records of changes (failovers, configuration, returns) are committed in
// the change's transaction and only reported here (persisted). All other
// records (health, status, refusals, flap guard alerts) are queued and
// written in batches by one goroutine, asynchronously: a crash can lose the
// last of them. The queue is bounded by the history limit; when it
// overflows the oldest queued records are dropped (they would be trimmed
// anyway). The same goroutine deletes the oldest stored records beyond the
// limit.
type history struct {
	st    store.Store
	limit int
	log   *slog.Logger

	mu       sync.Mutex
	queue    []event.Record
	puts     map[string][]byte // other keys to write with the next batch (latest value wins)
	kept     []uint64          // stored history seqs, ascending
	started  uint64            // batches taken by the writer
	finished uint64            // batches done
	waiters  []flushWaiter
	dropped  uint64
	trim     bool // kept is over the limit

	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

type flushWaiter struct {
	batch uint64 // done once this batch is finished
	ch    chan struct{}
}

func newHistory(st store.Store, limit int, log *slog.Logger) *history {
	return &history{
		st: st, limit: limit, log: log,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
}

// enqueue queues r for an asynchronous write.
// putLater queues the write of key (decided health, say) with the next
// batch.
func (h *history) putLater(key string, value []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.puts == nil {
		h.puts = make(map[string][]byte)
	}
	h.puts[key] = value
	h.signal()
}

func (h *history) enqueue(r event.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.queue) >= h.limit {
		h.queue = h.queue[1:]
		h.dropped++
	}
	h.queue = append(h.queue, r)
	h.signal()
}

// persisted notes a record committed with a change.
func (h *history) persisted(seq uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.insert(seq)
	if h.trimNeeded() {
		h.signal()
	}
}

func (h *history) insert(seq uint64) {
	i, found := slices.BinarySearch(h.kept, seq)
	if !found {
		h.kept = slices.Insert(h.kept, i, seq)
	}
}

func (h *history) trimNeeded() bool {
	h.trim = len(h.kept) > h.limit
	return h.trim
}

func (h *history) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// flush waits until every record queued before the call is written (or
// dropped after a store error) and the stored history is trimmed: that is,
// until a batch that starts after the call has finished.
func (h *history) flush(ctx context.Context) error {
	h.mu.Lock()
	if len(h.queue) == 0 && !h.trim && h.started == h.finished {
		h.mu.Unlock()
		return nil
	}
	w := flushWaiter{batch: h.started + 1, ch: make(chan struct{})}
	h.waiters = append(h.waiters, w)
	h.signal()
	h.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-h.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is the writer goroutine; it exits after close, having written what
// was queued.
func (h *history) run() {
	defer close(h.done)
	for {
		select {
		case <-h.wake:
			h.writeBatch()
		case <-h.quit:
			h.writeBatch()
			return
		}
	}
}

func (h *history) close() {
	close(h.quit)
	<-h.done
}

// writeBatch commits the queued records and the trimming of old ones, in
// transactions of at most maxHistoryOps.
func (h *history) writeBatch() {
	batch, n, deletes := h.takeBatch()
	puts := h.takePuts()
	if len(batch) == 0 && len(deletes) == 0 && len(puts) == 0 {
		h.finish(n)
		return
	}
	txn := store.Txn{Ops: make([]store.Op, 0, len(batch)+len(deletes)+len(puts))}
	for _, k := range slices.Sorted(maps.Keys(puts)) {
		txn.Ops = append(txn.Ops, store.Op{Key: k, Value: puts[k]})
	}
	for i := range batch {
		op, err := historyOp(&batch[i])
		if err == nil {
			txn.Ops = append(txn.Ops, op)
		}
	}
	for _, seq := range deletes {
		txn.Ops = append(txn.Ops, store.Op{Key: historyKey(seq), Delete: true})
	}
	for ops := range slices.Chunk(txn.Ops, maxHistoryOps) {
		if _, err := h.st.Commit(context.Background(), store.Txn{Ops: ops}); err != nil {
			h.log.Warn("event history write failed", "records", len(batch), "err", err)
		}
	}
	h.finish(n)
}

// maxHistoryOps caps one history commit. History records need no common
// transaction, and etcd refuses one of more than 128 ops by default
// (--max-txn-ops), so a large batch is written in several. A leader's
// fenced commit nests the ops in a transaction of its own, which etcd
// counts against the same budget, so the cap leaves room below 128.
const maxHistoryOps = 100

// takeBatch numbers a new batch, removes the queue and decides which stored records to delete so
// that at most limit remain, counting the batch. Records of the batch that
// would be deleted at once are not written.
func (h *history) takeBatch() ([]event.Record, uint64, []uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	batch := h.queue
	h.queue = nil
	h.started++
	for _, r := range batch {
		h.insert(r.Seq)
	}
	var deletes []uint64
	if over := len(h.kept) - h.limit; over > 0 {
		deletes = slices.Clone(h.kept[:over])
		h.kept = slices.Delete(h.kept, 0, over)
	}
	h.trim = false
	batch = slices.DeleteFunc(batch, func(r event.Record) bool {
		_, keep := slices.BinarySearch(h.kept, r.Seq)
		return !keep
	})
	return batch, h.started, deletes
}

func (h *history) takePuts() map[string][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.puts
	h.puts = nil
	return p
}

func (h *history) finish(batch uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.finished = batch
	rest := h.waiters[:0]
	for _, w := range h.waiters {
		if w.batch <= h.finished {
			close(w.ch)
		} else {
			rest = append(rest, w)
		}
	}
	h.waiters = rest
}

// History returns up to limit of the most recent stored event records,
// oldest first (limit <= 0: all stored). Records queued for an asynchronous
// write are written first, so the answer includes every event published
// before the call.
func (e *Engine) History(ctx context.Context, limit int) ([]event.Record, error) {
	return e.QueryHistory(ctx, HistoryFilter{Limit: limit})
}

// HistoryFilter selects history records. Every condition given must hold;
// zero fields select everything.
type HistoryFilter struct {
	SetID  string       // records of this set
	Member string       // records naming this member (as Member, or as a failover's or schedule's From or To)
	Kinds  []event.Kind // records of one of these kinds
	User   string       // records caused by this user
	Since  time.Time    // records at or after this time
	Until  time.Time    // records before this time
	Limit  int          // the most recent Limit matching records; <= 0: all
}

// Match reports whether r passes the filter (Limit aside).
func (f HistoryFilter) Match(r event.Record) bool {
	switch {
	case f.SetID != "" && r.SetID != f.SetID,
		f.Member != "" && !namesMember(r, f.Member),
		len(f.Kinds) > 0 && !slices.Contains(f.Kinds, r.Kind),
		f.User != "" && (r.Actor == nil || r.Actor.User != f.User),
		!f.Since.IsZero() && r.Time.Before(f.Since),
		!f.Until.IsZero() && !r.Time.Before(f.Until):
		return false
	}
	return true
}

func namesMember(r event.Record, name string) bool {
	switch {
	case r.Member == name:
		return true
	case r.Failover != nil:
		return r.Failover.From == name || r.Failover.To == name
	case r.Schedule != nil:
		return r.Schedule.From == name || r.Schedule.To == name
	}
	return false
}

// QueryHistory returns the most recent stored records that pass f, oldest
// first, after writing what is queued (as History does).
func (e *Engine) QueryHistory(ctx context.Context, f HistoryFilter) ([]event.Record, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if err := e.hist.flush(ctx); err != nil {
		return nil, err
	}
	if f.Limit > 0 {
		if out, ok, err := e.queryNewest(ctx, f); ok || err != nil {
			return out, err
		}
	}
	kvs, _, err := e.st.List(ctx, prefixHistory)
	if err != nil {
		return nil, fmt.Errorf("engine: read history: %w", err)
	}
	out := make([]event.Record, 0)
	for i := len(kvs) - 1; i >= 0 && (f.Limit <= 0 || len(out) < f.Limit); i-- { // newest first
		var r event.Record
		if err := json.Unmarshal(kvs[i].Value, &r); err != nil {
			return nil, fmt.Errorf("engine: bad history record %s: %w", kvs[i].Key, err)
		}
		if f.Match(r) {
			out = append(out, r)
		}
	}
	slices.Reverse(out)
	return out, nil
}

// newestReadMax bounds the records queryNewest reads one by one; a query
// that needs more reads the whole history at once.
const newestReadMax = 512

// queryNewest answers a query with a limit by reading the stored records
// one by one from the newest back, instead of the whole history: a page of
// 50 records reads about 50. ok is false when the query needed more than
// newestReadMax reads (a filter that few records match), and the caller
// reads everything instead.
func (e *Engine) queryNewest(ctx context.Context, f HistoryFilter) (_ []event.Record, ok bool, err error) {
	e.hist.mu.Lock()
	seqs := slices.Clone(e.hist.kept[max(0, len(e.hist.kept)-newestReadMax):])
	complete := len(seqs) == len(e.hist.kept)
	e.hist.mu.Unlock()
	out := make([]event.Record, 0, min(f.Limit, len(seqs)))
	for i := len(seqs) - 1; i >= 0 && len(out) < f.Limit; i-- {
		r, found, err := e.readRecord(ctx, seqs[i])
		if err != nil {
			return nil, false, err
		}
		if found && f.Match(r) {
			out = append(out, r)
		}
	}
	if len(seqs) > 0 {
		e.decoded.keepFrom(seqs[0])
	}
	if len(out) < f.Limit && !complete {
		return nil, false, nil
	}
	slices.Reverse(out)
	return out, true, nil
}

// readRecord reads the stored history record seq, decoded once and then
// kept in e.decoded: a record never changes once stored. found is false
// when it was trimmed meanwhile.
func (e *Engine) readRecord(ctx context.Context, seq uint64) (event.Record, bool, error) {
	if r, ok := e.decoded.get(seq); ok {
		return r, true, nil
	}
	kv, err := e.st.Get(ctx, historyKey(seq))
	if errors.Is(err, store.ErrNotFound) {
		return event.Record{}, false, nil
	}
	if err != nil {
		return event.Record{}, false, fmt.Errorf("engine: read history: %w", err)
	}
	var r event.Record
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return event.Record{}, false, fmt.Errorf("engine: bad history record %s: %w", kv.Key, err)
	}
	e.decoded.put(seq, r)
	return r, true, nil
}

// decodedRecords keeps the newest history records as queryNewest decoded
// them, so that reading the last page again and again (the dashboard, a
// CLI's watch) does not decode every record each time. Records are values
// shared read-only, as the event bus shares them.
type decodedRecords struct {
	mu   sync.Mutex
	recs map[uint64]event.Record
}

func (d *decodedRecords) get(seq uint64) (event.Record, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.recs[seq]
	return r, ok
}

func (d *decodedRecords) put(seq uint64, r event.Record) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.recs == nil {
		d.recs = make(map[uint64]event.Record)
	}
	d.recs[seq] = r
}

// keepFrom forgets the records older than seq (no longer among the newest
// that queryNewest reads) once more than newestReadMax are kept.
func (d *decodedRecords) keepFrom(seq uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.recs) <= newestReadMax {
		return
	}
	for s := range d.recs {
		if s < seq {
			delete(d.recs, s)
		}
	}
}

// RecordHookDelivery publishes a hook delivery as an event and keeps it in
// the history (written asynchronously, like health records). It never
// blocks on the store, so hook runners may call it from any goroutine.
func (e *Engine) RecordHookDelivery(setID string, d event.HookDelivered) {
	if e.checkWrite() != nil {
		return
	}
	r := e.newRecord(context.Background(), event.KindHookDelivered, setID, "")
	r.Hook = &d
	e.emit(r)
}

// RecordIndicationDelivery publishes a failed or dropped delivery of
// indications, or a subscription ended by its policy, as an event and
// keeps it in the history, written asynchronously like
// RecordHookDelivery's records; it never blocks on the store.
func (e *Engine) RecordIndicationDelivery(d event.IndicationDelivery) {
	if e.checkWrite() != nil {
		return
	}
	r := e.newRecord(context.Background(), event.KindIndication, "", "")
	r.Indication = &d
	e.emit(r)
}

// RecordFrontend publishes a change of a set's frontend (listening, failed
// to listen, stopped) as an event and keeps it in the history, written
// asynchronously like RecordHookDelivery's records; it never blocks on the
// store. A server that does not lead its cluster records nothing: in a
// cluster each server publishes its frontends' states and the leader
// records them, naming the server in f.Server (package cluster).
func (e *Engine) RecordFrontend(setID string, f event.FrontendChanged) {
	if e.checkWrite() != nil {
		return
	}
	r := e.newRecord(context.Background(), event.KindFrontend, setID, "")
	r.Frontend = &f
	e.emit(r)
}
