package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
)

func mustProxies(t testing.TB, list ...string) proxyList {
	t.Helper()
	l, err := parseProxies(list)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// The client is the right-most X-Forwarded-For entry that is not a
// trusted proxy, read only from a trusted peer; garbage leaves the peer.
func TestProxyClient(t *testing.T) {
	l := mustProxies(t, "10.0.0.0/8", "192.0.2.7", "fd00::/8", "::ffff:172.16.0.0/108")
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string // "" : the peer stays the client
	}{
		{"one hop", "10.1.2.3:4000", []string{"203.0.113.9"}, "203.0.113.9:0"},
		{"single trusted address", "192.0.2.7:80", []string{"203.0.113.9"}, "203.0.113.9:0"},
		{"untrusted peer", "192.0.2.8:80", []string{"203.0.113.9"}, ""},
		{"no header", "10.1.2.3:4000", nil, ""},
		{"empty header", "10.1.2.3:4000", []string{""}, ""},
		{"spaces only", "10.1.2.3:4000", []string{"  "}, ""},
		{"chain of trusted proxies", "10.1.2.3:4000", []string{"203.0.113.9, 10.9.9.9, 192.0.2.7"}, "203.0.113.9:0"},
		{"spoofed left-most entry", "10.1.2.3:4000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9:0"},
		{"spoofed trusted-looking entry", "10.1.2.3:4000", []string{"10.5.5.5, 203.0.113.9"}, "203.0.113.9:0"},
		{"garbage left of the client", "10.1.2.3:4000", []string{"<script>, 203.0.113.9"}, "203.0.113.9:0"},
		{"garbage right of the client", "10.1.2.3:4000", []string{"203.0.113.9, garbage"}, ""},
		{"garbage after a trusted proxy", "10.1.2.3:4000", []string{"nonsense, 10.2.2.2"}, ""},
		{"empty entry", "10.1.2.3:4000", []string{"203.0.113.9,,10.2.2.2"}, ""},
		{"trailing comma", "10.1.2.3:4000", []string{"203.0.113.9,"}, ""},
		{"every entry trusted", "10.1.2.3:4000", []string{"10.7.7.7, 10.8.8.8"}, "10.7.7.7:0"},
		{"several header lines", "10.1.2.3:4000", []string{"1.1.1.1, 203.0.113.9", "10.3.3.3", "10.4.4.4, 192.0.2.7"}, "203.0.113.9:0"},
		{"client in an earlier line", "10.1.2.3:4000", []string{"203.0.113.9", "10.3.3.3"}, "203.0.113.9:0"},
		{"port kept", "10.1.2.3:4000", []string{"203.0.113.9:5123"}, "203.0.113.9:5123"},
		{"tabs around", "10.1.2.3:4000", []string{"\t203.0.113.9 \t"}, "203.0.113.9:0"},
		{"IPv6 bare", "10.1.2.3:4000", []string{"2001:db8::1"}, "[2001:db8::1]:0"},
		{"IPv6 bracketed", "10.1.2.3:4000", []string{"[2001:db8::1]"}, "[2001:db8::1]:0"},
		{"IPv6 bracketed with port", "10.1.2.3:4000", []string{"[2001:db8::1]:8443"}, "[2001:db8::1]:8443"},
		{"IPv6 peer", "[fd00::5]:4000", []string{"2001:db8::1, fd12::1"}, "[2001:db8::1]:0"},
		{"IPv6 zone refused", "10.1.2.3:4000", []string{"fe80::1%eth0"}, ""},
		{"IPv4 in brackets refused", "10.1.2.3:4000", []string{"[203.0.113.9]"}, ""},
		{"IPv4-mapped entry unmapped", "10.1.2.3:4000", []string{"::ffff:203.0.113.9"}, "203.0.113.9:0"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:4000", []string{"203.0.113.9"}, "203.0.113.9:0"},
		{"mapped prefix trusts IPv4", "172.16.1.1:80", []string{"203.0.113.9, 172.16.9.9"}, "203.0.113.9:0"},
		{"host name refused", "10.1.2.3:4000", []string{"client.example"}, ""},
		{"unknown refused", "10.1.2.3:4000", []string{"unknown"}, ""},
		{"bad port refused", "10.1.2.3:4000", []string{"203.0.113.9:99999"}, ""},
		{"peer not an address", "@", []string{"203.0.113.9"}, ""},
		{"peer without a port", "10.1.2.3", []string{"203.0.113.9"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := l.client(tc.peer, tc.xff)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("client(%q, %q) = %q, %v; want %q", tc.peer, tc.xff, got, ok, tc.want)
			}
		})
	}
	if got, ok := proxyList(nil).client("10.1.2.3:4000", []string{"203.0.113.9"}); ok {
		t.Errorf("without trusted proxies the header was believed: %q", got)
	}
}

