package traffic

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/store/bolt"
)

// TestMain runs the test binary as a backend when a test starts it again
// with TRAFFIC_BACKEND set (see startChildBackend).
func TestMain(m *testing.M) {
	switch {
	case os.Getenv("TRAFFIC_BACKEND") != "":
		runChildBackend(os.Getenv("TRAFFIC_BACKEND"))
		return
	case os.Getenv("TRAFFIC_SOURCE") != "":
		runChildSource()
		return
	case os.Getenv("TRAFFIC_FRONTEND") != "":
		runChildFrontend(os.Getenv("TRAFFIC_FRONTEND"))
		return
	}
	os.Exit(m.Run())
}

// harness is a real engine on a bolt file and a started Manager.
type harness struct {
	t   *testing.T
	ctx context.Context
	eng *engine.Engine
	m   *Manager
	sub *event.Subscription // frontend records, from the start
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, slog.New(slog.DiscardHandler))
}

func newHarnessWith(t *testing.T, log *slog.Logger) *harness {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "redset.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	t.Cleanup(func() { _ = eng.Close() })
	h := &harness{t: t, ctx: ctx, eng: eng}
	h.sub = eng.Bus().Subscribe(10000, func(r event.Record) bool { return r.Kind == event.KindFrontend })
	h.m = New(eng, Options{Log: log, BindRetry: 20 * time.Millisecond, BindRetryMax: 100 * time.Millisecond})
	if err := h.m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.m.Close() })
	return h
}

// member adds a member whose traffic goes to addr, with health OK (fall 1:
// one failed observation counts).
func (h *harness) member(name, addr string) {
	h.t.Helper()
	if _, err := h.eng.PutMember(h.ctx, engine.Member{Name: name, Address: addr, Probe: engine.Probe{Rise: 1, Fall: 1}}); err != nil {
		h.t.Fatal(err)
	}
	h.health(name, engine.HealthOK)
}

func (h *harness) health(name string, s engine.Health) {
	h.t.Helper()
	if err := h.eng.ReportHealth(name, engine.Report{State: s, Source: "test"}); err != nil {
		h.t.Fatal(err)
	}
}

// set creates a set of the given type with the members in service (and
// spares) and a frontend on a free loopback port; it returns once the
// frontend listens, with its address.
func (h *harness) set(id string, typ uint16, f engine.Frontend, inService []string, spares ...string) string {
	h.t.Helper()
	if f.Listen == "" {
		f.Listen = "127.0.0.1:0"
	}
	s := engine.Set{InstanceID: id, TypeOfSet: []uint16{typ}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1,
		LoadBalanceAlgorithm: engine.LBRoundRobin, Frontend: &f}
	if _, err := h.eng.CreateSet(h.ctx, s); err != nil {
		h.t.Fatal(err)
	}
	for _, name := range inService {
		h.add(id, name, engine.Role{Kind: engine.RoleInService})
	}
	for _, name := range spares {
		h.add(id, name, engine.Role{Kind: engine.RoleSpare, Spare: engine.DefaultSpare})
	}
	return h.address(id)
}

func (h *harness) add(id, name string, role engine.Role) {
	h.t.Helper()
	if _, err := h.eng.AddToSet(h.ctx, id, name, role); err != nil {
		h.t.Fatal(err)
	}
}

// address waits until the set's frontend listens and returns where.
func (h *harness) address(id string) string {
	h.t.Helper()
	var st engine.FrontendStatus
	poll(h.t, "the frontend to listen", func() bool {
		var ok bool
		st, ok = h.m.Status(id)
		return ok && st.Address != ""
	})
	return st.Address
}

// status is the set's frontend status, which must exist.
func (h *harness) status(id string) engine.FrontendStatus {
	h.t.Helper()
	st, ok := h.m.Status(id)
	if !ok {
		h.t.Fatalf("set %s has no frontend status", id)
	}
	return st
}

func memberTraffic(st engine.FrontendStatus, name string) engine.MemberTraffic {
	for _, m := range st.Members {
		if m.Name == name {
			return m
		}
	}
	return engine.MemberTraffic{}
}

// frontendRecord waits for the next FrontendChanged record of set.
func (h *harness) frontendRecord(set string) event.FrontendChanged {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-h.sub.C():
			if r.SetID == set {
				return *r.Frontend
			}
		case <-deadline:
			h.t.Fatalf("no FrontendChanged record of %s", set)
		}
	}
}

