package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/cluster"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// rs1 is the set the recorded client requests address: Microsoft:RS-1
// with vm-a in service and vm-b a hot spare; user "user" (password
// "pass", as the recordings carry) may fail over.
func rs1(hash string) string {
	return `orgID: Microsoft
health: {rise: 1, fall: 1}
users:
  - {name: user, role: operator, passwordHash: "` + hash + `"}
members:
  - {name: vm-a, probe: {type: heartbeat, ttl: 1h}}
  - {name: vm-b, probe: {type: heartbeat, ttl: 1h}}
sets:
  - id: RS-1
    typeOfSet: [4]
    minNumberNeeded: 1
    members:
      - {name: vm-a}
      - {name: vm-b, role: spare, spareStatus: hot, failoverSupported: both}
`
}

// recorder keeps the last answer a handler gave and counts the requests.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	n    int
	code int
	body []byte
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	rc.next.ServeHTTP(rec, r)
	rc.mu.Lock()
	rc.n, rc.code, rc.body = rc.n+1, rec.Code, rec.Body.Bytes()
	rc.mu.Unlock()
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (rc *recorder) last() (n, code int, body []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.n, rc.code, rc.body
}

// clientConn is an HTTP client that tells the local address of its last
// connection: the address the leader must name as the caller.
type clientConn struct {
	mu    sync.Mutex
	local string
	c     *http.Client
}

func newClientConn() *clientConn {
	cc := &clientConn{}
	dial := (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	cc.c = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err == nil {
				cc.mu.Lock()
				cc.local = conn.LocalAddr().String()
				cc.mu.Unlock()
			}
			return conn, err
		},
	}}
	return cc
}

// send replays a request and returns its answer and the caller's address.
func (cc *clientConn) send(t *testing.T, req *http.Request) (int, http.Header, []byte, string) {
	t.Helper()
	resp, err := cc.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return resp.StatusCode, resp.Header, body, cc.local
}

