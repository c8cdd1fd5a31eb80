//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package traffic

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/redset/redset/engine"
)

// sock is one socket of a connection and what its events told of it.
type sock struct {
	fd       int // -1: none
	tag      int32
	readable bool // may have bytes (or its end) to read
	writable bool // may take bytes
	hup      bool // its peer ended its writing
}

// dir is one direction of a connection: src's bytes to dst.
type dir struct {
	src, dst *sock
	count    *atomic.Uint64
	pend     *[]byte // pooled: bytes read and not yet written, pend[off:end]
	off, end int
	pipe     pipe // while splicing, or while piped > 0
	splicing bool // src's bytes go through the pipe
	piped    int  // bytes in the pipe
	eof      bool // src ended
	done     bool // src ended and dst's writing too
}

// rconn is one proxied connection, owned by one poller: everything but
// p.draining is its goroutine's.
type rconn struct {
	p     proxied
	f     *frontend
	s     *settings
	poll  *poller
	l     *rlistener
	peer  netip.AddrPort // the client's address
	cs    sock           // the client's socket
	us    sock           // the member's socket
	in    dir            // from the member to the client
	out   dir            // from the client to the member
	ch    *choice        // while dialing
	lease engine.Lease
	addr  string // the member's address, while dialing

	deadline   time.Time // of the dial
	tidx       int       // in the poller's timers
	leased     bool
	dialing    bool
	registered bool
	counted    bool // Least Blocks: bytes in flight are counted, never spliced
	closed     bool
}

// abort closes the connection, from any goroutine.
func (c *rconn) abort() { c.poll.post(post{kind: postAbort, c: c}) }

// accepted admits a new connection of l within MaxConnections and starts
// its dial.
func (p *poller) accepted(l *rlistener, fd int, peer netip.AddrPort) {
	f := l.f
	s := f.settings.Load()
	if !f.admit(s) {
		_ = syscall.Close(fd)
		return
	}
	c := &rconn{f: f, s: s, poll: p, l: l, peer: peer, cs: sock{fd: fd, writable: true}, us: sock{fd: -1}, tidx: -1}
	c.p.link = c
	if err := p.add(fd, entry{c: c}, connEvents); err != nil {
		_ = syscall.Close(fd)
		f.open.Add(-1)
		return
	}
	c.cs.tag = p.tag
	ch, err := f.newChoice(c.clientIP)
	if err != nil {
		c.refused(err)
		return
	}
	c.ch = ch
	c.dialNext()
}

// clientIP is the client's IP address as text.
func (c *rconn) clientIP() string {
	if !c.peer.IsValid() {
		return ""
	}
	return c.peer.Addr().Unmap().String()
}

func (c *rconn) refused(err error) {
	c.f.refuse(err)
	c.close()
}

// dialNext dials the next member chosen, until one dial is under way or
// none is left.
func (c *rconn) dialNext() {
	for {
		lease, m, addr, err := c.f.next(c.ch)
		if err != nil {
			c.refused(err)
			return
		}
		c.lease, c.p.member, c.leased = lease, m, true
		if err = c.dial(addr); err == nil {
			return
		}
		c.leased = false
		c.f.dialFailed(c.ch, lease, m, c.s, err)
	}
}

// dial starts connecting to addr: a raw non-blocking connect to a literal
// address, or the net package's dial on a goroutine of its own for a name.
func (c *rconn) dial(addr string) error {
	if addr == "" {
		return errNoAddress
	}
	c.addr = addr
	sa := c.poll.sockaddr(addr)
	if sa == nil {
		c.dialByName(addr)
		return nil
	}
	fd, err := connectTo(sa)
	if err != nil {
		return fmt.Errorf("dial tcp %s: %w", addr, err)
	}
	c.us = sock{fd: fd}
	if err := c.poll.add(fd, entry{c: c}, connEvents); err != nil {
		_ = syscall.Close(fd)
		c.us.fd = -1
		return err
	}
	c.us.tag = c.poll.tag
	c.dialing = true
	c.deadline = time.Now().Add(c.s.timeout)
	c.poll.timers.push(c)
	return nil
}

