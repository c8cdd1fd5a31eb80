package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/redset/redset/auth"
)

// clientAt returns an HTTP client whose connections come from the
// loopback address ip, a second client machine for the server.
func clientAt(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func getSets(t *testing.T, c *http.Client, base, user, password string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/api/v1/sets", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestWrongPasswordsThrottled: 30 wrong passwords from one address are
// each logged until the throttle refuses, then answered 429 with a
// Retry-After, the right password included; the same user from another
// address logs in at once.
func TestWrongPasswordsThrottled(t *testing.T) {
	logs := newCapture()
	log := slog.New(logs)
	env := newEnvAuth(t, auth.NewThrottle(testUsers(t), auth.ThrottleOptions{Logger: log}), func(o *Options) {
		o.Logger = log
	})
	attacker := clientAt(t, "127.0.0.1")
	var statuses strings.Builder
	for range 30 {
		resp := getSets(t, attacker, env.srv.URL, "admin", "guess")
		fmt.Fprintf(&statuses, "%d ", resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("Retry-After %q, want a number of seconds", resp.Header.Get("Retry-After"))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("429 Content-Type %q", ct)
			}
		}
	}
	want := strings.Repeat("401 ", auth.DefaultUserFailures) + strings.Repeat("429 ", 30-auth.DefaultUserFailures)
	if got := statuses.String(); got != want {
		t.Errorf("statuses %s, want %s", got, want)
	}
	failed, throttled := 0, 0
	for _, r := range logs.take() {
		switch r.msg {
		case "login failed":
			failed++
		case "logins throttled after repeated failures":
			throttled++
			if r.attrs["user"] != "admin" || r.attrs["protocol"] != "api" || r.attrs["address"] != "127.0.0.1" {
				t.Errorf("throttle log attributes %v", r.attrs)
			}
		}
	}
	if failed != auth.DefaultUserFailures || throttled != 1 {
		t.Errorf("logged %d failed logins and %d throttling lines, want %d and 1", failed, throttled, auth.DefaultUserFailures)
	}
	if resp := getSets(t, attacker, env.srv.URL, "admin", testPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the right password from the throttled address: %d, want 429", resp.StatusCode)
	}
	if resp := getSets(t, clientAt(t, "127.0.0.2"), env.srv.URL, "admin", testPassword); resp.StatusCode != http.StatusOK {
		t.Errorf("admin from another address: %d, want 200", resp.StatusCode)
	}
}

// TestWritesNeedJSON: a write that carries a body, or a Content-Type,
// other than JSON is refused with 415 and changes nothing; a write
// without a body needs no Content-Type.
func TestWritesNeedJSON(t *testing.T) {
	env := newEnv(t)
	env.nPlus1Set(t)
	for _, tc := range []struct{ name, method, path, ct, body string }{
		{"failover without Content-Type", "POST", "/api/v1/sets/redset:db/failover", "", `{"from":"db-1","to":"db-2"}`},
		{"failover as text/plain", "POST", "/api/v1/sets/redset:db/failover", "text/plain", `{"from":"db-1","to":"db-2"}`},
		{"failover as a form", "POST", "/api/v1/sets/redset:db/failover", "application/x-www-form-urlencoded", "from=db-1&to=db-2"},
		{"drain with a text/plain body", "POST", "/api/v1/sets/redset:db/members/db-1/drain", "text/plain", "x"},
		{"drain as an empty form", "POST", "/api/v1/sets/redset:db/members/db-1/drain", "application/x-www-form-urlencoded", ""},
		{"delete as multipart", "DELETE", "/api/v1/sets/redset:db", "multipart/form-data; boundary=x", "--x--"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := env.raw(t, tc.method, tc.path, tc.ct, tc.body, "admin")
			if resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Fatalf("status %d, want 415: %s", resp.StatusCode, body)
			}
			var p Problem
			if err := json.Unmarshal(body, &p); err != nil || p.Type != ProblemMediaType {
				t.Errorf("answer %s, want a %s problem", body, ProblemMediaType)
			}
			s := mustSet(t)(env.reader.GetSet(bg, "redset:db"))
			for _, name := range []string{"db-1", "db-2", "db-3"} {
				if got := findMember(t, s, name).Role; got != RoleInService {
					t.Errorf("%s is %s after a refused write, want inService", name, got)
				}
			}
		})
	}
	if resp, body := env.raw(t, "POST", "/api/v1/sets/redset:db/members/db-1/drain", "", "", "admin"); resp.StatusCode != http.StatusOK {
		t.Errorf("drain without a body: %d %s", resp.StatusCode, body)
	}
	if resp, body := env.raw(t, "POST", "/api/v1/sets/redset:db/members/db-1/enable", "application/json", "", "admin"); resp.StatusCode != http.StatusOK {
		t.Errorf("enable with a JSON Content-Type and no body: %d %s", resp.StatusCode, body)
	}
}
