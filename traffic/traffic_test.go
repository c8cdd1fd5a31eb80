package traffic

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

func drainOf(d time.Duration) *engine.Duration {
	x := engine.Duration(d)
	return &x
}

// sparing is a Sparing set "redset:web": a in service, b a hot spare.
func sparing(t *testing.T, f engine.Frontend) (*harness, string) {
	h := newHarness(t)
	h.member("a", startBackend(t, "a", echoMode).addr())
	h.member("b", startBackend(t, "b", echoMode).addr())
	addr := h.set("redset:web", engine.TypeSparing, f, []string{"a"}, "b")
	return h, addr
}

func (h *harness) failover(from, to string) {
	h.t.Helper()
	if res := h.eng.Failover(h.ctx, "redset:web", from, to); res.Code != engine.CodeCompleted {
		h.t.Fatalf("failover %s -> %s: %d %s", from, to, res.Code, res.Reason)
	}
}

// inService reports whether the frontend counts the member in service.
func (h *harness) inService(set, name string) bool {
	h.m.mu.Lock()
	f := h.m.fronts[set]
	h.m.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[name]
	return m != nil && m.inService
}

func TestFailoverMovesNewConnectionsAndDrainsOld(t *testing.T) {
	h, addr := sparing(t, engine.Frontend{Drain: drainOf(200 * time.Millisecond)})
	old := connect(t, addr)
	if old.name != "a" {
		t.Fatalf("first connection went to %s, want a", old.name)
	}
	h.failover("a", "b")
	start := time.Now()
	if c := connect(t, addr); c.name != "b" {
		t.Errorf("the connection right after the failover went to %s, want b", c.name)
	}
	// During the drain the connection is counted as draining and still
	// works; a machine too slow to look within the drain skips that part.
	poll(t, "a's connection to be draining, or drained", func() bool {
		a := memberTraffic(h.status("redset:web"), "a")
		return a.Draining == 1 || a.Open == 0
	})
	if time.Since(start) < 150*time.Millisecond {
		if d := memberTraffic(h.status("redset:web"), "a").Draining; d != 1 {
			t.Errorf("draining %d, want 1", d)
		}
		if err := old.roundTrip("still open"); err != nil {
			t.Errorf("the old connection during its drain: %v", err)
		}
	} else {
		t.Logf("%v passed before the drain was seen: not checking the connection during it", time.Since(start))
	}
	if err := old.closedByPeer(); err != nil {
		t.Fatalf("the old connection after the drain: %v", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("closed %v after the failover, before the 200ms drain", waited)
	}
	poll(t, "a to have no connection", func() bool { return memberTraffic(h.status("redset:web"), "a").Open == 0 })
	st := h.status("redset:web")
	if a, b := memberTraffic(st, "a"), memberTraffic(st, "b"); a.Total != 1 || b.Total != 1 || a.Draining != 0 {
		t.Errorf("a %+v, b %+v; want one connection each, none draining", a, b)
	}
}

func TestDrainNilLeavesConnectionsOpen(t *testing.T) {
	h, addr := sparing(t, engine.Frontend{})
	old := connect(t, addr)
	h.failover("a", "b")
	poll(t, "a out of service", func() bool { return !h.inService("redset:web", "a") })
	if err := old.roundTrip("left open"); err != nil {
		t.Errorf("the old connection: %v", err)
	}
	if d := memberTraffic(h.status("redset:web"), "a").Draining; d != 0 {
		t.Errorf("draining %d with no drain, want 0", d)
	}
}

func TestDrainZeroClosesAtOnce(t *testing.T) {
	h, addr := sparing(t, engine.Frontend{Drain: drainOf(0)})
	old := connect(t, addr)
	h.failover("a", "b")
	if err := old.closedByPeer(); err != nil {
		t.Fatalf("the old connection after the failover: %v", err)
	}
	if c := connect(t, addr); c.name != "b" {
		t.Errorf("new connection went to %s, want b", c.name)
	}
}

func TestDrainCalledOffWhenTheMemberReturns(t *testing.T) {
	h, addr := sparing(t, engine.Frontend{Drain: drainOf(time.Hour)})
	old := connect(t, addr)
	h.failover("a", "b")
	poll(t, "a's connection to be draining", func() bool { return memberTraffic(h.status("redset:web"), "a").Draining == 1 })
	h.failover("b", "a")
	poll(t, "the drain called off", func() bool {
		return h.inService("redset:web", "a") && memberTraffic(h.status("redset:web"), "a").Draining == 0
	})
	if err := old.roundTrip("kept"); err != nil {
		t.Errorf("the connection whose drain was called off: %v", err)
	}
}

func TestDeadMemberSkippedAndReportedFailed(t *testing.T) {
	h := newHarness(t)
	dead := startBackend(t, "dead", echoMode)
	deadAddr := dead.addr()
	dead.close() // a closed port: dials are refused
	h.member("a", deadAddr)
	h.member("b", startBackend(t, "b", echoMode).addr())
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{PassiveFailures: 2}, []string{"a", "b"})
	for i := range 4 {
		c := connect(t, addr) // fails the test on any client error
		if c.name != "b" {
			t.Errorf("connection %d went to %s, want b", i, c.name)
		}
	}
	poll(t, "a reported failed", func() bool {
		mi, err := h.eng.GetMember("a")
		return err == nil && mi.Health.State == engine.HealthFailed && mi.Health.Source == "traffic"
	})
	st := h.status("redset:lb")
	if a := memberTraffic(st, "a"); a.DialErrors < 2 || a.Total != 0 {
		t.Errorf("a: %+v; want at least 2 dial errors and no connection", a)
	}
	if st.Refused != 0 {
		t.Errorf("refused %d, want 0", st.Refused)
	}
}