// connectTo opens a non-blocking socket and starts its connection to sa.
func connectTo(sa syscall.Sockaddr) (int, error) {
	family := syscall.AF_INET
	if _, ok := sa.(*syscall.SockaddrInet6); ok {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	err = syscall.Connect(fd, sa)
	if err != nil && err != syscall.EINPROGRESS && err != syscall.EINTR {
		_ = syscall.Close(fd)
		return -1, os.NewSyscallError("connect", err)
	}
	return fd, nil
}

// sockaddr is addr's socket address when it is a literal IP address and
// port, kept for the next dial; nil for a name.
func (p *poller) sockaddr(addr string) syscall.Sockaddr {
	if sa, ok := p.addrs[addr]; ok {
		return sa
	}
	var sa syscall.Sockaddr
	if ap, err := netip.ParseAddrPort(addr); err == nil && ap.Addr().Zone() == "" {
		if a := ap.Addr(); a.Is4() {
			sa = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
		} else {
			sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
		}
	}
	if len(p.addrs) >= 1024 {
		clear(p.addrs)
	}
	p.addrs[addr] = sa
	return sa
}

// dialByName dials addr through the net package on a goroutine, which
// posts a copy of the socket (or the error) back to the poller.
func (c *rconn) dialByName(addr string) {
	c.dialing = true
	f, p, timeout := c.f, c.poll, c.s.timeout
	f.m.wg.Add(1)
	go func() {
		defer f.m.wg.Done()
		fd, err := dialFD(f.ctx, addr, timeout)
		if !p.post(post{kind: postDialed, c: c, fd: fd, err: err}) && fd >= 0 {
			_ = syscall.Close(fd)
		}
	}()
}

// dialFD dials addr and returns a copy of the connected socket.
func dialFD(ctx context.Context, addr string, timeout time.Duration) (int, error) {
	d := net.Dialer{Timeout: timeout, KeepAlive: -1} // no TCP keep-alive, as haproxy by default
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return -1, err
	}
	defer nc.Close()
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		return -1, err
	}
	return dupFD(rc)
}

// dialedByName takes the outcome of a dial by name.
func (c *rconn) dialedByName(fd int, err error) {
	if c.closed {
		if fd >= 0 {
			_ = syscall.Close(fd)
		}
		return
	}
	if err == nil {
		if err = c.poll.add(fd, entry{c: c}, connEvents); err != nil {
			_ = syscall.Close(fd)
		} else {
			c.us = sock{fd: fd, tag: c.poll.tag}
			return // the socket's first event says it is connected
		}
	}
	c.dialFailed(err)
}

// event takes an event of one of the connection's sockets.
func (c *rconn) event(fd int, ev uint32) {
	s := &c.cs
	if fd == c.us.fd {
		s = &c.us
	}
	if ev&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		s.readable = true
	}
	if ev&(syscall.EPOLLOUT|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		s.writable = true
	}
	if ev&syscall.EPOLLRDHUP != 0 {
		s.hup = true
	}
	if !c.dialing {
		c.progress()
		return
	}
	if s == &c.us {
		c.dialEvent(ev)
	}
}

// dialEvent learns the outcome of the dial under way.
func (c *rconn) dialEvent(ev uint32) {
	if ev&(syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
		err := syscall.ECONNREFUSED
		if n, e := syscall.GetsockoptInt(c.us.fd, syscall.SOL_SOCKET, syscall.SO_ERROR); e == nil && n != 0 {
			err = syscall.Errno(n)
		}
		c.dialFailed(fmt.Errorf("dial tcp %s: %w", c.addr, os.NewSyscallError("connect", err)))
		return
	}
	if ev&syscall.EPOLLOUT != 0 {
		c.connected()
	}
}

// dialTimedOut ends a dial that took longer than the frontend allows.
func (c *rconn) dialTimedOut() {
	c.dialFailed(fmt.Errorf("dial tcp %s: i/o timeout", c.addr))
}

