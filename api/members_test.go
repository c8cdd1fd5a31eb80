package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redset/redset/engine"
)

func TestMemberLifecycle(t *testing.T) {
	env := newEnv(t)
	spec := MemberSpec{
		Name: "m1", DisplayName: "Member one", Labels: map[string]string{"zone": "a"},
		Probe: Probe{Type: "tcp", Address: "127.0.0.1:80", Interval: engine.Duration(2 * time.Second),
			Timeout: engine.Duration(500 * time.Millisecond), Rise: 2, Fall: 3, TTL: engine.Duration(30 * time.Second)},
	}
	created, err := env.admin.CreateMember(bg, spec)
	if err != nil {
		t.Fatalf("CreateMember: %v", err)
	}
	want := Member{
		Name: "m1", DisplayName: "Member one", Labels: map[string]string{"zone": "a"}, Probe: spec.Probe,
		TrafficAddress: "127.0.0.1:80", Health: Health{State: "Unknown"}, Sets: []string{},
	}
	if diff := cmp.Diff(want, created, cmpopts.IgnoreFields(Member{}, "Revision")); diff != "" {
		t.Errorf("created member (-want +got):\n%s", diff)
	}
	t.Run("create again conflicts", func(t *testing.T) {
		_, err := env.admin.CreateMember(bg, spec)
		wantProblem(t, err, http.StatusConflict, ProblemExists)
	})
	t.Run("put replaces", func(t *testing.T) {
		got, err := env.admin.PutMember(bg, MemberSpec{Name: "m1", DisplayName: "renamed"})
		if err != nil {
			t.Fatalf("PutMember: %v", err)
		}
		if got.DisplayName != "renamed" || got.Probe.Type != "" || len(got.Labels) != 0 {
			t.Errorf("after put: %+v, want only the new definition", got)
		}
	})
	t.Run("get and list", func(t *testing.T) {
		mustMember(t)(env.admin.PutMember(bg, MemberSpec{Name: "m0"}))
		got := mustMember(t)(env.reader.GetMember(bg, "m1"))
		list, err := env.reader.ListMembers(bg)
		if err != nil {
			t.Fatalf("ListMembers: %v", err)
		}
		if len(list) != 2 || list[0].Name != "m0" || list[1].DisplayName != got.DisplayName {
			t.Errorf("ListMembers = %+v, want m0 then m1", list)
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := env.admin.DeleteMember(bg, "m1"); err != nil {
			t.Fatalf("DeleteMember: %v", err)
		}
		_, err := env.reader.GetMember(bg, "m1")
		wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
	})
}

func TestMemberRefusals(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	tests := []struct {
		name   string
		call   func() error
		status int
		typ    string
		field  string
	}{
		{"empty name", func() error { _, err := env.admin.CreateMember(bg, MemberSpec{}); return err }, 400, ProblemValidation, "name"},
		{"spaces around name", func() error { _, err := env.admin.CreateMember(bg, MemberSpec{Name: " x "}); return err }, 400, ProblemValidation, "name"},
		{"negative rise", func() error {
			_, err := env.admin.CreateMember(bg, MemberSpec{Name: "x", Probe: Probe{Rise: -1}})
			return err
		}, 400, ProblemValidation, "probe.rise"},
		{"negative interval", func() error {
			_, err := env.admin.CreateMember(bg, MemberSpec{Name: "x", Probe: Probe{Interval: -1}})
			return err
		}, 400, ProblemValidation, "probe.interval"},
		{"delete member in a set", func() error { return env.admin.DeleteMember(bg, "web-a") }, 409, ProblemInUse, ""},
		{"delete unknown", func() error { return env.admin.DeleteMember(bg, "nope") }, 404, ProblemNotFound, ""},
		{"create by operator", func() error { _, err := env.operator.CreateMember(bg, MemberSpec{Name: "x"}); return err }, 403, ProblemForbidden, ""},
		{"put by reader", func() error { _, err := env.reader.PutMember(bg, MemberSpec{Name: "x"}); return err }, 403, ProblemForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wantProblem(t, tt.call(), tt.status, tt.typ)
			if p.Field != tt.field {
				t.Errorf("field = %q, want %q (%s)", p.Field, tt.field, p.Detail)
			}
		})
	}
	if _, err := env.reader.GetMember(bg, "x"); problemOfErr(err) == nil || problemOfErr(err).Status != 404 {
		t.Errorf("a refused create left member x behind (err %v)", err)
	}
}

