package server

import (
	"context"
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
