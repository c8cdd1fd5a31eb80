package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// runCLIIn runs the command line with stdin as its standard input.
func runCLIIn(ctx context.Context, stdin io.Reader, args ...string) cliResult {
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetIn(stdin)
	code := 0
	if err := root.ExecuteContext(ctx); err != nil {
		if !isSilent(err) {
			out := errOut
			_, _ = out.Write([]byte("redset: " + err.Error() + "\n"))
		}
		code = exitCode(err)
	}
	return cliResult{out: out.String(), err: errOut.String(), code: code}
}

func (d *demoCLI) runIn(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	return runCLIIn(context.Background(), strings.NewReader(stdin), append(args, d.flags...)...)
}

func wantFail(t *testing.T, r cliResult, stderr ...string) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	for _, s := range stderr {
		if !strings.Contains(r.err, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.err)
		}
	}
}

func TestCLIManageSetsAndMembers(t *testing.T) {
	d := startDemo(t)
	eng := d.srv.Engine()
	ctx := context.Background()

	t.Run("member add from flags, get", func(t *testing.T) {
		wantRun(t, d.run(t, "member", "add", "hb-1", "--type", "heartbeat", "--ttl", "1m", "--rise", "1", "--fall", "1",
			"--display-name", "agent one", "--label", "zone=a"), 0, "added member hb-1 (heartbeat")
		m, err := eng.GetMember("hb-1")
		if err != nil {
			t.Fatal(err)
		}
		want := engine.Probe{Type: "heartbeat", TTL: engine.Duration(time.Minute), Rise: 1, Fall: 1}
		if diff := cmp.Diff(want, m.Probe); diff != "" || m.DisplayName != "agent one" || m.Labels["zone"] != "a" {
			t.Errorf("stored member %+v; probe (-want +got):\n%s", m.Member, diff)
		}
		wantRun(t, d.run(t, "member", "get", "hb-1"), 0, "Name:", "hb-1", "heartbeat", "Unknown")
	})
	t.Run("member add from standard input", func(t *testing.T) {
		yaml := "- name: hb-2\n  probe: {type: heartbeat, ttl: 1m, rise: 1, fall: 1}\n- name: hb-3\n  probe: {type: heartbeat, ttl: 1m}\n"
		wantRun(t, d.runIn(t, yaml, "member", "add", "-f", "-"), 0, "added member hb-2", "added member hb-3")
		r := d.runIn(t, "name: bad\nprobe: {type: smtp}\n", "member", "add", "-f", "-")
		wantFail(t, r, "standard input:2: members[0].probe.type")
		if _, err := eng.GetMember("bad"); err == nil {
			t.Error("a refused member was created")
		}
	})
	t.Run("member report", func(t *testing.T) {
		wantRun(t, d.run(t, "member", "report", "hb-1", "--state", "Failed", "--detail", "disk full"), 0, "Failed", "disk full")
		wantRun(t, d.run(t, "member", "report", "hb-2"), 0, "Health:", "OK")
		wantRun(t, d.run(t, "member", "report", "hb-3", "--ttl", "30s", "-o", "json"), 0, `"expires"`)
	})
	t.Run("set create from flags", func(t *testing.T) {
		r := d.run(t, "set", "create", "hb", "--type", "n+1", "--min", "1", "--caption", "heartbeats",
			"--member", "hb-1", "--member", "hb-2:inService", "--member", "hb-3:drained", "--max-failovers", "5", "--period", "30m")
		wantRun(t, r, 0, "redset:hb", "heartbeats", "N+1")
		v, err := eng.GetSet("redset:hb")
		if err != nil {
			t.Fatal(err)
		}
		if v.Caption != "heartbeats" || v.MinNumberNeeded != 1 || v.Policy.MaxFailovers != 5 || v.Policy.Period != 30*60e9 {
			t.Errorf("created set %+v", v.Set)
		}
		if got := roleOf(t, eng, "redset:hb", "hb-3"); got != engine.RoleDrained {
			t.Errorf("hb-3 is %v, want drained", got)
		}
	})
	t.Run("set create from a configuration entry", func(t *testing.T) {
		yaml := "id: hb-spare\ntypeOfSet: [4]\nminNumberNeeded: 1\nmembers:\n  - {name: hb-2}\n  - {name: hb-3, role: spare, spareStatus: cold, failoverSupported: manual, priority: 7}\n"
		wantRun(t, d.runIn(t, yaml, "set", "create", "-f", "-"), 0, "redset:hb-spare", "3 Cold Standby")
		v, err := eng.GetSet("redset:hb-spare")
		if err != nil {
			t.Fatal(err)
		}
		want := engine.Role{Kind: engine.RoleSpare, Spare: engine.SpareSettings{SpareStatus: 3, FailoverSupported: 3, Priority: 7}}
		if diff := cmp.Diff(want, v.Members[1].Role); v.Members[1].Name != "hb-3" || diff != "" {
			t.Errorf("hb-3's role (-want +got):\n%s", diff)
		}
		file := filepath.Join(t.TempDir(), "set.yaml")
		if err := os.WriteFile(file, []byte("sets:\n  - id: x\n    minNumberNeeded: 1\n    colour: red\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		wantFail(t, d.run(t, "set", "create", "-f", file), file+":4: sets[0].colour: unknown field")
		if _, err := eng.GetSet("redset:x"); err == nil {
			t.Error("a refused entry was created")
		}
		wantFail(t, d.run(t, "set", "create"), "give the new set's ID")
	})
	t.Run("set edit", func(t *testing.T) {
		wantRun(t, d.run(t, "set", "edit", "hb", "--description", "pushed health", "--auto-return"), 0, "pushed health")
		wantRun(t, d.run(t, "set", "edit", "redset:hb", "--patch", `{"elementName": "HB", "policy": {"failback": true}}`), 0, "HB")
		v, _ := eng.GetSet("redset:hb")
		if v.Description != "pushed health" || v.ElementName != "HB" || !v.Policy.AutoReturn || !v.Policy.Failback || v.Caption != "heartbeats" {
			t.Errorf("after the edits: %+v", v.Set)
		}
		wantFail(t, d.run(t, "set", "edit", "hb"), "nothing to change")
		wantFail(t, d.run(t, "set", "edit", "hb", "--lb", "other"), "otherLoadBalanceAlgorithm")
		wantFail(t, d.run(t, "set", "edit", "hb", "--caption", "c", "--patch", "{}"), "one of them")
	})
	t.Run("add-member and remove-member", func(t *testing.T) {
		wantRun(t, d.run(t, "set", "add-member", "demo-web", "hb-1", "--role", "spare", "--spare-status", "cold", "--priority", "4"), 0, "hb-1")
		if got := roleOf(t, eng, "redset:demo-web", "hb-1"); got != engine.RoleSpare {
			t.Errorf("hb-1 in demo-web is %v, want spare", got)
		}
		wantRun(t, d.run(t, "set", "remove-member", "demo-web", "hb-1"), 0)
		if ids, _ := eng.SetsOfMember("hb-1"); len(ids) != 1 {
			t.Errorf("hb-1 is in %v after remove-member, want redset:hb only", ids)
		}
		wantFail(t, d.run(t, "set", "add-member", "demo-web", "hb-1", "--role", "boss"), "inService, spare or drained")
	})
	t.Run("drain and enable by LocalID", func(t *testing.T) {
		wantRun(t, d.run(t, "drain", "demo-lb", "lb-4"), 0, "lb-4")
		if got := roleOf(t, eng, "redset:demo-lb", "lb-4"); got != engine.RoleDrained {
			t.Fatalf("lb-4 is %v after drain, want drained", got)
		}
		wantRun(t, d.run(t, "enable", "demo-lb", "lb-4"), 0)
		if got := roleOf(t, eng, "redset:demo-lb", "lb-4"); got != engine.RoleInService {
			t.Errorf("lb-4 is %v after enable, want in service", got)
		}
		wantFail(t, d.run(t, "drain", "demo-web", "web-a"), "fail over to a spare")
	})
	t.Run("flap guard", func(t *testing.T) {
		wantRun(t, d.run(t, "set", "get", "demo-web"), 0, "FlapGuard:", "armed: at most 3 automatic failovers per 1h")
		wantRun(t, d.run(t, "flap-guard", "reset", "demo-web"), 0, "redset:demo-web flap guard: armed")
	})
	t.Run("status", func(t *testing.T) {
		wantRun(t, d.run(t, "failover", "demo-web", "--from", "web-a", "--to", "web-b"), 0, "0 Completed")
		r := d.run(t, "status")
		wantRun(t, r, 0, "redset:demo-db", "redset:demo-lb", "redset:hb", "flap guard:", "armed: at most 3")
		block := r.out[strings.Index(r.out, "redset:demo-web  "):]
		for _, re := range []string{`last failover:\s+\S+ \S+\s+planned web-a -> web-b`, `web-b\s+inService\s+OK`, `web-a\s+spare \(hot, both, priority 0\)\s+OK`} {
			if !regexp.MustCompile(re).MatchString(block) {
				t.Errorf("status of demo-web does not match %s:\n%s", re, block)
			}
		}
		r = d.run(t, "status", "-o", "json")
		var sets []struct {
			api.Set
			LastFailover *api.Event `json:"lastFailover"`
		}
		if err := json.Unmarshal([]byte(r.out), &sets); err != nil {
			t.Fatalf("status -o json: %v\n%s", err, r.out)
		}
		for _, s := range sets {
			if (s.InstanceID == "redset:demo-web") != (s.LastFailover != nil) {
				t.Errorf("%s: last failover %+v", s.InstanceID, s.LastFailover)
			}
		}
	})
	t.Run("LocalID that names two sets", func(t *testing.T) {
		if _, err := d.api.CreateSet(ctx, api.SetSpec{InstanceID: "acme:demo-web"}); err != nil {
			t.Fatal(err)
		}
		wantFail(t, d.run(t, "set", "get", "demo-web"), "ambiguous", "acme:demo-web, redset:demo-web")
		wantRun(t, d.run(t, "set", "get", "redset:demo-web"), 0, "web-a")
		wantRun(t, d.run(t, "set", "get", "acme:demo-web"), 0, "acme:demo-web")
		wantFail(t, d.run(t, "set", "get", "nothing-like-it"), "nothing-like-it")
		wantRun(t, d.run(t, "set", "delete", "acme:demo-web"), 0, "deleted set acme:demo-web")
	})
	t.Run("delete and remove", func(t *testing.T) {
		wantFail(t, d.run(t, "member", "remove", "hb-2"), "409")
		wantRun(t, d.run(t, "set", "delete", "hb-spare"), 0, "deleted set redset:hb-spare")
		wantRun(t, d.run(t, "set", "delete", "hb"), 0, "deleted set redset:hb")
		wantRun(t, d.run(t, "member", "remove", "hb-2"), 0, "removed member hb-2")
		if _, err := eng.GetMember("hb-2"); err == nil {
			t.Error("hb-2 still exists")
		}
	})
}

func TestCLIUsers(t *testing.T) {
	d := startDemo(t)
	as := func(user, password string, args ...string) cliResult {
		return runCLI(context.Background(), append(args, "--server", d.srv.URL, "--user", user, "--password", password)...)
	}
	t.Run("add from standard input", func(t *testing.T) {
		wantRun(t, d.runIn(t, "first-pw\n", "user", "add", "ops", "--role", "operator"), 0, "added user ops (operator)")
		wantRun(t, as("ops", "first-pw", "sets"), 0, "redset:demo-web")
		wantFail(t, as("ops", "first-pw", "user", "list"), "403")
	})
	t.Run("list shows no secret", func(t *testing.T) {
		r := d.run(t, "user", "list", "-o", "json")
		var users []api.User
		if err := json.Unmarshal([]byte(r.out), &users); err != nil {
			t.Fatalf("%v\n%s", err, r.out)
		}
		want := []api.User{{Name: "admin", Role: "admin", Source: "bootstrap"}, {Name: "ops", Role: "operator", Source: "stored"}}
		if diff := cmp.Diff(want, users); diff != "" {
			t.Errorf("user list (-want +got):\n%s", diff)
		}
		if strings.Contains(r.out, "$2") || strings.Contains(r.out, "first-pw") {
			t.Errorf("user list shows a password or hash:\n%s", r.out)
		}
	})
	t.Run("passwd", func(t *testing.T) {
		wantRun(t, d.runIn(t, "second-pw\r\n", "user", "passwd", "ops"), 0, "changed the password of ops")
		wantFail(t, as("ops", "first-pw", "sets"), "401")
		wantRun(t, as("ops", "second-pw", "sets"), 0)
	})
	t.Run("refusals", func(t *testing.T) {
		wantFail(t, d.runIn(t, "", "user", "add", "x", "--role", "reader"), "no password on standard input")
		wantFail(t, d.runIn(t, "pw\n", "user", "add", "x"), `"role"`)
		wantFail(t, d.runIn(t, "pw\n", "user", "add", "x", "--role", "root"), "root")
		wantFail(t, d.runIn(t, "pw\n", "user", "add", "ops", "--role", "reader"), "already exists")
		wantFail(t, d.run(t, "user", "del", "admin"), "last administrator")
		if _, err := d.api.ListSets(context.Background()); err != nil {
			t.Errorf("admin no longer works: %v", err)
		}
	})
	t.Run("del", func(t *testing.T) {
		wantRun(t, d.run(t, "user", "del", "ops"), 0, "deleted user ops")
		wantFail(t, as("ops", "second-pw", "sets"), "401")
	})
	t.Run("history records the changes", func(t *testing.T) {
		r := d.run(t, "history", "-o", "json", "--limit", "1000")
		var evs []api.Event
		if err := json.Unmarshal([]byte(r.out), &evs); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			if e.Config != nil && strings.HasPrefix(e.Config.Action, "user ") {
				got = append(got, e.Config.Action+" "+e.Config.Detail)
			}
		}
		want := []string{"user added ops (operator)", "user password changed ops", "user deleted ops"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("user changes in the history (-want +got):\n%s", diff)
		}
	})
}

func TestCLICompletion(t *testing.T) {
	d := startDemo(t)
	complete := func(args ...string) []string {
		t.Helper()
		// The word being completed comes last: the connection flags go first.
		r := runCLI(context.Background(), append(append([]string{"__complete"}, d.flags...), args...)...)
		if r.code != 0 {
			t.Fatalf("__complete %v: exit %d: %s", args, r.code, r.err)
		}
		lines := strings.Split(strings.TrimSpace(r.out), "\n")
		if last := lines[len(lines)-1]; last != ":4" {
			t.Errorf("__complete %v ends with directive %q, want :4 (no file completion)", args, last)
		}
		return lines[:len(lines)-1]
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"set", "get", ""}, []string{"redset:demo-db", "demo-db", "redset:demo-lb", "demo-lb", "redset:demo-web", "demo-web"}},
		{[]string{"enable", "demo-db", ""}, []string{"db-1", "db-2", "db-3"}},
		{[]string{"drain", "redset:demo-lb", ""}, []string{"lb-1", "lb-2", "lb-3", "lb-4"}},
		{[]string{"failover", "demo-web", "--from", ""}, []string{"web-a", "web-b"}},
		{[]string{"member", "get", ""}, []string{"db-1", "db-2", "db-3", "lb-1", "lb-2", "lb-3", "lb-4", "web-a", "web-b"}},
		{[]string{"user", "passwd", ""}, []string{"admin"}},
		{[]string{"user", "add", "x", "--role", ""}, []string{"reader", "operator", "admin"}},
		{[]string{"set", "get", "demo-web", ""}, nil},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := complete(tc.args...)
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("completions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCLISubscriptions lists a subscription to indications with its
// delivery mode and query, in a table and as JSON, and deletes it.
func TestCLISubscriptions(t *testing.T) {
	d := startDemo(t)
	answer := redsettest.SubscribePull(t, d.srv)
	id := regexp.MustCompile(`<wse:Identifier>([^<]+)</wse:Identifier>`).FindStringSubmatch(answer)
	if id == nil {
		t.Fatalf("no identifier in\n%s", answer)
	}
	wantRun(t, d.run(t, "subscriptions", "list"), 0, id[1])
	r := d.run(t, "subscriptions", "list", "-o", "json")
	var subs []api.IndicationSubscription
	if err := json.Unmarshal([]byte(r.out), &subs); err != nil || len(subs) != 1 || subs[0].DeliveryMode != "Pull" ||
		subs[0].Query != "SELECT * FROM Msvm_FailoverIndication" {
		t.Fatalf("list -o json: %v, %q", err, r.out)
	}
	wantRun(t, d.run(t, "subscriptions", "delete", id[1]), 0, "deleted subscription "+id[1])
	wantFail(t, d.run(t, "subscriptions", "delete", id[1]), "404")
	if subs, err := d.api.ListSubscriptions(t.Context()); err != nil || len(subs) != 0 {
		t.Errorf("after delete: %v, %v", subs, err)
	}
}
