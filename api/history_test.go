package api

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHistory(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: "redset:quiet"}))
	all, err := env.reader.History(bg, HistoryQuery{})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if len(all) < 8 {
		t.Fatalf("History has %d events, want at least 8 after building a set", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Seq >= all[i].Seq {
			t.Fatalf("events out of order at %d: %d then %d", i, all[i-1].Seq, all[i].Seq)
		}
	}
	t.Run("limit keeps the newest", func(t *testing.T) {
		got, err := env.reader.History(bg, HistoryQuery{Limit: 2})
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		if diff := cmp.Diff(all[len(all)-2:], got); diff != "" {
			t.Errorf("limit 2 (-want +got):\n%s", diff)
		}
	})
	t.Run("set filter", func(t *testing.T) {
		got, err := env.reader.History(bg, HistoryQuery{SetID: "redset:quiet", Limit: 5})
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		if len(got) != 1 || got[0].Kind != "ConfigChanged" || got[0].Config.Action != "set created" {
			t.Errorf("events of redset:quiet = %+v, want only its creation", got)
		}
	})
	t.Run("in-process view matches", func(t *testing.T) {
		got, err := History(bg, env.eng, 0)
		if err != nil {
			t.Fatalf("api.History: %v", err)
		}
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("api.History vs GET /history (-http +direct):\n%s", diff)
		}
		sets, err := Sets(env.eng, nil)
		listed := mustSets(t)(env.reader.ListSets(bg))
		if diff := cmp.Diff(listed, sets); err != nil || diff != "" {
			t.Errorf("api.Sets vs GET /sets (err %v) (-http +direct):\n%s", err, diff)
		}
	})
}

func mustSets(t *testing.T) func([]Set, error) []Set {
	return func(s []Set, err error) []Set {
		t.Helper()
		if err != nil {
			t.Fatalf("ListSets: %v", err)
		}
		return s
	}
}

// TestEventsIgnoreClientTimeout: a stream outlives the http.Client's
// Timeout (here so short that any ordinary request fails).
func TestEventsIgnoreClientTimeout(t *testing.T) {
	env := newEnv(t)
	hc := *env.srv.Client()
	hc.Timeout = 1
	c, err := NewClient(env.srv.URL, "reader", testPassword, &hc)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if _, err := c.ListSets(bg); err == nil {
		t.Fatalf("ListSets with a 1ns timeout succeeded; the test is broken")
	}
	stream, err := c.Events(bg, 0)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	defer stream.Close()
	mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: "redset:t"}))
	if ev := next(t, stream); ev.Kind != "ConfigChanged" || ev.SetID != "redset:t" {
		t.Errorf("event = %+v, want the set's creation", ev)
	}
	_, err = env.nobody.Events(bg, 0)
	wantProblem(t, err, http.StatusUnauthorized, ProblemUnauthorized)
}
