//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package traffic

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// On Linux the frontends go around the net package for their connections:
// each connection's two sockets are raw non-blocking descriptors owned by
// one event loop (a poller), which accepts, dials, reads, writes, splices,
// shuts down and closes them itself. A poller is one goroutine and one
// epoll instance, in edge-triggered mode for the connections; it waits in
// Go's own network poller (its epoll descriptor is one more pollable file),
// so it holds no thread while idle. There is one poller per GOMAXPROCS,
// made when the first frontend listens and ended by Manager.Close; every
// frontend's listening socket is in every poller, each woken alone
// (EPOLLEXCLUSIVE), and a connection stays with the poller that accepted
// it. Other goroutines (a drain, Close) reach a connection only by posting
// to its poller, so a descriptor is closed only by the poller that owns it.

// frontIO is a frontend's state for its connections: none beyond the
// pollers'.
type frontIO struct{}

func newFrontIO() frontIO { return frontIO{} }

// pollers are a manager's event loops.
type pollers struct {
	mu     sync.Mutex
	all    []*poller
	closed bool
}

// get starts the pollers the first time; an error once closed.
func (ps *pollers) get(m *Manager) ([]*poller, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.closed {
		return nil, errors.New("traffic: the manager is closed")
	}
	if ps.all != nil {
		return ps.all, nil
	}
	n := runtime.GOMAXPROCS(0)
	for i := range n {
		p, err := newPoller(m, i)
		if err != nil {
			for _, q := range ps.all {
				q.post(post{kind: postStop})
			}
			ps.all = nil
			return nil, err
		}
		ps.all = append(ps.all, p)
	}
	for _, p := range ps.all {
		m.wg.Add(1)
		go p.run()
	}
	return ps.all, nil
}

// close asks every poller to close its sockets and end.
func (ps *pollers) close() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.closed = true
	for _, p := range ps.all {
		p.post(post{kind: postStop})
	}
}

// serveListener hands ln's socket to the pollers and closes ln; the
// returned closer stops listening. f.mu is held.
func (f *frontend) serveListener(ln net.Listener) (io.Closer, error) {
	all, err := f.m.poll.get(f.m)
	if err != nil {
		return nil, err
	}
	l, err := takeListener(f, ln, all)
	if err != nil {
		return nil, err
	}
	for _, p := range all {
		if !p.post(post{kind: postListen, l: l}) {
			l.dropped()
		}
	}
	return l, nil
}

// postKind says what a post asks of a poller.
type postKind uint8

const (
	postStop     postKind = iota // close everything and end
	postListen                   // accept l's connections
	postUnlisten                 // stop accepting l's connections
	postAbort                    // close c
	postDialed                   // c's dial by name ended: fd or err
)

// post is what another goroutine asks of a poller.
type post struct {
	kind postKind
	l    *rlistener
	c    *rconn
	fd   int
	err  error
}

// entry is what a poller knows of one of its descriptors; tag tells an
// event for this use of the descriptor from one for an earlier use of the
// same number.
type entry struct {
	tag  int32
	c    *rconn
	l    *rlistener
	wake bool
}

// poller is one event loop; everything but mu and posted belongs to its
// goroutine.
type poller struct {
	m      *Manager
	idx    int
	epfd   int
	file   *os.File        // epfd, for waiting in Go's poller
	rc     syscall.RawConn // file's
	waitFn func(uintptr) bool
	wakeFD int // an eventfd: other goroutines' posts
	events [128]syscall.EpollEvent
	ev     syscall.EpollEvent // the argument of epoll_ctl
	ents   []entry            // by descriptor
	tag    int32
	buf    []byte // what a direction reads into first
	rsa    syscall.RawSockaddrAny
	timers timers
	lwait  []*rlistener // listeners out of epoll until their accept retry
	armed  time.Time    // the deadline set on file, if any
	pipes  []pipe       // idle splice pipes
	addrs  map[string]syscall.Sockaddr
	stop   bool

	mu     sync.Mutex
	posted []post
	ended  bool
}

// epollExclusive wakes one poller, not all, for a listener's connection.
const epollExclusive = 1 << 28

// epollET asks for edge-triggered events (syscall.EPOLLET is negative).
const epollET = 1 << 31

// connEvents are a connection socket's events, edge-triggered.
const connEvents = syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET

func newPoller(m *Manager, idx int) (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	p := &poller{m: m, idx: idx, epfd: epfd, wakeFD: -1, buf: make([]byte, bufSize), addrs: map[string]syscall.Sockaddr{}}
	if err := p.open(); err != nil {
		p.closeFDs()
		return nil, err
	}
	p.waitFn = p.poll
	return p, nil
}

