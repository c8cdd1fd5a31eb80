package bolt

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/redset/redset/store"
)

// prepareTxn checks txn and returns a copy the caller can no longer change.
// A malformed txn fails with ErrInvalidTxn before it reaches the committer,
// so applying a prepared txn can only fail for reasons outside the txn.
func prepareTxn(txn store.Txn) (store.Txn, error) {
	for i, c := range txn.Compares {
		if err := checkKey(c.Key); err != nil {
			return store.Txn{}, fmt.Errorf("%w: compare %d: %v", ErrInvalidTxn, i, err)
		}
		if c.ModRevision < 0 {
			return store.Txn{}, fmt.Errorf("%w: compare %d: negative revision %d", ErrInvalidTxn, i, c.ModRevision)
		}
	}
	ops := make([]store.Op, len(txn.Ops))
	seen := make(map[string]bool, len(txn.Ops))
	for i, op := range txn.Ops {
		if err := checkOp(op, seen); err != nil {
			return store.Txn{}, fmt.Errorf("%w: op %d: %v", ErrInvalidTxn, i, err)
		}
		ops[i] = store.Op{Key: op.Key, Delete: op.Delete}
		if !op.Delete {
			ops[i].Value = bytes.Clone(op.Value)
		}
	}
	compares := append([]store.Compare(nil), txn.Compares...)
	return store.Txn{Compares: compares, Ops: ops}, nil
}

func checkOp(op store.Op, seen map[string]bool) error {
	if err := checkKey(op.Key); err != nil {
		return err
	}
	if seen[op.Key] {
		return fmt.Errorf("key %q written twice", op.Key)
	}
	seen[op.Key] = true
	if !op.Delete && len(op.Value)+8 > bbolt.MaxValueSize {
		return fmt.Errorf("value of %d bytes is too large", len(op.Value))
	}
	return nil
}

func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("empty key")
	case len(key) > bbolt.MaxKeySize:
		return fmt.Errorf("key of %d bytes is too long (max %d)", len(key), bbolt.MaxKeySize)
	}
	return nil
}

// comparesHold reports whether every compare of txn holds in kv, which may
// already hold writes of earlier transactions of the same batch.
func comparesHold(kv *bbolt.Bucket, txn store.Txn) (bool, error) {
	for _, c := range txn.Compares {
		raw := kv.Get([]byte(c.Key))
		if raw == nil {
			if c.ModRevision != 0 {
				return false, nil
			}
			continue
		}
		got, err := decodeKV(c.Key, raw)
		if err != nil {
			return false, err
		}
		if got.ModRevision != c.ModRevision {
			return false, nil
		}
	}
	return true, nil
}

// applyOps writes txn's ops at revision rev and returns one event per key
// actually changed (deleting a missing key changes nothing), in op order.
func applyOps(kv *bbolt.Bucket, txn store.Txn, rev int64) ([]store.Event, error) {
	var events []store.Event
	for _, op := range txn.Ops {
		key := []byte(op.Key)
		if op.Delete {
			if kv.Get(key) == nil {
				continue
			}
			if err := kv.Delete(key); err != nil {
				return nil, err
			}
			events = append(events, store.Event{KV: store.KV{Key: op.Key, ModRevision: rev}, Delete: true})
			continue
		}
		if err := kv.Put(key, encodeValue(rev, op.Value)); err != nil {
			return nil, err
		}
		events = append(events, store.Event{KV: store.KV{Key: op.Key, Value: op.Value, ModRevision: rev}})
	}
	return events, nil
}
