package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// defaultLimits is the limits section Default fills in.
func defaultLimits() Limits {
	return Limits{MaxBodyBytes: DefaultMaxBodyBytes, MaxDrainBytes: DefaultMaxDrainBytes,
		MaxEnumerations: DefaultMaxEnumerations, MaxEnumerationsPerUser: DefaultMaxEnumerationsPerUser,
		EnumerationExpiry: Dur(DefaultEnumerationExpiry), MaxConnsPerAddress: DefaultMaxConnsPerAddress,
		MaxOperations: DefaultMaxOperations, MaxReads: defaultMaxReads(), HeaderTimeout: Dur(DefaultHeaderTimeout), BodyTimeout: Dur(DefaultBodyTimeout),
		WriteTimeout: Dur(DefaultWriteTimeout), IdleTimeout: Dur(DefaultIdleTimeout)}
}

// TestPerUserDefaultFitsTotal: a small total lowers the per-user default
// with it, so a configuration naming only the total validates.
func TestPerUserDefaultFitsTotal(t *testing.T) {
	l := Limits{MaxEnumerations: 10}
	l.fill()
	if l.MaxEnumerationsPerUser != 10 {
		t.Errorf("maxEnumerationsPerUser = %d, want 10", l.MaxEnumerationsPerUser)
	}
}

// echoLength answers the number of body bytes it read, or 413 with the
// cap when the body was past it.
func echoLength(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	_, _ = io.WriteString(w, strings.Repeat("x", int(n%7))+"read")
}

func capServer(t *testing.T, max int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(bodyCap{max: max, drain: 64 << 20, timeout: 10 * time.Second}.wrap(http.HandlerFunc(echoLength)))
	t.Cleanup(srv.Close)
	return srv
}

