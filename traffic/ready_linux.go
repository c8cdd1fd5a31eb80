//go:build linux && (amd64 || arm64 || 386 || arm || riscv64 || loong64 || s390x)

package traffic

import (
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/redset/redset/engine"
)

// fionread is the ioctl that reads how many bytes a socket has queued.
const fionread = 0x541B

// pump copies src to dst until src ends. It waits for src's bytes without
// a buffer, reads what arrived into a pooled buffer taken only then, and
// writes it; when a read fills the buffer (a stream) and more is queued, it
// lets the kernel splice the queued bytes, at most a chunk at a time,
// through io.CopyN (*net.TCPConn reads from an *io.LimitedReader of a
// TCPConn), unless the connection counts its bytes in flight. So an idle
// connection holds no buffer and no splice pipe, a small exchange costs one
// read and one write, and a stream is spliced.
func (f *frontend) pump(dst, src *net.TCPConn, count *atomic.Uint64, lease engine.Lease, counted bool) error {
	rc, err := src.SyscallConn()
	if err != nil {
		return err
	}
	r := &reader{rc: rc}
	r.try = r.readNow
	for {
		bp, n, err := r.readSome()
		if err != nil || n == 0 {
			return err // nil at the end of src
		}
		err = f.written(dst, (*bp)[:n], count, lease, counted)
		full := n == len(*bp)
		bufPool.Put(bp)
		if err != nil {
			return err
		}
		if full && !counted {
			if err := spliceQueued(rc, dst, src, count); err != nil {
				return err
			}
		}
	}
}

// reader reads one side of a connection; its fields carry readNow's
// results out of rc.Read, so that a read allocates nothing.
type reader struct {
	rc  syscall.RawConn
	try func(fd uintptr) bool // r.readNow, bound once
	bp  *[]byte
	n   int
	err error
}

// readSome waits until the connection has bytes or ends and reads what it
// has; n is 0 at its end.
func (r *reader) readSome() (*[]byte, int, error) {
	r.bp, r.n, r.err = nil, 0, nil
	err := r.rc.Read(r.try)
	if err == nil {
		err = r.err
	}
	bp, n := r.bp, r.n
	r.bp = nil
	if err != nil || n <= 0 {
		if bp != nil {
			bufPool.Put(bp)
		}
		return nil, 0, err
	}
	return bp, n, nil
}

// readNow reads what fd has into a pooled buffer; false, with no buffer
// held, when it has nothing yet.
func (r *reader) readNow(fd uintptr) bool {
	if r.bp == nil {
		r.bp = bufPool.Get().(*[]byte)
	}
	for {
		r.n, r.err = syscall.Read(int(fd), *r.bp)
		if r.err != syscall.EINTR {
			break
		}
	}
	if r.err == syscall.EAGAIN {
		bufPool.Put(r.bp) // nothing yet: wait without the buffer
		r.bp = nil
		return false
	}
	return true
}

// spliceQueued splices what src has queued, while that is at least a
// buffer's worth.
func spliceQueued(rc syscall.RawConn, dst, src *net.TCPConn, count *atomic.Uint64) error {
	for {
		avail, err := queued(rc)
		if err != nil || avail < bufSize {
			return err
		}
		n, err := io.CopyN(dst, src, min(avail, chunk))
		count.Add(uint64(n))
		if err != nil {
			return err
		}
	}
}

// queued is how many bytes the connection has ready to read.
func queued(rc syscall.RawConn) (int64, error) {
	var avail int32
	var opErr error
	err := rc.Control(func(fd uintptr) {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, fionread, uintptr(unsafe.Pointer(&avail))); e != 0 {
			opErr = e
		}
	})
	if err == nil {
		err = opErr
	}
	return int64(avail), err
}
