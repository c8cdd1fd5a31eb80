package redsettest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/redsettest"
)

// operatorEvents reads a live event stream in the background so that a
// test can wait for an event with a deadline.
type operatorEvents struct {
	ch   chan api.Event
	errc chan error
	seen []api.Event
}

func operatorStream(t *testing.T, c *api.Client) *operatorEvents {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.Events(ctx, 0)
	if err != nil {
		cancel()
		t.Fatalf("opening the event stream: %v", err)
	}
	e := &operatorEvents{ch: make(chan api.Event, 1024), errc: make(chan error, 1)}
	go func() {
		defer close(e.ch)
		for {
			ev, err := stream.Next()
			if err != nil {
				e.errc <- err
				return
			}
			select {
			case e.ch <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		stream.Close()
	})
	return e
}

// waitFor returns the next event that matches, failing the test when none
// arrives within the time given.
func (e *operatorEvents) waitFor(t *testing.T, within time.Duration, what string, match func(api.Event) bool) api.Event {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-e.ch:
			if !ok {
				t.Fatalf("waiting for %s: the event stream ended: %v", what, <-e.errc)
			}
			e.seen = append(e.seen, ev)
			if match(ev) {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %s within %v; events seen:\n%s", what, within, operatorSummary(e.seen))
		}
	}
}

// since returns the events seen after (and including) sequence number seq.
func (e *operatorEvents) since(seq uint64) []api.Event {
	var out []api.Event
	for _, ev := range e.seen {
		if ev.Seq >= seq {
			out = append(out, ev)
		}
	}
	return out
}

