package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redset/redset/api"
)

// TestCLIOutcomeUnknown: a failover whose outcome the server could not
// learn (its store lost its quorum) prints the reason and exits 3, apart
// from a refusal (2) and an error (1).
func TestCLIOutcomeUnknown(t *testing.T) {
	const reason = "the outcome is unknown: read the set's roles back before failing over again"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/sets", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"sets":[]}`))
	})
	mux.HandleFunc("POST /api/v1/sets/{id}/failover", func(w http.ResponseWriter, r *http.Request) {
		api.WriteProblem(w, r, &api.Problem{Type: api.ProblemOutcomeUnknown, Title: "Outcome unknown",
			Status: http.StatusGatewayTimeout, Detail: reason})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	r := runCLI(context.Background(), "failover", "redset:x", "--from", "a", "--to", "b",
		"--server", srv.URL, "--user", "admin", "--password", "x")
	if r.code != exitOutcomeUnknown || exitOutcomeUnknown == 1 || exitOutcomeUnknown == 2 {
		t.Errorf("exit code %d, want %d (distinct from 1 and 2)", r.code, exitOutcomeUnknown)
	}
	if !strings.Contains(r.err, reason) {
		t.Errorf("stderr %q lacks the reason %q", r.err, reason)
	}
}
