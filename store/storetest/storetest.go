// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's own test calls Run with a function that opens a fresh
// store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... })
//	}
//
// Requirements on open: each call returns a new store holding no keys,
// which nothing else writes to while the test runs (its revision may start
// anywhere). Its watch buffer must hold at least LagTxnOps events, and a
// watcher that never reads must be dropped after at most LagMaxEvents
// events. Stores are closed by the suite.
//
// The suite also pins the rules the store package leaves to backends:
//   - a Commit that changes nothing (no ops, or only deletes of missing
//     keys) keeps the revision and returns it;
//   - a malformed Txn (empty key, the same key written twice, a negative
//     compare revision) fails with an error other than store.ErrConflict and
//     writes nothing;
//   - after Close, every method including Close returns store.ErrClosed and
//     open watchers end with store.ErrClosed;
//   - a watcher whose context ends is closed with Err nil.
//
// Stores that implement store.Batcher also run the Batch cases: each
// transaction of a batch applies or conflicts on its own, a batch may hold
// more than one transaction of the store could, and a malformed batch is
// refused whole.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/redset/redset/store"
)

// Limits the watch tests rely on; see the package comment.
const (
	LagTxnOps    = 50
	LagMaxEvents = 50_000
)

// eventTimeout bounds every wait for a watch event or a closed channel.
const eventTimeout = 10 * time.Second

type testCase struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs the whole suite; each subtest gets its own store from open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	var cases []testCase
	cases = append(cases, basicCases()...)
	cases = append(cases, watchCases()...)
	cases = append(cases, lifecycleCases()...)
	cases = append(cases, batchCases()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
	t.Run("Property", func(t *testing.T) { testProperty(t, open) })
}

// tb is what the helpers need from *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// equateEmpty treats nil and empty values alike: backends differ on which
// one an empty value reads back as.
var equateEmpty = cmpopts.EquateEmpty()

func put(key, value string) store.Op { return store.Op{Key: key, Value: []byte(value)} }
func del(key string) store.Op        { return store.Op{Key: key, Delete: true} }

func ops(o ...store.Op) store.Txn { return store.Txn{Ops: o} }

// commit commits txn and fails the test on error.
func commit(t tb, s store.Store, txn store.Txn) int64 {
	t.Helper()
	rev, err := s.Commit(context.Background(), txn)
	if err != nil {
		t.Fatalf("Commit(%s) error = %v, want nil", describe(txn), err)
	}
	return rev
}

func revision(t tb, s store.Store) int64 {
	t.Helper()
	rev, err := s.Revision(context.Background())
	if err != nil {
		t.Fatalf("Revision() error = %v", err)
	}
	return rev
}

func list(t tb, s store.Store, prefix string) ([]store.KV, int64) {
	t.Helper()
	kvs, rev, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q) error = %v", prefix, err)
	}
	return kvs, rev
}

// wantMissing fails unless key does not exist.
func wantMissing(t tb, s store.Store, key string) {
	t.Helper()
	if kv, err := s.Get(context.Background(), key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %+v, %v; want ErrNotFound", key, kv, err)
	}
}

// wantKV fails unless key holds want.
func wantKV(t tb, s store.Store, want store.KV) {
	t.Helper()
	got, err := s.Get(context.Background(), want.Key)
	if err != nil {
		t.Fatalf("Get(%q) error = %v", want.Key, err)
	}
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		t.Fatalf("Get(%q) mismatch (-want +got):\n%s", want.Key, diff)
	}
}

// recvEvents reads exactly n events from w, failing on close or deadline.
func recvEvents(t tb, w store.Watcher, n int) []store.Event {
	t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	var got []store.Event
	for len(got) < n {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("watch closed after %d of %d events, Err() = %v", len(got), n, w.Err())
			}
			got = append(got, ev)
		case <-timer.C:
			t.Fatalf("got %d of %d watch events before the deadline", len(got), n)
		}
	}
	return got
}

// waitClosed drains w until its channel closes and returns how many
// events it drained.
func waitClosed(t tb, w store.Watcher) int {
	t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	n := 0
	for {
		select {
		case _, ok := <-w.Events():
			if !ok {
				return n
			}
			n++
		case <-timer.C:
			t.Fatalf("watch channel not closed before the deadline (drained %d events)", n)
		}
	}
}

func describe(txn store.Txn) string {
	s := ""
	for _, c := range txn.Compares {
		s += fmt.Sprintf("[%s@%d]", c.Key, c.ModRevision)
	}
	for _, op := range txn.Ops {
		if op.Delete {
			s += fmt.Sprintf(" del %s", op.Key)
		} else {
			s += fmt.Sprintf(" put %s=%q", op.Key, op.Value)
		}
	}
	return s
}
