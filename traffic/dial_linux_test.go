package traffic

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/redset/redset/engine"
)

// fullListener is a loopback address whose listening socket never accepts
// and whose accept queue is full, so that a new dial to it hangs: the
// kernel drops its SYNs.
func fullListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*syscall.SockaddrInet4).Port}).String()
	for range 16 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr // this dial hung: the queue is full
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the listener's accept queue never filled")
	return ""
}

// A dial that takes longer than the frontend's dialTimeout is given up and
// the next member dialed; the client sees no error.
func TestDialTimeoutMovesToTheNextMember(t *testing.T) {
	h := newHarness(t)
	h.member("a", fullListener(t)) // first in order: dialed first
	h.member("b", startBackend(t, "b", echoMode).addr())
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{DialTimeout: engine.Duration(300 * time.Millisecond)},
		[]string{"a", "b"})
	if _, err := h.eng.SetLoadBalance(h.ctx, "redset:lb", engine.LBNone, ""); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if c := connect(t, addr); c.name != "b" {
		t.Errorf("answered by %s, want b", c.name)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("answered after %v, before a's dial could time out", d)
	}
	st := h.status("redset:lb")
	if s := memberTraffic(st, "a"); s.DialErrors != 1 || s.Total != 0 {
		t.Errorf("a: %+v; want one dial error and no connection", s)
	}
	if st.Refused != 0 {
		t.Errorf("refused %d, want 0", st.Refused)
	}
}
