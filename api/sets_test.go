package api

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func u16p(v uint16) *uint16 { return &v }

func TestSetLifecycle(t *testing.T) {
	env := newEnv(t)
	spec := SetSpec{
		InstanceID: "redset:lb", Caption: "front", Description: "the front end", ElementName: "lb",
		TypeOfSet: []uint16{3}, MinNumberNeeded: 2, MaxNumberSupported: 4, VendorIdentifyingInfo: "redset",
		LoadBalanceAlgorithm: u16p(3), Policy: &Policy{MaxFailovers: 5, PeriodSeconds: 60, AutoReturn: true},
	}
	created, err := env.admin.CreateSet(bg, spec)
	if err != nil {
		t.Fatalf("CreateSet: %v", err)
	}
	want := Set{
		InstanceID: "redset:lb", Caption: "front", Description: "the front end", ElementName: "lb",
		RedundancyStatus: 5, RedundancyStatusText: "Overall Failure", TypeOfSet: []uint16{3}, OtherTypeOfSet: []string{""},
		MinNumberNeeded: 2, MaxNumberSupported: 4, VendorIdentifyingInfo: "redset", LoadBalanceAlgorithm: 3,
		Policy: Policy{MaxFailovers: 5, PeriodSeconds: 60, AutoReturn: true}, Members: []SetMember{},
	}
	ignoreRev := cmpopts.IgnoreFields(Set{}, "Revision")
	if diff := cmp.Diff(want, created, ignoreRev); diff != "" {
		t.Errorf("created set (-want +got):\n%s", diff)
	}
	t.Run("get", func(t *testing.T) {
		got, err := env.reader.GetSet(bg, "redset:lb")
		if err != nil {
			t.Fatalf("GetSet: %v", err)
		}
		if diff := cmp.Diff(created, got); diff != "" {
			t.Errorf("GetSet (-created +got):\n%s", diff)
		}
	})
	t.Run("replace", func(t *testing.T) {
		next := created.Spec()
		next.Caption, next.Policy = "renamed", nil
		got, err := env.admin.UpdateSet(bg, "redset:lb", next)
		if err != nil {
			t.Fatalf("UpdateSet: %v", err)
		}
		if got.Caption != "renamed" || got.Policy.MaxFailovers != 3 || got.Policy.PeriodSeconds != 3600 {
			t.Errorf("after replace: caption %q policy %+v, want renamed with default policy", got.Caption, got.Policy)
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := env.admin.DeleteSet(bg, "redset:lb"); err != nil {
			t.Fatalf("DeleteSet: %v", err)
		}
		_, err := env.reader.GetSet(bg, "redset:lb")
		wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
		err = env.admin.DeleteSet(bg, "redset:lb")
		wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
	})
}

func TestListSets(t *testing.T) {
	env := newEnv(t)
	for _, id := range []string{"redset:lb", "redset:another"} {
		mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: id}))
	}
	list, err := env.reader.ListSets(bg)
	if err != nil {
		t.Fatalf("ListSets: %v", err)
	}
	var ids []string
	for _, s := range list {
		ids = append(ids, s.InstanceID)
	}
	if diff := cmp.Diff([]string{"redset:another", "redset:lb"}, ids); diff != "" {
		t.Errorf("ListSets ids (-want +got):\n%s", diff)
	}
}

