package server

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// bodyCap is the one cap on request bodies, put in front of every path:
// the CIM-XML and WS-Man handlers and the JSON API read through it and
// translate its *http.MaxBytesError into their own 413 answer.
//
// A refused body is not left unread: after the handler has answered (the
// answer is sent first, for a client that reads it before sending more),
// the rest of the body is read and dropped (at most drain bytes, within
// the body timeout), so a client that writes its whole body before reading
// (python's http.client, for one) reads the 413 instead of a broken pipe.
// The body must arrive within timeout; once it is read whole, the read
// deadline is lifted so the answer may take longer.
//
// For a request the door refused before its caller was known, at most
// unadmittedDrain bytes are read after the answer: an anonymous client
// cannot make the server read a large body it will not act on.
type bodyCap struct {
	max     int64
	drain   int64
	timeout time.Duration
}

// unadmittedDrain is how much of a body is read and dropped after the door
// refused its unknown caller (as much as Go's own server reads of a body
// its handler left, to keep the connection).
const unadmittedDrain = 256 << 10

func (c bodyCap) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.EnableFullDuplex() // the body may still be read (drained) after the answer
		_ = rc.SetReadDeadline(time.Now().Add(c.timeout))
		b := &cappedBody{src: r.Body, left: c.max, max: c.max, rc: rc,
			refuseUnread: r.ContentLength > c.max, expect: expectsContinue(r)}
		r.Body = b
		next.ServeHTTP(w, r)
		b.drain(c.drain)
	})
}

func expectsContinue(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("Expect")), "100-continue")
}

// cappedBody yields at most max bytes of src; past them every Read fails
// with *http.MaxBytesError. A body whose Content-Length already exceeds
// max fails on the first Read without reading.
type cappedBody struct {
	src          io.ReadCloser
	rc           *http.ResponseController
	max, left    int64
	refuseUnread bool // Content-Length > max
	expect       bool // Expect: 100-continue
	read         bool // something was read from src
	eof          bool
	over         bool
	unadmitted   bool // the door refused the caller
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.refuseUnread || b.over {
		return 0, &http.MaxBytesError{Limit: b.max}
	}
	if b.eof {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.src.Read(p)
	b.read = b.read || n > 0
	b.left -= int64(n)
	if b.left < 0 {
		b.over = true
		return n + int(b.left), &http.MaxBytesError{Limit: b.max}
	}
	if errors.Is(err, io.EOF) {
		b.ended()
	}
	return n, err
}

// ended lifts the read deadline once the body is read whole: the server
// then only watches for the client going away.
func (b *cappedBody) ended() {
	b.eof = true
	_ = b.rc.SetReadDeadline(time.Time{})
}

func (b *cappedBody) Close() error { return b.src.Close() }

// Unadmitted notes that the door refused the caller (auth.Unadmitted).
func (b *cappedBody) Unadmitted() { b.unadmitted = true }

// drain reads and drops what the handler left of the body, at most limit
// bytes, so that the client, done writing, reads the answer. A client
// that waits for "100 Continue" before sending a body that was refused
// unread is not asked for it.
func (b *cappedBody) drain(limit int64) {
	if b.eof || b.refuseUnread && b.expect && !b.read {
		return
	}
	_ = b.rc.Flush() // the answer goes out now, not once the rest has arrived
	if b.unadmitted {
		limit = min(limit, unadmittedDrain)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(b.src, limit))
	if err == nil && n < limit {
		b.ended()
	}
}
