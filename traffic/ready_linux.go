//go:build linux && (amd64 || arm64 || 386 || arm || riscv64 || loong64 || s390x)

package traffic

import (
	"net"
	"syscall"
	"unsafe"
)

// fionread is the ioctl that reads how many bytes a socket has queued.
const fionread = 0x541B

// waitData waits until c has bytes to read (their number) or its end
// (0): a connection holds no buffer and no splice pipe while it is idle.
func waitData(c *net.TCPConn) (int64, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int64
	var opErr error
	err = rc.Read(func(fd uintptr) bool {
		var avail int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, fionread, uintptr(unsafe.Pointer(&avail))); e != 0 {
			opErr = e
			return true
		}
		if avail > 0 {
			n = int64(avail)
			return true
		}
		var b [1]byte
		got, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case e == syscall.EAGAIN:
			return false // nothing yet: wait for the poller
		case e == syscall.EINTR:
			return false
		case e != nil:
			opErr = e
		case got > 0: // arrived between the two calls
			n = int64(got)
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	return n, opErr
}
