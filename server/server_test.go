package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/engine"
)

const testPassword = "server-test-password"

// startServer runs a server from text (YAML, may be empty) on loopback
// until the test ends; edit makes last changes to the configuration.
func startServer(t testing.TB, text string, edit func(*Config)) *Server {
	t.Helper()
	s := newServer(t, text, edit)
	if err := s.Start(context.Background()); err != nil {
		s.Close()
		t.Fatalf("Start: %v", err)
	}
	return s
}

// newServer builds a server without starting it; it is closed when the
// test ends.
func newServer(t testing.TB, text string, edit func(*Config)) *Server {
	t.Helper()
	cfg, err := ParseConfig("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data, cfg.Listen, cfg.AdminPassword = t.TempDir(), []string{"127.0.0.1:0"}, testPassword
	cfg.DemoFrontends = DemoFrontends{Web: "127.0.0.1:0", LB: "127.0.0.1:0"}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// call sends a request (with Basic credentials when user is not empty) and
// returns the status code and body.
func call(t *testing.T, c *http.Client, method, url, user, pass string, body io.Reader, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return resp.StatusCode, string(data)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	return call(t, httpClient, http.MethodGet, url, "admin", testPassword, nil)
}

// serveLocal answers one request with the server's handler, without the
// network.
func serveLocal(s *Server, method, path, user, pass string) int {
	req := httptest.NewRequest(method, path, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec.Code
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		<-tick.C
	}
}

func TestReadiness(t *testing.T) {
	s := newServer(t, "", nil)
	t.Run("before Start", func(t *testing.T) {
		if got := serveLocal(s, http.MethodGet, "/readyz", "", ""); got != http.StatusServiceUnavailable {
			t.Errorf("/readyz = %d, want 503", got)
		}
		if got := serveLocal(s, http.MethodGet, "/healthz", "", ""); got != http.StatusOK {
			t.Errorf("/healthz = %d, want 200 (the process is up)", got)
		}
	})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.Addrs()[0]
	t.Run("serving", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if code, body := call(t, httpClient, http.MethodGet, base+path, "", "", nil); code != http.StatusOK {
				t.Errorf("GET %s = %d %q, want 200", path, code, body)
			}
		}
	})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Run("after Close", func(t *testing.T) {
		if got := serveLocal(s, http.MethodGet, "/readyz", "", ""); got != http.StatusServiceUnavailable {
			t.Errorf("/readyz = %d, want 503", got)
		}
		if _, err := httpClient.Get(base + "/healthz"); err == nil {
			t.Errorf("the listener still answers after Close")
		}
		if err := s.Close(); err != nil {
			t.Errorf("a second Close: %v", err)
		}
	})
}

const (
	cimRequest = `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="EnumerateInstanceNames"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="hypervcluster"/><NAMESPACE NAME="v2"/></LOCALNAMESPACEPATH><IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="Msvm_RedundancySet"/></IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
	wsmanIdentify = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`
)

// pathCheck is one request every listener must answer alike.
type pathCheck struct {
	method, path string
	auth         bool
	body         string
	header       []string
	want         int
	contains     string
}

var everyPath = []pathCheck{
	{method: "GET", path: "/healthz", want: 200, contains: "ok"},
	{method: "GET", path: "/readyz", want: 200, contains: "ready"},
	{method: "GET", path: "/metrics", auth: true, want: 200, contains: "redset_set_redundancy_status"},
	{method: "GET", path: "/api/v1/sets", auth: true, want: 200, contains: "redset:demo-web"},
	{method: "GET", path: "/api/v1/sets", want: 401},
	{method: "GET", path: "/api/v1/openapi.json", auth: true, want: 200, contains: "openapi"},
	{method: "GET", path: "/", auth: true, want: 200, contains: "redset:demo-web"},
	{method: "POST", path: "/cimom", auth: true, body: cimRequest, want: 200, contains: "redset:demo-web",
		header: []string{"Content-Type", `application/xml; charset="utf-8"`, "CIMOperation", "MethodCall",
			"CIMMethod", "EnumerateInstanceNames", "CIMObject", "root/hypervcluster/v2"}},
	{method: "POST", path: "/wsman", auth: true, body: wsmanIdentify, want: 200, contains: "IdentifyResponse",
		header: []string{"Content-Type", "application/soap+xml;charset=UTF-8"}},
	{method: "GET", path: "/metrics", want: 401},
}

