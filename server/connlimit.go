package server

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// connLimit is a listener that keeps at most max connections open per
// client address (IP, without the port). A connection beyond that is
// closed as soon as it is accepted; the refusals are logged at most once
// per logEvery, with how many there were.
type connLimit struct {
	net.Listener
	max      int
	log      *slog.Logger
	logEvery time.Duration
	now      func() time.Time

	mu      sync.Mutex
	open    map[string]int
	refused int       // since the last log line
	logged  time.Time // when the last log line was written
}

func limitConns(ln net.Listener, max int, log *slog.Logger) *connLimit {
	return &connLimit{Listener: ln, max: max, log: log, logEvery: 10 * time.Second, now: time.Now, open: map[string]int{}}
}

// Accept returns the next connection whose address is under its cap.
func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := hostOf(c.RemoteAddr())
		if l.admit(addr) {
			return &limitedConn{Conn: c, release: func() { l.release(addr) }}, nil
		}
		_ = c.Close()
	}
}

func hostOf(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

func (l *connLimit) admit(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr] < l.max {
		l.open[addr]++
		return true
	}
	l.refused++
	if now := l.now(); now.Sub(l.logged) >= l.logEvery {
		l.log.Warn("connections refused: too many open from one address", "remote", addr,
			"max", l.max, "refused", l.refused)
		l.logged, l.refused = now, 0
	}
	return false
}

func (l *connLimit) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr]--; l.open[addr] <= 0 {
		delete(l.open, addr)
	}
}

// limitedConn gives its address's place back when closed (once).
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite half-closes a TCP connection, as net/http does before it
// closes one whose request it did not read whole.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