// fixtureRequest reads a recorded client request and aims it at base.
func fixtureRequest(t *testing.T, name, base string) *http.Request {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	in, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(in.Body)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(in.Method, base+in.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out.Header = in.Header.Clone()
	out.Header.Del("Connection")
	out.SetBasicAuth("user", "pass")
	return out
}

// forwardPair starts a leader and a follower, each on its own prefix of
// one embedded etcd, sharing the cluster secret; the follower is made to
// see the leader (reached through a recorder of its answers) as leader.
func forwardPair(t testing.TB) (leader, follower *Server, view *seenCluster, rec *recorder, auditFile string) {
	t.Helper()
	hash, err := auth.HashPassword("pass")
	if err != nil {
		t.Fatal(err)
	}
	etcd := etcdtest.Start(t, 1, etcdtest.Options{})
	on := func(name, prefix string, extra func(*Config)) func(*Config) {
		return func(c *Config) {
			c.Store = StoreCfg{Etcd: &EtcdConfig{Endpoints: etcd.Endpoints(), Prefix: prefix}}
			c.Cluster.Name, c.Cluster.Secret = name, "forwarding-test-secret"
			if extra != nil {
				extra(c)
			}
		}
	}
	auditFile = filepath.Join(t.TempDir(), "audit.jsonl")
	leader = startServer(t, rs1(hash), on("node-l", "/fwd-leader", func(c *Config) { c.Audit.File = auditFile }))
	follower = startServer(t, rs1(hash), on("node-f", "/fwd-follower", nil))
	rec = &recorder{next: leader.Handler()}
	front := httptest.NewServer(rec)
	t.Cleanup(front.Close)
	view = &seenCluster{info: cluster.Info{Mode: cluster.ModeEtcd, Name: "node-f", URL: "http://" + follower.Addrs()[0],
		Leader: cluster.Peer{Name: "node-l", URL: front.URL}, InSync: true}}
	for _, s := range []*Server{leader, follower} {
		reportOK(t, apiClient(t, s, "admin", testPassword), "vm-a", "vm-b")
	}
	follower.setView(view)
	return leader, follower, view, rec, auditFile
}

func inService(t *testing.T, s *Server) string {
	t.Helper()
	for name, role := range roles(t, s.Engine(), "Microsoft:RS-1") {
		if role == engine.RoleInService {
			return name
		}
	}
	return ""
}

// Writes sent to a follower are answered by the leader, byte for byte,
// and the leader's history names the client, not the follower (and the
// dashboard as the dashboard); reads stay on the follower.
func TestForwardWritesToTheLeader(t *testing.T) {
	leader, follower, _, rec, auditFile := forwardPair(t)
	base := "http://" + follower.Addrs()[0]
	cc := newClientConn()
	apiFailover := func(from, to string) *http.Request {
		req, _ := http.NewRequest("POST", base+"/api/v1/sets/Microsoft:RS-1/failover",
			strings.NewReader(`{"from":"`+from+`","to":"`+to+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("user", "pass")
		return req
	}
	steps := []struct {
		name     string
		req      *http.Request
		protocol string
		want     string // in service on the leader afterwards
		success  string // in the answer
	}{
		{"CIM-XML Failover", fixtureRequest(t, "wbemcli--InvokeMethod-Failover--2.http", base), "cimxml", "vm-b", "<RETURNVALUE PARAMTYPE=\"uint32\"><VALUE>0</VALUE>"},
		{"API failover", apiFailover("vm-b", "vm-a"), "api", "vm-a", `"returnValue":0`},
		{"WS-Man Invoke Failover", fixtureRequest(t, "wsman--Invoke-Failover--1.http", base), "wsman", "vm-b", "<p:ReturnValue>0</p:ReturnValue>"},
		{"dashboard failover", dashboard(apiFailover("vm-b", "vm-a")), "web", "vm-a", `"returnValue":0`},
	}
	var callers []string
	for _, st := range steps {
		before, _, _ := rec.last()
		code, _, body, local := cc.send(t, st.req)
		n, lcode, lbody := rec.last()
		if n != before+1 {
			t.Fatalf("%s: the leader saw %d requests, want 1", st.name, n-before)
		}
		if code != lcode || !bytes.Equal(body, lbody) {
			t.Errorf("%s: the follower answered %d %q\nthe leader answered %d %q", st.name, code, body, lcode, lbody)
		}
		if !strings.Contains(string(body), st.success) {
			t.Errorf("%s: answer %d %s, want it to contain %s", st.name, code, body, st.success)
		}
		if got := inService(t, leader); got != st.want {
			t.Errorf("%s: in service on the leader = %q, want %q", st.name, got, st.want)
		}
		if got := inService(t, follower); got != "vm-a" {
			t.Errorf("%s: the follower's own store changed (in service %q)", st.name, got)
		}
		callers = append(callers, st.protocol+" "+local)
	}
	before, _, _ := rec.last()
	if code, _, _, _ := cc.send(t, mustGet(t, base+"/api/v1/sets/Microsoft:RS-1")); code != 200 {
		t.Errorf("a read on the follower = %d", code)
	}
	// A WS-Man read is judged by the start of its body, which the
	// follower's own handler then reads whole.
	if code, _, body, _ := cc.send(t, fixtureRequest(t, "wsman--Get--1.http", base)); code != 200 || !strings.Contains(string(body), "<p:InstanceID>Microsoft:RS-1</p:InstanceID>") {
		t.Errorf("a WS-Man Get on the follower = %d %s", code, body)
	}
	if n, _, _ := rec.last(); n != before {
		t.Errorf("a read was forwarded to the leader")
	}
	if got := failoverActors(t, leader); strings.Join(got, "|") != strings.Join(callers, "|") {
		t.Errorf("the leader's failovers name\n %q\nwant the clients\n %q", got, callers)
	}
	pollMetrics(t, base, `redset_forwarded_requests_total{outcome="forwarded",protocol="cimxml"} 1`,
		`redset_forwarded_requests_total{outcome="forwarded",protocol="api"} 2`,
		`redset_forwarded_requests_total{outcome="forwarded",protocol="wsman"} 1`)
	leader.Close()
	if audit := readFile(t, auditFile); !strings.Contains(audit, `"address":"`+strings.Split(callers[0], " ")[1]+`"`) {
		t.Errorf("the audit file does not name the first client %s:\n%s", callers[0], audit)
	}
}

// dashboard marks req as a browser marks the dashboard's calls.
func dashboard(req *http.Request) *http.Request {
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return req
}

func mustGet(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("user", "pass")
	return req
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// failoverActors lists "protocol address" of the completed failovers the
// server recorded.
func failoverActors(t *testing.T, s *Server) []string {
	t.Helper()
	hist, err := s.Engine().History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range hist {
		if r.Failover != nil && r.Failover.Code == engine.CodeCompleted {
			out = append(out, r.Actor.Protocol+" "+r.Actor.Address)
		}
	}
	return out
}

// A leader believes the forwarding headers only under a valid, recent
// signature over the request as it arrives, seen for the first time;
// forged, stale, altered and replayed ones are stripped and the sender is
// named instead.
func TestForgedForwardingIsIgnored(t *testing.T) {
	leader, _, _, _, _ := forwardPair(t)
	base := "http://" + leader.Addrs()[0]
	const path = "/api/v1/sets/Microsoft:RS-1/failover"
	f := newForwarder(leader)
	wrong := &forwarder{secret: []byte("not the secret"), name: "node-f", now: time.Now}
	failover := func(from, to string) string { return `{"from":"` + from + `","to":"` + to + `"}` }
	// signed is the forwarding headers f signs for body from client.
	signed := func(f *forwarder, body, client string) http.Header {
		h := http.Header{}
		f.sign(h, "POST", path, client, []byte(body))
		return h
	}
	cc := newClientConn()
	// send posts body with the headers h and returns the caller's address.
	send := func(body string, h http.Header) string {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		for k, vs := range h {
			req.Header[k] = vs
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("user", "pass")
		code, _, answer, local := cc.send(t, req)
		if code != 200 {
			t.Fatalf("failover = %d %s", code, answer)
		}
		return local
	}
	edited := func(h http.Header, k, v string) http.Header { h.Set(k, v); return h }

	zeroSig := edited(signed(f, failover("vm-a", "vm-b"), "10.9.9.1:1"), hdrFwdSig, strings.Repeat("0", 64))
	stale := signed(f, failover("vm-a", "vm-b"), "10.9.9.3:1")
	stale.Set(hdrFwdAt, "1000") // 1970: far outside the window, though signed right
	stale.Set(hdrFwdSig, f.mac("POST", path, "10.9.9.3:1", "node-f", "1000", stale.Get(hdrFwdNonce), bodySum([]byte(failover("vm-a", "vm-b")))))
	captured := signed(f, failover("vm-a", "vm-b"), "10.9.9.5:1")
	steps := []struct {
		name, body string
		h          http.Header
		believed   string // the client named, or "" for the sender
	}{
		{"a zero signature", failover("vm-a", "vm-b"), zeroSig, ""},
		{"the wrong secret", failover("vm-b", "vm-a"), signed(wrong, failover("vm-b", "vm-a"), "10.9.9.2:1"), ""},
		{"a stale time", failover("vm-a", "vm-b"), stale, ""},
		{"a valid signature", failover("vm-b", "vm-a"), signed(f, failover("vm-b", "vm-a"), "10.9.9.4:1"), "10.9.9.4:1"},
		{"another body", failover("vm-a", "vm-b"), signed(f, failover("vm-b", "vm-a"), "10.9.9.6:1"), ""},
		{"a body signed with another", failover("vm-b", "vm-a"), signed(f, failover("vm-a", "vm-b"), "10.9.9.7:1"), ""},
		{"a valid signature, captured", failover("vm-a", "vm-b"), captured, "10.9.9.5:1"},
		{"an unsigned write between", failover("vm-b", "vm-a"), nil, ""},
		{"the captured request replayed", failover("vm-a", "vm-b"), captured, ""},
	}
	var want []string
	for _, st := range steps {
		local := send(st.body, st.h)
		if st.believed != "" {
			local = st.believed
		}
		want = append(want, "api "+local)
	}
	pollMetrics(t, base, `redset_forwarded_requests_total{outcome="rejected",protocol="api"} 6`)
	if got := failoverActors(t, leader); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("actors\n got %q\nwant %q", got, want)
		for i, st := range steps {
			t.Logf("step %d: %s", i, st.name)
		}
	}
}

// While no leader is known a follower answers API writes at once with
// 503 and Retry-After, and still answers reads.
func TestNoLeaderKnown(t *testing.T) {
	_, follower, view, rec, _ := forwardPair(t)
	view.set(func(i *cluster.Info) { i.Leader = cluster.Peer{} })
	base := "http://" + follower.Addrs()[0]
	req, _ := http.NewRequest("POST", base+"/api/v1/sets/Microsoft:RS-1/failover", strings.NewReader(`{"from":"vm-a","to":"vm-b"}`))
	req.SetBasicAuth("user", "pass")
	cc := newClientConn()
	code, h, body, _ := cc.send(t, req)
	var p struct{ Type string }
	if code != 503 || h.Get("Retry-After") != "1" || json.Unmarshal(body, &p) != nil || !strings.HasSuffix(p.Type, "/unavailable") {
		t.Errorf("a write without a leader = %d Retry-After %q %s; want 503, 1 and an unavailable problem", code, h.Get("Retry-After"), body)
	}
	if code, _, _, _ := cc.send(t, mustGet(t, base+"/api/v1/sets/Microsoft:RS-1")); code != 200 {
		t.Errorf("a read without a leader = %d, want 200", code)
	}
	if n, _, _ := rec.last(); n != 0 {
		t.Errorf("the leader saw %d requests, want none", n)
	}
	if got := inService(t, follower); got != "vm-a" {
		t.Errorf("in service on the follower = %q, want vm-a unchanged", got)
	}

	view.set(func(i *cluster.Info) { i.Leader = cluster.Peer{Name: "gone", URL: "http://" + closedPort(t)} })
	req, _ = http.NewRequest("POST", base+"/api/v1/sets/Microsoft:RS-1/failover", strings.NewReader(`{"from":"vm-a","to":"vm-b"}`))
	req.SetBasicAuth("user", "pass")
	if code, h, body, _ := cc.send(t, req); code != 503 || h.Get("Retry-After") != "1" {
		t.Errorf("a write with the leader out of reach = %d Retry-After %q %s; want 503, 1", code, h.Get("Retry-After"), body)
	}
	if got := inService(t, follower); got != "vm-a" {
		t.Errorf("in service on the follower = %q, want vm-a unchanged", got)
	}
	pollMetrics(t, base, `redset_forwarded_requests_total{outcome="no_leader",protocol="api"} 1`,
		`redset_forwarded_requests_total{outcome="unreachable",protocol="api"} 1`)
}

// A forwarded request is never forwarded again: two servers that each
// believe the other leads answer a write once, on the second server.
func TestForwardedRequestsDoNotLoop(t *testing.T) {
	leader, follower, _, rec, _ := forwardPair(t)
	leader.setView(&seenCluster{info: cluster.Info{Mode: cluster.ModeEtcd, Name: "node-l", InSync: true,
		Leader: cluster.Peer{Name: "node-f", URL: "http://" + follower.Addrs()[0]}}})
	req, _ := http.NewRequest("POST", "http://"+follower.Addrs()[0]+"/api/v1/sets/Microsoft:RS-1/failover",
		strings.NewReader(`{"from":"vm-a","to":"vm-b"}`))
	req.SetBasicAuth("user", "pass")
	req.Header.Set("Content-Type", "application/json")
	code, _, body, _ := newClientConn().send(t, req)
	if code != 200 || !strings.Contains(string(body), `"returnValue":0`) {
		t.Fatalf("failover = %d %s", code, body)
	}
	if n, _, _ := rec.last(); n != 1 {
		t.Errorf("the second server saw %d requests, want 1", n)
	}
	if got := inService(t, leader); got != "vm-b" {
		t.Errorf("in service on the second server = %q, want vm-b", got)
	}
}

// Servers that share a certificate forward to each other over HTTPS.
func TestForwardOverTLS(t *testing.T) {
	hash, err := auth.HashPassword("pass")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, pool := selfSigned(t)
	etcd := etcdtest.Start(t, 1, etcdtest.Options{})
	on := func(name, prefix string) func(*Config) {
		return func(c *Config) {
			c.Store = StoreCfg{Etcd: &EtcdConfig{Endpoints: etcd.Endpoints(), Prefix: prefix}}
			c.Cluster.Name, c.Cluster.Secret = name, "tls-test-secret"
			c.TLS = TLSConfig{Cert: certFile, Key: keyFile}
		}
	}
	leader := startServer(t, rs1(hash), on("node-l", "/tls-leader"))
	follower := startServer(t, rs1(hash), on("node-f", "/tls-follower"))
	reportOK(t, tlsAPIClient(t, leader, pool), "vm-a", "vm-b")
	follower.setView(&seenCluster{info: cluster.Info{Mode: cluster.ModeEtcd, Name: "node-f", InSync: true,
		Leader: cluster.Peer{Name: "node-l", URL: "https://" + leader.Addrs()[0]}}})
	res, err := tlsAPIClient(t, follower, pool).Failover(context.Background(), "Microsoft:RS-1", "vm-a", "vm-b")
	if err != nil || res.ReturnValue != 0 {
		t.Fatalf("Failover through the follower = %+v, %v", res, err)
	}
	if got := inService(t, leader); got != "vm-b" {
		t.Errorf("in service on the leader = %q, want vm-b", got)
	}
	if got := inService(t, follower); got != "vm-a" {
		t.Errorf("in service on the follower = %q, want vm-a (its own store)", got)
	}
}

func tlsAPIClient(t *testing.T, s *Server, roots *x509.CertPool) *api.Client {
	t.Helper()
	c, err := api.NewClient("https://"+s.Addrs()[0], "admin", testPassword,
		&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A write forwarded to a leader that does not answer (frozen) ends with
// 503 once the follower sees that server no longer leads.
func TestForwardEndsWhenTheLeaderChanges(t *testing.T) {
	_, follower, view, _, _ := forwardPair(t)
	frozen, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer frozen.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := frozen.Accept(); err == nil {
			accepted <- c // held open, never answered
		}
	}()
	view.set(func(i *cluster.Info) {
		i.Leader = cluster.Peer{Name: "frozen", URL: "http://" + frozen.Addr().String()}
	})
	req, _ := http.NewRequest("POST", "http://"+follower.Addrs()[0]+"/api/v1/sets/Microsoft:RS-1/failover",
		strings.NewReader(`{"from":"vm-a","to":"vm-b"}`))
	req.SetBasicAuth("user", "pass")
	type answer struct {
		code int
		h    http.Header
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := httpClient.Do(req)
		if err != nil {
			done <- answer{}
			return
		}
		resp.Body.Close()
		done <- answer{resp.StatusCode, resp.Header}
	}()
	var conn net.Conn
	select {
	case conn = <-accepted:
		defer conn.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("the write was not forwarded to the frozen leader")
	}
	select {
	case a := <-done:
		t.Fatalf("the write was answered (%d) while its leader still led", a.code)
	default:
	}
	view.set(func(i *cluster.Info) { i.Leader = cluster.Peer{} })
	select {
	case a := <-done:
		if a.code != 503 || a.h.Get("Retry-After") != "1" {
			t.Errorf("answer %d Retry-After %q, want 503 and 1", a.code, a.h.Get("Retry-After"))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the write still waits for a server that no longer leads")
	}
}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key}
}

// issue writes a certificate for 127.0.0.1 signed by ca, followed by ca's
// own (the chain a server serves), and its key, over certFile and keyFile.
func (ca testCA) issue(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "redset peer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})...)
	if err := os.WriteFile(certFile, chain, 0o600); err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
}

// After a reload to a certificate from another authority, a follower
// trusts its peers by the new chain: forwarding works without a restart.
func TestForwardAfterTheCertificateChanges(t *testing.T) {
	hash, err := auth.HashPassword("pass")
	if err != nil {
		t.Fatal(err)
	}
	first, second := newTestCA(t, "first CA"), newTestCA(t, "second CA")
	etcd := etcdtest.Start(t, 1, etcdtest.Options{})
	type peer struct {
		s                 *Server
		certFile, keyFile string
	}
	start := func(name, prefix string) peer {
		dir := t.TempDir()
		p := peer{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
		first.issue(t, p.certFile, p.keyFile)
		edit := func(c *Config) {
			c.Store = StoreCfg{Etcd: &EtcdConfig{Endpoints: etcd.Endpoints(), Prefix: prefix}}
			c.Cluster.Name, c.Cluster.Secret = name, "rotation-test-secret"
			c.TLS = TLSConfig{Cert: p.certFile, Key: p.keyFile}
		}
		p.s = startServer(t, rs1(hash), edit)
		p.s.SetLoader(func() (Config, error) {
			cfg, err := ParseConfig("test.yaml", []byte(rs1(hash)))
			edit(&cfg)
			return cfg, err
		})
		return p
	}
	leader, follower := start("node-l", "/rot-leader"), start("node-f", "/rot-follower")
	rotate := func(p peer) {
		t.Helper()
		second.issue(t, p.certFile, p.keyFile)
		if rep, err := p.s.Reload(context.Background()); err != nil || !rep.TLS {
			t.Fatalf("Reload = %+v, %v; want the certificate replaced", rep, err)
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(first.cert)
	roots.AddCert(second.cert)
	reportOK(t, tlsAPIClient(t, leader.s, roots), "vm-a", "vm-b")
	follower.s.setView(&seenCluster{info: cluster.Info{Mode: cluster.ModeEtcd, Name: "node-f", InSync: true,
		Leader: cluster.Peer{Name: "node-l", URL: "https://" + leader.s.Addrs()[0]}}})
	viaFollower := tlsAPIClient(t, follower.s, roots)
	failover := func(from, to string) (uint32, error) {
		res, err := viaFollower.Failover(context.Background(), "Microsoft:RS-1", from, to)
		return res.ReturnValue, err
	}

	if rc, err := failover("vm-a", "vm-b"); err != nil || rc != 0 {
		t.Fatalf("a failover through the follower, both under the first CA = %d, %v", rc, err)
	}
	rotate(follower)
	if _, err := failover("vm-b", "vm-a"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a failover through the follower, now under the second CA while the leader serves the first = %v; want 503 (the leader is not trusted any more)", err)
	}
	rotate(leader)
	if rc, err := failover("vm-b", "vm-a"); err != nil || rc != 0 {
		t.Fatalf("a failover through the follower, both under the second CA = %d, %v", rc, err)
	}
	if got := inService(t, leader.s); got != "vm-a" {
		t.Errorf("in service on the leader = %q, want vm-a", got)
	}
}

// BenchmarkForwardHop: planned failovers (JSON API) sent to a leader,
// and through a follower that forwards them to it, in one process on one
// embedded etcd. The difference is the cost of the hop.
func BenchmarkForwardHop(b *testing.B) {
	leader, follower, view, _, _ := forwardPair(b)
	view.set(func(i *cluster.Info) { i.Leader.URL = "http://" + leader.Addrs()[0] })
	from, to := "vm-a", "vm-b"
	for _, via := range []struct {
		name string
		s    *Server
	}{{"leader", leader}, {"follower", follower}} {
		b.Run("via "+via.name, func(b *testing.B) {
			c := apiClient(b, via.s, "user", "pass")
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				res, err := c.Failover(b.Context(), "Microsoft:RS-1", from, to)
				took = append(took, time.Since(start))
				if err != nil || res.ReturnValue != 0 {
					b.Fatalf("failover %s -> %s via %s: %+v %v", from, to, via.name, res, err)
				}
				from, to = to, from
			}
			slices.Sort(took)
			for _, p := range []struct {
				unit string
				at   float64
			}{{"p50-ms", 0.50}, {"p99-ms", 0.99}} {
				b.ReportMetric(float64(took[min(len(took)-1, int(p.at*float64(len(took))))])/float64(time.Millisecond), p.unit)
			}
		})
	}
}

// The transport to the leader keeps its connection for the next write,
// and speaks HTTP/2 over TLS.
func TestPeerTransportReusesConnections(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, r.Proto)
		}))
		roots := x509.NewCertPool()
		if tlsOn {
			srv.EnableHTTP2 = true
			srv.StartTLS()
			roots.AddCert(srv.Certificate())
		} else {
			srv.Start()
		}
		rt := newPeerTransport(roots)
		var reused []bool
		for range 3 {
			trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
			req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "POST", srv.URL+"/x", strings.NewReader("{}"))
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			proto, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := map[bool]string{false: "HTTP/1.1", true: "HTTP/2.0"}[tlsOn]; string(proto) != want {
				t.Errorf("TLS %v: the leader saw %s, want %s", tlsOn, proto, want)
			}
		}
		if !slices.Equal(reused, []bool{false, true, true}) {
			t.Errorf("TLS %v: connections reused %v, want [false true true]", tlsOn, reused)
		}
		rt.CloseIdleConnections()
		srv.Close()
	}
}

