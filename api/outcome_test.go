package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/store"
)

// unknownStore is a store whose commits, while lost is set, are not
// applied and fail with store.ErrOutcomeUnknown, as a shared store's do
// when its quorum is lost while they are in flight.
type unknownStore struct {
	store.Store
	lost *atomic.Bool
}

func (s unknownStore) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	if s.lost.Load() {
		return 0, fmt.Errorf("%w (no answer from the test's store)", store.ErrOutcomeUnknown)
	}
	return s.Store.Commit(ctx, txn)
}

// TestOutcomeUnknown: a failover, or any other write, whose outcome the
// store did not say answers 504 with the outcome-unknown problem and no
// Retry-After (a blind retry could apply it twice); the failover's detail
// is the engine's reason.
func TestOutcomeUnknown(t *testing.T) {
	lost := new(atomic.Bool)
	env := newEnvWrapped(t, func(st store.Store) store.Store { return unknownStore{Store: st, lost: lost} })
	env.sparingSet(t)
	lost.Store(true)
	tests := []struct {
		name, method, path, body, detail string
	}{
		{"failover", "POST", "/api/v1/sets/redset:web/failover", `{"from":"web-a","to":"web-b"}`, engine.OutcomeUnknownReason},
		{"patch", "PATCH", "/api/v1/sets/redset:web", `{"caption":"new"}`, ""},
		{"pause", "POST", "/api/v1/sets/redset:web/pause", `{}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.raw(t, tt.method, tt.path, "application/json", tt.body, "admin")
			var p Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("answer %d %s: %v", resp.StatusCode, body, err)
			}
			if resp.StatusCode != http.StatusGatewayTimeout || p.Type != ProblemOutcomeUnknown || p.Status != http.StatusGatewayTimeout {
				t.Errorf("answer %d %+v, want 504 %s", resp.StatusCode, p, ProblemOutcomeUnknown)
			}
			if got := resp.Header.Get("Retry-After"); got != "" {
				t.Errorf("Retry-After %q, want none", got)
			}
			if tt.detail != "" && p.Detail != tt.detail {
				t.Errorf("detail %q, want %q", p.Detail, tt.detail)
			}
		})
	}
	got := mustSet(t)(env.reader.GetSet(bg, "redset:web"))
	for _, m := range got.Members {
		if m.Name == "web-a" && m.Role != RoleInService {
			t.Errorf("web-a is %s after failovers whose outcome was unknown, want still in service", m.Role)
		}
	}
}
