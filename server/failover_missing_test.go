package server

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/api"
)

// A failover of a set that does not exist never reaches the method: the
// API answers 404, and nothing is recorded or handed to a hook. A refusal
// of a set that does exist, made afterwards, proves the hook runs.
func TestFailoverOfMissingSetRecordsNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "refused.log")
	text := heartbeatPair + "hooks:\n  - name: log\n    on: [refused]\n    exec: [/bin/sh, -c, 'echo \"$REDSET_SET\" >> " + out + "']\n"
	s := startServer(t, text, nil)
	c := apiClient(t, s, "admin", testPassword)
	reportOK(t, c, "a", "b")
	ctx := context.Background()

	_, err := c.Failover(ctx, "redset:none", "a", "b")
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != http.StatusNotFound || p.Type != api.ProblemNotFound {
		t.Errorf("Failover of a missing set = %v, want a 404 not-found problem", err)
	}
	res, err := c.Failover(ctx, "redset:pair", "b", "a") // b is a spare: refused with 4
	if err != nil || res.ReturnValue != 4 {
		t.Fatalf("Failover of the existing set = %+v, %v; want refused with 4", res, err)
	}
	eventually(t, 10*time.Second, "the refused hook ran for redset:pair", func() bool {
		data, _ := os.ReadFile(out)
		return strings.Contains(string(data), "redset:pair")
	})
	if data, _ := os.ReadFile(out); strings.Contains(string(data), "redset:none") {
		t.Errorf("the hook ran for the missing set:\n%s", data)
	}
	evs, err := c.History(ctx, api.HistoryQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.SetID == "redset:none" {
			t.Errorf("history holds a record of the missing set: %+v", e)
		}
	}
}
