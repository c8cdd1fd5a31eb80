package etcd

import (
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/redset/redset/store"
)

// Commit applies txn as one etcd transaction: when every compare holds,
// every op is applied at one new revision; otherwise nothing is written and
// Commit returns store.ErrConflict. A transaction that changes nothing
// returns the current revision. A transaction sent to etcd that got no
// answer fails with store.ErrOutcomeUnknown (see callCommit).
func (s *Store) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	if err := validate(txn); err != nil {
		return 0, err
	}
	cmps, ops := s.compares(txn.Compares), s.ops(txn.Ops)
	if len(ops) == 0 {
		// etcd answers a transaction without ops from the member's own
		// state, which may lag behind the cluster; a read that is not
		// serializable makes it wait for the latest state.
		ops = []clientv3.Op{clientv3.OpGet(s.prefix, clientv3.WithCountOnly())}
	}
	var resp *clientv3.TxnResponse
	err := s.callCommit(ctx, func(ctx context.Context) (err error) {
		resp, err = s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
		return err
	})
	if err != nil {
		return 0, s.describeLarge(err, txn)
	}
	s.observe(resp.Header.Revision)
	if !resp.Succeeded {
		return 0, store.ErrConflict
	}
	return resp.Header.Revision, nil
}

// describeLarge adds the transaction's size to an ErrTooLarge.
func (s *Store) describeLarge(err error, txn store.Txn) error {
	if !errors.Is(err, ErrTooLarge) {
		return err
	}
	return fmt.Errorf("%w (%d compares, %d ops, %d bytes of keys and values; one etcd transaction is capped by --max-txn-ops and --max-request-bytes)",
		err, len(txn.Compares), len(txn.Ops), txnBytes(txn))
}

func txnBytes(txn store.Txn) int {
	n := 0
	for _, c := range txn.Compares {
		n += len(c.Key)
	}
	for _, op := range txn.Ops {
		n += len(op.Key) + len(op.Value)
	}
	return n
}

// compares: a ModRevision of 0 holds only for a missing key, since etcd
// gives a missing key mod revision 0.
func (s *Store) compares(cs []store.Compare) []clientv3.Cmp {
	cmps := make([]clientv3.Cmp, len(cs))
	for i, c := range cs {
		cmps[i] = clientv3.Compare(clientv3.ModRevision(s.key(c.Key)), "=", c.ModRevision)
	}
	return cmps
}

func (s *Store) ops(os []store.Op) []clientv3.Op {
	ops := make([]clientv3.Op, len(os))
	for i, op := range os {
		if op.Delete {
			ops[i] = clientv3.OpDelete(s.key(op.Key))
		} else {
			ops[i] = clientv3.OpPut(s.key(op.Key), string(op.Value))
		}
	}
	return ops
}

// validate refuses a malformed transaction before it reaches etcd.
func validate(txn store.Txn) error {
	for _, c := range txn.Compares {
		switch {
		case c.Key == "":
			return fmt.Errorf("%w: compare with an empty key", ErrInvalidTxn)
		case c.ModRevision < 0:
			return fmt.Errorf("%w: compare of %q with negative revision %d", ErrInvalidTxn, c.Key, c.ModRevision)
		}
	}
	seen := make(map[string]bool, len(txn.Ops))
	for _, op := range txn.Ops {
		switch {
		case op.Key == "":
			return fmt.Errorf("%w: op with an empty key", ErrInvalidTxn)
		case seen[op.Key]:
			return fmt.Errorf("%w: key %q written twice", ErrInvalidTxn, op.Key)
		}
		seen[op.Key] = true
	}
	return nil
}