func operatorSummary(evs []api.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  #%d %s %s set=%s member=%s", ev.Seq, ev.Time.Format("15:04:05.000"), ev.Kind, ev.SetID, ev.Member)
		switch {
		case ev.Health != nil:
			fmt.Fprintf(&b, " %s -> %s", ev.Health.From, ev.Health.To)
		case ev.Status != nil:
			fmt.Fprintf(&b, " %d -> %d", ev.Status.From, ev.Status.To)
		case ev.Failover != nil:
			fmt.Fprintf(&b, " %s -> %s planned=%v code=%d", ev.Failover.From, ev.Failover.To, ev.Failover.Planned, ev.Failover.ReturnValue)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func healthIs(member, to string) func(api.Event) bool {
	return func(ev api.Event) bool {
		return ev.Kind == "HealthChanged" && ev.Member == member && ev.Health != nil && ev.Health.To == to
	}
}

// operatorRoles gives each member's role and health in a set.
func operatorRoles(t *testing.T, c *api.Client, id string) (map[string]string, api.Set) {
	t.Helper()
	s, err := c.GetSet(context.Background(), id)
	if err != nil {
		t.Fatalf("GET set %s: %v", id, err)
	}
	out := map[string]string{}
	for _, m := range s.Members {
		out[m.Name] = m.Role + "/" + m.Health.State
	}
	return out, s
}

// operatorPoll calls cond until it holds or the deadline passes.
func operatorPoll(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		<-tick.C
	}
}

// operatorHookConfig has an exec hook on completed failovers that writes
// its REDSET_* environment to file (atomically, so a reader never sees half
// of it).
func operatorHookConfig(file string) string {
	return fmt.Sprintf(`hooks:
  - name: record
    on: [failover]
    exec: [/bin/sh, -c, 'env | grep "^REDSET_" | sort > "$0.tmp" && mv "$0.tmp" "$0"', %q]
    timeout: 10s
`, file)
}

func readHookEnv(t *testing.T, file string) map[string]string {
	t.Helper()
	var data []byte
	operatorPoll(t, 10*time.Second, "the failover hook's file", func() bool {
		var err error
		data, err = os.ReadFile(file)
		return err == nil
	})
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env
}

// TestOperatorDemoFailover is the end-to-end test of the demo: a member's
// service dies, redset counts the failure after `fall` probes, the set's
// status changes, the spare takes over by itself, the hook runs with the
// right environment, and the healed member comes back as a spare.
func TestOperatorDemoFailover(t *testing.T) {
	const setID = "redset:demo-web"
	hookFile := filepath.Join(t.TempDir(), "hook.env")
	srv := redsettest.Start(t, redsettest.Options{Demo: true, Config: operatorHookConfig(hookFile)})
	c, err := api.NewClient(srv.URL, "admin", redsettest.AdminPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	events := operatorStream(t, c)

	operatorPoll(t, 15*time.Second, "web-a and web-b OK", func() bool {
		roles, _ := operatorRoles(t, c, setID)
		return roles["web-a"] == "inService/OK" && roles["web-b"] == "spare/OK"
	})
	webA, err := c.GetMember(ctx, "web-a")
	if err != nil {
		t.Fatal(err)
	}
	interval := webA.Probe.Interval.D()
	fall := webA.Probe.Fall
	if interval <= 0 || fall <= 0 {
		t.Fatalf("web-a's probe has interval %v and fall %d; want both set", interval, fall)
	}

	failedAt := time.Now()
	if err := c.Do(ctx, http.MethodPost, "/demo/members/web-a/fail", nil, nil); err != nil {
		t.Fatalf("failing web-a: %v", err)
	}
	bound := time.Duration(fall) * interval
	failed := events.waitFor(t, bound+10*interval, "HealthChanged web-a -> Failed", healthIs("web-a", "Failed"))

	t.Run("detection time", func(t *testing.T) {
		detection := failed.Time.Sub(failedAt)
		t.Logf("web-a failed %v after its service stopped (fall %d x interval %v = %v)", detection, fall, interval, bound)
		if max := bound + interval; detection > max {
			t.Errorf("detection took %v, more than fall x interval + one interval = %v", detection, max)
		}
		if min := time.Duration(fall-1)*interval - interval/2; detection < min {
			t.Errorf("detection took only %v: fewer than fall=%d failed probes can have been counted (want >= %v)", detection, fall, min)
		}
		if failed.Health.From != "OK" {
			t.Errorf("web-a went %s -> Failed, want OK -> Failed", failed.Health.From)
		}
	})

	isFailover := func(ev api.Event) bool { return ev.Kind == "FailoverSucceeded" && ev.SetID == setID }
	fo := events.waitFor(t, 10*time.Second, "FailoverSucceeded of "+setID, isFailover)
	t.Run("automatic failover", func(t *testing.T) {
		want := api.FailoverEvent{Planned: false, From: "web-a", To: "web-b", ReturnValue: 0}
		got := *fo.Failover
		got.DurationSeconds, got.Reason = 0, ""
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("failover event (-want +got):\n%s", diff)
		}
	})
	final := events.waitFor(t, 10*time.Second, "StatusChanged of "+setID+" to 4", func(ev api.Event) bool {
		return ev.Kind == "StatusChanged" && ev.SetID == setID && ev.Status.To == 4
	})
	t.Run("status changes in order", func(t *testing.T) {
		var statuses []string
		for _, ev := range events.since(failed.Seq) {
			if ev.Kind == "StatusChanged" && ev.SetID == setID {
				statuses = append(statuses, fmt.Sprintf("%d->%d@%s", ev.Status.From, ev.Status.To, position(ev.Seq, fo.Seq)))
			}
		}
		// Sparing with one active and one hot spare: the active's failure
		// is 5 Overall Failure until the spare takes over, then 4 Redundancy
		// Lost (SPEC, RedundancyStatus).
		want := []string{"2->5@before", "5->4@after"}
		if diff := cmp.Diff(want, statuses); diff != "" {
			t.Errorf("StatusChanged of %s around the failover (-want +got):\n%s\nevents:\n%s", setID, diff, operatorSummary(events.since(failed.Seq)))
		}
		if !(failed.Seq < fo.Seq && fo.Seq < final.Seq) {
			t.Errorf("order: health #%d, failover #%d, final status #%d; want increasing", failed.Seq, fo.Seq, final.Seq)
		}
	})
	t.Run("roles swapped in the API", func(t *testing.T) {
		roles, set := operatorRoles(t, c, setID)
		want := map[string]string{"web-a": "spare/Failed", "web-b": "inService/OK"}
		if diff := cmp.Diff(want, roles); diff != "" {
			t.Errorf("GET /api/v1/sets/%s members (-want +got):\n%s", setID, diff)
		}
		if set.RedundancyStatus != 4 {
			t.Errorf("RedundancyStatus = %d %s, want 4", set.RedundancyStatus, set.RedundancyStatusText)
		}
	})
	t.Run("history", func(t *testing.T) {
		hist, err := c.History(ctx, api.HistoryQuery{SetID: setID, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range hist {
			found = found || ev.Seq == fo.Seq && ev.Kind == "FailoverSucceeded"
		}
		if !found {
			t.Errorf("the history of %s lacks the failover #%d:\n%s", setID, fo.Seq, operatorSummary(hist))
		}
	})
	t.Run("hook environment", func(t *testing.T) {
		env := readHookEnv(t, hookFile)
		want := map[string]string{"REDSET_EVENT": "failover", "REDSET_SET": setID, "REDSET_FROM": "web-a",
			"REDSET_TO": "web-b", "REDSET_PLANNED": "false", "REDSET_CODE": "0", "REDSET_HOOK": "record",
			"REDSET_SEQ": fmt.Sprint(fo.Seq)}
		got := map[string]string{}
		for k := range want {
			got[k] = env[k]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("hook environment (-want +got):\n%s", diff)
		}
	})

	if err := c.Do(ctx, http.MethodPost, "/demo/members/web-a/heal", nil, nil); err != nil {
		t.Fatalf("healing web-a: %v", err)
	}
	events.waitFor(t, time.Duration(webA.Probe.Rise)*interval+10*interval, "HealthChanged web-a -> OK", healthIs("web-a", "OK"))
	t.Run("healed member is a spare again", func(t *testing.T) {
		operatorPoll(t, 10*time.Second, "web-a OK as a spare, status 2", func() bool {
			roles, set := operatorRoles(t, c, setID)
			return roles["web-a"] == "spare/OK" && roles["web-b"] == "inService/OK" && set.RedundancyStatus == 2
		})
	})
}

func position(seq, pivot uint64) string {
	if seq < pivot {
		return "before"
	}
	return "after"
}

// A failed demo action is a problem document, not a silent success.
func TestOperatorDemoUnknownMember(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{Demo: true})
	c, err := api.NewClient(srv.URL, "admin", redsettest.AdminPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), http.MethodPost, "/demo/members/nobody/fail", nil, nil)
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != http.StatusNotFound || !strings.Contains(p.Detail, "web-a") {
		t.Errorf("failing an unknown member: %v, want a 404 problem listing the demo members", err)
	}
}
