package engine

import (
	"context"
	"testing"
	"time"

	"github.com/redset/redset/event"
)

func TestQueryHistory(t *testing.T) {
	h := pairFixture(t) // records 1..: set created, members, roles, health at t0
	t0 := h.clock.Now()
	h.clock.Advance(time.Minute)
	h.set(typedSet("redset:db", TypeNPlus1, 0))
	if res := h.e.Failover(opsCtx(), "redset:web", "a", "b"); res.Code != 0 { // at t0+1m by ops
		t.Fatalf("Failover = %+v", res)
	}
	h.clock.Advance(time.Minute)
	if res := h.e.Failover(opsCtx(), "redset:web", "a", "b"); res.Code != CodeParameter { // refused at t0+2m
		t.Fatalf("second Failover = %+v", res)
	}
	h.settle()
	all, err := h.e.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	count := func(f HistoryFilter) int {
		n := 0
		for _, r := range all {
			if f.Match(r) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name   string
		filter HistoryFilter
		want   func(event.Record) bool
	}{
		{"set", HistoryFilter{SetID: "redset:db"}, func(r event.Record) bool { return r.SetID == "redset:db" }},
		{"member b", HistoryFilter{Member: "b"}, func(r event.Record) bool {
			return r.Member == "b" || r.Failover != nil && (r.Failover.From == "b" || r.Failover.To == "b")
		}},
		{"kinds", HistoryFilter{Kinds: []event.Kind{event.KindFailoverSucceeded, event.KindFailoverRefused}},
			func(r event.Record) bool { return r.Failover != nil }},
		{"user", HistoryFilter{User: "ops"}, func(r event.Record) bool { return r.Actor != nil && r.Actor.User == "ops" }},
		{"since", HistoryFilter{Since: t0.Add(time.Minute)}, func(r event.Record) bool { return !r.Time.Before(t0.Add(time.Minute)) }},
		{"until", HistoryFilter{Until: t0.Add(time.Minute)}, func(r event.Record) bool { return r.Time.Before(t0.Add(time.Minute)) }},
		{"all together", HistoryFilter{SetID: "redset:web", User: "ops", Kinds: []event.Kind{event.KindFailoverRefused}, Since: t0.Add(2 * time.Minute)},
			func(r event.Record) bool { return r.Kind == event.KindFailoverRefused }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.e.QueryHistory(context.Background(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, r := range all {
				if tt.want(r) {
					want++
				}
			}
			if len(got) != want || want == 0 || want == len(all) || count(tt.filter) != want {
				t.Errorf("%d records, want %d of %d", len(got), want, len(all))
			}
			for i, r := range got {
				if !tt.want(r) || i > 0 && r.Seq <= got[i-1].Seq {
					t.Errorf("record %v does not belong or is out of order", r)
				}
			}
		})
	}
	last, err := h.e.QueryHistory(context.Background(), HistoryFilter{User: "ops", Limit: 1})
	if err != nil || len(last) != 1 || last[0].Kind != event.KindFailoverRefused {
		t.Errorf("the last record by ops = %v, %v; want the refusal", last, err)
	}
}