// dialFailed closes the failed dial's socket and dials the next member.
func (c *rconn) dialFailed(err error) {
	c.poll.timers.remove(c)
	c.closeSock(&c.us)
	c.dialing, c.leased = false, false
	c.f.dialFailed(c.ch, c.lease, c.p.member, c.s, err)
	c.dialNext()
}

// connected starts proxying once the member's socket is connected.
func (c *rconn) connected() {
	c.poll.timers.remove(c)
	c.dialing, c.ch, c.addr = false, nil, ""
	m := c.p.member
	c.f.dialed(m)
	if !c.f.register(&c.p) {
		c.close()
		return
	}
	c.registered = true
	c.counted = c.lease.Algorithm == engine.LBLeastBlocks
	c.out = dir{src: &c.cs, dst: &c.us, count: &m.bytesIn}
	c.in = dir{src: &c.us, dst: &c.cs, count: &m.bytesOut}
	if c.s.proxyV2 && !c.sendHeader() {
		c.close()
		return
	}
	c.progress()
}

// sendHeader writes the PROXY protocol v2 header, which a new socket takes
// whole.
func (c *rconn) sendHeader() bool {
	local := c.l.local
	if c.l.anyIP {
		local = localOf(c.cs.fd)
	}
	h := proxyHeader(net.TCPAddrFromAddrPort(c.peer), net.TCPAddrFromAddrPort(local))
	n, err := syscall.Write(c.us.fd, h)
	return err == nil && n == len(h)
}

// progress moves what both directions can, and closes the connection
// when both are done or one failed.
func (c *rconn) progress() {
	if err := c.pump(&c.out); err != nil {
		c.close()
		return
	}
	if err := c.pump(&c.in); err != nil {
		c.close()
		return
	}
	if c.out.done && c.in.done {
		c.close()
	}
}