// poll waits until cond holds, failing the test after 10 seconds.
func poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // a polling interval, not a wait for the condition
	}
}

// backend is a member's service on loopback. Each connection is first
// told the backend's name (a line), then, in echo mode, gets back what it
// sends as it sends it; in after-EOF mode, gets back everything it sent
// once it has finished sending.
type backend struct {
	name string
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen [][]byte // in header mode: the first bytes of each connection
	mode string
	quit chan struct{}
}

const (
	echoMode     = "echo"
	afterEOFMode = "after-eof"
	headerMode   = "header" // reads a PROXY v2 header of up to 52 bytes first, then echoes
	silentMode   = "silent" // says its name, then reads nothing
)

func startBackend(t *testing.T, name, mode string) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: name, ln: ln, mode: mode, quit: make(chan struct{})}
	b.wg.Add(1)
	go b.serve()
	t.Cleanup(b.close)
	return b
}

func (b *backend) addr() string { return b.ln.Addr().String() }

func (b *backend) close() {
	select {
	case <-b.quit:
		return
	default:
	}
	close(b.quit)
	_ = b.ln.Close()
	b.wg.Wait()
}

func (b *backend) serve() {
	defer b.wg.Done()
	var conns sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	defer func() {
		mu.Lock()
		for c := range open {
			_ = c.Close()
		}
		mu.Unlock()
		conns.Wait()
	}()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		mu.Lock()
		open[c] = true
		mu.Unlock()
		conns.Add(1)
		go func() {
			defer conns.Done()
			b.handle(c)
			mu.Lock()
			delete(open, c)
			mu.Unlock()
			_ = c.Close()
		}()
	}
}

func (b *backend) handle(c net.Conn) {
	if b.mode == headerMode {
		hdr := make([]byte, 16)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		rest := make([]byte, int(hdr[14])<<8|int(hdr[15]))
		if _, err := io.ReadFull(c, rest); err != nil {
			return
		}
		b.mu.Lock()
		b.seen = append(b.seen, append(hdr, rest...))
		b.mu.Unlock()
	}
	if _, err := fmt.Fprintf(c, "%s\n", b.name); err != nil {
		return
	}
	switch b.mode {
	case afterEOFMode:
		data, err := io.ReadAll(c)
		if err == nil {
			_, _ = c.Write(data)
		}
	case silentMode:
		<-b.quit
	default:
		_, _ = io.Copy(c, c)
	}
}

// client is one connection through a frontend.
type client struct {
	c    *net.TCPConn
	r    *bufio.Reader
	name string // the backend that answered
}

// connect opens a connection to a frontend and reads which member answers.
func connect(t testing.TB, addr string) *client {
	t.Helper()
	cl := connectWithin(t, addr, 10*time.Second)
	if cl == nil {
		t.FailNow()
	}
	return cl
}

// connectWithin is connect with a deadline d for the dial and each read.
func connectWithin(t testing.TB, addr string, d time.Duration) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		t.Errorf("dial %s: %v", addr, err)
		return nil
	}
	_ = c.SetDeadline(time.Now().Add(d))
	cl := &client{c: c.(*net.TCPConn), r: bufio.NewReader(c)}
	line, err := cl.r.ReadString('\n')
	if err != nil {
		c.Close()
		t.Errorf("no member answered through %s: %v", addr, err)
		return nil
	}
	cl.name = strings.TrimSuffix(line, "\n")
	return cl
}

// roundTrip sends a line and reads it back (echo backends).
func (cl *client) roundTrip(line string) error {
	if _, err := fmt.Fprintf(cl.c, "%s\n", line); err != nil {
		return err
	}
	got, err := cl.r.ReadString('\n')
	if err != nil {
		return err
	}
	if got != line+"\n" {
		return fmt.Errorf("echo %q, want %q", got, line)
	}
	return nil
}

// closedByPeer waits until the connection is closed from the other side.
func (cl *client) closedByPeer() error {
	_ = cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := cl.r.ReadByte()
	if err == io.EOF || (err != nil && strings.Contains(err.Error(), "reset")) {
		return nil
	}
	if err == nil {
		return fmt.Errorf("read a byte, want the connection closed")
	}
	return err
}

func names(cls []*client) []string {
	var out []string
	for _, c := range cls {
		out = append(out, c.name)
	}
	return out
}
