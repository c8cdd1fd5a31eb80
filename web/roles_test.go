package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/web"
)

// TestPageWriteControlsFollowTheRole: a reader sees the sets, members and
// timeline but no failover form and no return-to-service button; an
// operator sees both. The page tells the script through
// data-can-failover.
func TestPageWriteControlsFollowTheRole(t *testing.T) {
	tests := []struct {
		name     string
		caller   api.Caller
		controls bool
		user     string
	}{
		{"reader", api.Caller{User: testUser, Role: "reader"}, false,
			`Signed in as <b>alice</b> <span class="user-role">(reader, read only)</span>`},
		{"operator", api.Caller{User: testUser, Role: "operator", Can: api.Abilities{Failover: true, LoadBalance: true}}, true,
			`Signed in as <b>alice</b> <span class="user-role">(operator)</span>`},
		{"admin", api.Caller{User: testUser, Role: "admin", Can: api.Abilities{Failover: true, LoadBalance: true, Configure: true}}, true,
			`Signed in as <b>alice</b> <span class="user-role">(admin)</span>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, &fakeSource{sets: demoSets(), events: demoEvents()}, web.Options{Auth: authAs(tt.caller)})
			got := do(t, "GET", srv.URL+"/", true, nil)
			if got.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", got.status)
			}
			for _, want := range []string{tt.user, `data-member="db-3" data-role="drained"`, `data-seq="9"`} {
				if !strings.Contains(got.body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			flag := `data-can-failover="` + map[bool]string{true: "true", false: "false"}[tt.controls] + `"`
			if !strings.Contains(got.body, flag) {
				t.Errorf("page lacks %s", flag)
			}
			controls := map[string]int{
				"failover form":    strings.Count(got.body, `<form class="failover-form"`),
				"Fail over…":       strings.Count(got.body, "Fail over…</summary>"),
				"return button":    strings.Count(got.body, `class="btn btn-small return"`),
				"no-failover note": strings.Count(got.body, `class="no-failover"`),
			}
			want := map[string]int{"failover form": 2, "Fail over…": 2, "return button": 1, "no-failover note": 1}
			if !tt.controls {
				want = map[string]int{"failover form": 0, "Fail over…": 0, "return button": 0, "no-failover note": 0}
			}
			if diff := cmp.Diff(want, controls); diff != "" {
				t.Errorf("controls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPageFailoverTarget: the form starts with the engine's proposed
// target (api.Set.FailoverTarget; the engine's own test covers how it is
// chosen), and with the placeholder when the engine proposes none.
func TestPageFailoverTarget(t *testing.T) {
	h := func(state string) api.Health { return api.Health{State: state} }
	members := []api.SetMember{{Name: "a", Role: api.RoleInService, Health: h("OK")},
		{Name: "b", Role: api.RoleSpare, SpareStatus: 2, FailoverSupported: 4, Health: h("OK")},
		{Name: "c", Role: api.RoleSpare, SpareStatus: 2, FailoverSupported: 4, Health: h("OK")}}
	sets := []api.Set{
		{InstanceID: "x:none", TypeOfSet: []uint16{4}, MinNumberNeeded: 1, Members: members},
		{InstanceID: "x:proposed", TypeOfSet: []uint16{4}, MinNumberNeeded: 1, Members: members, FailoverTarget: "c"},
	}
	srv := newServer(t, &fakeSource{sets: sets}, web.Options{})
	body := do(t, "GET", srv.URL+"/", true, nil).body
	tests := []struct {
		set, want string // want "": no member preselected
	}{
		{"x:none", ""},
		{"x:proposed", "c"},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			card := cardOf(t, body, tt.set)
			if !strings.Contains(card, `<form class="failover-form"`) {
				t.Fatalf("no failover form:\n%s", card)
			}
			got := selectedOptions(card, "to")
			want := []string{tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("selected To (-want +got):\n%s", diff)
			}
			placeholder := strings.Contains(card, `<option value="" selected disabled>`)
			if placeholder != (tt.want == "") {
				t.Errorf("placeholder shown %v, want %v", placeholder, tt.want == "")
			}
		})
	}
}

// selectedOptions lists the values of the selected options of a select.
func selectedOptions(card, name string) []string {
	start := strings.Index(card, `name="`+name+`"`)
	if start < 0 {
		return nil
	}
	end := strings.Index(card[start:], "</select>")
	var out []string
	for _, line := range strings.Split(card[start:start+end], "<option") {
		if v, ok := strings.CutPrefix(line, ` value="`); ok && strings.Contains(line, " selected") {
			out = append(out, v[:strings.Index(v, `"`)])
		}
	}
	return out
}