func TestCreateSetRefusals(t *testing.T) {
	env := newEnv(t)
	mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: "redset:taken"}))
	long := "0123456789012345678901234567890123456789012345678901234567890123456789"
	tests := []struct {
		name       string
		spec       SetSpec
		status     int
		typ, field string
	}{
		{"exists", SetSpec{InstanceID: "redset:taken"}, 409, ProblemExists, ""},
		{"empty org id", SetSpec{InstanceID: ":local"}, 400, ProblemValidation, "instanceID"},
		{"empty local id", SetSpec{InstanceID: "redset:"}, 400, ProblemValidation, "instanceID"},
		{"caption too long", SetSpec{InstanceID: "redset:x", Caption: long}, 400, ProblemValidation, "caption"},
		{"reserved type", SetSpec{InstanceID: "redset:x", TypeOfSet: []uint16{2, 7}}, 400, ProblemValidation, "typeOfSet[1]"},
		{"other type undescribed", SetSpec{InstanceID: "redset:x", TypeOfSet: []uint16{1}}, 400, ProblemValidation, "otherTypeOfSet[0]"},
		{"bad algorithm", SetSpec{InstanceID: "redset:x", LoadBalanceAlgorithm: u16p(8)}, 400, ProblemValidation, "loadBalanceAlgorithm"},
		{"other algorithm undescribed", SetSpec{InstanceID: "redset:x", LoadBalanceAlgorithm: u16p(1)}, 400, ProblemValidation, "otherLoadBalanceAlgorithm"},
		{"limited sparing with N", SetSpec{InstanceID: "redset:x", TypeOfSet: []uint16{5}, MinNumberNeeded: 1}, 400, ProblemValidation, "minNumberNeeded"},
		{"negative period", SetSpec{InstanceID: "redset:x", Policy: &Policy{PeriodSeconds: -1}}, 400, ProblemValidation, "policy.periodSeconds"},
		{"negative max failovers", SetSpec{InstanceID: "redset:x", Policy: &Policy{MaxFailovers: -1}}, 400, ProblemValidation, "policy.maxFailovers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.admin.CreateSet(bg, tt.spec)
			p := wantProblem(t, err, tt.status, tt.typ)
			if p.Field != tt.field {
				t.Errorf("field = %q, want %q (detail %q)", p.Field, tt.field, p.Detail)
			}
			if tt.field != "" && p.Rule == "" {
				t.Errorf("validation problem without rule: %+v", p)
			}
		})
	}
	list, err := env.admin.ListSets(bg)
	if err != nil || len(list) != 1 {
		t.Errorf("after refused creates: %d sets (err %v), want only the first", len(list), err)
	}
}

func TestReplaceSetRefusals(t *testing.T) {
	env := newEnv(t)
	before := env.sparingSet(t)
	tests := []struct {
		name   string
		id     string
		spec   SetSpec
		status int
		field  string
	}{
		{"other instance id", "redset:web", SetSpec{InstanceID: "redset:other", TypeOfSet: []uint16{4}}, 400, "instanceID"},
		{"max below members", "redset:web", SetSpec{TypeOfSet: []uint16{4}, MinNumberNeeded: 1, MaxNumberSupported: 1}, 400, "maxNumberSupported"},
		{"unknown set", "redset:nope", SetSpec{}, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.admin.UpdateSet(bg, tt.id, tt.spec)
			p := problemOfErr(err)
			if p == nil || p.Status != tt.status || p.Field != tt.field {
				t.Fatalf("got %v (%+v), want status %d field %q", err, p, tt.status, tt.field)
			}
		})
	}
	after := mustSet(t)(env.reader.GetSet(bg, "redset:web"))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("refused replaces changed the set (-before +after):\n%s", diff)
	}
}

