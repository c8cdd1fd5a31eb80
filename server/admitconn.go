package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// listener wraps ln's connections (TLS ones included) in admitConns.
func (a *admission) listener(ln net.Listener) net.Listener { return admitListener{ln, a} }

type admitListener struct {
	net.Listener
	a *admission
}

func (l admitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &admitConn{Conn: c, a: l.a}, nil
}

// connState is the http.Server's ConnState hook: a connection that has
// written its answer (idle), was taken over or closed gives its place
// back, and its next bytes are a new request to judge.
func connState(c net.Conn, state http.ConnState) {
	if ac, ok := c.(*admitConn); ok && state != http.StateNew && state != http.StateActive {
		ac.done()
	}
}

// admitConn is one connection under admission. Its Read passes the bytes
// on unchanged; it only waits, before returning the bytes that complete a
// read's request, for a place.
type admitConn struct {
	net.Conn
	a *admission

	mu      sync.Mutex
	started bool   // a request is under way
	judged  bool   // it was judged
	class   class  // as what
	held    bool   // it is a read that holds a place
	head    []byte // its first bytes (at most judgeBytes), until judged
	read    int64  // its bytes read so far
	whole   int64  // its length once its headers are in (-1 before; 0 when they do not tell)
	next    []byte // bytes read past its end: the start of the next request
}

func (c *admitConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		answerPlainHTTP(err)
	}
	if n > 0 && c.seen(p[:n]) == classRead && c.a.enter() {
		c.mu.Lock()
		c.held = true
		c.mu.Unlock()
	}
	return n, err
}

// seen notes the bytes b. Once they complete the request under way (its
// headers and announced body are in), it is judged and its class
// returned, a change counted; else, or when it was judged before, seen
// returns classFree.
func (c *admitConn) seen(b []byte) class {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.judged {
		c.carry(b)
		return classFree
	}
	return c.add(b)
}

// add notes bytes of the request under way, not judged yet, and judges it
// once they complete it. Bytes past its end are kept for the next one.
// c.mu is held.
func (c *admitConn) add(b []byte) class {
	if !c.started {
		c.started, c.whole, c.read, c.head = true, -1, 0, c.head[:0]
	}
	c.read += int64(len(b))
	if keep := judgeBytes - len(c.head); keep > 0 {
		c.head = append(c.head, b[:min(keep, len(b))]...)
	}
	if c.whole < 0 {
		c.whole = requestLength(c.head)
	}
	switch {
	case c.whole < 0 && len(c.head) < judgeBytes: // the headers are not all in
		return classFree
	case c.whole > 0 && c.read < c.whole: // nor is the body
		return classFree
	}
	if extra := c.read - c.whole; c.whole > 0 && extra > 0 {
		c.keepNext(b[int64(len(b))-extra:])
		c.read = c.whole
		c.head = c.head[:min(int64(len(c.head)), c.whole)]
	}
	c.judged, c.class = true, judge(c.head)
	c.head = c.head[:0]
	if c.class == classChange {
		c.a.changeStarted()
	}
	return c.class
}

// carry notes bytes read once the request under way was judged. Those
// past its end begin the next request: net/http reads a byte ahead while
// a handler runs, to notice a client that leaves, and that byte is the
// first of the client's next request. c.mu is held.
func (c *admitConn) carry(b []byte) {
	if c.whole <= 0 { // its end is not known (a chunked body)
		return
	}
	rest := max(c.whole-c.read, 0)
	c.read += int64(len(b))
	if rest < int64(len(b)) {
		c.keepNext(b[rest:])
	}
}

// keepNext keeps b as the start of the next request, up to judgeBytes.
// c.mu is held.
func (c *admitConn) keepNext(b []byte) {
	c.next = append(c.next, b[:min(len(b), max(judgeBytes-len(c.next), 0))]...)
}

// done ends the request under way: a read gives its place back, a
// change is no longer counted. Bytes of the next request already read
// start it. (Should they complete it, which only a client that pipelines
// does, it is judged but cannot wait here: a read goes on without a
// place.)
func (c *admitConn) done() {
	c.mu.Lock()
	held, change := c.held, c.judged && c.class == classChange
	c.started, c.judged, c.held = false, false, false
	if len(c.next) > 0 {
		next := c.next
		c.next = nil
		c.add(next)
	}
	c.mu.Unlock()
	if held {
		c.a.leave()
	}
	if change {
		c.a.changeEnded()
	}
}

// requestLength returns the length of the request whose first bytes are
// head (headers and body), 0 when the headers do not tell (a chunked body,
// an unreadable Content-Length: it is judged once its headers are in), or
// -1 while the headers are not all in.
func requestLength(head []byte) int64 {
	end := bytes.Index(head, []byte("\r\n\r\n"))
	if end < 0 {
		return -1
	}
	n, ok := contentLength(head[:end])
	if !ok {
		return 0
	}
	return int64(end+4) + n
}

// contentLength reads the length of the body from a header block: its
// Content-Length, 0 without one (a request without Content-Length or
// Transfer-Encoding has no body); false when the headers do not tell (a
// chunked body) or it is unreadable (net/http answers that).
func contentLength(hdr []byte) (int64, bool) {
	var n int64
	for line := range bytes.SplitSeq(hdr, []byte("\r\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		switch {
		case !ok:
			continue
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Transfer-Encoding")):
			return 0, false
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")):
			v, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
			if err != nil || v < 0 {
				return 0, false
			}
			n = v
		}
	}
	return n, true
}

// connKey holds the request's connection in its context (connContext).
type connKey struct{}

// connContext is the http.Server's ConnContext hook: the handlers can
// find the connection a request came on (withTLSState).
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// withTLSState gives a request that came over TLS its TLS state (r.TLS):
// net/http sets it only for a *tls.Conn, and the listeners hand it a
// TLS connection wrapped in an admitConn.
func withTLSState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			if ac, ok := r.Context().Value(connKey{}).(*admitConn); ok {
				if tc, ok := ac.Conn.(*tls.Conn); ok {
					st := tc.ConnectionState()
					r = r.WithContext(r.Context())
					r.TLS = &st
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// answerPlainHTTP answers a plain HTTP request sent to a TLS listener, as
// net/http does for the TLS connections it sees: err is the handshake's,
// and the connection is closed after a 400.
func answerPlainHTTP(err error) {
	var re tls.RecordHeaderError
	if !errors.As(err, &re) || re.Conn == nil || !looksLikeHTTP(re.RecordHeader[:]) {
		return
	}
	_ = re.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(re.Conn, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
	_ = re.Conn.Close()
}

// looksLikeHTTP reports whether the first bytes of a TLS record are those
// of an HTTP request.
func looksLikeHTTP(hdr []byte) bool {
	for _, m := range []string{"GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "DELET", "PATCH"} {
		if string(hdr) == m {
			return true
		}
	}
	return false
}
