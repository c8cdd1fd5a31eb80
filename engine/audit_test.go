package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"github.com/redset/redset/event"
)

// syncBuffer is a bytes.Buffer safe for the audit logger's writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines decodes the JSON lines written so far.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(s.b.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("audit line %s: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// Every record names the actor of the context it was made in; records the
// engine makes by itself name the engine. The audit stream shows changes,
// failover outcomes and refused changes with actor and outcome.
func TestActorsAndAudit(t *testing.T) {
	var audit syncBuffer
	h := newHarness(t, func(o *Options) { o.Audit = slog.New(slog.NewJSONHandler(&audit, nil)) })
	alice := Actor{User: "alice", Address: "192.0.2.7:4000", Protocol: ProtocolAPI}
	ctx := WithActor(context.Background(), alice)
	if _, err := h.e.CreateSet(ctx, sparingSet("redset:web", 1)); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := h.e.PutMember(ctx, Member{Name: n, Probe: Probe{Rise: 1, Fall: 1}}); err != nil {
			t.Fatal(err)
		}
		h.report(n, HealthOK)
	}
	if _, err := h.e.AddToSet(ctx, "redset:web", "a", inService); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.AddToSet(ctx, "redset:web", "b", spare(SpareHot, FailoverBoth, 0)); err != nil {
		t.Fatal(err)
	}
	if res := h.e.Failover(ctx, "redset:web", "a", "b"); res.Code != 0 {
		t.Fatalf("Failover = %+v", res)
	}
	if _, err := h.e.AddToSet(ctx, "redset:web", "a", inService); err == nil { // already in: refused
		t.Fatal("adding a member twice succeeded")
	}
	h.report("b", HealthFailed) // automatic failover back to a, by the engine
	h.settle()

	hist, err := h.e.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	engineActor := Actor{Protocol: ProtocolEngine}
	for _, r := range hist {
		want := alice
		switch {
		case r.Kind == event.KindHealthChanged, r.Kind == event.KindStatusChanged,
			r.Failover != nil && !r.Failover.Planned:
			want = engineActor
		}
		if r.Actor == nil || *r.Actor != want {
			t.Errorf("%v: actor %+v, want %+v", r, r.Actor, want)
		}
	}
	var actions []string
	for _, l := range audit.lines(t) {
		if l["audit"] != true || l["msg"] != "audit" {
			t.Errorf("audit line without audit=true: %v", l)
		}
		actions = append(actions, l["action"].(string)+"/"+l["outcome"].(string)+"/"+l["protocol"].(string))
	}
	want := []string{"set created/ok/api", "member created/ok/api", "member created/ok/api",
		"member added/ok/api", "member added/ok/api", "failover/ok/api", "member added/refused/api",
		"automatic failover/ok/engine"}
	if !equalStrings(actions, want) {
		t.Errorf("audit actions:\n got %q\nwant %q", actions, want)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// With the audit stream in the main log (the default), a refused failover
// is one line at info level: its audit entry.
func TestRefusalLoggedOnce(t *testing.T) {
	var out syncBuffer
	h := newHarness(t, func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(&out, nil)) })
	h.set(sparingSet("redset:web", 1))
	h.member("a")
	h.report("a", HealthOK)
	h.add("redset:web", "a", inService)
	if res := h.e.Failover(context.Background(), "redset:web", "a", "a"); res.Code == CodeCompleted {
		t.Fatalf("a failover from a member to itself completed: %+v", res)
	}
	var refusals []map[string]any
	for _, l := range out.lines(t) {
		if l["code"] != nil {
			refusals = append(refusals, l)
		}
	}
	if len(refusals) != 1 || refusals[0]["msg"] != "audit" {
		t.Errorf("lines about the refused failover: %v, want one audit line", refusals)
	}
}

// TestCompletedFailoverLoggedOnce: a completed failover is one info line
// of the main log, its audit entry; the engine's own line is at debug.
func TestCompletedFailoverLoggedOnce(t *testing.T) {
	var out syncBuffer
	h := newHarness(t, func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(&out, nil)) })
	h.set(sparingSet("redset:web", 1))
	h.member("a")
	h.member("b")
	h.report("a", HealthOK)
	h.report("b", HealthOK)
	h.add("redset:web", "a", inService)
	h.add("redset:web", "b", spare(SpareHot, FailoverBoth, 0))
	if res := h.e.Failover(context.Background(), "redset:web", "a", "b"); res.Code != CodeCompleted {
		t.Fatalf("failover: %+v", res)
	}
	var lines []map[string]any
	for _, l := range out.lines(t) {
		if l["from"] == "a" && l["to"] == "b" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || lines[0]["msg"] != "audit" {
		t.Errorf("lines about the failover: %v, want one audit line", lines)
	}
}
