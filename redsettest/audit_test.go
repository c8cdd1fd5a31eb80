package redsettest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
	"github.com/redset/redset/server"
)

// auditPair is a Sparing set of two pushed-health members and an operator
// "ops", so that failovers can go back and forth by each protocol.
const auditPair = `health: {rise: 1, fall: 1}
members:
  - {name: a, probe: {type: heartbeat, ttl: 1h}}
  - {name: b, probe: {type: heartbeat, ttl: 1h}}
sets:
  - id: pair
    typeOfSet: [4]
    minNumberNeeded: 1
    members:
      - {name: a}
      - {name: b, role: spare}
`

// A failover by CIM-XML, by WS-Man and by the JSON API each records who
// asked (user), from where (the client's address) and by which protocol,
// in the history record and in the audit file, with the outcome.
func TestFailoverRecordsActorByProtocol(t *testing.T) {
	auditFile := filepath.Join(t.TempDir(), "audit.jsonl")
	hash, err := auth.HashPassword("ops-password")
	if err != nil {
		t.Fatal(err)
	}
	srv := redsettest.Start(t, redsettest.Options{Config: auditPair, Edit: func(c *server.Config) {
		c.Audit.File = auditFile
		c.Users = append(c.Users, server.User{Name: "ops", Role: "operator", PasswordHash: hash})
	}})
	reportHealth(t, srv.Engine(), engine.HealthOK, "a", "b")
	const set = "redset:pair"

	cim := newCIMClient(srv)
	if rv := cim.call(t, "Failover", failoverObject(set), failoverBody(set, "a", "b")).returnValue(); rv != "0" {
		t.Fatalf("CIM-XML Failover = %s, want 0", rv)
	}
	ws := newWSManClient(srv, "ops", "ops-password")
	ws.call(t, wsmanFailoverMsg(set, "b", "a").String())
	c, err := api.NewClient(srv.URL, "ops", "ops-password", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.Failover(context.Background(), set, "a", "b"); err != nil || res.ReturnValue != 0 {
		t.Fatalf("API Failover = %+v, %v", res, err)
	}
	if res, err := c.Failover(context.Background(), set, "a", "b"); err != nil || res.ReturnValue != 4 {
		t.Fatalf("API Failover again = %+v, %v; want refused with 4", res, err)
	}

	want := []struct {
		kind, user, protocol, from string
	}{
		{"FailoverSucceeded", "admin", "cimxml", "a"},
		{"FailoverSucceeded", "ops", "wsman", "b"},
		{"FailoverSucceeded", "ops", "api", "a"},
		{"FailoverRefused", "ops", "api", "a"},
	}
	evs, err := c.History(context.Background(), api.HistoryQuery{SetID: set, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []api.Event
	for _, e := range evs {
		if e.Failover != nil {
			got = append(got, e)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("history holds %d failover records, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if e.Kind != w.kind || e.Actor == nil || e.Actor.User != w.user || e.Actor.Protocol != w.protocol ||
			!isLoopback(e.Actor.Address) || e.Failover.From != w.from {
			t.Errorf("record %d = %s %+v from %s, want %s by %s over %s from a loopback address",
				i, e.Kind, e.Actor, e.Failover.From, w.kind, w.user, w.protocol)
		}
	}
	lines := auditLines(t, auditFile, "failover")
	if len(lines) != len(want) {
		t.Fatalf("audit file has %d failover lines, want %d: %v", len(lines), len(want), lines)
	}
	for i, w := range want {
		l := lines[i]
		outcome := map[string]string{"FailoverSucceeded": "ok", "FailoverRefused": "refused"}[w.kind]
		if l["user"] != w.user || l["protocol"] != w.protocol || !isLoopback(l["address"].(string)) ||
			l["outcome"] != outcome || l["set"] != set || l["audit"] != true {
			t.Errorf("audit line %d = %v, want %s by %s over %s, outcome %s", i, l, w.kind, w.user, w.protocol, outcome)
		}
	}
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && net.ParseIP(host).IsLoopback()
}

// auditLines reads the JSON lines of an audit file whose action is action.
func auditLines(t *testing.T, path, action string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %q is not JSON: %v", sc.Text(), err)
		}
		if m["msg"] != "audit" {
			t.Errorf("audit line without msg=audit: %s", sc.Text())
		}
		if a, _ := m["action"].(string); strings.EqualFold(a, action) {
			out = append(out, m)
		}
	}
	return out
}
