package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
func forwardPair(t *testing.T) (leader, follower *Server, view *seenCluster, rec *recorder, auditFile string) {
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
// and the leader's history names the client, not the follower; reads stay
// on the follower.
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
	if n, _, _ := rec.last(); n != before {
		t.Errorf("a read was forwarded to the leader")
	}
	if got := failoverActors(t, leader); strings.Join(got, "|") != strings.Join(callers, "|") {
		t.Errorf("the leader's failovers name\n %q\nwant the clients\n %q", got, callers)
	}
	pollMetrics(t, base, `redset_forwarded_requests_total{outcome="forwarded",protocol="cimxml"} 1`,
		`redset_forwarded_requests_total{outcome="forwarded",protocol="api"} 1`,
		`redset_forwarded_requests_total{outcome="forwarded",protocol="wsman"} 1`)
	leader.Close()
	if audit := readFile(t, auditFile); !strings.Contains(audit, `"address":"`+strings.Split(callers[0], " ")[1]+`"`) {
		t.Errorf("the audit file does not name the first client %s:\n%s", callers[0], audit)
	}
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
// signature; forged ones are stripped and the sender is named instead.
func TestForgedForwardingIsIgnored(t *testing.T) {
	leader, _, _, _, _ := forwardPair(t)
	base := "http://" + leader.Addrs()[0]
	f := newForwarder(leader)
	cc := newClientConn()
	forge := func(from, to string, edit func(h http.Header, sig func(...string) string)) string {
		req, _ := http.NewRequest("POST", base+"/api/v1/sets/Microsoft:RS-1/failover",
			strings.NewReader(`{"from":"`+from+`","to":"`+to+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("user", "pass")
		f.sign(req.Header, "POST", "/api/v1/sets/Microsoft:RS-1/failover", "10.9.9.9:1", "api")
		edit(req.Header, f.mac)
		code, _, body, local := cc.send(t, req)
		if code != 200 {
			t.Fatalf("failover = %d %s", code, body)
		}
		return local
	}
	wrong := &forwarder{secret: []byte("not the secret")}
	locals := []string{
		forge("vm-a", "vm-b", func(h http.Header, _ func(...string) string) { h.Set(hdrFwdSig, strings.Repeat("0", 64)) }),
		forge("vm-b", "vm-a", func(h http.Header, _ func(...string) string) {
			h.Set(hdrFwdSig, wrong.mac("POST", "/api/v1/sets/Microsoft:RS-1/failover", "10.9.9.9:1", "api", h.Get(hdrFwdBy), h.Get(hdrFwdAt)))
		}),
		forge("vm-a", "vm-b", func(h http.Header, mac func(...string) string) {
			old := "1000" // 1970: far outside the window, though signed right
			h.Set(hdrFwdAt, old)
			h.Set(hdrFwdSig, mac("POST", "/api/v1/sets/Microsoft:RS-1/failover", "10.9.9.9:1", "api", h.Get(hdrFwdBy), old))
		}),
		forge("vm-b", "vm-a", func(http.Header, func(...string) string) {}), // valid: believed
	}
	pollMetrics(t, base, `redset_forwarded_requests_total{outcome="rejected",protocol="api"} 3`)
	want := []string{"api " + locals[0], "api " + locals[1], "api " + locals[2], "api 10.9.9.9:1"}
	if got := failoverActors(t, leader); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("actors\n got %q\nwant %q", got, want)
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