func TestParseProxies(t *testing.T) {
	l := mustProxies(t, "10.1.2.3/8", "2001:db8::7", "::ffff:192.0.2.0/120")
	want := []string{"10.0.0.0/8", "2001:db8::7/128", "192.0.2.0/24"}
	for i, p := range l {
		if p.String() != want[i] {
			t.Errorf("entry %d = %s, want %s", i, p, want[i])
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "proxy.example", "10.0.0.1:80", "fe80::1%eth0", "10.0.0.0/", "[::1]"} {
		_, err := parseProxies([]string{"127.0.0.1", bad})
		if err == nil || !strings.Contains(err.Error(), "trustedProxies[1]") || !strings.Contains(err.Error(), "neither an IP address nor a CIDR prefix") {
			t.Errorf("%q: %v, want an error naming trustedProxies[1]", bad, err)
		}
	}
}

// A bad entry is refused at load, naming the entry and its line.
func TestTrustedProxiesValidated(t *testing.T) {
	cfg, err := ParseConfig("test.yaml", []byte("trustedProxies:\n  - 10.0.0.0/8\n  - haproxy.local\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Default()
	err = cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "test.yaml:3") || !strings.Contains(err.Error(), `trustedProxies[1]: "haproxy.local" is neither`) {
		t.Fatalf("Validate: %v, want test.yaml:3 naming trustedProxies[1]", err)
	}
}

// Behind a trusted proxy, each forwarded client is throttled on its own
// and is the address the log, the audit and the history name; a spoofed
// left-most entry changes nothing, nor does the header from a peer that
// is not trusted.
func TestForwardedClientsBehindATrustedProxy(t *testing.T) {
	cfg, err := ParseConfig("test.yaml", []byte("trustedProxies: [127.0.0.1]\nauth:\n  throttle: {userFailures: 2}\n"+
		"users:\n  - {name: ops, role: operator, passwordHash: \""+opsHash+"\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	audit := filepath.Join(t.TempDir(), "audit.log")
	cfg.Data, cfg.Listen, cfg.AdminPassword, cfg.Audit.File = t.TempDir(), []string{"127.0.0.1:0"}, testPassword, audit
	logs := &lockedBuffer{}
	s, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	sets := "http://" + s.Addrs()[0] + "/api/v1/sets"
	proxy, stranger := clientAt(t, "127.0.0.1"), clientAt(t, "127.0.0.2")
	login := func(c *http.Client, xff, pass string) int {
		t.Helper()
		code, _ := call(t, c, "GET", sets, "ops", pass, nil, "X-Forwarded-For", xff)
		return code
	}

	for range 2 {
		if code := login(proxy, "198.51.100.1", "guess"); code != 401 {
			t.Fatalf("wrong password from 198.51.100.1: %d, want 401", code)
		}
	}
	if code := login(proxy, "198.51.100.1", "ops-password"); code != 429 {
		t.Errorf("right password from 198.51.100.1 once throttled: %d, want 429", code)
	}
	if code := login(proxy, "203.0.113.50, 198.51.100.1", "ops-password"); code != 429 {
		t.Errorf("a spoofed left-most entry escaped the throttle: %d, want 429", code)
	}
	if code := login(proxy, "198.51.100.2", "ops-password"); code != 200 {
		t.Errorf("right password from another forwarded client: %d, want 200", code)
	}
	if !strings.Contains(logs.String(), `msg="login failed" part=auth user=ops remote=198.51.100.1:0 protocol=api`) {
		t.Errorf("the failed logins do not name the forwarded client:\n%s", logs)
	}

	code, body := call(t, proxy, "POST", sets, "admin", testPassword, strings.NewReader(`{"instanceID":"XFF-1"}`),
		"Content-Type", "application/json", "X-Forwarded-For", "198.51.100.2")
	if code != 201 {
		t.Fatalf("creating a set through the proxy: %d %s", code, body)
	}
	if got := actorsOf(t, s, "set created"); len(got) != 1 || got[0] != "198.51.100.2:0" {
		t.Errorf("the history names %q, want the forwarded client 198.51.100.2:0", got)
	}
	if !strings.Contains(readFile(t, audit), `"address":"198.51.100.2:0"`) {
		t.Errorf("the audit does not name the forwarded client:\n%s", readFile(t, audit))
	}

	for i, xff := range []string{"198.51.100.3", "198.51.100.4"} {
		if code := login(stranger, xff, "guess"); code != 401 {
			t.Fatalf("wrong password %d from the untrusted peer: %d, want 401", i, code)
		}
	}
	if code := login(stranger, "198.51.100.5", "ops-password"); code != 429 {
		t.Errorf("the untrusted peer's header split its throttle: %d, want 429", code)
	}
	if strings.Contains(logs.String(), "198.51.100.3") || !strings.Contains(logs.String(), "remote=127.0.0.2:") {
		t.Errorf("the untrusted peer's header was believed:\n%s", logs)
	}
}

// actorsOf lists the addresses of the configuration records of action.
func actorsOf(t *testing.T, s *Server, action string) []string {
	t.Helper()
	hist, err := s.Engine().History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range hist {
		if r.Actor != nil && r.Config != nil && r.Config.Action == action {
			out = append(out, r.Actor.Address)
		}
	}
	return out
}

// A reload changes the trusted proxies while the server runs.
func TestReloadChangesTrustedProxies(t *testing.T) {
	s := startServer(t, "auth:\n  throttle: {userFailures: 2}\n", nil)
	url := "http://" + s.Addrs()[0] + "/api/v1/sets"
	next := s.cfg
	next.TrustedProxies = []string{"127.0.0.0/8"}
	s.SetLoader(func() (Config, error) { return next, nil })
	rep, err := s.Reload(context.Background())
	if err != nil || !rep.Proxies || len(rep.Restart) != 0 || !strings.Contains(rep.Summary(), "trusted proxies changed") {
		t.Fatalf("Reload: %+v, %v; want the proxies changed, no restart", rep, err)
	}
	login := func(xff, pass string) int {
		t.Helper()
		code, _ := call(t, httpClient, "GET", url, "admin", pass, nil, "X-Forwarded-For", xff)
		return code
	}
	for range 2 {
		if code := login("198.51.100.9", "guess"); code != 401 {
			t.Fatalf("wrong password: %d", code)
		}
	}
	if code := login("198.51.100.9", testPassword); code != 429 {
		t.Errorf("the throttled forwarded client: %d, want 429", code)
	}
	if code := login("198.51.100.10", testPassword); code != 200 {
		t.Errorf("another forwarded client after the reload: %d, want 200", code)
	}
	next.TrustedProxies = []string{"bad proxy"}
	if _, err := s.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "trustedProxies[0]") {
		t.Errorf("Reload of a bad entry: %v, want an error naming trustedProxies[0]", err)
	}
	if l := s.proxies.Load(); l == nil || len(*l) != 1 {
		t.Errorf("a refused reload changed the proxies: %v", l)
	}
}

// FuzzProxyClient checks the address choice against a plain reading of
// the rule (every line joined, split at commas, walked from the right),
// and that whatever it returns reads as host:port.
func FuzzProxyClient(f *testing.F) {
	for _, seed := range [][2]string{
		{"10.1.2.3:4000", "203.0.113.9"},
		{"10.1.2.3:4000", "1.1.1.1, 203.0.113.9, 10.2.2.2"},
		{"10.1.2.3:4000", "10.7.7.7,10.8.8.8"},
		{"10.1.2.3:4000", "[2001:db8::1]:8443, 2001:db8::2"},
		{"[fd00::1]:80", "::ffff:203.0.113.9\n10.3.3.3"},
		{"10.1.2.3:4000", "garbage, 203.0.113.9"},
		{"10.1.2.3:4000", "203.0.113.9,,"},
		{"10.1.2.3:4000", "fe80::1%eth0"},
		{"192.0.2.8:80", "203.0.113.9"},
		{"@", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	l := mustProxies(f, "10.0.0.0/8", "fd00::/8", "192.0.2.7")
	f.Fuzz(func(t *testing.T, peer, header string) {
		lines := strings.Split(header, "\n")
		got, ok := l.client(peer, lines)
		want, wantOK := plainClient(l, peer, lines)
		if got != want || ok != wantOK {
			t.Fatalf("client(%q, %q) = %q, %v; the rule says %q, %v", peer, lines, got, ok, want, wantOK)
		}
		if !ok {
			return
		}
		if _, _, err := net.SplitHostPort(got); err != nil {
			t.Fatalf("client(%q, %q) = %q, not host:port: %v", peer, lines, got, err)
		}
	})
}

// plainClient is the rule of proxyList.client written the obvious way.
func plainClient(l proxyList, peer string, lines []string) (string, bool) {
	p, err := netip.ParseAddrPort(peer)
	if len(l) == 0 || len(lines) == 0 || err != nil || !l.trusts(p.Addr().Unmap()) {
		return "", false
	}
	entries := strings.Split(strings.Join(lines, ","), ",")
	for i := len(entries) - 1; i >= 0; i-- {
		e, ok := parseForwardedFor(entries[i])
		switch {
		case !ok:
			return "", false
		case !l.trusts(e.Addr()) || i == 0:
			return e.String(), true
		}
	}
	return "", false
}

// A follower behind a trusted proxy forwards a write with the proxy's
// client as the signed client; the leader's history names that client.
// The signed client wins over an X-Forwarded-For the leader would trust.
func TestForwardedClientThroughAFollower(t *testing.T) {
	leader, follower, _, _, _ := forwardPair(t)
	base := "http://" + follower.Addrs()[0]
	failover := func(from, to, xff string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v1/sets/Microsoft:RS-1/failover",
			strings.NewReader(`{"from":"`+from+`","to":"`+to+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		req.SetBasicAuth("user", "pass")
		code, _, body, local := newClientConn().send(t, req)
		if code != 200 {
			t.Fatalf("failover through the follower: %d %s", code, body)
		}
		return local
	}
	follower.setProxies(mustProxies(t, "127.0.0.1"))
	failover("vm-a", "vm-b", "198.51.100.7")
	follower.setProxies(nil)
	leader.setProxies(mustProxies(t, "127.0.0.1"))
	local := failover("vm-b", "vm-a", "203.0.113.66")
	want := []string{"api 198.51.100.7:0", "api " + local}
	if got := failoverActors(t, leader); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the leader's failovers name %q, want %q", got, want)
	}
}

// BenchmarkProxyClient measures the address choice for a request through
// three trusted proxies.
func BenchmarkProxyClient(b *testing.B) {
	l := mustProxies(b, "10.0.0.0/8", "fd00::/8", "192.0.2.7")
	xff := []string{"1.1.1.1, 203.0.113.9, 10.2.2.2", "192.0.2.7"}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := l.client("10.1.2.3:4000", xff); !ok {
			b.Fatal("no client")
		}
	}
}
