package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/engine"
)

// Pause and resume, dry runs, scheduled failovers, history filters and a
// filtered watch, against a running demo server.
func TestCLIMaintenanceScheduleAndFilters(t *testing.T) {
	d := startDemo(t)
	eng := d.srv.Engine()
	ctx := context.Background()

	t.Run("pause and resume", func(t *testing.T) {
		wantRun(t, d.run(t, "pause", "redset:demo-web"), 0, "redset:demo-web: automatic failover paused since", "by admin")
		r := d.run(t, "sets")
		if !regexp.MustCompile(`(?m)^redset:demo-web\s.*\spaused$`).MatchString(r.out) ||
			!regexp.MustCompile(`(?m)^redset:demo-db\s.*\son$`).MatchString(r.out) {
			t.Errorf("sets does not show demo-web paused and demo-db on:\n%s", r.out)
		}
		wantRun(t, d.run(t, "set", "get", "redset:demo-web"), 0, "AutomaticFailover:", "paused since")
		wantRun(t, d.run(t, "pause"), 0, "automatic failover paused for every set", "redset:demo-web: paused on its own")
		if r := d.run(t, "sets"); !regexp.MustCompile(`(?m)^redset:demo-db\s.*\spaused \(server\)$`).MatchString(r.out) {
			t.Errorf("sets does not show the server's pause on demo-db:\n%s", r.out)
		}
		wantRun(t, d.run(t, "resume"), 0, "automatic failover on")
		wantRun(t, d.run(t, "resume", "demo-web"), 0, "redset:demo-web: automatic failover on") // a LocalID names the set
		if r := d.run(t, "pause", "redset:nope"); r.code != 1 || !strings.Contains(r.err, "404") {
			t.Errorf("pause of an unknown set: exit %d, stderr %q", r.code, r.err)
		}
	})
	t.Run("dry run", func(t *testing.T) {
		wantRun(t, d.run(t, "failover", "redset:demo-web", "--to", "web-b", "--dry-run"), 0, "0 Completed", "DryRun:", "nothing was changed")
		if got := roleOf(t, eng, "redset:demo-web", "web-a"); got != engine.RoleInService {
			t.Errorf("after a dry run web-a is %v, want still in service", got)
		}
		wantRun(t, d.run(t, "failover", "redset:demo-web", "--to", "web-a", "--dry-run"), 2, "4 Parameter Error", "Reason:")
		if r := d.run(t, "failover", "redset:demo-db", "--to", "db-2", "--dry-run"); r.code != 1 || !strings.Contains(r.err, "--from") {
			t.Errorf("without --from in a set of three in service: exit %d, stderr %q", r.code, r.err)
		}
	})
	t.Run("schedule, list and cancel", func(t *testing.T) {
		r := d.run(t, "failover", "redset:demo-web", "--to", "web-b", "--at", "+1h")
		wantRun(t, r, 0, "scheduled failover", "web-a -> web-b")
		id := regexp.MustCompile(`scheduled failover (\d+):`).FindStringSubmatch(r.out)
		if id == nil {
			t.Fatalf("no id in %q", r.out)
		}
		wantRun(t, d.run(t, "failover", "--list"), 0, id[1], "redset:demo-web", "admin (api)")
		wantRun(t, d.run(t, "failover", "redset:demo-web", "--cancel", id[1]), 0, "scheduled failover "+id[1]+" of redset:demo-web cancelled")
		if r := d.run(t, "failover", "--list", "redset:demo-web"); strings.Contains(r.out, "web-b") {
			t.Errorf("the cancelled failover is still listed:\n%s", r.out)
		}
		if r := d.run(t, "failover", "redset:demo-web", "--to", "web-b", "--at", "tomorrow"); r.code != 1 || !strings.Contains(r.err, "RFC 3339") {
			t.Errorf("--at tomorrow: exit %d, stderr %q", r.code, r.err)
		}
	})
	t.Run("scheduled failover runs", func(t *testing.T) {
		wantRun(t, d.run(t, "failover", "redset:demo-web", "--to", "web-b", "--at", "+300ms"), 0, "scheduled failover")
		poll(t, 20*time.Second, "the scheduled failover ran", func() bool {
			return roleOf(t, eng, "redset:demo-web", "web-b") == engine.RoleInService
		})
		r := d.run(t, "history", "--set", "redset:demo-web", "--kind", "FailoverSucceeded", "-o", "json")
		var evs []api.Event
		if err := json.Unmarshal([]byte(r.out), &evs); err != nil {
			t.Fatalf("history -o json: %v\n%s", err, r.out)
		}
		if len(evs) != 1 || evs[0].Failover.ScheduleID == 0 || evs[0].Actor.User != "admin" {
			t.Errorf("failovers of demo-web = %+v", evs)
		}
	})
	t.Run("history filters", func(t *testing.T) {
		r := d.run(t, "history", "--by", "admin", "--kind", "MaintenanceChanged", "--since", "1h", "-o", "json")
		var evs []api.Event
		if err := json.Unmarshal([]byte(r.out), &evs); err != nil {
			t.Fatalf("history -o json: %v\n%s", err, r.out)
		}
		if len(evs) != 4 {
			t.Errorf("admin's maintenance events = %d, want 4 (pause set, pause, resume, resume set)", len(evs))
		}
		for _, e := range evs {
			if e.Seq > 100000 {
				t.Errorf("seq %d does not read like a count", e.Seq)
			}
		}
		wantRun(t, d.run(t, "history", "--member", "web-b", "--limit", "3"), 0, "BY", "web-b")
		if r := d.run(t, "history", "--since", "yesterday"); r.code != 1 || !strings.Contains(r.err, "--since") {
			t.Errorf("--since yesterday: exit %d, stderr %q", r.code, r.err)
		}
	})
	t.Run("watch one set", func(t *testing.T) { testWatchSet(ctx, t, d) })
}

// testWatchSet follows the events of demo-db only: refused failovers of
// demo-lb and demo-db are made until demo-db's shows, and demo-lb's never
// does.
func testWatchSet(ctx context.Context, t *testing.T, d *demoCLI) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- execCLI(ctx, out, errOut, append([]string{"watch", "--recent", "0", "--set", "redset:demo-db"}, d.flags...)...)
	}()
	trigger := time.NewTicker(100 * time.Millisecond)
	defer trigger.Stop()
	deadline := time.After(15 * time.Second)
	for n := 0; !strings.Contains(out.String(), "db-1 → nobody"); n++ {
		select {
		case <-trigger.C:
			_, _ = d.api.Failover(ctx, "redset:demo-lb", "lb-1", "nobody"+strconv.Itoa(n))
			_, _ = d.api.Failover(ctx, "redset:demo-db", "db-1", "nobody")
		case code := <-done:
			t.Fatalf("watch ended by itself with %d: %s", code, errOut.String())
		case <-deadline:
			t.Fatalf("watch printed no event of demo-db:\n%s\nstderr:\n%s", out.String(), errOut.String())
		}
	}
	if strings.Contains(out.String(), "demo-lb") {
		t.Errorf("watch --set redset:demo-db printed demo-lb events:\n%s", out.String())
	}
}