func TestPatchSet(t *testing.T) {
	env := newEnv(t)
	mustSet(t)(env.admin.CreateSet(bg, SetSpec{
		InstanceID: "redset:p", Caption: "c", Description: "d", TypeOfSet: []uint16{3}, MinNumberNeeded: 1,
		LoadBalanceAlgorithm: u16p(1), OtherLoadBalanceAlgorithm: "custom", Policy: &Policy{MaxFailovers: 7},
	}))
	tests := []struct {
		name   string
		client *Client
		patch  map[string]any
		check  func(Set) string
	}{
		{"caption by admin", env.admin, map[string]any{"caption": "new"}, func(s Set) string {
			return cmp.Diff([]string{"new", "d", "custom"}, []string{s.Caption, s.Description, s.OtherLoadBalanceAlgorithm})
		}},
		{"null resets", env.admin, map[string]any{"description": nil}, func(s Set) string {
			return cmp.Diff("", s.Description)
		}},
		{"policy merges", env.admin, map[string]any{"policy": map[string]any{"autoReturn": true}}, func(s Set) string {
			return cmp.Diff(Policy{MaxFailovers: 7, PeriodSeconds: 3600, AutoReturn: true}, s.Policy)
		}},
		{"algorithm by operator clears description", env.operator, map[string]any{"loadBalanceAlgorithm": 5}, func(s Set) string {
			return cmp.Diff([]any{uint16(5), ""}, []any{s.LoadBalanceAlgorithm, s.OtherLoadBalanceAlgorithm})
		}},
		{"other algorithm by operator", env.operator, map[string]any{"loadBalanceAlgorithm": 1, "otherLoadBalanceAlgorithm": "mine"}, func(s Set) string {
			return cmp.Diff([]any{uint16(1), "mine"}, []any{s.LoadBalanceAlgorithm, s.OtherLoadBalanceAlgorithm})
		}},
		{"algorithm null is default", env.operator, map[string]any{"loadBalanceAlgorithm": nil}, func(s Set) string {
			return cmp.Diff([]any{uint16(2), ""}, []any{s.LoadBalanceAlgorithm, s.OtherLoadBalanceAlgorithm})
		}},
		{"empty patch", env.operator, map[string]any{}, func(s Set) string {
			return cmp.Diff("new", s.Caption)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.client.PatchSet(bg, "redset:p", tt.patch)
			if err != nil {
				t.Fatalf("PatchSet: %v", err)
			}
			if diff := tt.check(got); diff != "" {
				t.Errorf("after patch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatchSetRefusals(t *testing.T) {
	env := newEnv(t)
	before := mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: "redset:p", TypeOfSet: []uint16{3}}))
	tests := []struct {
		name   string
		client *Client
		patch  any
		status int
		typ    string
		field  string
	}{
		{"caption by operator", env.operator, map[string]any{"caption": "x"}, 403, ProblemForbidden, ""},
		{"algorithm by reader", env.reader, map[string]any{"loadBalanceAlgorithm": 3}, 403, ProblemForbidden, ""},
		{"unknown field", env.admin, map[string]any{"colour": "red"}, 400, ProblemMalformed, "colour"},
		{"computed field", env.admin, map[string]any{"redundancyStatus": 2}, 400, ProblemMalformed, "redundancyStatus"},
		{"unknown nested field", env.admin, map[string]any{"policy": map[string]any{"x": 1}}, 400, ProblemMalformed, "x"},
		{"wrong type", env.admin, map[string]any{"caption": 5}, 400, ProblemMalformed, "caption"},
		{"out of range", env.operator, map[string]any{"loadBalanceAlgorithm": 70000}, 400, ProblemMalformed, "loadBalanceAlgorithm"},
		{"invalid algorithm", env.operator, map[string]any{"loadBalanceAlgorithm": 9}, 400, ProblemValidation, "loadBalanceAlgorithm"},
		{"instance id", env.admin, map[string]any{"instanceID": "redset:q"}, 400, ProblemValidation, "instanceID"},
		{"not an object", env.admin, []int{1}, 400, ProblemMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.PatchSet(bg, "redset:p", tt.patch)
			p := wantProblem(t, err, tt.status, tt.typ)
			if p.Field != tt.field {
				t.Errorf("field = %q, want %q (%s)", p.Field, tt.field, p.Detail)
			}
		})
	}
	after := mustSet(t)(env.reader.GetSet(bg, "redset:p"))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("refused patches changed the set (-before +after):\n%s", diff)
	}
}

func TestResetFlapGuard(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	got, err := env.operator.ResetFlapGuard(bg, "redset:web")
	if err != nil || got.FlapGuardTripped {
		t.Errorf("ResetFlapGuard = tripped %v, err %v; want false, nil", got.FlapGuardTripped, err)
	}
	_, err = env.reader.ResetFlapGuard(bg, "redset:web")
	wantProblem(t, err, http.StatusForbidden, ProblemForbidden)
	_, err = env.operator.ResetFlapGuard(bg, "redset:none")
	wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
}

func TestEscapedIDs(t *testing.T) {
	env := newEnv(t)
	for _, id := range []string{"redset:a/b", "redset:with space", "redset:ü?#%"} {
		t.Run(id, func(t *testing.T) {
			created := mustSet(t)(env.admin.CreateSet(bg, SetSpec{InstanceID: id}))
			got := mustSet(t)(env.reader.GetSet(bg, id))
			if diff := cmp.Diff(created, got); diff != "" {
				t.Errorf("GetSet(%q) (-created +got):\n%s", id, diff)
			}
			mustMember(t)(env.admin.CreateMember(bg, MemberSpec{Name: id}))
			if _, err := env.admin.PutSetMember(bg, id, id, RoleSpec{Role: RoleInService}); err != nil {
				t.Errorf("PutSetMember(%q): %v", id, err)
			}
		})
	}
}
