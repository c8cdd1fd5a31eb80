package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/store"
)

func basicCases() []testCase {
	return []testCase{
		{"GetMissing", testGetMissing},
		{"PutGet", testPutGet},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"NoChangeKeepsRevision", testNoChange},
		{"List", testList},
		{"Compare", testCompare},
		{"ConflictWritesNothing", testConflictWritesNothing},
		{"RevisionsIncreaseByOne", testRevisionsIncrease},
		{"InvalidTxn", testInvalidTxn},
		{"ValuesAreCopied", testValuesAreCopied},
	}
}

func testGetMissing(t *testing.T, s store.Store) {
	wantMissing(t, s, "missing")
}

func testPutGet(t *testing.T, s store.Store) {
	tests := []struct {
		name  string
		key   string
		value []byte
	}{
		{"text", "text", []byte("hello")},
		{"empty value", "empty", nil},
		{"binary value", "binary", []byte{0, 1, 0xff, 0}},
		{"large value", "large", bytes.Repeat([]byte("x"), 20<<10)},
		{"unicode key", "sets/é/ü", []byte("v")},
		{"long key", string(bytes.Repeat([]byte("k"), 1000)), []byte("v")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := commit(t, s, ops(store.Op{Key: tc.key, Value: tc.value}))
			wantKV(t, s, store.KV{Key: tc.key, Value: tc.value, ModRevision: rev})
		})
	}
}

func testOverwrite(t *testing.T, s store.Store) {
	commit(t, s, ops(put("k", "one")))
	rev := commit(t, s, ops(put("k", "two")))
	wantKV(t, s, store.KV{Key: "k", Value: []byte("two"), ModRevision: rev})
}

func testDelete(t *testing.T, s store.Store) {
	before := commit(t, s, ops(put("k", "v"), put("other", "v")))
	rev := commit(t, s, ops(del("k")))
	if rev != before+1 {
		t.Errorf("delete revision = %d, want %d", rev, before+1)
	}
	wantMissing(t, s, "k")
	kvs, _ := list(t, s, "")
	if got, want := keys(kvs), []string{"other"}; !cmp.Equal(got, want) {
		t.Errorf("List after delete = %v, want %v", got, want)
	}
}

// testNoChange: commits that change nothing keep the revision.
func testNoChange(t *testing.T, s store.Store) {
	base := commit(t, s, ops(put("k", "v")))
	tests := []struct {
		name string
		txn  store.Txn
	}{
		{"empty txn", store.Txn{}},
		{"delete missing key", ops(del("missing"))},
		{"compares only", store.Txn{Compares: []store.Compare{{Key: "k", ModRevision: base}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := commit(t, s, tc.txn); got != base {
				t.Errorf("Commit revision = %d, want unchanged %d", got, base)
			}
			if got := revision(t, s); got != base {
				t.Errorf("Revision() = %d, want unchanged %d", got, base)
			}
		})
	}
}

func testList(t *testing.T, s store.Store) {
	all := []string{"a", "a/1", "a/10", "a/2", "a/é", "ab", "b/x"}
	revs := map[string]int64{}
	for _, k := range []string{"b/x", "a/2", "ab", "a/é", "a", "a/10", "a/1"} {
		revs[k] = commit(t, s, ops(put(k, "v-"+k)))
	}
	last := revs["a/1"]
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"a/", []string{"a/1", "a/10", "a/2", "a/é"}},
		{"a", []string{"a", "a/1", "a/10", "a/2", "a/é", "ab"}},
		{"a/1", []string{"a/1", "a/10"}},
		{"b/x", []string{"b/x"}},
		{"zz", nil},
	}
	for _, tc := range tests {
		t.Run("prefix="+tc.prefix, func(t *testing.T) {
			kvs, rev := list(t, s, tc.prefix)
			if rev != last {
				t.Errorf("List(%q) revision = %d, want %d", tc.prefix, rev, last)
			}
			var want []store.KV
			for _, k := range tc.want {
				want = append(want, store.KV{Key: k, Value: []byte("v-" + k), ModRevision: revs[k]})
			}
			if diff := cmp.Diff(want, kvs, equateEmpty); diff != "" {
				t.Errorf("List(%q) mismatch (-want +got):\n%s", tc.prefix, diff)
			}
		})
	}
}