// wantRefused connects to the frontend at addr, expects the connection
// closed without a byte, and waits until set's frontend counts one refusal.
func wantRefused(t *testing.T, h *harness, addr, set string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("read %d, %v; want the connection closed", n, err)
	}
	poll(t, "the refusal counted", func() bool { return h.status(set).Refused == 1 })
}

func TestNoMemberRefuses(t *testing.T) {
	h := newHarness(t)
	h.member("a", startBackend(t, "a", echoMode).addr())
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	h.health("a", engine.HealthFailed)
	wantRefused(t, h, addr, "redset:lb")
}

// When every member in service refuses its dial, the log line of the
// refusal names them and the last dial's error, not a want of members.
func TestEveryDialFailedIsLogged(t *testing.T) {
	var logs lockedBuffer
	h := newHarnessWith(t, slog.New(slog.NewTextHandler(&logs, nil)))
	dead := startBackend(t, "dead", echoMode)
	deadAddr := dead.addr()
	dead.close() // a closed port: dials are refused
	h.member("a", deadAddr)
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	wantRefused(t, h, addr, "redset:lb")
	text := logs.String()
	if !strings.Contains(text, "the dial of every member in service failed (a)") || !strings.Contains(text, "connection refused") {
		t.Errorf("the refusal's log line does not name the member and its dial error:\n%s", text)
	}
}

func TestHalfCloseGetsTheWholeAnswer(t *testing.T) {
	for _, alg := range []uint16{engine.LBRoundRobin, engine.LBLeastBlocks} {
		t.Run(map[uint16]string{engine.LBRoundRobin: "spliced", engine.LBLeastBlocks: "counted"}[alg], func(t *testing.T) {
			h := newHarness(t)
			h.member("a", startBackend(t, "a", afterEOFMode).addr())
			addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
			if _, err := h.eng.SetLoadBalance(h.ctx, "redset:lb", alg, ""); err != nil {
				t.Fatal(err)
			}
			cl := connect(t, addr)
			data := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
			go func() {
				_, _ = cl.c.Write(data)
				_ = cl.c.CloseWrite()
			}()
			got, err := io.ReadAll(cl.r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("answer of %d bytes, want the %d sent", len(got), len(data))
			}
			poll(t, "the counts", func() bool {
				a := memberTraffic(h.status("redset:lb"), "a")
				return a.BytesIn == uint64(len(data)) && a.BytesOut == uint64(len(data)+2) && a.Open == 0
			})
		})
	}
}

