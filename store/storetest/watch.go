package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/store"
)

func watchCases() []testCase {
	return []testCase{
		{"WatchOrderAndPrefix", testWatchOrder},
		{"WatchStartsAfterCall", testWatchStartsAfterCall},
		{"WatchLaggedDropped", testWatchLagged},
		{"WatchContextEnds", testWatchContextEnds},
		{"WatchContextAlreadyDone", testWatchContextAlreadyDone},
	}
}

// testWatchOrder: events under the prefix arrive in revision order, within a
// transaction in op order; other prefixes, conflicts and no-op deletes
// produce nothing.
func testWatchOrder(t *testing.T, s store.Store) {
	w := s.Watch(t.Context(), "w/")
	r1 := commit(t, s, ops(put("w/a", "1")))
	r2 := commit(t, s, ops(put("x/c", "x"), put("w/b", "2")))
	commit(t, s, ops(put("x/d", "x")))
	r3 := commit(t, s, ops(del("w/a")))
	conflict := store.Txn{Compares: []store.Compare{{Key: "w/b", ModRevision: 0}}, Ops: []store.Op{put("w/zz", "no")}}
	if _, err := s.Commit(context.Background(), conflict); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("conflicting Commit error = %v, want ErrConflict", err)
	}
	commit(t, s, ops(del("w/missing")))
	r4 := commit(t, s, ops(put("w/c", "3"), del("w/b")))
	end := commit(t, s, ops(put("w/end", "")))
	want := []store.Event{
		{KV: store.KV{Key: "w/a", Value: []byte("1"), ModRevision: r1}},
		{KV: store.KV{Key: "w/b", Value: []byte("2"), ModRevision: r2}},
		{KV: store.KV{Key: "w/a", ModRevision: r3}, Delete: true},
		{KV: store.KV{Key: "w/c", Value: []byte("3"), ModRevision: r4}},
		{KV: store.KV{Key: "w/b", ModRevision: r4}, Delete: true},
		{KV: store.KV{Key: "w/end", ModRevision: end}},
	}
	got := recvEvents(t, w, len(want))
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		t.Errorf("watch events mismatch (-want +got):\n%s", diff)
	}
	if err := w.Err(); err != nil {
		t.Errorf("Err() on an open watcher = %v, want nil", err)
	}
}

func testWatchStartsAfterCall(t *testing.T, s store.Store) {
	commit(t, s, ops(put("k/old", "old")))
	w := s.Watch(t.Context(), "k/")
	rev := commit(t, s, ops(put("k/new", "new")))
	got := recvEvents(t, w, 1)
	want := []store.Event{{KV: store.KV{Key: "k/new", Value: []byte("new"), ModRevision: rev}}}
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		t.Errorf("first event mismatch (-want +got):\n%s", diff)
	}
}

// testWatchLagged: a watcher that never reads is dropped with
// ErrWatchLagged; commits keep succeeding meanwhile and a watcher that keeps
// up is unaffected.
func testWatchLagged(t *testing.T, s store.Store) {
	idle := s.Watch(t.Context(), "")
	active := s.Watch(t.Context(), "")
	events := 0
	for i := 0; idle.Err() == nil; i++ {
		if events > LagMaxEvents {
			t.Fatalf("idle watcher still open after %d unread events", events)
		}
		var txn store.Txn
		for j := range LagTxnOps {
			txn.Ops = append(txn.Ops, put(fmt.Sprintf("lag/%d/%d", i, j), "v"))
		}
		commit(t, s, txn)
		recvEvents(t, active, LagTxnOps)
		events += LagTxnOps
	}
	waitClosed(t, idle)
	if err := idle.Err(); !errors.Is(err, store.ErrWatchLagged) {
		t.Errorf("idle watcher Err() = %v, want ErrWatchLagged", err)
	}
	rev := commit(t, s, ops(put("after", "v")))
	got := recvEvents(t, active, 1)
	if got[0].KV.Key != "after" || got[0].KV.ModRevision != rev {
		t.Errorf("active watcher event = %+v, want key %q at revision %d", got[0], "after", rev)
	}
	if err := active.Err(); err != nil {
		t.Errorf("active watcher Err() = %v, want nil", err)
	}
}

func testWatchContextEnds(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	w := s.Watch(ctx, "")
	cancel()
	waitClosed(t, w)
	if err := w.Err(); err != nil {
		t.Errorf("Err() after context end = %v, want nil", err)
	}
	commit(t, s, ops(put("k", "v")))
}

func testWatchContextAlreadyDone(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	w := s.Watch(ctx, "")
	commit(t, s, ops(put("k", "v")))
	if n := waitClosed(t, w); n != 0 {
		t.Errorf("watcher with a done context delivered %d events, want 0", n)
	}
	if err := w.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
}
