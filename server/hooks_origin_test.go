package server

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/store/bolt"
)

// TestHooksOnlyOwnRecords: hooks run for the records this server made, not
// for those another server of its cluster committed (which every server's
// bus carries), so each hook runs once per failover cluster-wide.
func TestHooksOnlyOwnRecords(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := engine.New(context.Background(), engine.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	eng.SetOrigin("node-a")
	h, err := newHooks([]Hook{{Name: "notify", On: []string{"failover"}, Exec: []string{"true"}}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h.eng.Store(eng)
	rec := event.Record{Kind: event.KindFailoverSucceeded, Failover: &event.Failover{From: "a", To: "b"}}
	for origin, want := range map[string]bool{"node-a": true, "node-b": false, "": false} {
		rec.Origin = origin
		if got := h.wants(rec); got != want {
			t.Errorf("hooks want a failover record of origin %q: %v, want %v", origin, got, want)
		}
	}
}
