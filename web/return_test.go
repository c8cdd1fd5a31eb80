package web_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/web"
)

// returnButton is what a card's "Return to service" button names.
type returnButton struct {
	SetID, Member, Label string
}

var returnButtonRE = regexp.MustCompile(`<button type="button" class="btn btn-small return" ` +
	`data-set-id="([^"]*)" data-member="([^"]*)" aria-label="([^"]*)">Return to service</button>`)

// returnButtons lists a card's return buttons with their attributes
// unescaped, and counts every element that looks like one, matched or not.
func returnButtons(card string) ([]returnButton, int) {
	var out []returnButton
	for _, m := range returnButtonRE.FindAllStringSubmatch(card, -1) {
		out = append(out, returnButton{html.UnescapeString(m[1]), html.UnescapeString(m[2]), html.UnescapeString(m[3])})
	}
	return out, strings.Count(card, `class="btn btn-small return"`)
}

func TestPageReturnToService(t *testing.T) {
	const script = `<script>alert("x")</script>`
	const attr = `"><img src=x onerror=alert(1)>`
	hostile := api.Set{InstanceID: "evil:" + attr, RedundancyStatus: 3, TypeOfSet: []uint16{2},
		Members: []api.SetMember{
			{Name: "in-" + attr, Role: api.RoleInService, Health: api.Health{State: "OK"}},
			{Name: script, Role: api.RoleDrained, Health: api.Health{State: "OK"}},
			{Name: attr, Role: api.RoleDrained, Health: api.Health{State: "Failed"}},
			{Name: "spare-" + script, Role: api.RoleSpare, Health: api.Health{State: "OK"}},
		}}
	sets := append(demoSets(), hostile)
	srv := newServer(t, &fakeSource{sets: sets}, web.Options{})
	got := do(t, "GET", srv.URL+"/", true, nil)
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", got.status)
	}
	tests := []struct {
		name string
		set  string
		want []returnButton
	}{
		{name: "sparing set without drained members", set: "redset:demo-web"},
		{name: "drained member only", set: "redset:demo-db", want: []returnButton{
			{"redset:demo-db", "db-3", "Return to service: db-3"}}},
		{name: "in-service only", set: "redset:demo-lb"},
		{name: "hostile names", set: html.EscapeString(hostile.InstanceID), want: []returnButton{
			{hostile.InstanceID, script, "Return to service: " + script},
			{hostile.InstanceID, attr, "Return to service: " + attr}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buttons, n := returnButtons(cardOf(t, got.body, tt.set))
			if diff := cmp.Diff(tt.want, buttons); diff != "" {
				t.Errorf("return buttons (-want +got):\n%s", diff)
			}
			if n != len(buttons) {
				t.Errorf("card has %d return buttons, %d of the expected shape", n, len(buttons))
			}
		})
	}
	for _, raw := range []string{script, attr, "<img src=x"} {
		if strings.Contains(got.body, raw) {
			t.Errorf("page contains the unescaped %q", raw)
		}
	}
}
