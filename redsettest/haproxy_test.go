package redsettest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/redsettest"
	"github.com/redset/redset/server"
)

// Behind a real haproxy with `option forwardfor`, trusted through
// trustedProxies, each client is throttled on its own and named in the
// history; a client's own X-Forwarded-For does not make it someone else.
func TestBehindHAProxy(t *testing.T) {
	bin := redsettest.RequireTool(t, "haproxy", "apt-get install haproxy")
	srv := redsettest.Start(t, redsettest.Options{
		Config: "trustedProxies: [127.0.0.1]\nauth:\n  throttle: {userFailures: 2}\n",
	})
	front := startHAProxy(t, bin, strings.TrimPrefix(srv.URL, "http://"))
	sets := "http://" + front + "/api/v1/sets"
	alice, bob := clientFrom(t, "127.0.0.5"), clientFrom(t, "127.0.0.6")
	login := func(c *http.Client, pass string, header ...string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", sets, nil)
		req.SetBasicAuth("admin", pass)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 2 {
		if code := login(alice, "guess"); code != 401 {
			t.Fatalf("a wrong password through haproxy: %d, want 401", code)
		}
	}
	if code := login(alice, redsettest.AdminPassword); code != 429 {
		t.Errorf("the throttled client through haproxy: %d, want 429", code)
	}
	if code := login(alice, redsettest.AdminPassword, "X-Forwarded-For", "203.0.113.1"); code != 429 {
		t.Errorf("the throttled client, claiming another address: %d, want 429", code)
	}
	if code := login(bob, redsettest.AdminPassword); code != 200 {
		t.Errorf("another client through the same haproxy: %d, want 200", code)
	}
	req, _ := http.NewRequest("POST", sets, strings.NewReader(`{"instanceID":"HAP-1"}`))
	req.SetBasicAuth("admin", redsettest.AdminPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := bob.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("creating a set through haproxy: %d", resp.StatusCode)
	}
	if got := createdBy(t, srv.Server); got != "127.0.0.6" {
		t.Errorf("the history names %q as the set's creator, want the client 127.0.0.6", got)
	}
}

// startHAProxy runs haproxy in front of backend until the test ends and
// returns the address it listens on.
func startHAProxy(t *testing.T, bin, backend string) string {
	t.Helper()
	front := "127.0.0.1:" + freePort(t)
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	text := fmt.Sprintf(`defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind %s
  option forwardfor
  default_backend be
backend be
  server redset %s
`, front, backend)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &lockedLog{}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitUntil(t, 10*time.Second, "haproxy listening on "+front, func() (bool, string) {
		c, err := net.DialTimeout("tcp", front, time.Second)
		if err != nil {
			return false, fmt.Sprintf("%v\n%s", err, logs)
		}
		c.Close()
		return true, ""
	})
	return front
}

// clientFrom is an HTTP client whose connections start at ip (a loopback
// address).
func clientFrom(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// createdBy is the host of the address the history names for the one set
// created.
func createdBy(t *testing.T, s *server.Server) string {
	t.Helper()
	hist, err := s.Engine().History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range hist {
		if r.Actor != nil && r.Config != nil && r.Config.Action == "set created" {
			host, _, _ := net.SplitHostPort(r.Actor.Address)
			return host
		}
	}
	return ""
}
