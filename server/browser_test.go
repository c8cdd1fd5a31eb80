package server

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// opsHash is a bcrypt hash of "ops-password" at the minimum cost (4), so
// that the many logins of the throttle tests stay fast under -race.
const opsHash = "$2a$04$nroj8kxDq1HdlbkQIbeUNu.X.MgFVXI5lGQ.VaniUn95jw8aw9ckW"

// clientAt returns an HTTP client whose connections come from the
// loopback address ip, as if from another machine.
func clientAt(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// protocolRequests are one authenticated request per door: the method,
// the path and the headers a real client of each sends.
var protocolRequests = []struct {
	name, method, path, body string
	header                   []string
}{
	{"cimxml", "POST", "/cimom", "<CIM/>", []string{"Content-Type", "application/xml; charset=utf-8",
		"CIMOperation", "MethodCall", "CIMMethod", "EnumerateInstances", "CIMObject", "root/hypervcluster/v2"}},
	{"wsman", "POST", "/wsman", "<e/>", []string{"Content-Type", "application/soap+xml;charset=UTF-8"}},
	{"api", "GET", "/api/v1/sets", "", nil},
	{"web", "GET", "/", "", nil},
	{"demo", "POST", "/api/v1/demo/members/nobody/heal", "", nil},
	{"metrics", "GET", "/metrics", "", nil},
}

// TestEveryDoorThrottles: on every protocol, wrong passwords from one
// address are answered 401 until the throttle refuses that user there;
// then even the right password is refused (429 with Retry-After, the door's
// answer on every protocol), while another address logs in.
func TestEveryDoorThrottles(t *testing.T) {
	text := "auth:\n  throttle: {userFailures: 2}\nusers:\n  - {name: ops, role: operator, passwordHash: \"" + opsHash + "\"}\n"
	s := startServer(t, text, func(c *Config) { c.Demo = true })
	base := "http://" + s.Addrs()[0]
	for i, pr := range protocolRequests {
		t.Run(pr.name, func(t *testing.T) {
			c := clientAt(t, "127.0.0."+strconv.Itoa(20+i))
			for range 2 {
				if code, body := call(t, c, pr.method, base+pr.path, "ops", "guess", strings.NewReader(pr.body), pr.header...); code != 401 {
					t.Fatalf("wrong password: %d %q, want 401", code, body)
				}
			}
			resp := send(t, c, pr.method, base+pr.path, "ops", "ops-password", pr.body, pr.header...)
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("right password once throttled: %d, want 429", resp.StatusCode)
			}
			if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 {
				t.Errorf("Retry-After %q, want whole seconds", resp.Header.Get("Retry-After"))
			}
			other := clientAt(t, "127.0.0."+strconv.Itoa(40+i))
			if code := send(t, other, pr.method, base+pr.path, "ops", "ops-password", pr.body, pr.header...).StatusCode; code == 401 || code == 429 {
				t.Errorf("the right password from another address: %d", code)
			}
		})
	}
}

// send is call returning the response (its body closed).
func send(t *testing.T, c *http.Client, method, url, user, pass, body string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	return resp
}

// TestCrossOriginWritesRefused: a write a browser sends for a page of
// another site is refused with 403 on every path and changes nothing; the
// same write from the server's own page, or from a client that is not a
// browser, goes through.
func TestCrossOriginWritesRefused(t *testing.T) {
	s := startServer(t, heartbeatPair, func(c *Config) { c.Demo = true })
	base := "http://" + s.Addrs()[0]
	reportOK(t, apiClient(t, s, "admin", testPassword), "a", "b")
	failover := base + "/api/v1/sets/redset:pair/failover"
	body := `{"from":"a","to":"b"}`
	inService := func() string {
		set, err := apiClient(t, s, "admin", testPassword).GetSet(t.Context(), "redset:pair")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range set.Members {
			if m.Role == "inService" {
				return m.Name
			}
		}
		return ""
	}
	for _, tc := range []struct {
		name, method, url, body string
		header                  []string
	}{
		{"failover, cross-site", "POST", failover, body, []string{"Content-Type", "application/json", "Sec-Fetch-Site", "cross-site"}},
		{"failover, same-site", "POST", failover, body, []string{"Content-Type", "application/json", "Sec-Fetch-Site", "same-site"}},
		{"failover, foreign Origin", "POST", failover, body, []string{"Content-Type", "application/json", "Origin", "http://evil.example"}},
		{"failover, text/plain form", "POST", failover, body, []string{"Content-Type", "text/plain", "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}},
		{"demo fail", "POST", base + "/api/v1/demo/members/web-a/fail", "", []string{"Sec-Fetch-Site", "cross-site"}},
		{"cimxml form", "POST", base + "/cimom", "<CIM/>", []string{"Content-Type", "text/plain", "Sec-Fetch-Site", "cross-site"}},
		{"wsman without Content-Type", "POST", base + "/wsman", "<e/>", []string{"Origin", "http://evil.example"}},
		{"dashboard", "POST", base + "/", "x", []string{"Sec-Fetch-Site", "cross-site"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, answer := call(t, httpClient, tc.method, tc.url, "admin", testPassword, strings.NewReader(tc.body), tc.header...)
			if code != http.StatusForbidden || !strings.Contains(answer, "Cross-origin") {
				t.Errorf("%d %q, want 403 naming the cross-origin refusal", code, answer)
			}
			if got := inService(); got != "a" {
				t.Errorf("in service after a refused write: %q, want a", got)
			}
		})
	}
	if code, body := call(t, httpClient, "POST", base+"/api/v1/demo/members/web-a/heal", "admin", testPassword, nil); code != 200 ||
		!strings.Contains(body, `"service":"running"`) {
		t.Errorf("web-a's service after the refused cross-site fail: %d %s", code, body)
	}
	t.Run("same origin passes", func(t *testing.T) {
		code, answer := call(t, httpClient, "POST", failover, "admin", testPassword, strings.NewReader(body),
			"Content-Type", "application/json", "Sec-Fetch-Site", "same-origin", "Origin", base)
		if code != http.StatusOK || inService() != "b" {
			t.Errorf("same-origin failover: %d %q, b in service: %v", code, answer, inService() == "b")
		}
	})
	t.Run("reads pass", func(t *testing.T) {
		code, _ := call(t, httpClient, "GET", base+"/api/v1/sets", "admin", testPassword, nil, "Sec-Fetch-Site", "cross-site")
		if code != http.StatusOK {
			t.Errorf("cross-site GET: %d, want 200", code)
		}
	})
}
