package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/redset/redset/store"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// batchOf makes n transactions, each creating k<i> and log/k<i>.
func batchOf(n int) []store.Txn {
	txns := make([]store.Txn, n)
	for i := range txns {
		k := fmt.Sprintf("k%04d", i)
		txns[i] = store.Txn{Compares: []store.Compare{{Key: k}}, Ops: []store.Op{
			{Key: k, Value: []byte("v")}, {Key: "log/" + k, Value: []byte("v")}}}
	}
	return txns
}

// TestFencedBatch: a leader's batch applies each transaction on its own
// under the fence; once the leadership is gone every transaction of a batch
// is fenced off and nothing is written.
func TestFencedBatch(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	s := open(t, c.Endpoints(), freshPrefix())
	w := <-campaign(session(t, s, time.Second), "a")
	if w.err != nil {
		t.Fatal(w.err)
	}
	fs, ok := w.l.Store().(store.Batcher)
	if !ok {
		t.Fatal("the fenced store is not a store.Batcher")
	}
	txns := batchOf(300)
	txns[7].Compares[0].ModRevision = 1 << 40
	for i, r := range fs.CommitBatch(context.Background(), txns) {
		if (i == 7) != errors.Is(r.Err, store.ErrConflict) || (i != 7 && r.Err != nil) {
			t.Fatalf("result %d = %+v", i, r)
		}
	}
	if err := w.l.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	before, err := s.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range fs.CommitBatch(context.Background(), batchOf(300)[290:]) {
		if !errors.Is(r.Err, store.ErrFenced) {
			t.Fatalf("after Resign: result %d = %+v, want ErrFenced", i, r)
		}
	}
	if after, _ := s.Revision(context.Background()); after != before {
		t.Fatalf("revision moved from %d to %d on a fenced batch", before, after)
	}
}

// TestBatchSplitsWhenTooLarge: a member that takes fewer ops per
// transaction than the default refuses the first attempt; the batch is
// split until it fits, and every transaction applies.
func TestBatchSplitsWhenTooLarge(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 1, etcdtest.Options{Configure: func(cfg *embed.Config) { cfg.MaxTxnOps = 16 }})
	s := open(t, c.Endpoints(), freshPrefix())
	for i, r := range s.CommitBatch(context.Background(), batchOf(100)) {
		if r.Err != nil {
			t.Fatalf("result %d = %+v, want applied", i, r)
		}
	}
	kvs, _, err := s.List(context.Background(), "log/")
	if err != nil || len(kvs) != 100 {
		t.Fatalf("List(log/) = %d keys, %v; want 100", len(kvs), err)
	}
}