// TestBodyCap: bodies within the cap are read whole; past it, with or
// without a Content-Length, the handler sees *http.MaxBytesError.
func TestBodyCap(t *testing.T) {
	srv := capServer(t, 100)
	tests := []struct {
		name   string
		body   io.Reader
		status int
	}{
		{"within", strings.NewReader(strings.Repeat("a", 100)), http.StatusOK},
		{"past, with length", strings.NewReader(strings.Repeat("a", 101)), http.StatusRequestEntityTooLarge},
		{"past, chunked", io.MultiReader(strings.NewReader(strings.Repeat("a", 101))), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL, "text/plain", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

// TestBodyCapWriteFirstClient sends a body far past the cap the way
// python's http.client does (all of it, then read) and must read the 413;
// the connection then serves another request.
func TestBodyCapWriteFirstClient(t *testing.T) {
	srv := capServer(t, 1<<20)
	conn, n, err := postWhole(t, srv.Listener.Addr().String(), 40<<20)
	if err != nil {
		t.Fatalf("writing the body: %v after %d bytes (the server stopped reading)", err, n)
	}
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(conn)
	if !bytes.HasPrefix(all, []byte("HTTP/1.1 413 ")) {
		t.Fatalf("answer %.60q, want a 413", all)
	}
	if !bytes.Contains(all, []byte("HTTP/1.1 200 ")) {
		t.Errorf("the connection did not serve the next request: %q", all)
	}
}

// TestBodyCapExpectContinue: a client that waits for 100 Continue before
// a body past the cap gets the 413 without being asked for the body.
func TestBodyCapExpectContinue(t *testing.T) {
	srv := capServer(t, 100)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n")
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(conn, buf, 12)
	if !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 413") {
		t.Errorf("answer %q, want 413 first", buf[:n])
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestConnLimit: past the cap, connections from one address are closed at
// once (and logged once per period); closing one makes room again.
func TestConnLimit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer // written by the accepting goroutine
	lim := limitConns(ln, 2, slog.New(slog.NewTextHandler(&logs, nil)))
	defer lim.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := lim.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	first, _ := dial(), dial()
	server1, server2 := <-accepted, <-accepted
	defer server2.Close()
	for range 3 {
		if !closedByPeer(dial()) {
			t.Fatal("a connection past the cap stayed open")
		}
	}
	if n := strings.Count(logs.String(), "connections refused"); n != 1 {
		t.Errorf("%d log lines for 3 refusals, want 1:\n%s", n, logs.String())
	}
	_ = server1.Close()
	_ = first.Close()
	dial()
	select {
	case c := <-accepted:
		defer c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("no room made by closing a connection")
	}
}

// closedByPeer reports whether the server closed c (a read ends at once
// with EOF or a reset rather than timing out).
func closedByPeer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// TestGate: past its capacity the gate refuses after its short wait, in
// each protocol's form; a finished operation makes room.
func TestGate(t *testing.T) {
	g := &gate{slots: make(chan struct{}, 1), wait: 10 * time.Millisecond}
	hold, release := make(chan struct{}), make(chan struct{})
	slow := cimom.HandlerFunc(func(context.Context, *cimom.Request) (*cimom.Response, error) {
		close(hold)
		<-release
		return &cimom.Response{}, nil
	})
	h := g.cimMiddleware(slow)
	done := make(chan error)
	go func() { _, err := h.Handle(context.Background(), &cimom.Request{}); done <- err }()
	<-hold
	_, err := h.Handle(context.Background(), &cimom.Request{})
	if cim.StatusOf(err) != cim.StatusServerLimitsExceeded {
		t.Errorf("CIM past the cap: %v, want CIM_ERR_SERVER_LIMITS_EXCEEDED", err)
	}
	rec := httptest.NewRecorder()
	g.apiMiddleware(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/sets", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("API past the cap: %d Retry-After %q, want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	rec = httptest.NewRecorder()
	g.apiMiddleware(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/events", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("the event stream was counted: %d", rec.Code)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ok := g.cimMiddleware(cimom.HandlerFunc(func(context.Context, *cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{}, nil
	}))
	if _, err := ok.Handle(context.Background(), &cimom.Request{}); err != nil {
		t.Errorf("after the first finished: %v", err)
	}
}

// TestREADMELimitsExample: the limits the README shows are valid and are
// the defaults, so the README tells what a server does without them.
func TestREADMELimitsExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Skipf("no README: %v", err)
	}
	_, rest, _ := strings.Cut(string(data), "### Limits")
	_, block, found := strings.Cut(rest, "```yaml\n")
	block, _, closed := strings.Cut(block, "```")
	if !found || !closed {
		t.Fatalf("the README's Limits section has no yaml block")
	}
	cfg, err := ParseConfig("README.md", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the README's limits do not validate: %v", err)
	}
	if cfg.Limits != defaultLimits() {
		t.Errorf("the README's limits are not the defaults:\n%+v\n%+v", cfg.Limits, defaultLimits())
	}
}

// TestBodyCapUnknownCaller: after the door refused a caller it does not
// know, little of the body is read: an anonymous client cannot make the
// server read a large body (a known caller's refused body is drained:
// TestBodyCapWriteFirstClient).
func TestBodyCapUnknownCaller(t *testing.T) {
	door := auth.NewDoor(nil, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(bodyCap{max: 1 << 20, drain: 64 << 20, timeout: 10 * time.Second}.wrap(door.Guard(auth.Gate{Protocol: "test"}, http.HandlerFunc(echoLength))))
	t.Cleanup(srv.Close)
	const size = 40 << 20
	_, n, err := postWhole(t, srv.Listener.Addr().String(), size)
	if err == nil {
		t.Fatalf("the server read all %d bytes of an unknown caller's body", n)
	}
	t.Logf("the client wrote %d of %d bytes before the server closed", n, size)
}

// postWhole sends a POST with a body of size zeros the way python's
// http.client does (all of it before reading anything) and returns the
// connection, how much of the body was written and why writing stopped.
func postWhole(t *testing.T, addr string, size int64) (net.Conn, int64, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	head := "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: " + strconv.FormatInt(size, 10) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(conn, io.LimitReader(zeros{}, size))
	return conn, n, err
}
