package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
)

// fakeTraffic is a status source with fixed answers per set.
type fakeTraffic struct {
	mu     sync.Mutex
	status map[string]engine.FrontendStatus
}

func (f *fakeTraffic) Status(setID string) (engine.FrontendStatus, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.status[setID]
	return st, ok
}

func drainOf(d time.Duration) *engine.Duration {
	v := engine.Duration(d)
	return &v
}

func TestSetFrontendLifecycle(t *testing.T) {
	env := newEnv(t)
	spec := SetSpec{InstanceID: "redset:fe", TypeOfSet: []uint16{4}, MinNumberNeeded: 1,
		Frontend: &Frontend{Listen: "127.0.0.1:15432", Drain: drainOf(30 * time.Second), ProxyProtocol: "v2", MaxConnections: 50}}
	created, err := env.admin.CreateSet(bg, spec)
	if err != nil {
		t.Fatalf("CreateSet: %v", err)
	}
	if diff := cmp.Diff(spec.Frontend, created.Frontend); diff != "" {
		t.Errorf("created frontend (-want +got):\n%s", diff)
	}
	if created.FrontendStatus != nil {
		t.Errorf("frontendStatus %+v without a traffic source", created.FrontendStatus)
	}
	t.Run("get and list", func(t *testing.T) {
		got := mustSet(t)(env.reader.GetSet(bg, "redset:fe"))
		if diff := cmp.Diff(spec.Frontend, got.Frontend); diff != "" {
			t.Errorf("GetSet frontend (-want +got):\n%s", diff)
		}
		list := mustSets(t)(env.reader.ListSets(bg))
		if len(list) != 1 || list[0].Frontend == nil || list[0].Frontend.Listen != "127.0.0.1:15432" {
			t.Errorf("ListSets = %+v", list)
		}
	})
	t.Run("the wire form", func(t *testing.T) {
		resp, body := env.raw(t, "GET", "/api/v1/sets/redset:fe", "", "", "reader")
		want := `"frontend":{"listen":"127.0.0.1:15432","drain":"30s","proxyProtocol":"v2","maxConnections":50}`
		if resp.StatusCode != http.StatusOK || !contains(body, want) {
			t.Errorf("GET answered %d %s, want it to hold %s", resp.StatusCode, body, want)
		}
	})
	t.Run("patch merges, null removes a field and the frontend", func(t *testing.T) {
		got, err := env.admin.PatchSet(bg, "redset:fe", map[string]any{"frontend": map[string]any{"drain": "0s", "maxConnections": nil}})
		if err != nil {
			t.Fatalf("PatchSet: %v", err)
		}
		want := &Frontend{Listen: "127.0.0.1:15432", Drain: drainOf(0), ProxyProtocol: "v2"}
		if diff := cmp.Diff(want, got.Frontend); diff != "" {
			t.Errorf("after the patch (-want +got):\n%s", diff)
		}
		got, err = env.admin.PatchSet(bg, "redset:fe", map[string]any{"frontend": map[string]any{"drain": nil}})
		if err != nil || got.Frontend == nil || got.Frontend.Drain != nil {
			t.Errorf("drain null: %+v, %v; want no drain (connections left open)", got.Frontend, err)
		}
		got, err = env.admin.PatchSet(bg, "redset:fe", map[string]any{"frontend": nil})
		if err != nil || got.Frontend != nil {
			t.Errorf("frontend null: %+v, %v; want none", got.Frontend, err)
		}
		got, err = env.admin.PatchSet(bg, "redset:fe", map[string]any{"frontend": map[string]any{"listen": "127.0.0.1:15433"}})
		if err != nil || got.Frontend == nil || *got.Frontend != (Frontend{Listen: "127.0.0.1:15433"}) {
			t.Errorf("a new frontend by patch: %+v, %v", got.Frontend, err)
		}
	})
	t.Run("replace keeps or drops it with the spec", func(t *testing.T) {
		cur := mustSet(t)(env.reader.GetSet(bg, "redset:fe"))
		next := cur.Spec()
		if next.Frontend == nil || next.Frontend.Listen != "127.0.0.1:15433" {
			t.Fatalf("Spec() lost the frontend: %+v", next.Frontend)
		}
		next.Caption = "kept"
		got := mustSet(t)(env.admin.UpdateSet(bg, "redset:fe", next))
		if got.Frontend == nil || got.Frontend.Listen != "127.0.0.1:15433" {
			t.Errorf("after a replace with the frontend: %+v", got.Frontend)
		}
		next.Frontend = nil
		if got = mustSet(t)(env.admin.UpdateSet(bg, "redset:fe", next)); got.Frontend != nil {
			t.Errorf("after a replace without it: %+v", got.Frontend)
		}
	})
}

