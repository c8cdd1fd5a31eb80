package traffic

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(entries)
}

// raiseFDLimit lifts the soft descriptor limit towards the hard one; it
// skips the test when the hard limit is below need.
func raiseFDLimit(t *testing.T, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("cannot read the descriptor limit: %v", err)
	}
	if lim.Max < need {
		t.Skipf("the hard descriptor limit %d is below the %d this test needs", lim.Max, need)
	}
	if lim.Cur < need {
		old := lim
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Skipf("cannot raise the descriptor limit: %v", err)
		}
		t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
	}
}

// TestManyConnectionsLeaveNothing holds 5,000 connections open through one
// frontend at once (the backend runs in a child process, so this process
// holds three descriptors per connection), closes them, and checks that
// goroutines and descriptors come back to where they were.
func TestManyConnectionsLeaveNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 connections: not in -short")
	}
	const n = 5000
	raiseFDLimit(t, 3*n+500)
	backendAddr, _ := startChildBackend(t, "a")
	h := newHarness(t)
	h.member("a", backendAddr)
	// Generous timeouts: a loaded machine (or the race detector) may be slow
	// to accept 5,000 connections.
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{DialTimeout: engine.Duration(time.Minute)}, []string{"a"})
	connect(t, addr).c.Close() // the first connection's lazy allocations
	poll(t, "the first connection to end", func() bool { return h.status("redset:lb").Open == 0 })
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)

	clients := make([]*client, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	for range 50 {
		wg.Go(func() {
			for i := range next {
				cl := connectWithin(t, addr, time.Minute)
				if cl == nil {
					continue
				}
				if err := cl.roundTrip(fmt.Sprint(i)); err != nil {
					errs <- fmt.Errorf("connection %d: %w", i, err)
				}
				clients[i] = cl
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := h.status("redset:lb"); st.Open != n || memberTraffic(st, "a").Open != n {
		t.Errorf("open %d (a %d), want %d", st.Open, memberTraffic(st, "a").Open, n)
	}
	for _, cl := range clients {
		if cl != nil {
			_ = cl.c.SetLinger(0) // a reset: no TIME_WAIT left holding the client's port
			cl.c.Close()
		}
	}
	poll(t, "every connection to end", func() bool { return h.status("redset:lb").Open == 0 })
	// The splice pipes idle in Go's pool are closed when the collector
	// frees them.
	poll(t, "goroutines and descriptors back to where they were", func() bool {
		runtime.GC()
		return runtime.NumGoroutine() <= goroutines+5 && openFDs(t) <= fds+5
	})
	t.Logf("before: %d goroutines, %d descriptors; after: %d, %d", goroutines, fds, runtime.NumGoroutine(), openFDs(t))
	if a := memberTraffic(h.status("redset:lb"), "a"); a.Total != n+1 || a.Open != 0 {
		t.Errorf("a: %+v, want %d connections in all, none open", a, n+1)
	}
}

// TestResubscribesAfterLagging: a flood of records drops the manager from
// the bus; it subscribes again and still follows the sets.
func TestResubscribesAfterLagging(t *testing.T) {
	h := newHarness(t)
	h.member("a", startBackend(t, "a", echoMode).addr())
	h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	h.m.mu.Lock()
	first := h.m.sub
	h.m.mu.Unlock()
	for i := range 3 * busBuffer {
		h.eng.Bus().Publish(event.Record{Seq: uint64(i), Kind: event.KindStatusChanged, SetID: "redset:lb",
			Status: &event.StatusChanged{}})
	}
	poll(t, "a new subscription", func() bool {
		h.m.mu.Lock()
		defer h.m.mu.Unlock()
		return h.m.sub != first
	})
	addr := h.set("redset:new", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	if c := connect(t, addr); c.name != "a" {
		t.Errorf("answered by %s", c.name)
	}
}

// countingEngine counts the sets the manager reads one by one.
type countingEngine struct {
	*engine.Engine
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingEngine) GetSet(id string) (engine.SetView, error) {
	c.mu.Lock()
	c.reads[id]++
	c.mu.Unlock()
	return c.Engine.GetSet(id)
}

func (c *countingEngine) readsOf(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[id]
}

// The records of a set without a frontend (its status changing, say) are
// not worth reading the set for; only a change of its definition is.
func TestSetsWithoutFrontendAreNotRead(t *testing.T) {
	h := newHarness(t)
	ce := &countingEngine{Engine: h.eng, reads: map[string]int{}}
	m := New(ce, Options{})
	if err := m.Start(h.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	h.member("a", startBackend(t, "a", echoMode).addr())
	plain := engine.Set{InstanceID: "redset:plain", TypeOfSet: []uint16{engine.TypeLoadBalanced}, OtherTypeOfSet: []string{""}}
	if _, err := h.eng.CreateSet(h.ctx, plain); err != nil { // one record
		t.Fatal(err)
	}
	h.add("redset:plain", "a", engine.Role{Kind: engine.RoleInService}) // one record
	for range 3 {
		h.health("a", engine.HealthFailed) // each a status change of redset:plain
		h.health("a", engine.HealthOK)
	}
	h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	poll(t, "the second manager's frontend of redset:lb", func() bool {
		st, ok := m.Status("redset:lb")
		return ok && st.Address != ""
	})
	if n := ce.readsOf("redset:plain"); n != 2 {
		t.Errorf("redset:plain was read %d times, want 2 (its creation and its member's addition)", n)
	}
}

// TestCloseLeavesNoDescriptors: the descriptors a manager's frontends make
// for themselves (on Linux its event loops' epoll sets, their wake-ups and
// their idle splice pipes) are all closed by Close.
func TestCloseLeavesNoDescriptors(t *testing.T) {
	h := newHarness(t)
	h.member("a", startBackend(t, "a", afterEOFMode).addr())
	fds := openFDs(t)
	addr := h.set("redset:lb", engine.TypeLoadBalanced, engine.Frontend{}, []string{"a"})
	cl := connect(t, addr)
	data := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB: spliced
	go func() {
		_, _ = cl.c.Write(data)
		_ = cl.c.CloseWrite()
	}()
	got, err := io.ReadAll(cl.r)
	if err != nil || len(got) != len(data) {
		t.Fatalf("answer of %d bytes (%v), want %d", len(got), err, len(data))
	}
	cl.c.Close()
	poll(t, "the connection to end", func() bool { return h.status("redset:lb").Open == 0 })
	if err := h.m.Close(); err != nil {
		t.Fatal(err)
	}
	poll(t, "the descriptors back to where they were", func() bool {
		runtime.GC()
		return openFDs(t) <= fds
	})
}
