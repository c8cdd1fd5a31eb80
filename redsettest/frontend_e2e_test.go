package redsettest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// pollUntil checks cond every 20ms until it holds, failing the test after
// 15 seconds with what cond last said.
func pollUntil(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, last := cond()
		if ok {
			return
		}
		select {
		case <-deadline:
			t.Fatalf("%s: not after 15s (%s)", what, last)
		case <-tick.C:
		}
	}
}

// frontendAddr waits until the set's frontend listens, as the JSON API
// tells, and returns where.
func frontendAddr(t *testing.T, srv *redsettest.Server, setID string) string {
	t.Helper()
	var addr string
	pollUntil(t, "the frontend of "+setID+" listens", func() (bool, string) {
		st, err := apiFrontendStatus(srv, setID)
		addr = st.Address
		return err == nil && st.Address != "" && st.Error == "", fmt.Sprintf("%+v %v", st, err)
	})
	return addr
}

// waitNoConnections waits until the set's frontend has no connection open.
func waitNoConnections(t *testing.T, srv *redsettest.Server, setID string) {
	t.Helper()
	pollUntil(t, "the frontend of "+setID+" has no connection open", func() (bool, string) {
		st, err := apiFrontendStatus(srv, setID)
		return err == nil && st.Open == 0, fmt.Sprintf("%+v %v", st, err)
	})
}

// asAdmin sends a request without a body to srv as the administrator.
func asAdmin(srv *redsettest.Server, method, path string) (*http.Response, error) {
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("admin", redsettest.AdminPassword)
	return http.DefaultClient.Do(req)
}

func apiFrontendStatus(srv *redsettest.Server, setID string) (engine.FrontendStatus, error) {
	resp, err := asAdmin(srv, http.MethodGet, "/api/v1/sets/"+setID)
	if err != nil {
		return engine.FrontendStatus{}, err
	}
	defer resp.Body.Close()
	var body struct {
		FrontendStatus *engine.FrontendStatus `json:"frontendStatus"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.FrontendStatus == nil {
		return engine.FrontendStatus{}, fmt.Errorf("GET %s: %d, no frontendStatus (%v)", setID, resp.StatusCode, err)
	}
	return *body.FrontendStatus, nil
}

// askOnce sends one HTTP/1.0 request through addr on a new connection and
// returns the answer's body ("web-a is up").
func askOnce(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return strings.TrimSpace(ask(t, c, "GET / HTTP/1.0\r\n\r\n"))
}

// ask writes one request on c and reads its answer's body.
func ask(t *testing.T, c net.Conn, request string) string {
	t.Helper()
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("through the frontend: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// A failover moves the traffic of the demo's web frontend: the next
// connection reaches the member that took over, planned or automatic.
func TestFrontendFollowsFailover(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{Demo: true})
	eng := srv.Engine()
	waitAllOK(t, eng, demoWeb)
	addr := frontendAddr(t, srv, demoWeb)
	if got := askOnce(t, addr); got != "web-a is up" {
		t.Fatalf("through the frontend before a failover: %q, want web-a's answer", got)
	}
	if res := eng.Failover(context.Background(), demoWeb, "web-a", "web-b"); res.Code != engine.CodeCompleted {
		t.Fatalf("Failover: %+v", res)
	}
	if got := askOnce(t, addr); got != "web-b is up" {
		t.Fatalf("the first connection after the failover: %q, want web-b's answer", got)
	}
	demoAction(t, srv, "web-b", "fail") // the automatic failover back to web-a follows
	pollUntil(t, "the automatic failover to web-a", func() (bool, string) {
		return roleOf(t, eng, demoWeb, "web-a") == engine.RoleInService, "web-a is not in service"
	})
	if got := askOnce(t, addr); got != "web-a is up" {
		t.Errorf("after the automatic failover: %q, want web-a's answer", got)
	}
	metrics := scrape(t, srv)
	for _, want := range []string{
		`redset_frontend_connections_total{member="web-a",set="redset:demo-web"} 2`,
		`redset_frontend_connections_total{member="web-b",set="redset:demo-web"} 1`,
		`redset_frontend_listening{set="redset:demo-web"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func scrape(t *testing.T, srv *redsettest.Server) string {
	t.Helper()
	resp, err := asAdmin(srv, http.MethodGet, "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s %v", resp.Status, err)
	}
	return string(b)
}

func demoAction(t *testing.T, srv *redsettest.Server, member, action string) {
	t.Helper()
	resp, err := asAdmin(srv, http.MethodPost, "/api/v1/demo/members/"+member+"/"+action)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("demo %s %s: %s", action, member, resp.Status)
	}
}

// wbemcli's ModifyInstance of LoadBalanceAlgorithm changes which members
// the next connections of the demo's load-balanced frontend reach.
func TestWbemcliLoadBalanceMovesConnections(t *testing.T) {
	bin := redsettest.RequireTool(t, "wbemcli", "apt-get install -y sblim-wbemcli")
	srv := redsettest.Start(t, redsettest.Options{Demo: true})
	waitAllOK(t, srv.Engine(), demoLB)
	host := strings.TrimPrefix(srv.URL, "http://")
	w := &wbemcli{bin: bin, base: "http://admin:" + redsettest.AdminPassword + "@" + host + "/" + cimNamespace}
	addr := frontendAddr(t, srv, demoLB)
	all := []string{"lb-1 is up", "lb-2 is up", "lb-3 is up", "lb-4 is up"}

	// Round Robin (the demo's): one connection after another, each member in turn.
	if diff := cmp.Diff(all, askSequentially(t, addr, 4)); diff != "" {
		t.Errorf("Round Robin (-want +got):\n%s", diff)
	}
	w.ok(t, "mi", w.path(setPath(demoLB)), "LoadBalanceAlgorithm=2")
	if diff := cmp.Diff([]string{"lb-1 is up", "lb-1 is up", "lb-1 is up", "lb-1 is up"}, askSequentially(t, addr, 4)); diff != "" {
		t.Errorf("No Load Balancing: everything to the first member (-want +got):\n%s", diff)
	}
	lb1 := []string{"lb-1 is up", "lb-1 is up", "lb-1 is up", "lb-1 is up"}
	if diff := cmp.Diff(lb1, askHoldingOpen(t, addr, 4)); diff != "" {
		t.Errorf("No Load Balancing with connections held open (-want +got):\n%s", diff)
	}
	waitNoConnections(t, srv, demoLB)
	// Least IO: connections held open spread over the members, fewest open first.
	w.ok(t, "mi", w.path(setPath(demoLB)), "LoadBalanceAlgorithm=5")
	if diff := cmp.Diff(all, askHoldingOpen(t, addr, 4)); diff != "" {
		t.Errorf("Least IO with connections held open (-want +got):\n%s", diff)
	}
}

func askSequentially(t *testing.T, addr string, n int) []string {
	var out []string
	for range n {
		out = append(out, askOnce(t, addr))
	}
	return out
}

// askHoldingOpen asks n times on n connections that stay open until all
// answered (HTTP/1.1 keep-alive), and returns the answers in order.
func askHoldingOpen(t *testing.T, addr string, n int) []string {
	var out []string
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		out = append(out, ask(t, c, "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"))
	}
	return out
}
