package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redset/redset/api"
	"github.com/redset/redset/web"
)

const spareName = "spare-member"

// fuzzSource puts s into every text the page shows from the data.
func fuzzSource(s string) *fakeSource {
	return &fakeSource{
		sets: []api.Set{{
			InstanceID: "org:" + s, ElementName: s, Caption: s, RedundancyStatus: 3, TypeOfSet: []uint16{1},
			OtherTypeOfSet: []string{s}, LoadBalanceAlgorithm: 1, OtherLoadBalanceAlgorithm: s,
			Members: []api.SetMember{
				{Name: s, Role: api.RoleInService, Health: api.Health{State: s, Detail: s}},
				{Name: spareName, Role: api.RoleSpare, Health: api.Health{State: "OK", Detail: s}},
			},
		}},
		events: []api.Event{
			{Seq: 1, Kind: s, SetID: s, Member: s, Config: &api.ConfigChange{Action: s, Detail: s}},
			{Seq: 2, Kind: "FailoverRefused", SetID: s, Failover: &api.FailoverEvent{From: s, To: s, ReturnValue: 4, Reason: s}},
		},
	}
}

func renderPage(t testing.TB, src web.Source) string {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.SetBasicAuth(testUser, testPassword)
	web.NewHandler(src, web.Options{Auth: testAuth}).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	return rec.Body.String()
}

// FuzzPageMarkup: whatever the names and details hold, they add no markup
// to the page: it has as many <, > and " as a page with plain names.
func FuzzPageMarkup(f *testing.F) {
	for _, s := range []string{"web-a", "<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`,
		"a&b", "\x00", "\xff\xfe", "javascript:alert(1)", "{{.Title}}", "</textarea>", "'single'"} {
		f.Add(s)
	}
	want := markup(renderPage(f, fuzzSource("plain")))
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" || s == spareName {
			t.Skip("changes the page's structure, not its escaping")
		}
		if got := markup(renderPage(t, fuzzSource(s))); got != want {
			t.Errorf("markup characters %v, want %v as with plain names", got, want)
		}
	})
}

type markupCount struct{ lt, gt, quote int }

func markup(page string) markupCount {
	return markupCount{strings.Count(page, "<"), strings.Count(page, ">"), strings.Count(page, `"`)}
}
