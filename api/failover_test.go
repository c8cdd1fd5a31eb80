package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestFailoverPlanned(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	res, err := env.operator.Failover(bg, "redset:web", "web-a", "web-b")
	if err != nil {
		t.Fatalf("Failover: %v", err)
	}
	want := FailoverResult{
		ReturnValue: 0, ReturnValueText: "Completed with No Error", Completed: true,
		SetID: "redset:web", From: "web-a", To: "web-b",
	}
	if diff := cmp.Diff(want, res, cmpopts.IgnoreFields(FailoverResult{}, "Seq", "Revision", "DurationSeconds")); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if res.Seq == 0 || res.Revision == 0 {
		t.Errorf("completed failover without seq/revision: %+v", res)
	}
	s := mustSet(t)(env.reader.GetSet(bg, "redset:web"))
	roles := map[string]string{}
	for _, m := range s.Members {
		roles[m.Name] = m.Role
	}
	if diff := cmp.Diff(map[string]string{"web-a": RoleSpare, "web-b": RoleInService}, roles); diff != "" {
		t.Errorf("roles after failover (-want +got):\n%s", diff)
	}
}

func TestFailoverRefused(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	mustMember(t)(env.admin.CreateMember(bg, MemberSpec{Name: "web-c"}))
	before := mustSet(t)(env.admin.PutSetMember(bg, "redset:web", "web-c", RoleSpec{Role: RoleSpare}))
	tests := []struct {
		name     string
		set      string
		from, to string
		code     uint32
		reason   string
	}{
		{"target not operational", "redset:web", "web-a", "web-c", 4, "not operational"},
		{"from is a spare", "redset:web", "web-b", "web-a", 4, "not in service"},
		{"same member", "redset:web", "web-a", "web-a", 4, "same member"},
		{"missing to", "redset:web", "web-a", "", 4, "FailoverTo is missing"},
		{"unknown member", "redset:web", "web-a", "ghost", 4, "not a known member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := env.operator.Failover(bg, tt.set, tt.from, tt.to)
			if err != nil {
				t.Fatalf("Failover: %v", err)
			}
			if res.ReturnValue != tt.code || res.Completed || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("got %d %q (completed %v), want %d with reason containing %q", res.ReturnValue, res.Reason, res.Completed, tt.code, tt.reason)
			}
			if res.ReturnValueText != ReturnValueText(tt.code) {
				t.Errorf("returnValueText = %q", res.ReturnValueText)
			}
		})
	}
	after := mustSet(t)(env.reader.GetSet(bg, "redset:web"))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("refused failovers changed the set (-before +after):\n%s", diff)
	}
}

func TestFailoverNotSupported(t *testing.T) {
	env := newEnv(t)
	mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: "redset:other", TypeOfSet: []uint16{1}, OtherTypeOfSet: []string{"custom"}}))
	for _, n := range []string{"o-1", "o-2"} {
		mustMember(t)(env.admin.CreateMember(bg, MemberSpec{Name: n}))
		mustMember(t)(env.operator.ReportHealth(bg, n, HealthReport{State: "OK"}))
	}
	mustSet(t)(env.admin.PutSetMember(bg, "redset:other", "o-1", RoleSpec{Role: RoleInService}))
	mustSet(t)(env.admin.PutSetMember(bg, "redset:other", "o-2", RoleSpec{Role: RoleSpare}))
	res, err := env.operator.Failover(bg, "redset:other", "o-1", "o-2")
	if err != nil || res.ReturnValue != 1 || res.Reason == "" {
		t.Errorf("Failover in an Other set = %+v, %v; want return value 1 with reason", res, err)
	}
}

func TestDrainAndEnable(t *testing.T) {
	env := newEnv(t)
	env.nPlus1Set(t)
	res, err := env.operator.Failover(bg, "redset:db", "db-1", "db-2")
	if err != nil || res.ReturnValue != 0 {
		t.Fatalf("Failover in N+1 = %+v, %v; want 0", res, err)
	}
	s := mustSet(t)(env.reader.GetSet(bg, "redset:db"))
	if got := findMember(t, s, "db-1").Role; got != RoleDrained {
		t.Fatalf("db-1 role after failover = %s, want drained", got)
	}
	_, err = env.reader.EnableMember(bg, "redset:db", "db-1")
	wantProblem(t, err, http.StatusForbidden, ProblemForbidden)
	s, err = env.operator.EnableMember(bg, "redset:db", "db-1")
	if err != nil {
		t.Fatalf("EnableMember: %v", err)
	}
	if got := findMember(t, s, "db-1").Role; got != RoleInService {
		t.Errorf("db-1 role after enable = %s, want inService", got)
	}
	_, err = env.operator.EnableMember(bg, "redset:db", "db-1")
	p := wantProblem(t, err, http.StatusBadRequest, ProblemValidation)
	if p.Field != "role" {
		t.Errorf("enabling a member in service: field %q, want role", p.Field)
	}
}

func TestFailoverMalformed(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	tests := []struct {
		name, body string
		field      string
	}{
		{"not json", `from=web-a`, ""},
		{"unknown field", `{"from":"web-a","to":"web-b","force":true}`, "force"},
		{"wrong type", `{"from":1,"to":"web-b"}`, "from"},
		{"two objects", `{"from":"web-a","to":"web-b"}{}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.raw(t, "POST", "/api/v1/sets/redset:web/failover", "application/json", tt.body, "operator")
			p := decodeProblem(t, resp, body)
			if p.Status != 400 || p.Type != ProblemMalformed || p.Field != tt.field {
				t.Errorf("got %+v, want 400 malformed on field %q", p, tt.field)
			}
		})
	}
	s := mustSet(t)(env.reader.GetSet(bg, "redset:web"))
	if findMember(t, s, "web-a").Role != RoleInService {
		t.Errorf("a malformed request failed over")
	}
}

func TestFailoverOfMissingSetIsNotFound(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	_, err := env.operator.Failover(bg, "redset:none", "web-a", "web-b")
	wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
	evs, err := env.reader.History(bg, HistoryQuery{Limit: MaxHistoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.SetID == "redset:none" {
			t.Errorf("history holds %+v", e)
		}
	}
}