func TestSetFrontendRefusals(t *testing.T) {
	env := newEnv(t)
	mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: "redset:a", TypeOfSet: []uint16{4}, MinNumberNeeded: 1,
		Frontend: &Frontend{Listen: "127.0.0.1:15432"}}))
	mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: "redset:b", TypeOfSet: []uint16{4}, MinNumberNeeded: 1}))
	tests := []struct {
		name   string
		body   string
		status int
		typ    string
		field  string
	}{
		{"listen not host:port", `{"frontend": {"listen": "nowhere"}}`, 400, ProblemValidation, "frontend.listen"},
		{"mode", `{"frontend": {"listen": "127.0.0.1:1", "mode": "udp"}}`, 400, ProblemValidation, "frontend.mode"},
		{"proxy protocol", `{"frontend": {"listen": "127.0.0.1:1", "proxyProtocol": "v1"}}`, 400, ProblemValidation, "frontend.proxyProtocol"},
		{"drain too long", `{"frontend": {"listen": "127.0.0.1:1", "drain": "25h"}}`, 400, ProblemValidation, "frontend.drain"},
		{"drain not a duration", `{"frontend": {"listen": "127.0.0.1:1", "drain": 30}}`, 400, ProblemMalformed, "frontend.drain"},
		{"unknown field", `{"frontend": {"listen": "127.0.0.1:1", "drian": "1s"}}`, 400, ProblemMalformed, "drian"},
		{"passive failures", `{"frontend": {"listen": "127.0.0.1:1", "passiveFailures": -1}}`, 400, ProblemValidation, "frontend.passiveFailures"},
		{"another set's listen address", `{"frontend": {"listen": "127.0.0.1:15432"}}`, 409, ProblemInUse, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.raw(t, "PATCH", "/api/v1/sets/redset:b", mediaMergePatch, tt.body, "admin")
			p := decodeProblem(t, resp, body)
			if resp.StatusCode != tt.status || p.Type != tt.typ || p.Field != tt.field {
				t.Errorf("answer %d %s field %q (%s), want %d %s field %q", resp.StatusCode, p.Type, p.Field, p.Detail, tt.status, tt.typ, tt.field)
			}
		})
	}
	if got := mustSet(t)(env.reader.GetSet(bg, "redset:b")); got.Frontend != nil {
		t.Errorf("a refused change left a frontend: %+v", got.Frontend)
	}
	t.Run("create on a taken address", func(t *testing.T) {
		_, err := env.admin.CreateSet(bg, SetSpec{InstanceID: "redset:c", TypeOfSet: []uint16{4}, MinNumberNeeded: 1,
			Frontend: &Frontend{Listen: "127.0.0.1:15432"}})
		wantProblem(t, err, http.StatusConflict, ProblemInUse)
	})
	t.Run("an operator may not write it", func(t *testing.T) {
		_, err := env.operator.PatchSet(bg, "redset:b", map[string]any{"frontend": map[string]any{"listen": "127.0.0.1:1"}})
		wantProblem(t, err, http.StatusForbidden, ProblemForbidden)
	})
}

