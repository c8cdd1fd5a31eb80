package web_test

import (
	"strings"
	"testing"

	"github.com/redset/redset/api"
	"github.com/redset/redset/web"
)

// frontendSets: demo-web's frontend listens, demo-db's cannot bind, and
// demo-lb has one this server does not run.
func frontendSets() []api.Set {
	sets := demoSets()
	sets[0].Frontend = &api.Frontend{Listen: "127.0.0.1:0"}
	sets[0].FrontendStatus = &api.FrontendStatus{Listen: "127.0.0.1:0", Address: "127.0.0.1:41234", Open: 5, Refused: 2,
		Members: []api.MemberTraffic{{Name: "web-a", Open: 4, Total: 17, DialErrors: 1, Draining: 0},
			{Name: "web-b", Open: 1, Total: 1, Draining: 1}}}
	sets[1].Frontend = &api.Frontend{Listen: "127.0.0.1:80"}
	sets[1].FrontendStatus = &api.FrontendStatus{Listen: "127.0.0.1:80", Error: "bind: permission denied <&>"}
	sets[2].Frontend = &api.Frontend{Listen: "127.0.0.1:15432"}
	return sets
}

func TestPageShowsFrontends(t *testing.T) {
	srv := newServer(t, &fakeSource{sets: frontendSets()}, web.Options{})
	body := do(t, "GET", srv.URL+"/", true, nil).body
	cards := map[string]string{}
	for _, id := range []string{"redset:demo-web", "redset:demo-db", "redset:demo-lb"} {
		start := strings.Index(body, `data-set-id="`+id+`"`)
		if start < 0 {
			t.Fatalf("no card for %s", id)
		}
		end := strings.Index(body[start:], "</article>")
		cards[id] = body[start : start+end]
	}
	for id, wants := range map[string][]string{
		"redset:demo-web": {
			`<div class="frontend"><dt>Frontend</dt><dd>127.0.0.1:0 → 127.0.0.1:41234</dd></div>`,
			`<div><dt>Connections</dt><dd>5 open, 2 refused</dd></div>`,
			`<th scope="col">Connections</th>`,
			`<td class="m-conns">4<span class="m-note">17 total, 1 failed dial</span></td>`,
			`<td class="m-conns">1<span class="m-note">1 total, 1 draining</span></td>`,
		},
		"redset:demo-db": {
			`<dd>127.0.0.1:80 <span class="fe-error">not listening: bind: permission denied &lt;&amp;&gt;</span></dd>`,
			`<dd>0 open</dd>`,
			`<td class="m-conns">0</td>`,
		},
		"redset:demo-lb": {`<div class="frontend"><dt>Frontend</dt><dd>127.0.0.1:15432</dd></div>`},
	} {
		for _, want := range wants {
			if !strings.Contains(cards[id], want) {
				t.Errorf("card %s lacks %s:\n%s", id, want, cards[id])
			}
		}
	}
	if c := cards["redset:demo-lb"]; strings.Contains(c, "Connections") || strings.Contains(c, "m-conns") {
		t.Errorf("a frontend this server does not run shows connections:\n%s", c)
	}
}

func TestPageWithoutFrontends(t *testing.T) {
	srv := newServer(t, &fakeSource{sets: demoSets()}, web.Options{})
	body := do(t, "GET", srv.URL+"/", true, nil).body
	for _, unwanted := range []string{`class="frontend"`, "m-conns", ">Connections<"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("a page without frontends shows %q", unwanted)
		}
	}
}