func TestMaxConnections(t *testing.T) {
	h := newHarness(t)
	h.member("a", startBackend(t, "a", echoMode).addr())
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{MaxConnections: 2}, []string{"a"})
	connect(t, addr)
	connect(t, addr)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("third connection: read %d, %v; want it closed", n, err)
	}
	if st := h.status("redset:lb"); st.Refused != 1 || st.Open != 2 {
		t.Errorf("refused %d, open %d; want 1 and 2", st.Refused, st.Open)
	}
}

func TestFrontendFollowsTheSet(t *testing.T) {
	h := newHarness(t)
	h.member("a", startBackend(t, "a", echoMode).addr())
	first := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	if r := h.frontendRecord("redset:lb"); r.State != event.FrontendListening || r.Address != first {
		t.Errorf("record %+v, want listening at %s", r, first)
	}
	kept := connect(t, first)
	// A new listen address: the old one closes, the new one answers.
	if _, err := h.eng.UpdateSet(h.ctx, "redset:lb", func(s *engine.Set) error {
		s.Frontend.Listen = "127.0.0.2:0"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the new address", func() bool { st := h.status("redset:lb"); return strings.HasPrefix(st.Address, "127.0.0.2:") })
	second := h.status("redset:lb").Address
	if c := connect(t, second); c.name != "a" {
		t.Errorf("through the new address: %s", c.name)
	} else {
		_ = c.c.Close()
	}
	if c, err := net.Dial("tcp", first); err == nil {
		c.Close()
		t.Errorf("the old address %s still accepts", first)
	}
	if r := h.frontendRecord("redset:lb"); r.State != event.FrontendListening || r.Address != second {
		t.Errorf("record %+v, want listening at %s", r, second)
	}
	// No frontend any more: it stops, and once its last connection ends
	// (see TestStoppedFrontendKeepsItsConnectionsListed) it has no status.
	_ = kept.c.Close()
	if _, err := h.eng.UpdateSet(h.ctx, "redset:lb", func(s *engine.Set) error { s.Frontend = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	poll(t, "the frontend to stop", func() bool { _, ok := h.m.Status("redset:lb"); return !ok })
	if c, err := net.Dial("tcp", second); err == nil {
		c.Close()
		t.Errorf("the stopped frontend's address %s still accepts", second)
	}
	if r := h.frontendRecord("redset:lb"); r.State != event.FrontendStopped {
		t.Errorf("record %+v, want stopped", r)
	}
	// A set deleted with its frontend.
	third := h.set("redset:other", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	if err := h.eng.DeleteSet(h.ctx, "redset:other"); err != nil {
		t.Fatal(err)
	}
	poll(t, "the deleted set's frontend to stop", func() bool { _, ok := h.m.Status("redset:other"); return !ok })
	if c, err := net.Dial("tcp", third); err == nil {
		c.Close()
		t.Errorf("the deleted set's address %s still accepts", third)
	}
}

func TestBindFailureRecovers(t *testing.T) {
	h := newHarness(t)
	h.member("a", startBackend(t, "a", echoMode).addr())
	blocker, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	taken := blocker.Addr().String()
	s := engine.Set{InstanceID: "redset:lb", TypeOfSet: []uint16{engine.TypeLoadBalanced}, OtherTypeOfSet: []string{""},
		MinNumberNeeded: 1, Frontend: &engine.Frontend{Listen: taken}}
	if _, err := h.eng.CreateSet(h.ctx, s); err != nil {
		t.Fatal(err)
	}
	h.add("redset:lb", "a", engine.Role{Kind: engine.RoleInService})
	r := h.frontendRecord("redset:lb")
	if r.State != event.FrontendFailed || !strings.Contains(r.Error, "in use") || r.Listen != taken {
		t.Errorf("record %+v, want failed with the bind error", r)
	}
	if st := h.status("redset:lb"); !strings.Contains(st.Error, "in use") || st.Address != "" {
		t.Errorf("status %+v, want the bind error", st)
	}
	// The rest keeps running: another set's frontend works.
	other := h.set("redset:other", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	connect(t, other)
	blocker.Close()
	if addr := h.address("redset:lb"); addr != taken {
		t.Errorf("listening at %s, want %s", addr, taken)
	}
	if c := connect(t, taken); c.name != "a" {
		t.Errorf("answered by %s", c.name)
	}
	if st := h.status("redset:lb"); st.Error != "" {
		t.Errorf("error %q after recovering", st.Error)
	}
	if r := h.frontendRecord("redset:lb"); r.State != event.FrontendListening || r.Address != taken {
		t.Errorf("record %+v, want listening", r)
	}
}

func TestProxyHeaderBytes(t *testing.T) {
	sig := []byte("\r\n\r\n\x00\r\nQUIT\n")
	v4 := proxyHeader(&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 51234}, &net.TCPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 5432})
	want4 := append(append([]byte{}, sig...), 0x21, 0x11, 0x00, 0x0c,
		192, 0, 2, 1, 198, 51, 100, 7, 0xc8, 0x22, 0x15, 0x38)
	if !bytes.Equal(v4, want4) {
		t.Errorf("IPv4 header\n got % x\nwant % x", v4, want4)
	}
	v6 := proxyHeader(&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 1}, &net.TCPAddr{IP: net.ParseIP("::1"), Port: 443})
	want6 := append(append([]byte{}, sig...), 0x21, 0x21, 0x00, 0x24,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0x00, 0x01, 0x01, 0xbb)
	if !bytes.Equal(v6, want6) {
		t.Errorf("IPv6 header\n got % x\nwant % x", v6, want6)
	}
	mixed := proxyHeader(&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1}, &net.TCPAddr{IP: net.ParseIP("::1"), Port: 2})
	if mixed[13] != 0x21 || len(mixed) != 16+36 || !bytes.Equal(mixed[16:32], net.IPv4(192, 0, 2, 1).To16()) {
		t.Errorf("mixed families: % x, want TCP over IPv6 with the IPv4-mapped source", mixed)
	}
}

func TestProxyHeaderSentFirst(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			if host == "::1" {
				ln, err := net.Listen("tcp", "[::1]:0")
				if err != nil {
					t.Skipf("no IPv6 loopback here: %v", err)
				}
				ln.Close()
			}
			h := newHarness(t)
			b := startBackend(t, "a", headerMode)
			h.member("a", b.addr())
			addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{Listen: net.JoinHostPort(host, "0"),
				ProxyProtocol: engine.ProxyProtocolV2}, []string{"a"})
			cl := connect(t, addr)
			if err := cl.roundTrip("after the header"); err != nil {
				t.Fatal(err)
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			want := proxyHeader(cl.c.LocalAddr().(*net.TCPAddr), cl.c.RemoteAddr().(*net.TCPAddr))
			if len(b.seen) != 1 || !bytes.Equal(b.seen[0], want) {
				t.Errorf("the member got % x\nwant % x", b.seen, want)
			}
		})
	}
}