func testCompare(t *testing.T, s store.Store) {
	rev := commit(t, s, ops(put("exists", "v")))
	tests := []struct {
		name     string
		compares []store.Compare
		wantOK   bool
	}{
		{"missing key, revision 0", []store.Compare{{Key: "missing", ModRevision: 0}}, true},
		{"missing key, a revision", []store.Compare{{Key: "missing", ModRevision: rev}}, false},
		{"existing key, revision 0", []store.Compare{{Key: "exists", ModRevision: 0}}, false},
		{"existing key, exact revision", []store.Compare{{Key: "exists", ModRevision: rev}}, true},
		{"existing key, older revision", []store.Compare{{Key: "exists", ModRevision: rev - 1}}, false},
		{"existing key, newer revision", []store.Compare{{Key: "exists", ModRevision: rev + 1000}}, false},
		{"one of two fails", []store.Compare{{Key: "exists", ModRevision: rev}, {Key: "missing", ModRevision: 1}}, false},
		{"both hold", []store.Compare{{Key: "exists", ModRevision: rev}, {Key: "missing", ModRevision: 0}}, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := "out/" + string(rune('a'+i))
			before := revision(t, s)
			got, err := s.Commit(context.Background(), store.Txn{Compares: tc.compares, Ops: []store.Op{put(out, "v")}})
			if !tc.wantOK {
				if !errors.Is(err, store.ErrConflict) {
					t.Fatalf("Commit error = %v, want ErrConflict", err)
				}
				wantMissing(t, s, out)
				if r := revision(t, s); r != before {
					t.Errorf("Revision() after conflict = %d, want %d", r, before)
				}
				return
			}
			if err != nil || got != before+1 {
				t.Fatalf("Commit = %d, %v; want %d, nil", got, err, before+1)
			}
			wantKV(t, s, store.KV{Key: out, Value: []byte("v"), ModRevision: got})
		})
	}
}

func testConflictWritesNothing(t *testing.T, s store.Store) {
	rx := commit(t, s, ops(put("x", "1"), put("y", "1")))
	wantList, wantRev := list(t, s, "")
	txn := store.Txn{
		Compares: []store.Compare{{Key: "x", ModRevision: rx}, {Key: "y", ModRevision: rx + 1}},
		Ops:      []store.Op{put("x", "2"), del("y"), put("z", "3")},
	}
	if _, err := s.Commit(context.Background(), txn); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Commit error = %v, want ErrConflict", err)
	}
	gotList, gotRev := list(t, s, "")
	if diff := cmp.Diff(wantList, gotList, equateEmpty); diff != "" {
		t.Errorf("List after conflict changed (-want +got):\n%s", diff)
	}
	if gotRev != wantRev {
		t.Errorf("revision after conflict = %d, want %d", gotRev, wantRev)
	}
}

func testRevisionsIncrease(t *testing.T, s store.Store) {
	prev := revision(t, s)
	for i := range 20 {
		var txn store.Txn
		for j := range i%5 + 1 {
			txn.Ops = append(txn.Ops, put(string(rune('a'+j)), "v"))
		}
		rev := commit(t, s, txn)
		if rev != prev+1 {
			t.Fatalf("commit %d revision = %d, want %d", i, rev, prev+1)
		}
		for _, op := range txn.Ops {
			wantKV(t, s, store.KV{Key: op.Key, Value: op.Value, ModRevision: rev})
		}
		if got := revision(t, s); got != rev {
			t.Fatalf("Revision() = %d, want %d", got, rev)
		}
		prev = rev
	}
}

func testInvalidTxn(t *testing.T, s store.Store) {
	rev := commit(t, s, ops(put("k", "v")))
	tests := []struct {
		name string
		txn  store.Txn
	}{
		{"empty op key", ops(put("a", "v"), put("", "v"))},
		{"empty delete key", ops(put("a", "v"), del(""))},
		{"empty compare key", store.Txn{Compares: []store.Compare{{Key: ""}}, Ops: []store.Op{put("a", "v")}}},
		{"key written twice", ops(put("a", "1"), put("a", "2"))},
		{"put and delete of one key", ops(put("a", "1"), del("a"))},
		{"negative compare revision", store.Txn{Compares: []store.Compare{{Key: "k", ModRevision: -1}}, Ops: []store.Op{put("a", "v")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Commit(context.Background(), tc.txn)
			if err == nil || errors.Is(err, store.ErrConflict) {
				t.Fatalf("Commit(%s) error = %v, want an invalid-transaction error", describe(tc.txn), err)
			}
			wantMissing(t, s, "a")
			if got := revision(t, s); got != rev {
				t.Errorf("Revision() = %d, want unchanged %d", got, rev)
			}
		})
	}
}

// testValuesAreCopied: neither the caller's slice nor a returned value or
// event aliases stored data.
func testValuesAreCopied(t *testing.T, s store.Store) {
	w := s.Watch(t.Context(), "k")
	value := []byte("original")
	rev := commit(t, s, ops(store.Op{Key: "k", Value: value}))
	copy(value, "MUTATED!")
	want := store.KV{Key: "k", Value: []byte("original"), ModRevision: rev}
	wantKV(t, s, want)
	got, err := s.Get(context.Background(), "k")
	if err != nil {
		t.Fatalf("Get error = %v", err)
	}
	copy(got.Value, "MUTATED!")
	wantKV(t, s, want)
	ev := recvEvents(t, w, 1)[0]
	if diff := cmp.Diff(want, ev.KV); diff != "" {
		t.Errorf("event after the caller changed its value (-want +got):\n%s", diff)
	}
}

func keys(kvs []store.KV) []string {
	var ks []string
	for _, kv := range kvs {
		ks = append(ks, kv.Key)
	}
	return ks
}