// The remembered signatures: each believed once while remembered,
// forgotten after keep, and no more than max at a time.
func TestSeenSignatures(t *testing.T) {
	s := newSeenSigs(time.Minute, 2)
	t0 := time.Unix(1000, 0)
	steps := []struct {
		sig  string
		at   time.Duration
		want bool
	}{
		{"a", 0, true},
		{"a", time.Second, false}, // a replay
		{"b", 2 * time.Second, true},
		{"c", 3 * time.Second, false},           // full
		{"a", time.Minute + time.Second, true},  // a forgotten: its time is long refused anyway
		{"c", time.Minute + time.Second, false}, // b still held, and a again: full
		{"c", time.Minute + 3*time.Second, true},
	}
	for i, st := range steps {
		if got := s.first(st.sig, t0.Add(st.at)); got != st.want {
			t.Errorf("step %d: first(%q) at +%v = %v, want %v", i, st.sig, st.at, got, st.want)
		}
	}
}

// A follower's door judges a write before anything of it is read or
// forwarded: without credentials (every protocol), or with wrong ones (the
// API), the answer is the follower's own 401, the leader sees nothing,
// and a body the client has not sent yet is not waited for.
func TestFollowerRefusesBeforeForwarding(t *testing.T) {
	_, follower, _, rec, _ := forwardPair(t)
	addr := follower.Addrs()[0]
	writes := []struct{ name, head string }{
		{"API failover", "POST /api/v1/sets/Microsoft:RS-1/failover HTTP/1.1\r\nContent-Type: application/json\r\n"},
		{"CIM-XML Failover", "POST /cimom HTTP/1.1\r\nContent-Type: application/xml\r\nCIMOperation: MethodCall\r\nCIMMethod: Failover\r\nCIMObject: root%2Fvirtualization%2Fv2\r\n"},
		{"WS-Man Invoke", "POST /wsman HTTP/1.1\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"},
	}
	wrong := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:wrong")) + "\r\n"
	for i, w := range writes {
		creds := []string{""}
		if i == 0 { // a wrong password costs a full bcrypt compare: once is enough
			creds = append(creds, wrong)
		}
		for _, creds := range creds {
			before, _, _ := rec.last()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			// The body is announced and never sent: a server that read it
			// before judging the caller would wait for it.
			fmt.Fprintf(conn, "%sHost: %s\r\n%sContent-Length: 100000\r\n\r\n<", w.head, addr, creds)
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("%s (credentials %v): no answer while the body is unsent: %v", w.name, creds != "", err)
			}
			conn.Close() // the answer ends only once its body was drained (or the client left)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s (credentials %v) = %d, want 401", w.name, creds != "", resp.StatusCode)
			}
			if n, _, _ := rec.last(); n != before {
				t.Errorf("%s (credentials %v): the leader saw it", w.name, creds != "")
			}
		}
	}
}

