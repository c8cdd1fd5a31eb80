package web_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/web"
)

// fakeSource answers fixed sets and events and records the history limit
// it was asked for.
type fakeSource struct {
	sets     []api.Set
	events   []api.Event
	setsErr  error
	eventErr error

	mu        sync.Mutex
	lastLimit int
}

func (f *fakeSource) Sets(context.Context) ([]api.Set, error) { return f.sets, f.setsErr }

func (f *fakeSource) History(_ context.Context, limit int) ([]api.Event, error) {
	f.mu.Lock()
	f.lastLimit = limit
	f.mu.Unlock()
	out := make([]api.Event, len(f.events))
	for i, e := range f.events {
		api.Describe(&e) // the words, as the API's history gives them
		out[i] = e
	}
	return out, f.eventErr
}

func (f *fakeSource) limit() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastLimit
}

const (
	testUser     = "alice"
	testPassword = "s3cret"
)

// testAuth admits testUser as an operator.
func testAuth(r *http.Request) (api.Caller, bool) {
	return authAs(api.Caller{User: testUser, Role: "operator", Can: api.Abilities{Failover: true, LoadBalance: true}})(r)
}

// authAs admits testUser with testPassword as caller.
func authAs(caller api.Caller) func(*http.Request) (api.Caller, bool) {
	return func(r *http.Request) (api.Caller, bool) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != testUser || pass != testPassword {
			return api.Caller{}, false
		}
		return caller, true
	}
}