// open makes the poller's eventfd and puts its epoll descriptor in Go's
// poller.
func (p *poller) open() error {
	fd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		return os.NewSyscallError("eventfd2", e)
	}
	p.wakeFD = int(fd)
	if err := p.add(p.wakeFD, entry{wake: true}, syscall.EPOLLIN|epollET); err != nil {
		return err
	}
	if err := syscall.SetNonblock(p.epfd, true); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	p.file = os.NewFile(uintptr(p.epfd), "epoll")
	rc, err := p.file.SyscallConn()
	if err != nil {
		return err
	}
	p.rc = rc
	return nil
}

// closeFDs closes the poller's own descriptors.
func (p *poller) closeFDs() {
	if p.wakeFD >= 0 {
		_ = syscall.Close(p.wakeFD)
	}
	for _, pp := range p.pipes {
		pp.close()
	}
	p.pipes = nil
	if p.file != nil {
		_ = p.file.Close()
	} else {
		_ = syscall.Close(p.epfd)
	}
}

// post hands x to the poller's goroutine and wakes it; false when the
// poller has ended (everything it owned is closed).
func (p *poller) post(x post) bool {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return false
	}
	p.posted = append(p.posted, x)
	first := len(p.posted) == 1
	p.mu.Unlock()
	if first {
		one := uint64(1)
		_, _ = syscall.Write(p.wakeFD, (*[8]byte)(unsafe.Pointer(&one))[:])
	}
	return true
}

// run is the loop: it waits for events in Go's poller, handles them, and
// fires the timers that are due, until asked to stop.
func (p *poller) run() {
	defer p.m.wg.Done()
	for !p.stop {
		err := p.rc.Read(p.waitFn)
		if err == nil {
			continue
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			p.m.log.Error("frontend event loop failed", "err", err)
			break
		}
		_ = p.file.SetReadDeadline(time.Time{})
		p.armed = time.Time{}
		p.expire()
		p.arm()
	}
	p.end()
}

// poll handles the events that are ready; false when there are none, to
// wait for more.
func (p *poller) poll(uintptr) bool {
	n, err := syscall.EpollWait(p.epfd, p.events[:], 0)
	switch {
	case err == syscall.EINTR:
		return true
	case err != nil:
		p.m.log.Error("frontend event loop failed", "err", os.NewSyscallError("epoll_wait", err))
		p.stop = true
		return true
	case n == 0:
		return false
	}
	for i := range n {
		p.dispatch(&p.events[i])
	}
	if p.timers.len() > 0 || len(p.lwait) > 0 {
		p.expire()
		p.arm()
	}
	return true
}

// dispatch hands one event to what owns its descriptor.
func (p *poller) dispatch(ev *syscall.EpollEvent) {
	fd := int(ev.Fd)
	if fd >= len(p.ents) || p.ents[fd].tag != ev.Pad {
		return // a descriptor closed since
	}
	e := p.ents[fd]
	switch {
	case e.c != nil:
		e.c.event(fd, ev.Events)
	case e.l != nil:
		p.accept(e.l)
	case e.wake:
		p.woken()
	}
}

// woken handles the posts.
func (p *poller) woken() {
	var b [8]byte
	_, _ = syscall.Read(p.wakeFD, b[:])
	p.mu.Lock()
	posts := p.posted
	p.posted = nil
	p.mu.Unlock()
	for _, x := range posts {
		p.handle(x)
	}
}

func (p *poller) handle(x post) {
	switch x.kind {
	case postStop:
		p.stop = true
	case postListen:
		p.listen(x.l)
	case postUnlisten:
		p.unlisten(x.l)
	case postAbort:
		x.c.close()
	case postDialed:
		x.c.dialedByName(x.fd, x.err)
	}
}

// add registers fd with the poller's epoll under a new tag.
func (p *poller) add(fd int, e entry, events uint32) error {
	for fd >= len(p.ents) {
		p.ents = append(p.ents, make([]entry, max(len(p.ents), 64))...)
	}
	p.tag++
	if p.tag == 0 { // 0 is no entry's
		p.tag = 1
	}
	e.tag = p.tag
	p.ev = syscall.EpollEvent{Events: events, Fd: int32(fd), Pad: p.tag}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &p.ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	p.ents[fd] = e
	return nil
}

