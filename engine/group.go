package engine

import (
	"context"
	"errors"
	"sync"

	"github.com/redset/redset/store"
)

// Group commit of automatic failovers. When one member fails, every set
// it is active in fails over at once, each in its own job (see auto.go).
// On a store that can apply many independent transactions together
// (store.Batcher: etcd), the commits of those jobs are joined: each job
// queues its transaction and waits; a drainer takes everything queued and
// sends it as one batch. Each transaction keeps its own compares (the
// set's revision; on a cluster the fence on the election key as well) and
// its own all-or-nothing outcome: a conflict on one set fails that set
// alone. On other stores (bbolt, whose own group commit joins concurrent
// commits into one fsync) a job commits directly.
//
// The drainer never waits for more work: a lone failover is sent at once,
// and while batches are in flight the next one fills up.

const (
	maxGroupTxns    = 1024 // transactions one batch takes from the queue
	maxGroupBatches = 4    // batches in flight at once
)

// group is the queue of grouped commits.
type group struct {
	ss *switchStore

	mu       sync.Mutex
	queue    []*groupReq
	draining int // drainers running
}

type groupReq struct {
	txn  store.Txn
	done chan store.Result // buffered
}

// commit commits txn, grouped with others when the writer can batch.
func (g *group) commit(ctx context.Context, txn store.Txn) (int64, error) {
	if !g.ss.canBatch() {
		return g.ss.Commit(ctx, txn)
	}
	r := &groupReq{txn: txn, done: make(chan store.Result, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, r)
	start := g.draining < maxGroupBatches
	if start {
		g.draining++
	}
	g.mu.Unlock()
	if start {
		go g.drain()
	}
	res := <-r.done
	return res.Revision, res.Err
}

// drain sends batches until the queue is empty.
func (g *group) drain() {
	for {
		batch := g.take()
		if len(batch) == 0 {
			return
		}
		txns := make([]store.Txn, len(batch))
		for i, r := range batch {
			txns[i] = r.txn
		}
		for i, res := range g.ss.CommitBatch(context.Background(), txns) {
			batch[i].done <- res
		}
	}
}

// take removes the next batch from the queue: up to maxGroupTxns
// transactions, of which no two touch a key one of them writes (a clash
// waits for the next batch). With nothing queued it ends the drainer.
func (g *group) take() []*groupReq {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.draining--
		return nil
	}
	var batch, rest []*groupReq
	written, compared := map[string]bool{}, map[string]bool{}
	for _, r := range g.queue {
		if len(batch) == maxGroupTxns || clashes(r.txn, written, compared) {
			rest = append(rest, r)
			continue
		}
		for _, op := range r.txn.Ops {
			written[op.Key] = true
		}
		for _, c := range r.txn.Compares {
			compared[c.Key] = true
		}
		batch = append(batch, r)
	}
	g.queue = rest
	return batch
}

// clashes reports whether txn touches a key written by the batch so far,
// or writes a key it compares.
func clashes(txn store.Txn, written, compared map[string]bool) bool {
	for _, op := range txn.Ops {
		if written[op.Key] || compared[op.Key] {
			return true
		}
	}
	for _, c := range txn.Compares {
		if written[c.Key] {
			return true
		}
	}
	return false
}

// canBatch reports whether the writer of the moment is a store.Batcher.
func (s *switchStore) canBatch() bool {
	w := s.writer.Load()
	if w == nil {
		return false
	}
	_, ok := w.st.(store.Batcher)
	return ok
}

// CommitBatch is Commit for a batch: the writer of the moment applies it
// (one transaction at a time when it cannot batch); a fenced-off
// transaction makes the engine follow, as a fenced Commit does.
func (s *switchStore) CommitBatch(ctx context.Context, txns []store.Txn) []store.Result {
	out := make([]store.Result, len(txns))
	w := s.writer.Load()
	switch b, ok := w.batcher(); {
	case !w.usable():
		for i := range out {
			out[i].Err = newError(KindNotLeader, "this server does not lead the cluster")
		}
	case ok:
		out = b.CommitBatch(ctx, txns)
	default:
		for i, txn := range txns {
			out[i].Revision, out[i].Err = w.st.Commit(ctx, txn)
		}
	}
	fenced, unknown := false, false
	for i := range out {
		err := out[i].Err
		switch {
		case errors.Is(err, store.ErrFenced):
			fenced = true
			out[i].Err = &Error{Kind: KindNotLeader, Message: "this server no longer leads the cluster (" + err.Error() + ")", Err: err}
		case errors.Is(err, store.ErrOutcomeUnknown):
			unknown = true
		}
	}
	switch {
	case fenced:
		s.stepDown(w, "another server leads now: a commit was fenced off; following")
	case unknown:
		s.stepDown(w, "a commit's outcome is unknown; following, to take the state from the store")
	}
	return out
}

func (w *writerBox) batcher() (store.Batcher, bool) {
	if w == nil {
		return nil, false
	}
	b, ok := w.st.(store.Batcher)
	return b, ok
}