// lbSet is a Load Balanced set of a, b (and c) with the algorithm given.
func lbSet(t *testing.T, alg uint16, modes map[string]string) (*harness, string) {
	h := newHarness(t)
	var in []string
	for _, name := range []string{"a", "b", "c"} {
		if mode, ok := modes[name]; ok {
			h.member(name, startBackend(t, name, mode).addr())
			in = append(in, name)
		}
	}
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{}, in)
	if _, err := h.eng.SetLoadBalance(h.ctx, "redset:lb", alg, ""); err != nil {
		t.Fatal(err)
	}
	return h, addr
}

func TestAlgorithmChangeTakesEffectForTheNextConnection(t *testing.T) {
	h, addr := lbSet(t, engine.LBRoundRobin, map[string]string{"a": echoMode, "b": echoMode, "c": echoMode})
	var cls []*client
	for range 4 {
		cls = append(cls, connect(t, addr))
	}
	if _, err := h.eng.SetLoadBalance(h.ctx, "redset:lb", engine.LBLeastIO, ""); err != nil {
		t.Fatal(err)
	}
	// Open now: a 2, b 1, c 1. Least IO: b, then c, then a (all 2).
	for range 3 {
		cls = append(cls, connect(t, addr))
	}
	if _, err := h.eng.SetLoadBalance(h.ctx, "redset:lb", engine.LBNone, ""); err != nil {
		t.Fatal(err)
	}
	cls = append(cls, connect(t, addr), connect(t, addr))
	want := []string{"a", "b", "c", "a", "b", "c", "a", "a", "a"}
	if diff := cmp.Diff(want, names(cls)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func TestLeastIOSlowAndFast(t *testing.T) {
	h, addr := lbSet(t, engine.LBLeastIO, map[string]string{"a": echoMode, "b": echoMode})
	slow := connect(t, addr) // a, kept open
	var got []string
	for range 3 {
		c := connect(t, addr) // b each time: it closes before the next
		got = append(got, c.name)
		c.c.Close()
		poll(t, "b's connection to end", func() bool { return memberTraffic(h.status("redset:lb"), "b").Open == 0 })
	}
	if slow.name != "a" || !cmp.Equal(got, []string{"b", "b", "b"}) {
		t.Errorf("slow on %s, then %v; want a, then b b b", slow.name, got)
	}
}

func TestLeastBlocksSlowAndFast(t *testing.T) {
	h, addr := lbSet(t, engine.LBLeastBlocks, map[string]string{"a": silentMode, "b": echoMode})
	slow := connect(t, addr) // a: takes nothing it is sent
	fast := connect(t, addr) // b: fewer connections
	if slow.name != "a" || fast.name != "b" {
		t.Fatalf("first two on %s and %s, want a and b", slow.name, fast.name)
	}
	go func() { _, _ = slow.c.Write(make([]byte, 64<<20)) }() // blocks: a reads none of it
	h.m.mu.Lock()
	f := h.m.fronts["redset:lb"]
	h.m.mu.Unlock()
	// The socket buffers towards a fill up, then the frontend's write to a
	// blocks with a chunk in flight: a's byte count stops moving.
	var last uint64
	var still time.Time
	poll(t, "the frontend's writes to a to block", func() bool {
		n := memberTraffic(h.status("redset:lb"), "a").BytesIn
		if _, b := f.bal.Outstanding("a"); b == 0 || n != last {
			last, still = n, time.Now()
			return false
		}
		return time.Since(still) > 200*time.Millisecond
	})
	// Least IO would now pick a (a tie on connections, name order); Least
	// Blocks picks b, whose bytes are all delivered.
	if c := connect(t, addr); c.name != "b" {
		t.Errorf("third connection on %s, want b", c.name)
	}
	if err := fast.roundTrip("fast"); err != nil {
		t.Error(err)
	}
}

func TestAddressRegionStable(t *testing.T) {
	h, addr := lbSet(t, engine.LBAddressRegion, map[string]string{"a": echoMode, "b": echoMode, "c": echoMode})
	first := connect(t, addr).name
	for range 3 {
		if c := connect(t, addr); c.name != first {
			t.Fatalf("the same client address went to %s, then %s", first, c.name)
		}
	}
	h.health(first, engine.HealthFailed)
	moved := connect(t, addr).name
	if moved == first {
		t.Fatalf("still on %s, which failed", first)
	}
	h.health(first, engine.HealthOK)
	if c := connect(t, addr); c.name != first {
		t.Errorf("after %s returned: %s, want %s", first, c.name, first)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	h, addr := sparing(t, engine.Frontend{})
	cl := connect(t, addr)
	if err := h.m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cl.closedByPeer(); err != nil {
		t.Errorf("a proxied connection after Close: %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("the frontend still accepts after Close")
	}
	if err := h.m.Start(h.ctx); err == nil || errors.Is(err, nil) {
		if err == nil {
			t.Error("Start after Close succeeded")
		}
	}
}

func TestMemberAddressChangeAndRemoval(t *testing.T) {
	h := newHarness(t)
	h.member("a", startBackend(t, "a", echoMode).addr())
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{Drain: drainOf(0)}, []string{"a"})
	old := connect(t, addr)
	moved := startBackend(t, "a-moved", echoMode)
	if _, err := h.eng.PutMember(h.ctx, engine.Member{Name: "a", Address: moved.addr(), Probe: engine.Probe{Rise: 1, Fall: 1}}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the new address", func() bool { return memberTraffic(h.status("redset:lb"), "a").Address == moved.addr() })
	if c := connect(t, addr); c.name != "a-moved" {
		t.Errorf("after the address changed: %s", c.name)
	}
	if err := old.roundTrip("old address, still open"); err != nil {
		t.Errorf("the connection to the old address: %v", err)
	}
	// Removed from the set: its connections go, with a drain of 0, at once.
	if _, err := h.eng.RemoveFromSet(h.ctx, "redset:lb", "a"); err != nil {
		t.Fatal(err)
	}
	if err := old.closedByPeer(); err != nil {
		t.Errorf("a connection of a member removed from the set: %v", err)
	}
	poll(t, "the member gone from the status", func() bool { return len(h.status("redset:lb").Members) == 0 })
}

func TestStatusesAndRefusalLog(t *testing.T) {
	var logs lockedBuffer
	h := newHarnessWith(t, slog.New(slog.NewTextHandler(&logs, nil)))
	h.member("a", startBackend(t, "a", echoMode).addr())
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{MaxConnections: 1}, []string{"a"})
	h.set("redset:other", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	held := connect(t, addr)
	for range 5 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = c.Read(make([]byte, 1))
		c.Close()
	}
	held.c.Close()
	poll(t, "the held connection to end", func() bool { return h.status("redset:lb").Open == 0 })
	connect(t, addr)
	all := h.m.Statuses()
	if len(all) != 2 || all["redset:lb"].Refused != 5 || all["redset:other"].Address == "" {
		t.Errorf("statuses %+v; want two, redset:lb with 5 refused", all)
	}
	text := logs.String()
	if n := strings.Count(text, "refusing new connections"); n != 1 {
		t.Errorf("%d lines about refusing, want 1:\n%s", n, text)
	}
	if !strings.Contains(text, "accepting connections again") || !strings.Contains(text, "refused=5") {
		t.Errorf("no line saying refusing ended after 5:\n%s", text)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A member whose address is a name, not an IP address, is dialed too.
func TestMemberAddressByName(t *testing.T) {
	h := newHarness(t)
	_, port, err := net.SplitHostPort(startBackend(t, "a", echoMode).addr())
	if err != nil {
		t.Fatal(err)
	}
	h.member("a", net.JoinHostPort("localhost", port))
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	c := connect(t, addr)
	if c.name != "a" {
		t.Errorf("answered by %s, want a", c.name)
	}
	if err := c.roundTrip("by name"); err != nil {
		t.Error(err)
	}
}

// TestStoppedFrontendKeepsItsConnectionsListed: connections a removed
// frontend leaves open (no drain) stay in the set's status, as a stopped
// frontend's, until they end; a new frontend of the set counts them with
// its own.
func TestStoppedFrontendKeepsItsConnectionsListed(t *testing.T) {
	h, addr := sparing(t, engine.Frontend{})
	old := connect(t, addr)
	if _, err := h.eng.UpdateSet(h.ctx, "redset:web", func(s *engine.Set) error { s.Frontend = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	poll(t, "the frontend to stop", func() bool { st, ok := h.m.Status("redset:web"); return ok && st.Stopped })
	st := h.status("redset:web")
	if st.Open != 1 || memberTraffic(st, "a").Open != 1 || st.Address != "" || !strings.HasPrefix(st.Error, "stopped") {
		t.Errorf("stopped status %+v, want a's one connection, no address and the reason", st)
	}
	if err := old.roundTrip("still open"); err != nil {
		t.Errorf("the connection left open: %v", err)
	}
	if _, err := h.eng.UpdateSet(h.ctx, "redset:web", func(s *engine.Set) error {
		s.Frontend = &engine.Frontend{Listen: "127.0.0.1:0"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the new frontend", func() bool { st, ok := h.m.Status("redset:web"); return ok && st.Address != "" })
	st = h.status("redset:web")
	if st.Stopped || st.Open != 1 || memberTraffic(st, "a").Open != 1 {
		t.Errorf("status with a new frontend %+v, want the old connection counted with it", st)
	}
	_ = old.c.Close()
	poll(t, "the old connection to end", func() bool { return h.status("redset:web").Open == 0 })
	if _, err := h.eng.UpdateSet(h.ctx, "redset:web", func(s *engine.Set) error { s.Frontend = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	poll(t, "the status to go", func() bool { _, ok := h.m.Status("redset:web"); return !ok })
}
