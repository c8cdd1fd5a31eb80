package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The headers a follower adds to a write it forwards to the leader. The
// leader believes For only when Sig, an HMAC-SHA256 under the cluster
// secret, is valid, At is recent and Sig was not seen before; it never
// forwards a request that carries any of them (the loop guard), and strips
// them when the signature does not hold.
const (
	hdrFwdFor   = "X-Redset-Forwarded-For"   // the client's address (host:port)
	hdrFwdBy    = "X-Redset-Forwarded-By"    // the server that forwarded it
	hdrFwdAt    = "X-Redset-Forwarded-At"    // when, in Unix milliseconds
	hdrFwdNonce = "X-Redset-Forwarded-Nonce" // random, new for every forwarded request
	hdrFwdBody  = "X-Redset-Forwarded-Body"  // hex SHA-256 of the body
	hdrFwdSig   = "X-Redset-Forwarded-Sig"   // hex HMAC-SHA256 of the above, the method and the path
	hdrFwdPrefx = "X-Redset-Forwarded-"
)

// forwardWindow is how far a forwarded request's time may be from the
// leader's clock; older signatures are not believed.
const forwardWindow = 30 * time.Second

// maxSeenSigs bounds the signatures a server remembers to refuse replays:
// while it holds that many admitted within the last 2×forwardWindow, more
// forwarded requests are not believed.
const maxSeenSigs = 1 << 16

// sign adds the forwarding headers and their signature, which covers the
// request's method, path with query and, through its SHA-256, the body.
// The sum travels in a header of its own, so that the receiver checks the
// signature before it reads the body.
func (f *forwarder) sign(h http.Header, method, uri, client string, body []byte) {
	at := strconv.FormatInt(f.now().UnixMilli(), 10)
	nonce := rand.Text()
	sum := bodySum(body)
	h.Set(hdrFwdFor, client)
	h.Set(hdrFwdBy, f.name)
	h.Set(hdrFwdAt, at)
	h.Set(hdrFwdNonce, nonce)
	h.Set(hdrFwdBody, sum)
	h.Set(hdrFwdSig, f.mac(method, uri, client, f.name, at, nonce, sum))
}

// bodySum is the hex SHA-256 of a body.
func bodySum(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// mac is the hex HMAC-SHA256 under the cluster secret of fields, one per
// line: the request's method and path, the forwarding headers and the
// body's SHA-256.
func (f *forwarder) mac(fields ...string) string {
	m, _ := f.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, f.secret)
	}
	defer f.macs.Put(m)
	m.Reset()
	for i, s := range fields {
		if i > 0 {
			m.Write([]byte{'\n'})
		}
		io.WriteString(m, s)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}

// admit checks a request that says it was forwarded. With a valid, recent,
// first-seen signature the client's address becomes the request's remote
// address (so that the audit names the client, not the follower);
// otherwise the headers are stripped and the request is the sender's own.
// Either way it is marked as arrived forwarded: it is never forwarded
// again (servers whose secrets or views of the leader disagree would
// otherwise pass it back and forth).
func (f *forwarder) admit(r *http.Request, protocol string) *http.Request {
	h := r.Header
	client, ok := f.verify(r)
	if !ok {
		f.count(protocol, "rejected")
	}
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), hdrFwdPrefx) {
			delete(h, k)
		}
	}
	r2 := r.WithContext(context.WithValue(r.Context(), forwardedKey{}, true))
	if ok {
		r2.RemoteAddr = client
	}
	return r2
}

// forwardedKey marks in a request's context that it arrived with
// forwarding headers: it is never forwarded again.
type forwardedKey struct{}

func wasForwarded(r *http.Request) bool {
	v, _ := r.Context().Value(forwardedKey{}).(bool)
	return v
}

// verify checks the signature, the time and the novelty of a forwarded
// request and returns the client's address. Only once the signature holds
// does it read the body (at most maxBody bytes), to check its sum, and put
// it back: a request with a forged signature makes the server read
// nothing.
func (f *forwarder) verify(r *http.Request) (string, bool) {
	h := r.Header
	client, by, at, nonce, sum, sig := h.Get(hdrFwdFor), h.Get(hdrFwdBy), h.Get(hdrFwdAt), h.Get(hdrFwdNonce), h.Get(hdrFwdBody), h.Get(hdrFwdSig)
	if len(f.secret) == 0 || sig == "" {
		return "", false
	}
	ms, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return "", false
	}
	now := f.now()
	if age := now.Sub(time.UnixMilli(ms)); age > forwardWindow || age < -forwardWindow {
		f.log.Warn("a forwarded request is too old or from the future; its client is not believed", "from", r.RemoteAddr, "by", by, "age", age)
		return "", false
	}
	want := f.mac(r.Method, r.URL.RequestURI(), client, by, at, nonce, sum)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		f.log.Warn("a forwarded request's signature is wrong; its client is not believed", "from", r.RemoteAddr, "by", by)
		return "", false
	}
	body, ok := readBody(r, f.maxBody)
	if !ok {
		f.log.Warn("a forwarded request's body is too large to check; its client is not believed", "from", r.RemoteAddr, "by", by)
		return "", false
	}
	if bodySum(body) != sum {
		f.log.Warn("a forwarded request's body is not the one signed; its client is not believed", "from", r.RemoteAddr, "by", by)
		return "", false
	}
	if !f.seen.first(sig, now) {
		f.log.Warn("a forwarded request's signature was seen before (a replay), or too many arrived at once; its client is not believed", "from", r.RemoteAddr, "by", by)
		return "", false
	}
	return client, true
}

// carriesForwarding tells whether a request has any forwarding header.
func carriesForwarding(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), hdrFwdPrefx) {
			return true
		}
	}
	return false
}

// seenSigs remembers the signatures admitted lately, each for keep, so
// that each is admitted once: keep must outlast the time a signature is
// believed (its time may be forwardWindow ahead of the clock and is
// believed until forwardWindow after it). It holds at most max; when full,
// it admits nothing new until the oldest expire.
type seenSigs struct {
	mu    sync.Mutex
	keep  time.Duration
	max   int
	set   map[string]struct{}
	order []seenSig // oldest first
}

type seenSig struct {
	sig   string
	until time.Time
}

func newSeenSigs(keep time.Duration, max int) *seenSigs {
	return &seenSigs{keep: keep, max: max, set: map[string]struct{}{}}
}

// first records sig and reports whether it is new (and there was room).
func (s *seenSigs) first(sig string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) > 0 && now.After(s.order[0].until) {
		delete(s.set, s.order[0].sig)
		s.order[0] = seenSig{}
		s.order = s.order[1:]
	}
	if _, seen := s.set[sig]; seen || len(s.order) >= s.max {
		return false
	}
	s.set[sig] = struct{}{}
	s.order = append(s.order, seenSig{sig: sig, until: now.Add(s.keep)})
	return true
}
