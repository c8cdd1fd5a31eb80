package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/event"
)

// TestQueryNewestMatchesAFullRead: a query with a limit, answered by
// reading the newest records one by one, gives what reading and filtering
// the whole history gives — for filters most records pass, and for a
// filter so rare that the query falls back to the whole history.
func TestQueryNewestMatchesAFullRead(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for i := range 1200 {
		set := fmt.Sprintf("redset:s%d", i%3)
		if i == 7 {
			set = "redset:rare"
		}
		h.e.RecordHookDelivery(set, event.HookDelivered{Hook: fmt.Sprintf("h%d", i), Outcome: "ok"})
	}
	if err := h.e.hist.flush(ctx); err != nil {
		t.Fatal(err)
	}
	kvs, _, err := h.st.List(ctx, prefixHistory)
	if err != nil {
		t.Fatal(err)
	}
	full := func(f HistoryFilter) []event.Record {
		var out []event.Record
		for i := len(kvs) - 1; i >= 0 && len(out) < f.Limit; i-- {
			var r event.Record
			if err := json.Unmarshal(kvs[i].Value, &r); err != nil {
				t.Fatal(err)
			}
			if f.Match(r) {
				out = append(out, r)
			}
		}
		slices.Reverse(out)
		return out
	}
	for _, f := range []HistoryFilter{
		{Limit: 1}, {Limit: 50}, {Limit: 1000}, {Limit: 5000},
		{SetID: "redset:s1", Limit: 20}, {SetID: "redset:rare", Limit: 5}, {SetID: "redset:none", Limit: 5},
	} {
		got, err := h.e.QueryHistory(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want := full(f)
		if len(want) == 0 {
			want = []event.Record{}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("QueryHistory(%+v) (-full read +got):\n%s", f, diff)
		}
	}
}

// BenchmarkQueryHistoryPage: one page of 50 records from a full history
// of 10,000 (the API's default page and the default history limit).
func BenchmarkQueryHistoryPage(b *testing.B) {
	h := newHarness(b)
	ctx := context.Background()
	for i := range 10000 {
		h.e.RecordHookDelivery("redset:web", event.HookDelivered{Hook: fmt.Sprintf("h%d", i), Outcome: "ok"})
	}
	if err := h.e.hist.flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if recs, err := h.e.QueryHistory(ctx, HistoryFilter{Limit: 50}); err != nil || len(recs) != 50 {
			b.Fatalf("%d records, %v", len(recs), err)
		}
	}
}

// TestQueryNewestKeepsUpWithTheHistory: the records a query decoded are
// reused by the next, which still sees what was written and trimmed
// between them; the records kept decoded stay bounded.
func TestQueryNewestKeepsUpWithTheHistory(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.HistoryLimit = 600 })
	ctx := context.Background()
	write := func(from, n int) {
		for i := from; i < from+n; i++ {
			h.e.RecordHookDelivery(fmt.Sprintf("redset:s%d", i%2), event.HookDelivered{Hook: fmt.Sprintf("h%d", i), Outcome: "ok"})
		}
		if err := h.e.hist.flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, f HistoryFilter) {
		t.Helper()
		got, err := h.e.QueryHistory(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fullRead(t, h, f), got); diff != "" {
			t.Errorf("%s: QueryHistory(%+v) (-full read +got):\n%s", when, f, diff)
		}
	}
	write(0, 500)
	check("first read", HistoryFilter{Limit: 50})
	check("second read", HistoryFilter{Limit: 50})
	write(500, 900) // past the limit: the oldest are trimmed
	check("after writes and trims", HistoryFilter{Limit: 50})
	check("a set's page after writes and trims", HistoryFilter{SetID: "redset:s1", Limit: 300})
	h.e.decoded.mu.Lock()
	kept := len(h.e.decoded.recs)
	h.e.decoded.mu.Unlock()
	if kept > 2*newestReadMax {
		t.Errorf("%d records kept decoded, want at most %d", kept, 2*newestReadMax)
	}
}

// fullRead answers f by reading and filtering the whole stored history.
func fullRead(t *testing.T, h *harness, f HistoryFilter) []event.Record {
	t.Helper()
	kvs, _, err := h.st.List(context.Background(), prefixHistory)
	if err != nil {
		t.Fatal(err)
	}
	out := []event.Record{}
	for i := len(kvs) - 1; i >= 0 && len(out) < f.Limit; i-- {
		var r event.Record
		if err := json.Unmarshal(kvs[i].Value, &r); err != nil {
			t.Fatal(err)
		}
		if f.Match(r) {
			out = append(out, r)
		}
	}
	slices.Reverse(out)
	return out
}
