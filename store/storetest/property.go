package storetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/redset/redset/store"
)

// The property test works on a small key space so that compares hit and
// miss often and prefixes overlap.
var (
	propKeys     = []string{"p/a", "p/b", "p/c", "pa", "q/a", "q/b"}
	propPrefixes = []string{"", "p", "p/", "q/", "x"}
	propValues   = []string{"", "x", "yy"}
)

// model is the obvious in-memory store the backend must agree with.
type model struct {
	rev int64
	kvs map[string]store.KV
}

// apply returns what Commit must return for txn and the events it must
// produce, and updates the model.
func (m *model) apply(txn store.Txn) (int64, []store.Event, error) {
	for _, c := range txn.Compares {
		if m.kvs[c.Key].ModRevision != c.ModRevision {
			return 0, nil, store.ErrConflict
		}
	}
	var events []store.Event
	for _, op := range txn.Ops {
		_, exists := m.kvs[op.Key]
		switch {
		case op.Delete && exists:
			delete(m.kvs, op.Key)
			events = append(events, store.Event{KV: store.KV{Key: op.Key, ModRevision: m.rev + 1}, Delete: true})
		case !op.Delete:
			kv := store.KV{Key: op.Key, Value: op.Value, ModRevision: m.rev + 1}
			m.kvs[op.Key] = kv
			events = append(events, store.Event{KV: kv})
		}
	}
	if len(events) > 0 {
		m.rev++
	}
	return m.rev, events, nil
}

func (m *model) list(prefix string) []store.KV {
	var kvs []store.KV
	for _, k := range slices.Sorted(maps.Keys(m.kvs)) {
		if strings.HasPrefix(k, prefix) {
			kvs = append(kvs, m.kvs[k])
		}
	}
	return kvs
}

// testProperty runs random commit sequences against a fresh store and the
// model, comparing results, watch events and the whole state after every
// step.
func testProperty(t *testing.T, open func(t *testing.T) store.Store) {
	rapid.Check(t, func(rt *rapid.T) {
		s := open(t)
		defer s.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w := s.Watch(ctx, "")
		m := &model{rev: revision(rt, s), kvs: map[string]store.KV{}}
		steps := rapid.IntRange(1, 25).Draw(rt, "steps")
		for range steps {
			step(rt, s, w, m, drawTxn(rt, m))
			m.check(rt, s)
		}
		wantNoMoreEvents(rt, s, w)
	})
}

// wantNoMoreEvents commits a marker and checks it is the next event, so no
// unexpected event is pending.
func wantNoMoreEvents(rt *rapid.T, s store.Store, w store.Watcher) {
	rev := commit(rt, s, ops(put("z/end", "")))
	got := recvEvents(rt, w, 1)
	want := []store.Event{{KV: store.KV{Key: "z/end", ModRevision: rev}}}
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		rt.Fatalf("event after the last step mismatch (-want +got):\n%s", diff)
	}
}

func drawTxn(rt *rapid.T, m *model) store.Txn {
	var txn store.Txn
	for range rapid.IntRange(0, 2).Draw(rt, "compares") {
		key := rapid.SampledFrom(propKeys).Draw(rt, "compareKey")
		rev := m.kvs[key].ModRevision
		switch rapid.IntRange(0, 2).Draw(rt, "compareKind") {
		case 1:
			rev = 0
		case 2:
			rev = rapid.Int64Range(1, m.rev+1).Draw(rt, "compareRev")
		}
		txn.Compares = append(txn.Compares, store.Compare{Key: key, ModRevision: rev})
	}
	keys := rapid.SliceOfNDistinct(rapid.SampledFrom(propKeys), 0, 3, rapid.ID[string]).Draw(rt, "opKeys")
	for _, key := range keys {
		if rapid.Bool().Draw(rt, "delete") {
			txn.Ops = append(txn.Ops, del(key))
			continue
		}
		txn.Ops = append(txn.Ops, put(key, rapid.SampledFrom(propValues).Draw(rt, "value")))
	}
	return txn
}

// step commits txn and checks its result and events against the model.
func step(rt *rapid.T, s store.Store, w store.Watcher, m *model, txn store.Txn) {
	wantRev, wantEvents, wantErr := m.apply(txn)
	gotRev, err := s.Commit(context.Background(), txn)
	if !errors.Is(err, wantErr) || (err == nil && gotRev != wantRev) {
		rt.Fatalf("Commit(%s) = %d, %v; want %d, %v", describe(txn), gotRev, err, wantRev, wantErr)
	}
	got := recvEvents(rt, w, len(wantEvents))
	if diff := cmp.Diff(wantEvents, got, equateEmpty); diff != "" {
		rt.Fatalf("events of Commit(%s) mismatch (-want +got):\n%s", describe(txn), diff)
	}
}

// check compares every read of s with the model.
func (m *model) check(rt *rapid.T, s store.Store) {
	for _, prefix := range propPrefixes {
		got, rev := list(rt, s, prefix)
		if diff := cmp.Diff(m.list(prefix), got, equateEmpty); diff != "" {
			rt.Fatalf("List(%q) mismatch (-model +store):\n%s", prefix, diff)
		}
		if rev != m.rev {
			rt.Fatalf("List(%q) revision = %d, want %d", prefix, rev, m.rev)
		}
	}
	for _, key := range propKeys {
		if kv, ok := m.kvs[key]; ok {
			wantKV(rt, s, kv)
		} else {
			wantMissing(rt, s, key)
		}
	}
	if got := revision(rt, s); got != m.rev {
		rt.Fatalf("Revision() = %d, want %d", got, m.rev)
	}
}