// pump moves d's bytes until it must wait for an event; at src's end it
// ends dst's writing.
func (c *rconn) pump(d *dir) error {
	for !d.done {
		var err error
		var more bool
		switch {
		case d.piped > 0:
			more, err = c.flushPipe(d)
		case d.pend != nil:
			more, err = c.flush(d)
		case d.eof:
			d.done = true
			err = syscall.Shutdown(d.dst.fd, syscall.SHUT_WR)
			more = true
		case !d.src.readable || !d.dst.writable:
			return nil
		case d.splicing:
			more, err = c.spliceIn(d)
		default:
			more, err = c.readOnce(d)
		}
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// again tells a call that would block from a failure.
func again(err error) bool { return err == syscall.EAGAIN }

// readOnce reads what src has into the poller's buffer and writes it to
// dst; what dst does not take waits in a pooled buffer. A read that fills
// the buffer while more is queued turns to splicing.
func (c *rconn) readOnce(d *dir) (bool, error) {
	buf := c.poll.buf
	n, err := syscall.Read(d.src.fd, buf)
	switch {
	case again(err):
		d.src.readable = false
		return false, nil
	case err != nil:
		return false, err
	case n == 0:
		d.eof = true
		return true, nil
	case n < len(buf):
		// The queue is empty: wait for the next event, unless the peer
		// has ended its writing (then this was the last of it).
		d.src.readable = false
		d.eof = d.src.hup
	}
	if c.counted {
		c.f.bal.AddBytes(c.lease, int64(n))
	}
	w, err := c.write(d, buf[:n])
	if err != nil {
		return false, err
	}
	if w < n {
		d.pend = bufPool.Get().(*[]byte)
		d.off, d.end = 0, copy(*d.pend, buf[w:n])
		return false, nil
	}
	if n == len(buf) && !c.counted {
		c.startSplice(d)
	}
	return true, nil
}

// write writes b to dst and counts what it took.
func (c *rconn) write(d *dir, b []byte) (int, error) {
	w, err := syscall.Write(d.dst.fd, b)
	if again(err) {
		d.dst.writable = false
		w, err = 0, nil
	}
	if err != nil {
		return 0, err
	}
	d.count.Add(uint64(w))
	if c.counted {
		c.f.bal.AddBytes(c.lease, -int64(w))
	}
	return w, nil
}

// flush writes the pending bytes; true once none are left.
func (c *rconn) flush(d *dir) (bool, error) {
	if !d.dst.writable {
		return false, nil
	}
	w, err := c.write(d, (*d.pend)[d.off:d.end])
	if err != nil {
		return false, err
	}
	d.off += w
	if d.off < d.end {
		return false, nil
	}
	bufPool.Put(d.pend)
	d.pend = nil
	return true, nil
}

// startSplice turns d to splicing while src has at least a buffer's worth
// queued.
func (c *rconn) startSplice(d *dir) {
	if q, err := queued(d.src.fd); err != nil || q < bufSize {
		return
	}
	pp, err := c.poll.getPipe()
	if err != nil {
		return
	}
	d.pipe, d.splicing = pp, true
}

// spliceIn moves up to a chunk of src's queued bytes into the pipe; when
// src has none left it turns back to reading into the buffer.
func (c *rconn) spliceIn(d *dir) (bool, error) {
	n, err := splice(d.src.fd, d.pipe.w, chunk)
	switch {
	case again(err):
		d.src.readable = false
		d.splicing = false
		if d.piped == 0 {
			c.poll.putPipe(d.pipe)
		}
		return false, nil
	case err != nil:
		return false, err
	case n == 0:
		d.eof = true
		d.splicing = false
		c.poll.putPipe(d.pipe)
		return true, nil
	}
	d.piped = n
	return true, nil
}

// flushPipe moves the pipe's bytes to dst; true once none are left.
func (c *rconn) flushPipe(d *dir) (bool, error) {
	if !d.dst.writable {
		return false, nil
	}
	n, err := splice(d.pipe.r, d.dst.fd, d.piped)
	if again(err) {
		d.dst.writable = false
		return false, nil
	}
	if err != nil {
		return false, err
	}
	d.piped -= n
	d.count.Add(uint64(n))
	if d.piped > 0 {
		return true, nil
	}
	if !d.splicing {
		c.poll.putPipe(d.pipe)
	}
	return true, nil
}

// splice moves up to n bytes from in to out without blocking.
func splice(in, out, n int) (int, error) {
	const flags = 1 | 2 // SPLICE_F_MOVE | SPLICE_F_NONBLOCK
	for {
		r, _, e := syscall.Syscall6(syscall.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n), flags)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}

// fionread is the ioctl that reads how many bytes a socket has queued.
const fionread = 0x541B

// queued is how many bytes the socket has ready to read.
func queued(fd int) (int, error) {
	var avail int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), fionread, uintptr(unsafe.Pointer(&avail))); e != 0 {
		return 0, e
	}
	return int(avail), nil
}

// closeSock closes one socket of the connection.
func (c *rconn) closeSock(s *sock) {
	if s.fd < 0 {
		return
	}
	c.poll.forget(s.fd)
	_ = syscall.Close(s.fd)
	*s = sock{fd: -1}
}

// close closes both sockets and lets go of everything the connection
// holds; the frontend counts it ended.
func (c *rconn) close() {
	if c.closed {
		return
	}
	c.closed = true
	c.poll.timers.remove(c)
	c.closeSock(&c.cs)
	c.closeSock(&c.us)
	c.in.release(c.poll)
	c.out.release(c.poll)
	if c.leased {
		c.f.bal.Release(c.lease)
	}
	if c.registered {
		c.f.unregister(&c.p)
	}
	c.f.open.Add(-1)
}

// release gives back the direction's buffer and pipe.
func (d *dir) release(p *poller) {
	if d.pend != nil {
		bufPool.Put(d.pend)
		d.pend = nil
	}
	switch {
	case d.piped > 0:
		d.pipe.close() // its bytes are lost with the connection
	case d.splicing:
		p.putPipe(d.pipe)
	}
	d.piped, d.splicing = 0, false
}