// forget drops fd's entry before fd is closed (the close takes it out of
// the epoll set).
func (p *poller) forget(fd int) {
	if fd >= 0 && fd < len(p.ents) {
		p.ents[fd] = entry{}
	}
}

// remove takes fd out of the epoll set without closing it.
func (p *poller) remove(fd int) {
	p.forget(fd)
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, &p.ev)
}

// end closes everything the poller owns: its connections, its part of the
// listeners, its own descriptors.
func (p *poller) end() {
	p.mu.Lock()
	p.ended = true
	posts := p.posted
	p.posted = nil
	p.mu.Unlock()
	for _, x := range posts {
		switch x.kind {
		case postListen, postUnlisten:
			p.unlisten(x.l)
		case postDialed:
			x.c.dialedByName(x.fd, errors.New("the frontend stopped"))
		}
	}
	for fd := range p.ents {
		e := p.ents[fd]
		switch {
		case e.c != nil:
			e.c.close()
		case e.l != nil:
			p.unlisten(e.l)
		}
	}
	for _, l := range p.lwait {
		p.unlisten(l)
	}
	p.closeFDs()
}

// arm sets the file's read deadline to the earliest timer when that is
// sooner than the one set: a deadline that comes early only wakes the loop
// to set the next.
func (p *poller) arm() {
	next, ok := p.nextTimer()
	if !ok || (!p.armed.IsZero() && !next.Before(p.armed)) {
		return
	}
	p.armed = next
	_ = p.file.SetReadDeadline(next)
}

// nextTimer is when the earliest dial or accept retry is due.
func (p *poller) nextTimer() (time.Time, bool) {
	var next time.Time
	if p.timers.len() > 0 {
		next = p.timers.h[0].deadline
	}
	for _, l := range p.lwait {
		if at := l.per[p.idx].retryAt; next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, !next.IsZero()
}

// expire fires the timers that are due.
func (p *poller) expire() {
	now := time.Now()
	for p.timers.len() > 0 && !p.timers.h[0].deadline.After(now) {
		c := p.timers.h[0]
		p.timers.remove(c)
		c.dialTimedOut()
	}
	if len(p.lwait) > 0 {
		p.retryAccept(now)
	}
}

// timers is a heap of the connections whose dial is under way, by
// deadline.
type timers struct{ h []*rconn }

func (t *timers) len() int { return len(t.h) }

func (t *timers) push(c *rconn) {
	c.tidx = len(t.h)
	t.h = append(t.h, c)
	t.up(c.tidx)
}

// remove takes c out of the heap, if it is there.
func (t *timers) remove(c *rconn) {
	i := c.tidx
	if i < 0 || i >= len(t.h) || t.h[i] != c {
		return
	}
	last := len(t.h) - 1
	t.swap(i, last)
	t.h[last] = nil
	t.h = t.h[:last]
	c.tidx = -1
	if i < last {
		t.down(i)
		t.up(i)
	}
}

func (t *timers) swap(i, j int) {
	t.h[i], t.h[j] = t.h[j], t.h[i]
	t.h[i].tidx, t.h[j].tidx = i, j
}

func (t *timers) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !t.h[i].deadline.Before(t.h[parent].deadline) {
			return
		}
		t.swap(i, parent)
		i = parent
	}
}

func (t *timers) down(i int) {
	for {
		small := i
		for _, k := range []int{2*i + 1, 2*i + 2} {
			if k < len(t.h) && t.h[k].deadline.Before(t.h[small].deadline) {
				small = k
			}
		}
		if small == i {
			return
		}
		t.swap(i, small)
		i = small
	}
}

// pipe is a splice pipe: its read and write ends.
type pipe struct{ r, w int }

func (pp pipe) close() {
	_ = syscall.Close(pp.r)
	_ = syscall.Close(pp.w)
}

// idlePipes bounds the splice pipes a poller keeps for later streams.
const idlePipes = 4

// getPipe takes an idle pipe or makes one as large as a chunk.
func (p *poller) getPipe() (pipe, error) {
	if n := len(p.pipes); n > 0 {
		pp := p.pipes[n-1]
		p.pipes = p.pipes[:n-1]
		return pp, nil
	}
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		return pipe{}, err
	}
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(fds[0]), syscall.F_SETPIPE_SZ, chunk)
	return pipe{r: fds[0], w: fds[1]}, nil
}

// putPipe keeps an empty pipe for later, or closes it.
func (p *poller) putPipe(pp pipe) {
	if len(p.pipes) < idlePipes && !p.stop {
		p.pipes = append(p.pipes, pp)
		return
	}
	pp.close()
}