func TestEveryPathOnEveryListener(t *testing.T) {
	s := startServer(t, "", func(c *Config) {
		c.Listen = []string{"127.0.0.1:0", "127.0.0.1:0"}
		c.Demo = true
	})
	addrs := s.Addrs()
	if len(addrs) != 2 || addrs[0] == addrs[1] {
		t.Fatalf("Addrs = %v, want two listeners", addrs)
	}
	for _, addr := range addrs {
		for _, pc := range everyPath {
			t.Run(addr+" "+pc.method+" "+pc.path, func(t *testing.T) {
				user := ""
				if pc.auth {
					user = "admin"
				}
				code, body := call(t, httpClient, pc.method, "http://"+addr+pc.path, user, testPassword, strings.NewReader(pc.body), pc.header...)
				if code != pc.want || !strings.Contains(body, pc.contains) {
					t.Errorf("got %d with %.300q, want %d with %q", code, body, pc.want, pc.contains)
				}
			})
		}
	}
}

func TestUnauthenticated(t *testing.T) {
	s := startServer(t, "", nil)
	base := "http://" + s.Addrs()[0]
	tests := []struct{ name, user, pass string }{
		{"no credentials", "", ""},
		{"wrong password", "admin", "wrong"},
		{"unknown user", "nobody", testPassword},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/sets", nil)
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("got %d (WWW-Authenticate %q), want 401 with a challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// pollMetrics scrapes /metrics until every line in want is present.
func pollMetrics(t *testing.T, base string, want ...string) string {
	t.Helper()
	var body string
	eventually(t, 15*time.Second, "metrics "+strings.Join(want, ", "), func() bool {
		_, body = call(t, httpClient, "GET", base+"/metrics", "admin", testPassword, nil)
		for _, w := range want {
			if !strings.Contains(body, w) {
				return false
			}
		}
		return true
	})
	return body
}

// heartbeatPair is a configuration with two pushed-health members in a
// Sparing set, so a test decides their health.
const heartbeatPair = `health: {rise: 1, fall: 1}
members:
  - {name: a, probe: {type: heartbeat, ttl: 1h}}
  - {name: b, probe: {type: heartbeat, ttl: 1h}}
sets:
  - id: pair
    typeOfSet: [4]
    minNumberNeeded: 1
    members:
      - {name: a}
      - {name: b, role: spare}
`

func apiClient(t testing.TB, s *Server, user, pass string) *api.Client {
	t.Helper()
	c, err := api.NewClient("http://"+s.Addrs()[0], user, pass, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func reportOK(t testing.TB, c *api.Client, members ...string) {
	t.Helper()
	for _, m := range members {
		if _, err := c.ReportHealth(context.Background(), m, api.HealthReport{State: "OK", Source: "test"}); err != nil {
			t.Fatalf("ReportHealth(%s): %v", m, err)
		}
	}
}

// metricsHooks adds two exec hooks on failover to heartbeatPair: one that
// succeeds and one that fails, so both outcomes are counted.
const metricsHooks = `hooks:
  - {name: notify ok, on: [failover], exec: ["true"]}
  - {name: notify-fails, on: [failover], exec: ["false"]}
`

func TestMetrics(t *testing.T) {
	s := startServer(t, heartbeatPair+metricsHooks, func(c *Config) { c.Demo = true })
	base := "http://" + s.Addrs()[0]
	c := apiClient(t, s, "admin", testPassword)
	reportOK(t, c, "a", "b")
	if code, _ := call(t, httpClient, http.MethodPost, base+"/cimom", "admin", testPassword, strings.NewReader(cimRequest), everyPath[7].header...); code != 200 {
		t.Fatalf("CIM request = %d", code)
	}
	res, err := c.Failover(context.Background(), "redset:pair", "a", "b")
	if err != nil || res.ReturnValue != 0 {
		t.Fatalf("Failover = %+v, %v", res, err)
	}
	body := pollMetrics(t, base,
		`redset_failovers_total{code="0",kind="planned",set="redset:pair"} 1`,
		`redset_probe_duration_seconds_count{member="web-a",probe="http"}`,
		`redset_probe_duration_seconds_count{member="db-1",probe="tcp"}`,
		`redset_hook_deliveries_total{hook="notify ok",outcome="ok"} 1`,
		`redset_hook_deliveries_total{hook="notify-fails",outcome="failed"} 1`,
	)
	for _, want := range []string{
		`redset_build_info{goversion="` + labelValue(runtime.Version()) + `",revision="`,
		`",version="` + Version + `"} 1`,
		`redset_set_redundancy_status{set="redset:demo-web"} `,
		`redset_set_redundancy_status{set="redset:pair"} 2`,
		`redset_member_health{member="a"} 1`,
		`redset_member_health{member="web-a"} `,
		`redset_set_members{role="in_service",set="redset:pair"} 1`,
		`redset_set_members{role="spare",set="redset:pair"} 1`,
		`redset_http_request_duration_seconds_count{code="200",handler="api"}`,
		`redset_http_request_duration_seconds_count{code="200",handler="cimxml"}`,
		`redset_cim_operation_duration_seconds_count{operation="EnumerateInstanceNames",status="CIM_ERR_OK"}`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	checkLabelWords(t, body, "role", "kind", "code", "outcome", "revision", "version", "goversion")
}

// checkLabelWords fails when a label of one of the names has a value with
// a space; hook and set names are the operator's own and are left out.
func checkLabelWords(t *testing.T, body string, names ...string) {
	t.Helper()
	for _, name := range names {
		re := regexp.MustCompile(`[{,]` + name + `="([^"]*)"`)
		for _, m := range re.FindAllStringSubmatch(body, -1) {
			if m[1] == "" || strings.ContainsAny(m[1], " \t") {
				t.Errorf("label %s has the value %q, want one word", name, m[1])
			}
		}
	}
}

func TestBootstrapPassword(t *testing.T) {
	dir := t.TempDir()
	start := func(password string) *Server {
		t.Helper()
		s, err := New(context.Background(), Config{Data: dir, AdminPassword: password, Listen: []string{"127.0.0.1:0"}}, nil)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return s
	}
	works := func(s *Server, pass string) bool {
		return serveLocal(s, http.MethodGet, "/api/v1/sets", "admin", pass) == http.StatusOK
	}

	first := start("")
	generated := first.GeneratedPassword
	if len(generated) < 16 {
		t.Fatalf("first start generated %q, want a long random password", generated)
	}
	if !works(first, generated) {
		t.Errorf("first start: the generated password does not work")
	}
	first.Close()

	second := start("")
	if second.GeneratedPassword != "" {
		t.Errorf("second start generated %q again, want the stored one kept", second.GeneratedPassword)
	}
	if !works(second, generated) {
		t.Errorf("second start: the generated password no longer works")
	}
	second.Close()

	third := start("chosen-later")
	defer third.Close()
	if third.GeneratedPassword != "" {
		t.Errorf("start with REDSET_ADMIN_PASSWORD generated %q", third.GeneratedPassword)
	}
	if !works(third, "chosen-later") || works(third, generated) {
		t.Errorf("the given password did not replace the generated one")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redset test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	s := startServer(t, "", func(c *Config) { c.TLS = TLSConfig{Cert: certFile, Key: keyFile} })
	addr := s.Addrs()[0]
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	t.Run("https", func(t *testing.T) {
		for _, pc := range []struct {
			path string
			auth bool
		}{{"/healthz", false}, {"/api/v1/sets", true}} {
			user := ""
			if pc.auth {
				user = "admin"
			}
			if code, body := call(t, hc, http.MethodGet, "https://"+addr+pc.path, user, testPassword, nil); code != http.StatusOK {
				t.Errorf("GET https %s = %d %q, want 200", pc.path, code, body)
			}
		}
	})
	t.Run("plain http is not served", func(t *testing.T) {
		code, _ := call(t, httpClient, http.MethodGet, "http://"+addr+"/healthz", "", "", nil)
		if code == http.StatusOK {
			t.Errorf("plain HTTP to a TLS listener answered 200")
		}
	})
	t.Run("missing key file", func(t *testing.T) {
		cfg := Config{Data: t.TempDir(), AdminPassword: "x", TLS: TLSConfig{Cert: certFile, Key: certFile + ".absent"}}
		if s, err := New(context.Background(), cfg, nil); err == nil {
			s.Close()
			t.Errorf("New with a missing key file succeeded")
		}
	})
}

func TestConfiguredProbesRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	text := "members:\n  - name: svc\n    probe: {type: tcp, address: \"" + ln.Addr().String() + "\", interval: 100ms, rise: 1, fall: 1}\n"
	s := startServer(t, text, nil)
	eng := s.Engine()
	healthOf := func(name string) engine.Health {
		m, err := eng.GetMember(name)
		if err != nil {
			return engine.HealthUnknown
		}
		return m.Health.State
	}
	eventually(t, 10*time.Second, "svc OK", func() bool { return healthOf("svc") == engine.HealthOK })

	c := apiClient(t, s, "admin", testPassword)
	tenth := engine.Duration(100 * time.Millisecond)
	spec := api.MemberSpec{Name: "late", Probe: api.Probe{Type: "exec", Command: []string{"true"}, Interval: tenth,
		Timeout: tenth, Rise: 1, Fall: 1}}
	if _, err := c.PutMember(context.Background(), spec); err != nil {
		t.Fatalf("PutMember: %v", err)
	}
	eventually(t, 10*time.Second, "a member added through the API is probed", func() bool { return healthOf("late") == engine.HealthOK })

	ln.Close()
	eventually(t, 10*time.Second, "svc Failed after its listener closed", func() bool { return healthOf("svc") == engine.HealthFailed })
}

func TestPreFailoverHookVetoes(t *testing.T) {
	text := heartbeatPair + "hooks:\n  - name: veto\n    pre: true\n    exec: [/bin/sh, -c, \"echo maintenance window; exit 1\"]\n"
	s := startServer(t, text, nil)
	c := apiClient(t, s, "admin", testPassword)
	reportOK(t, c, "a", "b")
	res, err := c.Failover(context.Background(), "redset:pair", "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 2 || !strings.Contains(res.Reason, "maintenance window") {
		t.Errorf("Failover = %d %q, want 2 with the hook's output", res.ReturnValue, res.Reason)
	}
}

func TestDemoActions(t *testing.T) {
	text := "users:\n  - {name: viewer, role: reader, passwordHash: \"" + testHash() + "\"}\n"
	s := startServer(t, text, func(c *Config) { c.Demo = true })
	base := "http://" + s.Addrs()[0] + "/api/v1/demo/members/"
	tests := []struct {
		name, path, user, pass string
		want                   int
		body                   string
	}{
		{"no credentials", "web-a/fail", "", "", 401, "credentials"},
		{"reader", "web-a/fail", "viewer", "reader-password", 403, "may not fail over"},
		{"unknown member", "web-z/fail", "admin", testPassword, 404, "not a demo member"},
		{"unknown action", "web-a/reboot", "admin", testPassword, 404, "fail or heal"},
		{"fail", "lb-4/fail", "admin", testPassword, 200, `"service":"stopped"`},
		{"fail again", "lb-4/fail", "admin", testPassword, 200, `"service":"stopped"`},
		{"heal", "lb-4/heal", "admin", testPassword, 200, `"service":"running"`},
		{"heal again", "lb-4/heal", "admin", testPassword, 200, `"service":"running"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(t, httpClient, http.MethodPost, base+tc.path, tc.user, tc.pass, nil)
			if code != tc.want || !strings.Contains(body, tc.body) {
				t.Errorf("POST %s = %d %q, want %d with %q", tc.path, code, body, tc.want, tc.body)
			}
		})
	}
	t.Run("healed service answers", func(t *testing.T) {
		m, err := s.Engine().GetMember("lb-4")
		if err != nil {
			t.Fatal(err)
		}
		code, body := call(t, httpClient, http.MethodGet, m.Probe.URL, "", "", nil)
		if code != 200 || !strings.Contains(body, "lb-4 is up") {
			t.Errorf("GET %s = %d %q", m.Probe.URL, code, body)
		}
	})
}

func TestDemoSetsAndRestart(t *testing.T) {
	dir := t.TempDir()
	fronts := DemoFrontends{} // the defaults at first
	open := func() *Server {
		s, err := New(context.Background(), Config{Data: dir, AdminPassword: "x", Demo: true, Listen: []string{"127.0.0.1:0"},
			DemoFrontends: fronts}, nil)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return s
	}
	first := open()
	sets, err := first.Engine().ListSets()
	if err != nil {
		t.Fatal(err)
	}
	type shape struct {
		ID    string
		Type  []uint16
		Min   uint32
		LB    uint16
		Roles map[string]string
	}
	var got []shape
	for _, s := range sets {
		sh := shape{ID: s.InstanceID, Type: s.TypeOfSet, Min: s.MinNumberNeeded, LB: s.LoadBalanceAlgorithm, Roles: map[string]string{}}
		for _, m := range s.Members {
			sh.Roles[m.Name] = m.Role.Kind.String()
		}
		got = append(got, sh)
	}
	in := "in service"
	want := []shape{
		{"redset:demo-db", []uint16{2}, 2, 2, map[string]string{"db-1": in, "db-2": in, "db-3": in}},
		{"redset:demo-lb", []uint16{3}, 2, 3, map[string]string{"lb-1": in, "lb-2": in, "lb-3": in, "lb-4": in}},
		{"redset:demo-web", []uint16{4}, 1, 2, map[string]string{"web-a": in, "web-b": "spare"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("demo sets (-want +got):\n%s", diff)
	}
	web, _ := first.Engine().GetSet("redset:demo-web")
	if sp := web.Members[1].Role.Spare; sp.SpareStatus != engine.SpareHot || sp.FailoverSupported != engine.FailoverBoth {
		t.Errorf("web-b spare settings = %+v, want hot standby, failover both", sp)
	}
	wantListen := map[string]string{"redset:demo-web": DefaultDemoWeb, "redset:demo-lb": DefaultDemoLB, "redset:demo-db": ""}
	checkDemoFrontends(t, first, wantListen)
	oldTarget := mustTarget(t, first, "web-a")
	first.Close()

	fronts = DemoFrontends{Web: "127.0.0.1:25080", LB: "127.0.0.1:25081"}
	second := open()
	defer second.Close()
	checkDemoFrontends(t, second, map[string]string{"redset:demo-web": fronts.Web, "redset:demo-lb": fronts.LB, "redset:demo-db": ""})
	if n, _ := second.Engine().ListSets(); len(n) != 3 {
		t.Errorf("after a restart there are %d sets, want the same 3", len(n))
	}
	if newTarget := mustTarget(t, second, "web-a"); newTarget == oldTarget {
		t.Logf("web-a kept its address %s (the port was free again)", newTarget)
	}
	code, _ := call(t, httpClient, http.MethodGet, mustTarget(t, second, "web-a"), "", "", nil)
	if code != http.StatusOK {
		t.Errorf("after a restart web-a's probe target answers %d, want the new service", code)
	}
}

// checkDemoFrontends compares where the demo sets' frontends listen ("":
// no frontend) with want.
func checkDemoFrontends(t *testing.T, s *Server, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	sets, _ := s.Engine().ListSets()
	for _, v := range sets {
		got[v.InstanceID] = ""
		if v.Frontend != nil {
			got[v.InstanceID] = v.Frontend.Listen
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("demo frontends (-want +got):\n%s", diff)
	}
}

func mustTarget(t *testing.T, s *Server, member string) string {
	t.Helper()
	m, err := s.Engine().GetMember(member)
	if err != nil {
		t.Fatal(err)
	}
	return m.Probe.URL
}

// The dashboard needs credentials like the API.
func TestDashboardAuth(t *testing.T) {
	s := newServer(t, "", func(c *Config) { c.Demo = true })
	if got := serveLocal(s, http.MethodGet, "/", "", ""); got != http.StatusUnauthorized {
		t.Errorf("GET / without credentials = %d, want 401", got)
	}
	if got := serveLocal(s, http.MethodGet, "/", "admin", testPassword); got != http.StatusOK {
		t.Errorf("GET / = %d, want 200", got)
	}
}

// TestCloseEndsEventStreams checks that an open event stream does not hold
// Close up: the stream ends and Close returns well before Shutdown's grace.
func TestCloseEndsEventStreams(t *testing.T) {
	cfg := Config{Data: t.TempDir(), Listen: []string{"127.0.0.1:0"}, AdminPassword: "pw"}
	srv, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+srv.Addrs()[0]+"/api/v1/events", nil)
	req.SetBasicAuth("admin", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("opening the event stream: %v %v", resp, err)
	}
	defer resp.Body.Close()
	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case <-closed:
	case <-time.After(4 * time.Second):
		t.Fatal("Close is still waiting for the open event stream")
	}
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Logf("the stream ended cleanly; Close took %v", time.Since(start))
	}
}
