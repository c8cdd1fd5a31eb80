package traffic

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redset/redset/engine"
)

// chunk is how much a spliced copy moves between two updates of the byte
// counts.
const chunk = 1 << 20

// bufSize is the pooled buffer a direction of a connection reads into
// (taken only while it has bytes): the most it holds in flight.
const bufSize = 32 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// proxied is one client connection and its member's.
type proxied struct {
	client, up *net.TCPConn
	member     *member
	draining   bool // guarded by frontend.mu
	closed     atomic.Bool
}

// abort closes both sides at once; both copies then end.
func (p *proxied) abort() {
	if p.closed.CompareAndSwap(false, true) {
		_ = p.client.Close()
		_ = p.up.Close()
	}
}

// serve accepts connections until ln is closed.
func (f *frontend) serve(ln net.Listener) {
	defer f.m.wg.Done()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors, say: wait a little, as net/http does,
			// with one log line per run of errors.
			if delay == 0 {
				f.m.log.Warn("frontend cannot accept connections; it keeps trying", "set", f.setID, "err", err)
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-f.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		delay = 0
		f.accepted(c.(*net.TCPConn))
	}
}

// accepted admits a connection within MaxConnections and proxies it on a
// goroutine of its own.
func (f *frontend) accepted(c *net.TCPConn) {
	s := f.settings.Load()
	if f.open.Add(1) > s.limit {
		f.open.Add(-1)
		f.refused.Add(1)
		f.atLimit.refuse("frontend at its connection limit: refusing new connections", "maxConnections", s.limit)
		_ = c.Close()
		return
	}
	f.atLimit.end("frontend below its connection limit: accepting connections again")
	f.run(func() { f.proxy(c, s) })
}

// workerIdle is how long a worker waits for another task before it ends.
const workerIdle = time.Second

// run runs task on an idle worker, or on a new one when none is idle.
func (f *frontend) run(task func()) {
	select {
	case f.tasks <- task:
	default:
		f.m.wg.Add(1)
		go f.work(task)
	}
}

// work runs task, then each task handed to it while it waits, until none
// comes for workerIdle or the frontend stops. A connection (or its second
// direction) that an idle worker takes costs no new goroutine, nor the
// growing of a new goroutine's small stack to what the dial needs.
func (f *frontend) work(task func()) {
	defer f.m.wg.Done()
	var idle *time.Timer
	for {
		task()
		if idle == nil {
			idle = time.NewTimer(workerIdle)
		} else {
			idle.Reset(workerIdle)
		}
		select {
		case task = <-f.tasks:
		case <-idle.C:
			return
		case <-f.ctx.Done():
			return
		}
	}
}

// proxy connects c to a member and copies until both sides are done.
func (f *frontend) proxy(c *net.TCPConn, s *settings) {
	defer f.open.Add(-1)
	up, lease, m, err := f.connect(c, s)
	if err != nil {
		f.refused.Add(1)
		f.noMember.refuse("frontend refuses connections: no member could take them", "err", err)
		_ = c.Close()
		return
	}
	f.noMember.end("frontend has a member for its connections again")
	defer f.bal.Release(lease)
	p := &proxied{client: c, up: up, member: m}
	if !f.register(p) {
		p.abort()
		return
	}
	defer f.unregister(p)
	if s.proxyV2 {
		if _, err := up.Write(proxyHeader(asTCP(c.RemoteAddr()), asTCP(c.LocalAddr()))); err != nil {
			p.abort()
			return
		}
	}
	counted := lease.Algorithm == engine.LBLeastBlocks
	done := make(chan struct{})
	f.run(func() {
		defer close(done)
		f.copy(p, c, up, &m.bytesOut, lease, counted)
	})
	f.copy(p, up, c, &m.bytesIn, lease, counted)
	<-done
	p.abort()
}

func asTCP(a net.Addr) *net.TCPAddr {
	t, _ := a.(*net.TCPAddr)
	return t
}

// connect picks a member for c from the set as it is now and dials it,
// leaving out each member whose dial fails.
func (f *frontend) connect(c *net.TCPConn, s *settings) (*net.TCPConn, engine.Lease, *member, error) {
	cands, err := f.m.eng.Candidates(f.setID, nil)
	if err != nil {
		return nil, engine.Lease{}, nil, err
	}
	client := ""
	if a := asTCP(c.RemoteAddr()); a != nil {
		client = a.IP.String()
	}
	var tried []string
	var lastDial error
	for rereads := 0; ; {
		lease, err := f.bal.Acquire(cands, client, 0)
		if err != nil && len(tried) > 0 {
			err = fmt.Errorf("the dial of every member in service failed (%s); the last: %w", strings.Join(tried, ", "), lastDial)
		}
		if err != nil {
			return nil, engine.Lease{}, nil, err
		}
		m, addr, fresh := f.memberFor(lease.Member, cands.Revision)
		if !fresh && rereads < maxRereads {
			// The frontend has seen a newer set than these candidates:
			// read them again.
			f.bal.Release(lease)
			rereads++
			if cands, err = f.m.eng.Candidates(f.setID, cands.Names); err != nil {
				return nil, engine.Lease{}, nil, err
			}
			cands.Names = without(cands.Names, tried)
			continue
		}
		up, err := f.dial(addr, s.timeout)
		if err == nil {
			m.streak.Store(0)
			return up, lease, m, nil
		}
		f.bal.Release(lease)
		m.dialErrors.Add(1)
		f.passive(m, s, err)
		tried, lastDial = append(tried, lease.Member), err
		cands.Names = without(cands.Names, tried)
	}
}

