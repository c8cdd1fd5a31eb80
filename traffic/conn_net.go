//go:build !(linux && (amd64 || arm64 || riscv64 || loong64))

package traffic

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/redset/redset/engine"
)

// This file is the data path where the frontends use the net package:
// every system but Linux (see loop_linux.go).

// pollers is nothing here: connections run on goroutines.
type pollers struct{}

func (*pollers) close() {}

// frontIO is a frontend's state for its connections: idle workers.
type frontIO struct {
	tasks chan func() // handed to idle workers (see run)
}

func newFrontIO() frontIO { return frontIO{tasks: make(chan func())} }

// netConn is one proxied connection over net.
type netConn struct {
	client, up *net.TCPConn
	closed     atomic.Bool
}

// abort closes both sides at once; both copies then end.
func (p *netConn) abort() {
	if p.closed.CompareAndSwap(false, true) {
		_ = p.client.Close()
		_ = p.up.Close()
	}
}

// serveListener accepts ln's connections until it is closed; f.mu is held.
func (f *frontend) serveListener(ln net.Listener) (io.Closer, error) {
	f.m.wg.Add(1)
	go f.serve(ln)
	return ln, nil
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
			if delay == 0 {
				f.m.log.Warn("frontend cannot accept connections; it keeps trying", "set", f.setID, "err", err)
			}
			delay = acceptBackoff(delay)
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
// worker.
func (f *frontend) accepted(c *net.TCPConn) {
	s := f.settings.Load()
	if !f.admit(s) {
		_ = c.Close()
		return
	}
	f.run(func() { f.proxy(c, s) })
}

// workerIdle is how long a worker waits for another task before it ends.
const workerIdle = time.Second

// run runs task on an idle worker, or on a new one when none is idle.
func (f *frontend) run(task func()) {
	select {
	case f.io.tasks <- task:
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
		case task = <-f.io.tasks:
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
		f.refuse(err)
		_ = c.Close()
		return
	}
	defer f.bal.Release(lease)
	nc := &netConn{client: c, up: up}
	p := &proxied{link: nc, member: m}
	if !f.register(p) {
		nc.abort()
		return
	}
	defer f.unregister(p)
	if s.proxyV2 {
		if _, err := up.Write(proxyHeader(asTCP(c.RemoteAddr()), asTCP(c.LocalAddr()))); err != nil {
			nc.abort()
			return
		}
	}
	counted := lease.Algorithm == engine.LBLeastBlocks
	done := make(chan struct{})
	f.run(func() {
		defer close(done)
		f.copy(nc, c, up, &m.bytesOut, lease, counted)
	})
	f.copy(nc, up, c, &m.bytesIn, lease, counted)
	<-done
	nc.abort()
}

func asTCP(a net.Addr) *net.TCPAddr {
	t, _ := a.(*net.TCPAddr)
	return t
}

// connect picks a member for c and dials it, leaving out each member whose
// dial fails.
func (f *frontend) connect(c *net.TCPConn, s *settings) (*net.TCPConn, engine.Lease, *member, error) {
	ch, err := f.newChoice(func() string {
		if a := asTCP(c.RemoteAddr()); a != nil {
			return a.IP.String()
		}
		return ""
	})
	if err != nil {
		return nil, engine.Lease{}, nil, err
	}
	for {
		lease, m, addr, err := f.next(ch)
		if err != nil {
			return nil, engine.Lease{}, nil, err
		}
		up, err := f.dial(addr, s.timeout)
		if err == nil {
			f.dialed(m)
			return up, lease, m, nil
		}
		f.dialFailed(ch, lease, m, s, err)
	}
}

func (f *frontend) dial(addr string, timeout time.Duration) (*net.TCPConn, error) {
	if addr == "" {
		return nil, errNoAddress
	}
	d := net.Dialer{Timeout: timeout, KeepAlive: -1} // no TCP keep-alive, as haproxy by default
	c, err := d.DialContext(f.ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// copy moves src's bytes to dst until src ends, then ends dst's writing;
// on an error it closes both sides.
func (f *frontend) copy(nc *netConn, dst, src *net.TCPConn, count *atomic.Uint64, lease engine.Lease, counted bool) {
	if err := f.pump(dst, src, count, lease, counted); err != nil {
		nc.abort()
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

// pump copies src to dst until src ends: through io.CopyN, a chunk at a
// time (spliced where the system can), or, when the connection counts its
// bytes in flight, through a pooled buffer.
func (f *frontend) pump(dst, src *net.TCPConn, count *atomic.Uint64, lease engine.Lease, counted bool) error {
	if !counted {
		for {
			n, err := io.CopyN(dst, src, chunk)
			count.Add(uint64(n))
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	for {
		n, rerr := src.Read(*bp)
		if n > 0 {
			if err := f.written(dst, (*bp)[:n], count, lease, true); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}
