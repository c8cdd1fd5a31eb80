package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/redset/redset/web"
)

// assetURLs are the versioned /static/ addresses the page refers to.
func assetURLs(t *testing.T, srv string) map[string]string {
	t.Helper()
	page := do(t, "GET", srv+"/", true, nil).body
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`"/static/([a-z.]+)\?v=([0-9a-f]+)"`).FindAllStringSubmatch(page, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestStaticAssets(t *testing.T) {
	srv := newServer(t, &fakeSource{}, web.Options{})
	versions := assetURLs(t, srv.URL)
	tests := []struct {
		name  string
		ctype string
		has   string
	}{
		{name: "app.css", ctype: "text/css; charset=utf-8", has: ".st-2"},
		{name: "app.js", ctype: "text/javascript; charset=utf-8", has: "EventSource"},
		{name: "icon.svg", ctype: "image/svg+xml", has: "<svg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := versions[tt.name]
			if !ok {
				t.Fatalf("the page does not refer to %s (found %v)", tt.name, versions)
			}
			got := do(t, "GET", srv.URL+"/static/"+tt.name+"?v="+v, false, nil)
			if got.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", got.status)
			}
			checkHeader(t, got, "Content-Type", tt.ctype)
			checkHeader(t, got, "Cache-Control", "public, max-age=31536000, immutable")
			checkHeader(t, got, "ETag", `"`+v+`"`)
			checkHeader(t, got, "X-Content-Type-Options", "nosniff")
			if !strings.Contains(got.body, tt.has) {
				t.Errorf("%s lacks %q", tt.name, tt.has)
			}
		})
	}
}

func TestStaticRevalidation(t *testing.T) {
	srv := newServer(t, &fakeSource{}, web.Options{})
	v := assetURLs(t, srv.URL)["app.js"]
	tests := []struct {
		name   string
		query  string
		header map[string]string
		status int
		cache  string
	}{
		{name: "no version", status: http.StatusOK, cache: "no-cache"},
		{name: "old version", query: "?v=0000", status: http.StatusOK, cache: "no-cache"},
		{name: "matching ETag", header: map[string]string{"If-None-Match": `"` + v + `"`}, status: http.StatusNotModified, cache: "no-cache"},
		{name: "stale ETag", header: map[string]string{"If-None-Match": `"0000"`}, status: http.StatusOK, cache: "no-cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, "GET", srv.URL+"/static/app.js"+tt.query, false, tt.header)
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d", got.status, tt.status)
			}
			checkHeader(t, got, "Cache-Control", tt.cache)
		})
	}
}

func checkHeader(t *testing.T, got answer, name, want string) {
	t.Helper()
	if v := got.header.Get(name); v != want {
		t.Errorf("%s = %q, want %q", name, v, want)
	}
}

// TestNoExternalResources: the dashboard must work on a closed network, so
// nothing it sends may load from another origin.
func TestNoExternalResources(t *testing.T) {
	srv := newServer(t, &fakeSource{sets: demoSets(), events: demoEvents()}, web.Options{})
	external := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import|fetch\(\s*["'](https?:)?//`)
	docs := map[string]string{"page": do(t, "GET", srv.URL+"/", true, nil).body}
	for name, v := range assetURLs(t, srv.URL) {
		docs[name] = do(t, "GET", srv.URL+"/static/"+name+"?v="+v, false, nil).body
	}
	for name, body := range docs {
		t.Run(name, func(t *testing.T) {
			if m := external.FindString(body); m != "" {
				t.Errorf("%s refers to another origin: %q", name, m)
			}
		})
	}
}

// The page carries the cluster strip hidden; the script shows it only for
// a cluster (GET /api/v1/cluster says mode etcd).
func TestClusterStrip(t *testing.T) {
	srv := newServer(t, &fakeSource{}, web.Options{})
	page := do(t, "GET", srv.URL+"/", true, nil).body
	if !regexp.MustCompile(`<section id="cluster" class="cluster-strip"[^>]*\bhidden>`).MatchString(page) {
		t.Errorf("the page lacks the hidden cluster strip:\n%s", page)
	}
	js := do(t, "GET", srv.URL+"/static/app.js?v="+assetURLs(t, srv.URL)["app.js"], true, nil).body
	for _, want := range []string{"`${API}/cluster`", "c.mode !== 'etcd'", "strip.hidden = false"} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
}