// without removes the names in drop from names, in place.
func without(names, drop []string) []string {
	if len(drop) == 0 {
		return names
	}
	return slices.DeleteFunc(names, func(n string) bool { return slices.Contains(drop, n) })
}

// maxRereads bounds how often one connection reads the set again.
const maxRereads = 3

// memberFor is the traffic state and address of a member that a view of
// the set at revision rev has in service. When that view is at least as new
// as the frontend's, the member is counted in service at once (a failover
// reaches new connections before its event reaches the frontend); false
// when the frontend has seen a newer set than rev.
func (f *frontend) memberFor(name string, rev int64) (*member, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[name]
	if m == nil || !m.inSet {
		f.mu.Unlock()
		addr := ""
		if mi, err := f.m.eng.GetMember(name); err == nil {
			addr = mi.TrafficAddress()
		}
		f.mu.Lock()
		m = f.memberLocked(name)
		if !m.inSet && rev >= f.rev {
			m.inSet, m.address = true, addr
		}
	}
	if rev < f.rev {
		return m, m.address, false
	}
	f.setService(m, true)
	return m, m.address, true
}

func (f *frontend) dial(addr string, timeout time.Duration) (*net.TCPConn, error) {
	if addr == "" {
		return nil, errors.New("the member has no traffic address (no address, and no TCP or HTTP probe)")
	}
	d := net.Dialer{Timeout: timeout, KeepAlive: -1} // no TCP keep-alive, as haproxy by default
	c, err := d.DialContext(f.ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// passive reports a member Failed once its failed dials in a row reach
// the frontend's PassiveFailures, and at each failed dial after that.
func (f *frontend) passive(m *member, s *settings, dialErr error) {
	n := m.streak.Add(1)
	if s.passive == 0 || n < s.passive || f.ctx.Err() != nil {
		return
	}
	if n == s.passive {
		f.m.log.Warn("frontend reports a member failed: its connections fail", "set", f.setID, "member", m.name,
			"failures", n, "err", dialErr)
	}
	err := f.m.eng.ReportHealth(m.name, engine.Report{State: engine.HealthFailed, Source: "traffic",
		Detail: fmt.Sprintf("%d connections in a row failed: %v", n, dialErr)})
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		f.m.log.Warn("health report refused", "member", m.name, "err", err)
	}
}

// register counts p as open to its member; false when it must be closed
// at once (the frontend shut down, or its member was drained).
func (f *frontend) register(p *proxied) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := p.member
	if f.down || m.closedOut {
		return false
	}
	m.conns[p] = struct{}{}
	m.total.Add(1)
	if m.drain != nil {
		p.draining = true
		m.draining++
	}
	return true
}

func (f *frontend) unregister(p *proxied) {
	f.mu.Lock()
	m := p.member
	delete(m.conns, p)
	if p.draining {
		m.draining--
	}
	f.prune(m)
	gone := f.retired && len(f.members) == 0
	f.mu.Unlock()
	if gone {
		f.m.forget(f)
	}
}

// copy moves src's bytes to dst until src ends, then ends dst's writing;
// on an error it closes both sides.
func (f *frontend) copy(p *proxied, dst, src *net.TCPConn, count *atomic.Uint64, lease engine.Lease, counted bool) {
	if err := f.pump(dst, src, count, lease, counted); err != nil {
		p.abort()
		return
	}
	_ = dst.CloseWrite()
}

// written counts a chunk of n bytes copied: in flight on the lease from its
// read until write returns (counted), then in count.
func (f *frontend) written(dst *net.TCPConn, b []byte, count *atomic.Uint64, lease engine.Lease, counted bool) error {
	if counted {
		f.bal.AddBytes(lease, int64(len(b)))
		defer f.bal.AddBytes(lease, -int64(len(b)))
	}
	w, err := dst.Write(b)
	count.Add(uint64(w))
	return err
}

// burst logs one line when a run of refusals starts and one, with their
// number, when it ends.
type burst struct {
	log *slog.Logger
	set string

	on atomic.Bool
	mu sync.Mutex
	n  uint64
}

func (b *burst) refuse(msg string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	if b.on.CompareAndSwap(false, true) {
		b.log.Warn(msg, append([]any{"set", b.set}, args...)...)
	}
}

func (b *burst) end(msg string) {
	if !b.on.Load() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.on.CompareAndSwap(true, false) {
		b.log.Info(msg, "set", b.set, "refused", b.n)
		b.n = 0
	}
}