func TestPutMemberNameMismatch(t *testing.T) {
	env := newEnv(t)
	resp, body := env.raw(t, "PUT", "/api/v1/members/a", "application/json", `{"name":"b"}`, "admin")
	p := decodeProblem(t, resp, body)
	if resp.StatusCode != 400 || p.Field != "name" {
		t.Errorf("got %d %+v, want 400 on field name", resp.StatusCode, p)
	}
}

func TestRoles(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	mustMember(t)(env.admin.CreateMember(bg, MemberSpec{Name: "web-c"}))

	s := mustSet(t)(env.admin.PutSetMember(bg, "redset:web", "web-c", RoleSpec{Role: RoleSpare, SpareStatus: 3, FailoverSupported: 3, Priority: 7}))
	want := SetMember{Name: "web-c", Role: RoleSpare, SpareStatus: 3, FailoverSupported: 3, Priority: 7, Health: Health{State: "Unknown"}}
	if diff := cmp.Diff(want, findMember(t, s, "web-c")); diff != "" {
		t.Errorf("spare with settings (-want +got):\n%s", diff)
	}
	b := findMember(t, s, "web-b")
	if b.Role != RoleSpare || b.SpareStatus != 2 || b.FailoverSupported != 4 {
		t.Errorf("default spare web-b = %+v, want hot standby, failover both", b)
	}
	t.Run("same role again changes nothing", func(t *testing.T) {
		again := mustSet(t)(env.admin.PutSetMember(bg, "redset:web", "web-b", RoleSpec{Role: RoleSpare}))
		if again.Revision != s.Revision {
			t.Errorf("revision %d -> %d, want unchanged", s.Revision, again.Revision)
		}
	})
	t.Run("remove", func(t *testing.T) {
		got := mustSet(t)(env.admin.RemoveSetMember(bg, "redset:web", "web-c"))
		if len(got.Members) != 2 {
			t.Errorf("after remove: %d members, want 2", len(got.Members))
		}
		_, err := env.admin.RemoveSetMember(bg, "redset:web", "web-c")
		wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
		m := mustMember(t)(env.reader.GetMember(bg, "web-a"))
		if diff := cmp.Diff([]string{"redset:web"}, m.Sets); diff != "" {
			t.Errorf("web-a sets (-want +got):\n%s", diff)
		}
	})
	t.Run("full set refuses", func(t *testing.T) {
		spec := mustSet(t)(env.reader.GetSet(bg, "redset:web")).Spec()
		spec.MaxNumberSupported = 2
		mustSet(t)(env.admin.UpdateSet(bg, "redset:web", spec))
		_, err := env.admin.PutSetMember(bg, "redset:web", "web-c", RoleSpec{Role: RoleSpare})
		p := wantProblem(t, err, http.StatusBadRequest, ProblemValidation)
		if p.Field != "maxNumberSupported" {
			t.Errorf("field = %q, want maxNumberSupported", p.Field)
		}
	})
}

func TestRoleRefusals(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	mustMember(t)(env.admin.CreateMember(bg, MemberSpec{Name: "web-c"}))
	refusals := []struct {
		name   string
		set    string
		member string
		role   RoleSpec
		status int
		field  string
	}{
		{"different role conflicts", "redset:web", "web-b", RoleSpec{Role: RoleInService}, 409, ""},
		{"unknown role", "redset:web", "web-c", RoleSpec{Role: "boss"}, 400, "role"},
		{"bad spare status", "redset:web", "web-x", RoleSpec{Role: RoleSpare, SpareStatus: 9}, 400, "spareStatus"},
		{"unknown member", "redset:web", "web-x", RoleSpec{Role: RoleSpare}, 404, ""},
		{"unknown set", "redset:none", "web-c", RoleSpec{Role: RoleSpare}, 404, ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.admin.PutSetMember(bg, tt.set, tt.member, tt.role)
			p := problemOfErr(err)
			if p == nil || p.Status != tt.status || p.Field != tt.field {
				t.Fatalf("got %v (%+v), want status %d field %q", err, p, tt.status, tt.field)
			}
		})
	}
}

