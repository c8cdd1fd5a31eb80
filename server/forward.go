package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/cluster"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/protocol/cimxml"
	"github.com/redset/redset/protocol/wsman"
)

// The headers a follower adds to a write it forwards to the leader. The
// leader believes For and Proto only when Sig, an HMAC-SHA256 under the
// cluster secret, is valid and At is recent; it never forwards a request
// that carries any of them (the loop guard), and strips them when the
// signature does not hold.
const (
	hdrFwdFor   = "X-Redset-Forwarded-For"   // the client's address (host:port)
	hdrFwdProto = "X-Redset-Forwarded-Proto" // the protocol it came by: cimxml, wsman, api or web
	hdrFwdBy    = "X-Redset-Forwarded-By"    // the server that forwarded it
	hdrFwdAt    = "X-Redset-Forwarded-At"    // when, in Unix milliseconds
	hdrFwdSig   = "X-Redset-Forwarded-Sig"   // hex HMAC-SHA256 of the above, the method and the path
	hdrFwdPrefx = "X-Redset-Forwarded-"
)

// forwardWindow is how far a forwarded request's time may be from the
// leader's clock; older signatures are not believed (no replay).
const forwardWindow = 30 * time.Second

// leaderRecheck is how often a forwarded write that waits for the leader's
// answer checks that the leader is still the same.
const leaderRecheck = 100 * time.Millisecond

// forwardDialTimeout bounds connecting to the leader; a leader that cannot
// be reached leaves the request to this server, which answers Busy.
const forwardDialTimeout = 2 * time.Second

// forwarder sends the writes reaching a follower to the leader and admits
// the writes other servers forward.
type forwarder struct {
	name    string // this server
	url     string // this server's advertised URL
	secret  []byte // empty: no cluster; nothing is forwarded or believed
	view    func() clusterView
	client  *http.Client
	maxBody int64
	now     func() time.Time
	log     *slog.Logger
	count   func(protocol, outcome string) // counts what became of a write
}

func newForwarder(s *Server) *forwarder {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: forwardDialTimeout}).DialContext
	tr.Proxy = nil
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: peerRoots(s.cert.cur.Load(), s.log)}
	return &forwarder{
		name: s.cfg.Cluster.Name, url: s.advertise, secret: s.secret, view: s.cluster,
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // the leader's answer goes back as it is
		}},
		maxBody: s.cfg.Limits.MaxBodyBytes, now: time.Now, log: s.log.With("part", "forward"),
		count: func(protocol, outcome string) { s.metrics.forwards.WithLabelValues(protocol, outcome).Inc() },
	}
}

// peerRoots are the certificates a server trusts in its peers: the
// system's roots and the chain it serves itself (the servers of a cluster
// often share a certificate or its issuer).
func peerRoots(own *tls.Certificate, log *slog.Logger) *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if own == nil {
		return pool
	}
	for _, der := range own.Certificate {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			log.Warn("this server's certificate does not parse; peers are trusted by the system's roots only", "err", err)
			continue
		}
		pool.AddCert(cert)
	}
	return pool
}

// wrap puts the forwarder in front of one protocol's handler. writes
// judges whether a request (its body already read into memory) changes
// something.
func (f *forwarder) wrap(protocol string, writes func(*http.Request, []byte) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if carriesForwarding(r.Header) {
			next.ServeHTTP(w, f.admit(r, protocol))
			return
		}
		leader, known, follower := f.leader()
		if !follower || len(f.secret) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		body, ok := f.buffer(w, r)
		if !ok || !writes(r, body) {
			next.ServeHTTP(w, r)
			return
		}
		switch {
		case !known:
			f.count(protocol, "no_leader")
			f.noLeader(w, r, protocol, next)
		case !f.forward(w, r, body, leader, protocolOf(r, protocol)):
			f.count(protocol, "unreachable")
			f.noLeader(w, r, protocol, next)
		default:
			f.count(protocol, "forwarded")
		}
	})
}

// leader tells whether this server follows (follower) and, if so, which
// server leads, if one is known.
func (f *forwarder) leader() (leader cluster.Peer, known, follower bool) {
	v := f.view()
	if v.IsLeader() {
		return cluster.Peer{}, false, false
	}
	leader, known = v.Leader()
	known = known && leader.URL != "" && strings.TrimRight(leader.URL, "/") != f.url
	return leader, known, true
}

// noLeader answers a write while no leader is known or reachable: the API at once with
// 503 and Retry-After; the CIM protocols through this server's engine,
// which refuses writes while following (Busy, CIM return code 3).
func (f *forwarder) noLeader(w http.ResponseWriter, r *http.Request, protocol string, next http.Handler) {
	if protocol != engine.ProtocolAPI {
		next.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", "1")
	api.WriteProblem(w, r, &api.Problem{Type: api.ProblemUnavailable, Title: "Unavailable", Status: http.StatusServiceUnavailable,
		Detail: "no server of the cluster leads just now; retry in a moment"})
}

// buffer reads the body into memory (at most maxBody bytes) so that it
// can be judged and sent on, and puts it back for the local handler. A
// larger body is left to the local handler, which refuses it.
func (f *forwarder) buffer(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, f.maxBody+1))
	rest := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), rest), rest}
	return data, err == nil && int64(len(data)) <= f.maxBody
}

