package api

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestHistoryFilters(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	env.nPlus1Set(t)
	start := time.Now()
	if res, err := env.operator.Failover(bg, "redset:web", "web-a", "web-b"); err != nil || res.ReturnValue != 0 {
		t.Fatalf("Failover = %+v, %v", res, err)
	}
	tests := []struct {
		name string
		q    HistoryQuery
		want func(Event) bool
	}{
		{"set", HistoryQuery{SetID: "redset:db"}, func(e Event) bool { return e.SetID == "redset:db" }},
		{"member", HistoryQuery{Member: "web-a"}, func(e Event) bool {
			return e.Member == "web-a" || e.Failover != nil && e.Failover.From == "web-a"
		}},
		{"kinds", HistoryQuery{Kinds: []string{"FailoverSucceeded", "MemberReturned"}}, func(e Event) bool { return e.Kind == "FailoverSucceeded" }},
		{"user", HistoryQuery{User: "operator"}, func(e Event) bool { return e.Actor != nil && e.Actor.User == "operator" }},
		{"since", HistoryQuery{Since: start}, func(e Event) bool { return !e.Time.Before(start) }},
		{"until", HistoryQuery{Until: start}, func(e Event) bool { return e.Time.Before(start) }},
	}
	all, err := env.reader.History(bg, HistoryQuery{Limit: MaxHistoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Limit = MaxHistoryLimit
			got, err := env.reader.History(bg, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, e := range all {
				if tt.want(e) {
					want++
				}
			}
			if len(got) != want || want == 0 || want == len(all) {
				t.Errorf("%d events, want %d of %d", len(got), want, len(all))
			}
			for _, e := range got {
				if !tt.want(e) {
					t.Errorf("event %d %s does not pass", e.Seq, e.Kind)
				}
			}
		})
	}
	for _, q := range []string{"kind=Nope", "since=yesterday", "until=2030-01-01T00:00:00Z&since=2031-01-01T00:00:00Z", "limit=0"} {
		resp, body := env.raw(t, "GET", Prefix+"/history?"+q, "", "", "reader")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /history?%s = %d, want 400", q, resp.StatusCode)
		} else if p := decodeProblem(t, resp, body); p.Field == "" {
			t.Errorf("GET /history?%s: problem without field: %+v", q, p)
		}
	}
}

// A stream with a set filter carries that set's events only, live and
// replayed.
func TestEventsSetFilter(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	env.nPlus1Set(t)
	hist, err := env.reader.History(bg, HistoryQuery{Limit: MaxHistoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	stream, err := env.reader.EventsOf(ctx, hist[0].Seq, HistoryQuery{SetID: "redset:db"})
	if err != nil {
		t.Fatalf("EventsOf: %v", err)
	}
	defer stream.Close()
	replayed := 0
	for _, e := range hist[1:] {
		if e.SetID == "redset:db" {
			replayed++
		}
	}
	for range replayed {
		if e := next(t, stream); e.SetID != "redset:db" {
			t.Fatalf("replayed %d %s of %q", e.Seq, e.Kind, e.SetID)
		}
	}
	if _, err := env.operator.Failover(bg, "redset:web", "web-a", "web-b"); err != nil {
		t.Fatal(err)
	}
	res, err := env.operator.Failover(bg, "redset:db", "db-1", "db-2")
	if err != nil || res.ReturnValue != 0 {
		t.Fatalf("Failover = %+v, %v", res, err)
	}
	if e := next(t, stream); e.SetID != "redset:db" || e.Kind != "FailoverSucceeded" || e.Seq != res.Seq {
		t.Errorf("first live event = %d %s of %q, want the db failover %d", e.Seq, e.Kind, e.SetID, res.Seq)
	}
	resp, _ := env.raw(t, "GET", Prefix+"/events?kind=Nope", "", "", "reader")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /events?kind=Nope = %d, want 400", resp.StatusCode)
	}
}
