package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/redset/redset/store"
)

// batchCases apply to stores that implement store.Batcher; others skip
// them.
func batchCases() []testCase {
	return []testCase{
		{"BatchApplies", testBatchApplies},
		{"BatchConflictAlone", testBatchConflictAlone},
		{"BatchLargerThanOneTxn", testBatchLarge},
		{"BatchInvalid", testBatchInvalid},
	}
}

func batcher(t *testing.T, s store.Store) store.Batcher {
	t.Helper()
	b, ok := s.(store.Batcher)
	if !ok {
		t.Skip("the store does not implement store.Batcher")
	}
	return b
}

func testBatchApplies(t *testing.T, s store.Store) {
	b := batcher(t, s)
	before := commit(t, s, ops(put("a", "0")))
	res := b.CommitBatch(context.Background(), []store.Txn{
		{Compares: []store.Compare{{Key: "a", ModRevision: before}}, Ops: []store.Op{put("a", "1")}},
		ops(put("b", "1"), put("c", "1")),
		ops(del("a-missing")),
	})
	for i, r := range res {
		if r.Err != nil || r.Revision < before {
			t.Fatalf("result %d = %+v, want applied after revision %d", i, r, before)
		}
	}
	wantKV(t, s, store.KV{Key: "a", Value: []byte("1"), ModRevision: res[0].Revision})
	wantKV(t, s, store.KV{Key: "c", Value: []byte("1"), ModRevision: res[1].Revision})
	if res[0].Revision <= before || res[1].Revision <= before {
		t.Fatalf("revisions %d, %d; want above %d", res[0].Revision, res[1].Revision, before)
	}
}

// testBatchConflictAlone: a transaction whose compare fails writes nothing
// and does not stop the others.
func testBatchConflictAlone(t *testing.T, s store.Store) {
	b := batcher(t, s)
	rev := commit(t, s, ops(put("x", "0"), put("y", "0")))
	res := b.CommitBatch(context.Background(), []store.Txn{
		{Compares: []store.Compare{{Key: "x", ModRevision: rev}}, Ops: []store.Op{put("x", "1"), put("x-log", "1")}},
		{Compares: []store.Compare{{Key: "y", ModRevision: rev + 1000}}, Ops: []store.Op{put("y", "1"), put("y-log", "1")}},
		{Compares: []store.Compare{{Key: "z", ModRevision: 0}}, Ops: []store.Op{put("z", "1")}},
	})
	if res[0].Err != nil || res[2].Err != nil {
		t.Fatalf("results %+v; want the first and last applied", res)
	}
	if !errors.Is(res[1].Err, store.ErrConflict) {
		t.Fatalf("second result %+v, want ErrConflict", res[1])
	}
	wantKV(t, s, store.KV{Key: "x", Value: []byte("1"), ModRevision: res[0].Revision})
	wantKV(t, s, store.KV{Key: "y", Value: []byte("0"), ModRevision: rev})
	wantMissing(t, s, "y-log")
	wantKV(t, s, store.KV{Key: "z", Value: []byte("1"), ModRevision: res[2].Revision})
}

// testBatchLarge: more transactions, and more ops in all, than one
// transaction of the store may hold.
func testBatchLarge(t *testing.T, s store.Store) {
	b := batcher(t, s)
	const n = 700
	txns := make([]store.Txn, n)
	for i := range txns {
		k := fmt.Sprintf("k%04d", i)
		txns[i] = store.Txn{Compares: []store.Compare{{Key: k}}, Ops: []store.Op{put(k, "v"), put("log/"+k, "v")}}
	}
	txns[n/2].Compares[0].ModRevision = 1 << 40 // never holds
	res := b.CommitBatch(context.Background(), txns)
	for i, r := range res {
		if i == n/2 {
			if !errors.Is(r.Err, store.ErrConflict) {
				t.Fatalf("result %d = %+v, want ErrConflict", i, r)
			}
			continue
		}
		if r.Err != nil {
			t.Fatalf("result %d = %+v, want applied", i, r)
		}
	}
	kvs, _ := list(t, s, "log/")
	if len(kvs) != n-1 {
		t.Fatalf("%d log keys written, want %d", len(kvs), n-1)
	}
}

// testBatchInvalid: a malformed transaction, or two that write one key,
// refuse the whole batch.
func testBatchInvalid(t *testing.T, s store.Store) {
	b := batcher(t, s)
	rev := revision(t, s)
	for name, txns := range map[string][]store.Txn{
		"empty key":         {ops(put("ok", "v")), ops(put("", "v"))},
		"one key twice":     {ops(put("ok", "v")), ops(put("ok", "w"))},
		"compared, written": {{Compares: []store.Compare{{Key: "ok"}}}, ops(put("ok", "v"))},
	} {
		for i, r := range b.CommitBatch(context.Background(), txns) {
			if r.Err == nil || errors.Is(r.Err, store.ErrConflict) {
				t.Errorf("%s: result %d = %+v, want a malformed batch refused", name, i, r)
			}
		}
	}
	wantMissing(t, s, "ok")
	if got := revision(t, s); got != rev {
		t.Fatalf("revision %d after refused batches, want %d", got, rev)
	}
}