func demoSets() []api.Set {
	health := func(state string) api.Health {
		return api.Health{State: state, Source: "probe", Detail: "status 200",
			Since: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	}
	return []api.Set{
		{InstanceID: "redset:demo-web", ElementName: "demo-web", Caption: "Web front ends",
			RedundancyStatus: 2, RedundancyStatusText: "Fully Redundant", TypeOfSet: []uint16{4}, MinNumberNeeded: 1,
			LoadBalanceAlgorithm: 2, FailoverTarget: "web-b", Members: []api.SetMember{
				{Name: "web-a", Role: api.RoleInService, Health: health("OK")},
				{Name: "web-b", Role: api.RoleSpare, SpareStatus: 2, FailoverSupported: 4, Health: health("OK")},
			}},
		{InstanceID: "redset:demo-db", ElementName: "demo-db", RedundancyStatus: 4,
			RedundancyStatusText: "Redundancy Lost", TypeOfSet: []uint16{2}, MinNumberNeeded: 2,
			LoadBalanceAlgorithm: 2, FailoverTarget: "db-3", Members: []api.SetMember{
				{Name: "db-1", Role: api.RoleInService, Health: health("OK")},
				{Name: "db-2", Role: api.RoleInService, Health: health("Failed")},
				{Name: "db-3", Role: api.RoleDrained, Health: health("Degraded")},
			}},
		{InstanceID: "redset:demo-lb", RedundancyStatus: 0, RedundancyStatusText: "Unknown",
			TypeOfSet: []uint16{3}, MinNumberNeeded: 2, LoadBalanceAlgorithm: 3, FlapGuardTripped: true,
			Paused: &api.Pause{By: api.Actor{User: "ops", Protocol: "api"}}, AutomaticFailoverPaused: true,
			Members: []api.SetMember{{Name: "lb-1", Role: api.RoleInService, Health: api.Health{State: "Unknown"}}}},
	}
}

func demoEvents() []api.Event {
	at := time.Date(2025, 3, 1, 12, 30, 0, 0, time.UTC)
	return []api.Event{
		{Seq: 7, Time: at, Kind: "HealthChanged", SetID: "redset:demo-db", Member: "db-2",
			Health: &api.HealthChange{From: "OK", To: "Failed", Detail: "connection refused"}},
		{Seq: 9, Time: at.Add(time.Second), Kind: "StatusChanged", SetID: "redset:demo-db",
			Status: &api.StatusChange{From: 2, To: 4, FromText: "Fully Redundant", ToText: "Redundancy Lost"}},
	}
}

func newServer(t *testing.T, src web.Source, opts web.Options) *httptest.Server {
	t.Helper()
	if opts.Auth == nil {
		opts.Auth = testAuth
	}
	srv := httptest.NewServer(web.NewHandler(src, opts))
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url string, auth bool, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.SetBasicAuth(testUser, testPassword)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", url, err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(body)}
}

func TestPageShowsSetsMembersAndStatus(t *testing.T) {
	srv := newServer(t, &fakeSource{sets: demoSets(), events: demoEvents()}, web.Options{})
	got := do(t, "GET", srv.URL+"/", true, nil)
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body:\n%s", got.status, got.body)
	}
	for _, want := range []string{
		`data-set-id="redset:demo-web"`, `data-set-id="redset:demo-db"`, `data-set-id="redset:demo-lb"`,
		`class="set st-2"`, `class="set st-4"`, `class="set st-0"`,
		">Fully Redundant<", ">Redundancy Lost<", ">Unknown<",
		`data-member="web-a" data-role="inService" data-health="OK"`,
		`data-member="web-b" data-role="spare" data-health="OK"`,
		`data-member="db-2" data-role="inService" data-health="Failed"`,
		`data-member="db-3" data-role="drained" data-health="Degraded"`,
		`data-member="lb-1" data-role="inService" data-health="Unknown"`,
		">In service<", ">Spare<", ">Drained<", "hot, automatic or manual",
		"<dd>Sparing</dd>", "<dd>N&#43;1</dd>", "<dd>Load Balanced</dd>", "<dd>Round Robin</dd>",
		"Flap guard tripped", `<p class="paused">Automatic failover paused for this set (maintenance).</p>`,
		"Signed in as <b>alice</b>",
		`data-last-seq="9"`, `data-api="/api/v1"`,
		`<dialog id="confirm"`,
	} {
		if !strings.Contains(got.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestPageFailoverForm(t *testing.T) {
	srv := newServer(t, &fakeSource{sets: demoSets()}, web.Options{})
	body := do(t, "GET", srv.URL+"/", true, nil).body
	tests := []struct {
		name string
		set  string
		from []string
		to   []string
		sel  string // the option selected in To
	}{
		{name: "sparing offers spares only", set: "redset:demo-web", from: []string{"web-a"}, to: []string{"web-b"}, sel: "web-b"},
		{name: "N+1 also offers in-service members", set: "redset:demo-db",
			from: []string{"db-1", "db-2"}, to: []string{"db-1", "db-2", "db-3"}, sel: "db-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := cardOf(t, body, tt.set)
			from, to := selectOptions(card, "from"), selectOptions(card, "to")
			if diff := cmp.Diff(tt.from, from); diff != "" {
				t.Errorf("From options (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.to, to); diff != "" {
				t.Errorf("To options (-want +got):\n%s", diff)
			}
			if want := `<option value="` + tt.sel + `" selected>`; !strings.Contains(card, want) {
				t.Errorf("card lacks the selected To %q", want)
			}
		})
	}
	t.Run("a set without a target has no form", func(t *testing.T) {
		card := cardOf(t, body, "redset:demo-lb")
		if strings.Contains(card, "<form") || !strings.Contains(card, "No failover possible") {
			t.Errorf("demo-lb card should explain that no failover is possible:\n%s", card)
		}
	})
}

// cardOf cuts one set's card out of the page.
func cardOf(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `data-set-id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no card for %s", id)
	}
	end := strings.Index(page[start:], "</article>")
	if end < 0 {
		t.Fatalf("card for %s does not end", id)
	}
	return page[start : start+end]
}

var optionRE = regexp.MustCompile(`<option value="([^"]*)"`)

func selectOptions(card, name string) []string {
	start := strings.Index(card, `name="`+name+`"`)
	if start < 0 {
		return nil
	}
	end := strings.Index(card[start:], "</select>")
	var out []string
	for _, m := range optionRE.FindAllStringSubmatch(card[start:start+end], -1) {
		out = append(out, m[1])
	}
	return out
}

func TestPageEscapesHostileNames(t *testing.T) {
	const script = `<script>alert("x")</script>`
	const attr = `"><img src=x onerror=alert(1)>`
	sets := []api.Set{{
		InstanceID: "evil:" + attr, ElementName: script, Caption: script, RedundancyStatus: 2, TypeOfSet: []uint16{1},
		OtherTypeOfSet: []string{script}, LoadBalanceAlgorithm: 1, OtherLoadBalanceAlgorithm: attr,
		Members: []api.SetMember{
			{Name: script, Role: api.RoleInService, Health: api.Health{State: "OK", Detail: attr}},
			{Name: attr, Role: api.RoleSpare, Health: api.Health{State: script}},
		},
	}}
	events := []api.Event{{Seq: 1, Kind: script, SetID: attr, Member: script,
		Config: &api.ConfigChange{Action: script, Detail: attr}}}
	srv := newServer(t, &fakeSource{sets: sets, events: events}, web.Options{Title: script})
	got := do(t, "GET", srv.URL+"/", true, nil)
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", got.status)
	}
	for _, raw := range []string{script, attr, "<img src=x", `alert("x")`} {
		if strings.Contains(got.body, raw) {
			t.Errorf("page contains the unescaped %q", raw)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"} {
		if !strings.Contains(got.body, want) {
			t.Errorf("page lacks the escaped %q", want)
		}
	}
	if n := strings.Count(got.body, "<script"); n != 1 {
		t.Errorf("page has %d script elements, want 1 (app.js)", n)
	}
}

func TestTimelineNewestFirst(t *testing.T) {
	src := &fakeSource{sets: demoSets(), events: demoEvents()}
	srv := newServer(t, src, web.Options{HistoryLimit: 7})
	body := do(t, "GET", srv.URL+"/", true, nil).body
	var seqs []string
	for _, m := range regexp.MustCompile(`<li class="event tone-(\w+)" data-seq="(\d+)"`).FindAllStringSubmatch(body, -1) {
		seqs = append(seqs, m[2]+":"+m[1])
	}
	if diff := cmp.Diff([]string{"9:bad", "7:bad"}, seqs); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	for _, want := range []string{"db-2 OK → Failed: connection refused", "Fully Redundant → Redundancy Lost"} {
		if !strings.Contains(body, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	if got := src.limit(); got != 7 {
		t.Errorf("History limit = %d, want 7", got)
	}
}

func TestPageEmpty(t *testing.T) {
	src := &fakeSource{}
	srv := newServer(t, src, web.Options{})
	got := do(t, "GET", srv.URL+"/", true, nil)
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", got.status)
	}
	for _, want := range []string{"No redundancy sets yet", `<p id="timeline-empty" class="empty">`, `data-last-seq="0"`} {
		if !strings.Contains(got.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := src.limit(); got != web.DefaultHistoryLimit {
		t.Errorf("History limit = %d, want %d", got, web.DefaultHistoryLimit)
	}
}

func TestPageSourceErrors(t *testing.T) {
	tests := []struct {
		name string
		src  *fakeSource
		want string
	}{
		{name: "sets", src: &fakeSource{setsErr: errors.New("store <closed>")}, want: "The sets could not be read: store &lt;closed&gt;"},
		{name: "history", src: &fakeSource{eventErr: errors.New("no history")}, want: "The history could not be read: no history"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.src, web.Options{})
			got := do(t, "GET", srv.URL+"/", true, nil)
			if got.status != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", got.status)
			}
			if !strings.Contains(got.body, tt.want) || !strings.Contains(got.body, `role="alert"`) {
				t.Errorf("page lacks the alert %q", tt.want)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	src := &fakeSource{sets: demoSets()}
	tests := []struct {
		name   string
		auth   func(*http.Request) (api.Caller, bool)
		user   string
		pass   string
		status int
	}{
		{name: "no credentials", auth: testAuth, status: http.StatusUnauthorized},
		{name: "wrong password", auth: testAuth, user: testUser, pass: "nope", status: http.StatusUnauthorized},
		{name: "right credentials", auth: testAuth, user: testUser, pass: testPassword, status: http.StatusOK},
		{name: "no Auth refuses everyone", user: testUser, pass: testPassword, status: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(web.NewHandler(src, web.Options{Auth: tt.auth}))
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.URL+"/", nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			checkChallenge(t, res, string(body))
		})
	}
}

func checkChallenge(t *testing.T, res *http.Response, body string) {
	t.Helper()
	challenge := res.Header.Get("WWW-Authenticate")
	if res.StatusCode != http.StatusUnauthorized {
		if challenge != "" {
			t.Errorf("WWW-Authenticate = %q on a %d answer", challenge, res.StatusCode)
		}
		return
	}
	if !strings.HasPrefix(challenge, `Basic realm="redset"`) {
		t.Errorf("WWW-Authenticate = %q, want Basic realm=\"redset\"", challenge)
	}
	if strings.Contains(body, "web-a") || !strings.Contains(body, "Sign in required") {
		t.Errorf("401 body shows data or lacks the explanation:\n%s", body)
	}
}

func TestPageHeaders(t *testing.T) {
	srv := newServer(t, &fakeSource{}, web.Options{})
	got := do(t, "GET", srv.URL+"/", true, nil)
	want := map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
	}
	for k, v := range want {
		if got.header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.header.Get(k), v)
		}
	}
	csp := got.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
}

func TestHead(t *testing.T) {
	srv := newServer(t, &fakeSource{sets: demoSets()}, web.Options{})
	got := do(t, "HEAD", srv.URL+"/", true, nil)
	if got.status != http.StatusOK || got.body != "" {
		t.Errorf("HEAD / = %d with %d bytes, want 200 and no body", got.status, len(got.body))
	}
}

func TestUnknownPaths(t *testing.T) {
	srv := newServer(t, &fakeSource{sets: demoSets()}, web.Options{})
	tests := []struct {
		name, method, path string
		status             int
		allow              string
	}{
		{name: "unknown page", method: "GET", path: "/nope", status: http.StatusNotFound},
		{name: "index file", method: "GET", path: "/index.html", status: http.StatusNotFound},
		{name: "static directory", method: "GET", path: "/static/", status: http.StatusNotFound},
		{name: "unknown asset", method: "GET", path: "/static/missing.js", status: http.StatusNotFound},
		{name: "nested asset path", method: "GET", path: "/static/a/app.js", status: http.StatusNotFound},
		{name: "hostile path", method: "GET", path: "/%3Cscript%3Ex", status: http.StatusNotFound},
		{name: "POST to the page", method: "POST", path: "/", status: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, tt.method, srv.URL+tt.path, false, nil)
			if got.status != tt.status {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, got.status, tt.status)
			}
			if got.header.Get("Allow") != tt.allow {
				t.Errorf("Allow = %q, want %q", got.header.Get("Allow"), tt.allow)
			}
			if ct := got.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q, want html", ct)
			}
			if strings.Contains(got.body, "<script>") || strings.Contains(got.body, "web-a") {
				t.Errorf("error page shows the raw path or data:\n%s", got.body)
			}
		})
	}
}
