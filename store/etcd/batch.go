package etcd

import (
	"context"
	"errors"
	"fmt"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/redset/redset/store"
)

// Limits of one batched etcd transaction. etcd caps the compares and ops
// of a transaction at 128 by default (--max-txn-ops); a transaction nested
// in another gets what its parent left, so the branches of a batch and the
// largest branch together must stay within the cap. Requests are capped at
// 1.5 MiB by default (--max-request-bytes); a batch keeps well below. A
// member configured lower refuses a batch as too large, and the batch is
// then split.
const (
	maxTxnOps     = 128
	maxBatchBytes = 1 << 20
)

var (
	_ store.Batcher = (*Store)(nil)
	_ store.Batcher = (*fenced)(nil)
)

// CommitBatch applies each transaction as Commit would (see store.Batcher).
// The transactions are sent as the branches of one etcd transaction, or of
// several sent at once when they do not fit in one (see maxTxnOps): a
// branch applies when its own compares hold, whatever the others do.
func (s *Store) CommitBatch(ctx context.Context, txns []store.Txn) []store.Result {
	return s.commitBatch(ctx, txns, nil, s.Commit)
}

// CommitBatch is the store's CommitBatch with every etcd transaction
// guarded by the fence: when the fence fails, every transaction of it
// answers store.ErrFenced.
func (f *fenced) CommitBatch(ctx context.Context, txns []store.Txn) []store.Result {
	return f.Store.commitBatch(ctx, txns, []clientv3.Cmp{f.l.fence()}, f.Commit)
}

// commitBatch sends txns in chunks guarded by fence; a chunk of one
// transaction goes through single.
func (s *Store) commitBatch(ctx context.Context, txns []store.Txn, fence []clientv3.Cmp, single func(context.Context, store.Txn) (int64, error)) []store.Result {
	out := make([]store.Result, len(txns))
	err := validateBatch(txns)
	if s.closed.Load() {
		err = store.ErrClosed
	}
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	c := &chunker{s: s, fence: fence, single: single}
	var wg sync.WaitGroup
	for lo := 0; lo < len(txns); {
		hi := chunkEnd(txns, lo)
		part, res := txns[lo:hi], out[lo:hi]
		wg.Go(func() { c.commit(ctx, part, res) })
		lo = hi
	}
	wg.Wait()
	return out
}

// chunkEnd is where the chunk starting at lo ends: as many transactions
// as fit in one etcd transaction.
func chunkEnd(txns []store.Txn, lo int) int {
	widest, size := 0, 0
	for i := lo; i < len(txns); i++ {
		widest = max(widest, txnWidth(txns[i]))
		size += txnBytes(txns[i])
		if i > lo && (i-lo+1+widest > maxTxnOps || size > maxBatchBytes) {
			return i
		}
	}
	return len(txns)
}

// txnWidth is what etcd counts of a transaction against --max-txn-ops.
func txnWidth(txn store.Txn) int { return max(len(txn.Compares), len(txn.Ops), 1) }

// chunker commits the chunks of one batch.
type chunker struct {
	s      *Store
	fence  []clientv3.Cmp
	single func(context.Context, store.Txn) (int64, error)
}

// commit sends txns as one etcd transaction and fills out; a chunk etcd
// finds too large is split in two.
func (c *chunker) commit(ctx context.Context, txns []store.Txn, out []store.Result) {
	if len(txns) == 1 {
		rev, err := c.single(ctx, txns[0])
		out[0] = store.Result{Revision: rev, Err: err}
		return
	}
	s := c.s
	branches := make([]clientv3.Op, len(txns))
	for i, txn := range txns {
		branches[i] = s.branch(txn)
	}
	var resp *clientv3.TxnResponse
	err := s.call(ctx, "commit", func(ctx context.Context) (err error) {
		resp, err = s.cli.Txn(ctx).If(c.fence...).Then(branches...).Commit()
		return err
	})
	if errors.Is(err, ErrTooLarge) {
		half := len(txns) / 2
		c.commit(ctx, txns[:half], out[:half])
		c.commit(ctx, txns[half:], out[half:])
		return
	}
	if err == nil && !resp.Succeeded {
		err = store.ErrFenced
	}
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return
	}
	s.observe(resp.Header.Revision)
	for i, r := range resp.Responses {
		out[i] = store.Result{Revision: resp.Header.Revision}
		if !r.GetResponseTxn().Succeeded {
			out[i] = store.Result{Err: store.ErrConflict}
		}
	}
}

// branch is txn as a transaction nested in a batch.
func (s *Store) branch(txn store.Txn) clientv3.Op {
	ops := s.ops(txn.Ops)
	if len(ops) == 0 {
		ops = []clientv3.Op{clientv3.OpGet(s.prefix, clientv3.WithCountOnly())}
	}
	return clientv3.OpTxn(s.compares(txn.Compares), ops, nil)
}

// validateBatch refuses a batch with a malformed transaction, or two that
// touch a key one of them writes.
func validateBatch(txns []store.Txn) error {
	owner := map[string]int{} // written key -> the transaction writing it
	for i, txn := range txns {
		if err := validate(txn); err != nil {
			return err
		}
		for _, op := range txn.Ops {
			if j, dup := owner[op.Key]; dup && j != i {
				return fmt.Errorf("%w: key %q written by two transactions of a batch", ErrInvalidTxn, op.Key)
			}
			owner[op.Key] = i
		}
	}
	for i, txn := range txns {
		for _, c := range txn.Compares {
			if j, ok := owner[c.Key]; ok && j != i {
				return fmt.Errorf("%w: key %q compared by one transaction of a batch and written by another", ErrInvalidTxn, c.Key)
			}
		}
	}
	return nil
}