func TestFrontendStatusFromTheTrafficSource(t *testing.T) {
	status := engine.FrontendStatus{Listen: "127.0.0.1:0", Address: "127.0.0.1:40001", Open: 3, Refused: 1,
		Members: []engine.MemberTraffic{{Name: "web-a", Address: "127.0.0.1:7001", Open: 3, Total: 10, DialErrors: 2, BytesIn: 5, BytesOut: 7}}}
	traffic := &fakeTraffic{status: map[string]engine.FrontendStatus{"redset:web": status}}
	env := newEnv(t, func(o *Options) { o.Traffic = traffic })
	env.sparingSet(t)
	mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: "redset:quiet", TypeOfSet: []uint16{4}, MinNumberNeeded: 1}))
	patched, err := env.admin.PatchSet(bg, "redset:web", map[string]any{"frontend": map[string]any{"listen": "127.0.0.1:0"}})
	if err != nil {
		t.Fatalf("PatchSet: %v", err)
	}
	if diff := cmp.Diff(&status, patched.FrontendStatus); diff != "" {
		t.Errorf("the PATCH answer's frontendStatus (-want +got):\n%s", diff)
	}
	got := mustSet(t)(env.reader.GetSet(bg, "redset:web"))
	if diff := cmp.Diff(&status, got.FrontendStatus); diff != "" {
		t.Errorf("GetSet frontendStatus (-want +got):\n%s", diff)
	}
	list := mustSets(t)(env.reader.ListSets(bg))
	byID := map[string]*FrontendStatus{}
	for _, s := range list {
		byID[s.InstanceID] = s.FrontendStatus
	}
	if byID["redset:web"] == nil || byID["redset:web"].Address != "127.0.0.1:40001" || byID["redset:quiet"] != nil {
		t.Errorf("ListSets frontendStatus: web %+v, quiet %+v; want web's and none", byID["redset:web"], byID["redset:quiet"])
	}
	sets, err := Sets(env.eng, traffic)
	if err != nil || len(sets) != 2 || sets[1].FrontendStatus == nil || sets[1].FrontendStatus.Open != 3 {
		t.Errorf("Sets with traffic = %+v, %v", sets, err)
	}
}

func TestMemberAddress(t *testing.T) {
	env := newEnv(t)
	created, err := env.admin.CreateMember(bg, MemberSpec{Name: "a", Address: "127.0.0.1:7001",
		Probe: Probe{Type: engine.ProbeTCP, Address: "127.0.0.1:9001"}})
	if err != nil {
		t.Fatalf("CreateMember: %v", err)
	}
	if created.Address != "127.0.0.1:7001" || created.TrafficAddress != "127.0.0.1:7001" {
		t.Errorf("created: address %q traffic %q", created.Address, created.TrafficAddress)
	}
	got, err := env.admin.PutMember(bg, MemberSpec{Name: "a", Probe: Probe{Type: engine.ProbeHTTP, URL: "https://db.example/health"}})
	if err != nil {
		t.Fatalf("PutMember: %v", err)
	}
	if got.Address != "" || got.TrafficAddress != "db.example:443" {
		t.Errorf("without an address: address %q traffic %q; want the probe's host and port", got.Address, got.TrafficAddress)
	}
	resp, body := env.raw(t, "GET", "/api/v1/members/a", "", "", "reader")
	if resp.StatusCode != http.StatusOK || !contains(body, `"address":"","trafficAddress":"db.example:443"`) {
		t.Errorf("GET answered %d %s", resp.StatusCode, body)
	}
	_, err = env.admin.PutMember(bg, MemberSpec{Name: "a", Address: "nowhere"})
	p := wantProblem(t, err, http.StatusBadRequest, ProblemValidation)
	if p.Field != "address" {
		t.Errorf("problem field %q, want address", p.Field)
	}
	resp, body = env.raw(t, "PUT", "/api/v1/members/a", mediaJSON, `{"trafficAddress": "h:1"}`, "admin")
	if p := decodeProblem(t, resp, body); resp.StatusCode != http.StatusBadRequest || p.Rule != "is read-only (computed by the server)" {
		t.Errorf("writing trafficAddress: %d %+v", resp.StatusCode, p)
	}
	if spec := MemberSpecOf(engine.Member{Name: "x", Address: "h:1"}); spec.Address != "h:1" {
		t.Errorf("MemberSpecOf lost the address: %+v", spec)
	}
}

func contains(body []byte, s string) bool { return strings.Contains(string(body), s) }
