//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package traffic

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// rlistener is a frontend's listening socket, shared by every poller.
type rlistener struct {
	f     *frontend
	fd    int
	local netip.AddrPort // where it listens
	anyIP bool           // on every address: a connection's own address is asked for when needed
	per   []lstate       // by poller, each its own poller's
	all   []*poller
	refs  atomic.Int32 // pollers that still have the socket
	once  sync.Once
	done  chan struct{} // closed once the socket is
}

// lstate is one poller's hold of a listener.
type lstate struct {
	in      bool          // in the poller's epoll set
	gone    bool          // let go
	delay   time.Duration // the wait after the last failed accept
	retryAt time.Time
}

// takeListener keeps a copy of ln's socket for the pollers and closes ln.
// Accepted sockets inherit TCP_NODELAY from it, as the net package would
// set on each.
func takeListener(f *frontend, ln net.Listener, pollers []*poller) (*rlistener, error) {
	defer ln.Close()
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil, syscall.EINVAL
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd, err := dupFD(rc)
	if err != nil {
		return nil, err
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	local := tl.Addr().(*net.TCPAddr).AddrPort()
	l := &rlistener{f: f, fd: fd, local: local, anyIP: local.Addr().Unmap().IsUnspecified(),
		per: make([]lstate, len(pollers)), all: pollers, done: make(chan struct{})}
	l.refs.Store(int32(len(pollers)))
	return l, nil
}

// dupFD copies a socket's descriptor (close-on-exec).
func dupFD(rc syscall.RawConn) (int, error) {
	nfd := -1
	var opErr error
	err := rc.Control(func(fd uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			opErr = os.NewSyscallError("fcntl", e)
			return
		}
		nfd = int(r)
	})
	if err == nil {
		err = opErr
	}
	return nfd, err
}

// Close stops listening: each poller lets the socket go, and the last
// closes it.
func (l *rlistener) Close() error {
	l.once.Do(func() {
		for _, p := range l.all {
			// A poller that has ended has let go already.
			p.post(post{kind: postUnlisten, l: l})
		}
	})
	return nil
}

// wait returns once the socket is closed.
func (l *rlistener) wait() { <-l.done }

// dropped counts a poller that let the socket go.
func (l *rlistener) dropped() {
	if l.refs.Add(-1) == 0 {
		_ = syscall.Close(l.fd)
		close(l.done)
	}
}

// listen puts l in the poller's epoll set: level-triggered, and woken
// alone where the kernel can.
func (p *poller) listen(l *rlistener) {
	st := &l.per[p.idx]
	if st.gone || st.in {
		return
	}
	err := p.add(l.fd, entry{l: l}, syscall.EPOLLIN|epollExclusive)
	if err != nil {
		err = p.add(l.fd, entry{l: l}, syscall.EPOLLIN)
	}
	if err != nil {
		p.m.log.Error("frontend cannot wait for connections", "set", l.f.setID, "err", err)
		return
	}
	st.in = true
}

// unlisten lets l go.
func (p *poller) unlisten(l *rlistener) {
	st := &l.per[p.idx]
	if st.gone {
		return
	}
	st.gone = true
	if st.in {
		p.remove(l.fd)
		st.in = false
	}
	for i, w := range p.lwait {
		if w == l {
			p.lwait = append(p.lwait[:i], p.lwait[i+1:]...)
			break
		}
	}
	l.dropped()
}

// acceptBatch bounds the connections one event accepts, so that a flood
// of them does not hold up the others.
const acceptBatch = 16

// accept takes the connections waiting on l.
func (p *poller) accept(l *rlistener) {
	for range acceptBatch {
		rlen := uint32(syscall.SizeofSockaddrAny)
		fd, _, e := syscall.Syscall6(syscall.SYS_ACCEPT4, uintptr(l.fd), uintptr(unsafe.Pointer(&p.rsa)),
			uintptr(unsafe.Pointer(&rlen)), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
		switch e {
		case 0:
			l.per[p.idx].delay = 0
			p.accepted(l, int(fd), peerOf(&p.rsa))
		case syscall.EAGAIN:
			return
		case syscall.EINTR, syscall.ECONNABORTED:
		default:
			p.acceptFailed(l, e)
			return
		}
	}
}

// acceptFailed takes l out of the epoll set for a while after an accept
// failed (out of descriptors, say), with one log line per run of failures.
func (p *poller) acceptFailed(l *rlistener, err error) {
	st := &l.per[p.idx]
	if st.delay == 0 {
		p.m.log.Warn("frontend cannot accept connections; it keeps trying", "set", l.f.setID, "err", os.NewSyscallError("accept4", err))
	}
	st.delay = acceptBackoff(st.delay)
	st.retryAt = time.Now().Add(st.delay)
	p.remove(l.fd)
	st.in = false
	p.lwait = append(p.lwait, l)
}

// retryAccept puts back the listeners whose wait is over.
func (p *poller) retryAccept(now time.Time) {
	keep := p.lwait[:0]
	for _, l := range p.lwait {
		if l.per[p.idx].retryAt.After(now) {
			keep = append(keep, l)
			continue
		}
		p.listen(l)
	}
	clear(p.lwait[len(keep):])
	p.lwait = keep
}

// peerOf reads an address accept4 wrote.
func peerOf(rsa *syscall.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		a := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), port(&a.Port))
	case syscall.AF_INET6:
		a := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), port(&a.Port))
	}
	return netip.AddrPort{}
}

// port reads a port kept in network byte order.
func port(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// localOf asks for a connection's own address.
func localOf(fd int) netip.AddrPort {
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}
	}
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}