// forward sends r to the leader and copies its answer back unchanged.
// It returns false, having written nothing, when the leader could not be
// reached.
func (f *forwarder) forward(w http.ResponseWriter, r *http.Request, body []byte, leader cluster.Peer, protocol string) bool {
	ctx, stop := f.whileLeading(r.Context(), leader)
	defer stop()
	out, err := http.NewRequestWithContext(ctx, r.Method, strings.TrimRight(leader.URL, "/")+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		f.log.Warn("cannot forward to the leader", "leader", leader.Name, "err", err)
		return false
	}
	out.Header = r.Header.Clone()
	dropHopHeaders(out.Header)
	out.ContentLength = int64(len(body))
	f.sign(out.Header, r.Method, r.URL.RequestURI(), r.RemoteAddr, protocol)
	resp, err := f.client.Do(out)
	if err != nil && r.Context().Err() != nil {
		return true // the client left: nobody to answer, and the leader is not to blame
	}
	if err != nil {
		f.log.Warn("the leader did not answer a forwarded write", "leader", leader.Name, "url", leader.URL, "err", err)
		return false
	}
	defer resp.Body.Close()
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	dropHopHeaders(h)
	w.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(w, resp.Body); err != nil {
		f.log.Warn("copying the leader's answer", "leader", leader.Name, "err", err)
	}
	return true
}

// whileLeading is ctx, canceled as soon as this server sees another leader
// (or none) than leader: a frozen or cut-off leader then stops holding the
// writes forwarded to it once its lease has run out.
func (f *forwarder) whileLeading(ctx context.Context, leader cluster.Peer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		tick := time.NewTicker(leaderRecheck)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if now, known, _ := f.leader(); !known || now.URL != leader.URL {
					f.log.Warn("the leader changed while a forwarded write waited for its answer", "was", leader.Name, "now", now.Name)
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}

// sign adds the forwarding headers and their signature.
func (f *forwarder) sign(h http.Header, method, uri, client, protocol string) {
	at := strconv.FormatInt(f.now().UnixMilli(), 10)
	h.Set(hdrFwdFor, client)
	h.Set(hdrFwdProto, protocol)
	h.Set(hdrFwdBy, f.name)
	h.Set(hdrFwdAt, at)
	h.Set(hdrFwdSig, f.mac(method, uri, client, protocol, f.name, at))
}

// mac is the hex HMAC-SHA256 under the cluster secret of the request's
// method and path and the forwarding headers, one per line.
func (f *forwarder) mac(fields ...string) string {
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte(strings.Join(fields, "\n")))
	return hex.EncodeToString(m.Sum(nil))
}

// admit checks a request that says it was forwarded. With a valid, recent
// signature the client's address becomes the request's remote address
// (so that the audit names the client, not the follower); otherwise the
// headers are stripped and the request is the sender's own.
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
	if !ok {
		return r
	}
	r2 := r.WithContext(r.Context())
	r2.RemoteAddr = client
	return r2
}

// verify checks the signature and the time of a forwarded request and
// returns the client's address.
func (f *forwarder) verify(r *http.Request) (string, bool) {
	h := r.Header
	client, proto, by, at, sig := h.Get(hdrFwdFor), h.Get(hdrFwdProto), h.Get(hdrFwdBy), h.Get(hdrFwdAt), h.Get(hdrFwdSig)
	if len(f.secret) == 0 || sig == "" {
		return "", false
	}
	ms, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return "", false
	}
	if age := f.now().Sub(time.UnixMilli(ms)); age > forwardWindow || age < -forwardWindow {
		f.log.Warn("a forwarded request is too old or from the future; its client is not believed", "from", r.RemoteAddr, "by", by, "age", age)
		return "", false
	}
	want := f.mac(r.Method, r.URL.RequestURI(), client, proto, by, at)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		f.log.Warn("a forwarded request's signature is wrong; its client is not believed", "from", r.RemoteAddr, "by", by)
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

// hopHeaders concern one connection and are not passed on (RFC 9110
// clause 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func dropHopHeaders(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			h.Del(strings.TrimSpace(name))
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

// protocolOf is the protocol of a request as the audit names it: the
// dashboard's API calls are "web".
func protocolOf(r *http.Request, protocol string) string {
	if protocol == engine.ProtocolAPI && r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return engine.ProtocolWeb
	}
	return protocol
}

// apiWrites: every JSON API request but GET and HEAD changes something,
// except the event stream (read with any method the API allows).
func apiWrites(r *http.Request, _ []byte) bool {
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions:
		return false
	case r.URL.Path == api.Prefix+"/events":
		return false
	}
	return true
}

// cimxmlWrites judges a CIM-XML request by its headers.
func cimxmlWrites(r *http.Request, _ []byte) bool { return cimxml.Writes(r) }

// wsmanWrites judges a WS-Man request by its action. A body that is not an
// envelope is answered here (with a fault).
func wsmanWrites(r *http.Request, body []byte) bool {
	if r.Method != http.MethodPost {
		return false
	}
	action, err := wsman.RequestAction(body, r.Header.Get("Content-Type"))
	return err == nil && wsman.WritesAction(action)
}
