//go:build !(linux && (amd64 || arm64 || 386 || arm || riscv64 || loong64 || s390x))

package traffic

import (
	"io"
	"net"
	"sync/atomic"

	"github.com/redset/redset/engine"
)

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