func findMember(t *testing.T, s Set, name string) SetMember {
	t.Helper()
	for _, m := range s.Members {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("set %s has no member %s: %+v", s.InstanceID, name, s.Members)
	return SetMember{}
}

func TestReportHealth(t *testing.T) {
	env := newEnv(t)
	mustMember(t)(env.admin.CreateMember(bg, MemberSpec{Name: "h"}))
	got, err := env.operator.ReportHealth(bg, "h", HealthReport{State: "Degraded", Source: "agent", Detail: "slow", TTLSeconds: 60, LatencySeconds: 0.25})
	if err != nil {
		t.Fatalf("ReportHealth: %v", err)
	}
	if got.Health.State != "Degraded" || got.Health.Source != "agent" || got.Health.LatencySeconds != 0.25 || got.Health.Expires.IsZero() {
		t.Errorf("health after report = %+v, want Degraded from agent with latency and expiry", got.Health)
	}
	refusals := []struct {
		name   string
		client *Client
		member string
		report HealthReport
		status int
		field  string
	}{
		{"unknown state", env.operator, "h", HealthReport{State: "Unknown"}, 400, "state"},
		{"lower case state", env.operator, "h", HealthReport{State: "ok"}, 400, "state"},
		{"negative ttl", env.operator, "h", HealthReport{State: "OK", TTLSeconds: -1}, 400, "ttlSeconds"},
		{"huge ttl", env.operator, "h", HealthReport{State: "OK", TTLSeconds: 1e12}, 400, "ttlSeconds"},
		{"unknown member", env.operator, "nope", HealthReport{State: "OK"}, 404, ""},
		{"reader", env.reader, "h", HealthReport{State: "OK"}, 403, ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.ReportHealth(bg, tt.member, tt.report)
			p := problemOfErr(err)
			if p == nil || p.Status != tt.status || p.Field != tt.field {
				t.Fatalf("got %v (%+v), want status %d field %q", err, p, tt.status, tt.field)
			}
		})
	}
	after := mustMember(t)(env.reader.GetMember(bg, "h"))
	if after.Health.State != "Degraded" {
		t.Errorf("refused reports changed the health to %s", after.Health.State)
	}
}

// The probe's wire shape: typed fields, durations as Go duration strings,
// the command as a list. What does not fit is a problem naming the field,
// and nothing is stored.
func TestProbeWireShape(t *testing.T) {
	env := newEnv(t)
	tests := []struct {
		name, body, field, rule string
	}{
		{"command as a string", `{"probe":{"type":"exec","command":"true"}}`, "probe.command", "must be an array"},
		{"duration as a number", `{"probe":{"type":"tcp","address":"h:1","interval":5}}`, "probe.interval", "duration string"},
		{"duration that does not parse", `{"probe":{"type":"tcp","address":"h:1","timeout":"5 sec"}}`, "probe.timeout", "duration string"},
		{"headers as a string", `{"probe":{"type":"http","url":"http://h/","headers":"{\"a\":\"b\"}"}}`, "probe.headers", "must be an object"},
		{"the old kind", `{"probe":{"kind":"tcp","target":"h:1"}}`, "kind", "now writes it as type"},
		{"the old params", `{"probe":{"type":"http","params":{"expect":"200"}}}`, "params", "the type's own fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, req := range []struct{ method, path string }{{"POST", "/api/v1/members"}, {"PUT", "/api/v1/members/x"}} {
				body := tc.body[:1] + `"name":"x",` + tc.body[1:]
				resp, raw := env.raw(t, req.method, req.path, "application/json", body, "admin")
				p := decodeProblem(t, resp, raw)
				if resp.StatusCode != 400 || p.Field != tc.field || !strings.Contains(p.Rule, tc.rule) {
					t.Errorf("%s %s = %d field %q rule %q, want 400 on %s saying %q", req.method, req.path,
						resp.StatusCode, p.Field, p.Rule, tc.field, tc.rule)
				}
			}
			if _, err := env.reader.GetMember(bg, "x"); problemOfErr(err) == nil || problemOfErr(err).Status != 404 {
				t.Errorf("a refused probe left member x behind (err %v)", err)
			}
		})
	}
	t.Run("round trip", func(t *testing.T) {
		in := `{"name":"rt","probe":{"type":"http","url":"https://h/health","expect":"200-299","bodyMatch":"ok",` +
			`"bodyRegexp":"^ok","headers":{"X-A":"1"},"caFile":"/ca.pem","interval":"1.5s","timeout":"500ms","ttl":"1m0s","rise":2,"fall":3}}`
		resp, _ := env.raw(t, "PUT", "/api/v1/members/rt", "application/json", in, "admin")
		if resp.StatusCode != 200 {
			t.Fatalf("PUT = %d", resp.StatusCode)
		}
		resp, raw := env.raw(t, "GET", "/api/v1/members/rt", "", "", "admin")
		var got struct {
			Probe json.RawMessage `json:"probe"`
		}
		if err := json.Unmarshal(raw, &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET = %d %s (%v)", resp.StatusCode, raw, err)
		}
		_, wantProbe, _ := strings.Cut(in, `"probe":`)
		if string(got.Probe) != strings.TrimSuffix(wantProbe, "}") {
			t.Errorf("probe read back\n got %s\nwant %s", got.Probe, strings.TrimSuffix(wantProbe, "}"))
		}
	})
}
