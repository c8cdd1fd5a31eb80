package server

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/api"
)

// The pause of automatic failover (the set's own or the server's) and a
// tripped flap guard show per set as 1, else 0.
func TestMetricsPauseAndFlapGuard(t *testing.T) {
	text := strings.Replace(heartbeatPair, "    minNumberNeeded: 1\n", "    minNumberNeeded: 1\n    policy: {maxFailovers: 1, period: 1h}\n", 1)
	s := startServer(t, text, nil)
	base := "http://" + s.Addrs()[0]
	c := apiClient(t, s, "admin", testPassword)
	ctx := context.Background()
	reportOK(t, c, "a", "b")
	pollMetrics(t, base, `redset_automatic_failover_paused{set="redset:pair"} 0`, `redset_flap_guard_tripped{set="redset:pair"} 0`)

	if _, err := c.PauseSet(ctx, "redset:pair"); err != nil {
		t.Fatal(err)
	}
	pollMetrics(t, base, `redset_automatic_failover_paused{set="redset:pair"} 1`)
	if _, err := c.ResumeSet(ctx, "redset:pair"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PauseServer(ctx); err != nil {
		t.Fatal(err)
	}
	pollMetrics(t, base, `redset_automatic_failover_paused{set="redset:pair"} 1`)
	if _, err := c.ResumeServer(ctx); err != nil {
		t.Fatal(err)
	}
	pollMetrics(t, base, `redset_automatic_failover_paused{set="redset:pair"} 0`)

	report := func(m, state string) {
		t.Helper()
		if _, err := c.ReportHealth(ctx, m, api.HealthReport{State: state, Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	report("a", "Failed") // automatic failover a -> b, the one allowed per hour
	eventually(t, 10*time.Second, "b in service", func() bool {
		set, err := c.GetSet(ctx, "redset:pair")
		return err == nil && set.Members[1].Role == api.RoleInService
	})
	report("a", "OK")
	report("b", "Failed") // the second would exceed the guard: it trips
	pollMetrics(t, base, `redset_flap_guard_tripped{set="redset:pair"} 1`)
}

// /metrics needs a reader by default; metrics.public opens them, and a
// reload changes that.
func TestMetricsAccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.yaml")
	viewer := "users:\n  - {name: viewer, role: reader, passwordHash: \"" + testHash() + "\"}\n"
	writeFile(t, path, viewer)
	s := fileServer(t, path)
	url := "http://" + s.Addrs()[0] + "/metrics"
	check := func(user, pass string, want int) {
		t.Helper()
		code, body := call(t, httpClient, "GET", url, user, pass, nil)
		if code != want {
			t.Errorf("GET /metrics as %q: %d %.200q, want %d", user, code, body, want)
		}
	}
	check("", "", http.StatusUnauthorized)
	check("viewer", "wrong", http.StatusUnauthorized)
	check("viewer", "reader-password", http.StatusOK)

	writeFile(t, path, viewer+"metrics: {public: true}\n")
	rep, err := s.Reload(context.Background())
	if err != nil || !rep.Metrics || !strings.Contains(rep.Summary(), "metrics access changed") {
		t.Fatalf("Reload = %+v, %v; want the metrics change reported", rep, err)
	}
	check("", "", http.StatusOK)
	check("viewer", "reader-password", http.StatusOK)
	check("viewer", "wrong", http.StatusUnauthorized)

	writeFile(t, path, viewer)
	if _, err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("", "", http.StatusUnauthorized)
}

// A configuration with metrics.public starts with them open.
func TestMetricsPublicAtStart(t *testing.T) {
	s := startServer(t, "metrics: {public: true}\n", nil)
	code, body := call(t, httpClient, "GET", "http://"+s.Addrs()[0]+"/metrics", "", "", nil)
	if code != http.StatusOK || !strings.Contains(body, "redset_") {
		t.Errorf("GET /metrics without credentials: %d, want 200 with the metrics", code)
	}
}