// bodyReads counts the bytes read from a body.
type bodyReads struct {
	r io.Reader
	n int
}

func (b *bodyReads) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += n
	return n, err
}

// A request whose forwarding signature does not hold is not believed and
// its body is not read to check it; one whose signature holds has its
// body checked against the signed sum.
func TestForwardingSignatureCheckedBeforeTheBody(t *testing.T) {
	f := &forwarder{secret: []byte("s"), name: "node-l", now: time.Now, maxBody: 1 << 20,
		log: slog.New(slog.DiscardHandler), seen: newSeenSigs(time.Minute, 16), count: func(string, string) {}}
	body := `{"from":"vm-a","to":"vm-b"}`
	request := func(h http.Header, body string) (*http.Request, *bodyReads) {
		reads := &bodyReads{r: strings.NewReader(body)}
		r := httptest.NewRequest("POST", "/api/v1/sets/x/failover", io.NopCloser(reads))
		r.RemoteAddr = "10.1.1.1:9"
		maps.Copy(r.Header, h)
		return r, reads
	}
	forged := http.Header{}
	(&forwarder{secret: []byte("not s"), name: "node-f", now: time.Now}).sign(forged, "POST", "/api/v1/sets/x/failover", "10.2.2.2:1", []byte(body))
	r, reads := request(forged, body)
	got := f.admit(r, "api")
	if got.RemoteAddr != "10.1.1.1:9" {
		t.Errorf("a forged signature was believed: client %s", got.RemoteAddr)
	}
	if !wasForwarded(got) {
		t.Error("a request that arrived with forwarding headers may be forwarded again")
	}
	if reads.n != 0 {
		t.Errorf("%d bytes of a forged request's body were read", reads.n)
	}
	good := http.Header{}
	(&forwarder{secret: []byte("s"), name: "node-f", now: time.Now}).sign(good, "POST", "/api/v1/sets/x/failover", "10.2.2.2:1", []byte(body))
	r, _ = request(good.Clone(), `{"from":"vm-b","to":"vm-a"}`)
	if got := f.admit(r, "api"); got.RemoteAddr != "10.1.1.1:9" {
		t.Errorf("a body other than the signed one was believed: client %s", got.RemoteAddr)
	}
	r, _ = request(good, body)
	if got := f.admit(r, "api"); got.RemoteAddr != "10.2.2.2:1" {
		t.Errorf("a valid signature was not believed: client %s", got.RemoteAddr)
	}
}
