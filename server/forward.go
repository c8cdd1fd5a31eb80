package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/cluster"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/protocol/cimxml"
	"github.com/redset/redset/protocol/wsman"
)

// leaderRecheck is how often a forwarded write that waits for the leader's
// answer checks that the leader is still the same.
const leaderRecheck = 100 * time.Millisecond

// forwardDialTimeout bounds connecting to the leader (and the TLS
// handshake); a leader that cannot be reached leaves the request to this
// server, which answers Busy.
const forwardDialTimeout = 2 * time.Second

// forwardIdleConns is how many idle connections to the leader are kept
// open for the next forwarded writes (over HTTP/1.1; HTTP/2 needs one).
const forwardIdleConns = 32

// forwarder sends the writes reaching a follower to the leader and admits
// the writes other servers forward.
type forwarder struct {
	name    string // this server
	url     string // this server's advertised URL
	secret  []byte // empty: no cluster; nothing is forwarded or believed
	view    func() clusterView
	own     func() *tls.Certificate // the certificate served now; nil without TLS
	maxBody int64
	now     func() time.Time
	log     *slog.Logger
	count   func(protocol, outcome string) // counts what became of a write
	seen    *seenSigs
	macs    sync.Pool // of HMAC-SHA256 hashes under secret, reused

	mu    sync.Mutex // held while peers is replaced
	peers atomic.Pointer[peerTransport]
}

// peerTransport is the one transport to the leader, kept for as long as
// this server serves the certificate it was made for.
type peerTransport struct {
	own *tls.Certificate
	rt  *http.Transport
}

func newForwarder(s *Server) *forwarder {
	f := &forwarder{
		name: s.cfg.Cluster.Name, url: s.advertise, secret: s.secret, view: s.cluster, own: s.cert.cur.Load,
		maxBody: s.cfg.Limits.MaxBodyBytes, now: time.Now, log: s.log.With("part", "forward"),
		count: func(protocol, outcome string) { s.metrics.forwards.WithLabelValues(protocol, outcome).Inc() },
		seen:  newSeenSigs(2*forwardWindow, maxSeenSigs),
	}
	if len(f.secret) > 0 {
		f.transport() // made now, so that the first write does not wait for the system's roots
	}
	return f
}

// transport is the transport to the leader. It trusts the peers the
// current certificate lets it trust: after a reload replaced the
// certificate, the next forwarded write makes a new transport (new
// connections, new roots) and the old one's idle connections are closed.
func (f *forwarder) transport() *http.Transport {
	own := f.own()
	if p := f.peers.Load(); p != nil && p.own == own {
		return p.rt
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.peers.Load()
	if old != nil && old.own == own {
		return old.rt
	}
	f.peers.Store(&peerTransport{own: own, rt: newPeerTransport(peerRoots(own, f.log))})
	if old != nil {
		old.rt.CloseIdleConnections()
	}
	return f.peers.Load().rt
}

// newPeerTransport keeps connections to the leader open between writes
// and speaks HTTP/2 where TLS lets it. It never decompresses: the leader's
// answer goes back as it came.
func newPeerTransport(roots *x509.CertPool) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: forwardDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		TLSHandshakeTimeout: forwardDialTimeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: forwardIdleConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
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

// admitting stands in front of one protocol's door: a request another
// server of the cluster forwarded, with a signature that holds, gets its
// client's address back (see admit), so that the door, the throttle and
// the audit see the client, not the follower.
func (f *forwarder) admitting(protocol string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if carriesForwarding(r.Header) {
			r = f.admit(r, protocol)
		}
		next.ServeHTTP(w, r)
	})
}

// forwarding stands behind one protocol's door, so that only a caller the
// door let in makes a follower read a body: the writes that reach a
// follower are sent to the leader with the caller's credentials, which
// the leader's door checks again. writes judges whether a request changes
// something; it may read the start of the body (at most limit bytes) but
// leaves r.Body whole for the handler. Reads are never held: only writes
// are read into memory and sent on. A request that arrived with forwarding
// headers, believed or not, is never forwarded again.
func (f *forwarder) forwarding(protocol string, writes func(r *http.Request, limit int64) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leader, known, follower := f.leader()
		if !follower || len(f.secret) == 0 || wasForwarded(r) || !writes(r, f.maxBody) {
			next.ServeHTTP(w, r)
			return
		}
		body, ok := readBody(r, f.maxBody) // to be signed and sent on
		if !ok {
			next.ServeHTTP(w, r) // too large: refused here
			return
		}
		switch {
		case !known:
			f.count(protocol, "no_leader")
			f.noLeader(w, r, protocol, next)
		case !f.forward(w, r, body, leader):
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

// readBody reads r's body, at most limit bytes, and puts what it read back
// in front of the rest (for the local handler, should it answer). ok is
// false when the body is larger or could not be read.
func readBody(r *http.Request, limit int64) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	var data []byte
	var err error
	if n := r.ContentLength; n >= 0 && n <= limit {
		data = make([]byte, n) // read in one piece, as large as it says
		var got int
		got, err = io.ReadFull(r.Body, data)
		data = data[:got]
	} else {
		data, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	}
	rest := r.Body
	r.Body = readCloser{io.MultiReader(bytes.NewReader(data), rest), rest}
	return data, err == nil && int64(len(data)) <= limit
}

// readCloser reads from one reader and closes another (the body it came
// from).
type readCloser struct {
	io.Reader
	io.Closer
}

// copyBufs are the buffers the leader's answers are copied through.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// forward sends r to the leader and copies its answer back unchanged.
// It returns false, having written nothing, when the leader could not be
// reached.
func (f *forwarder) forward(w http.ResponseWriter, r *http.Request, body []byte, leader cluster.Peer) bool {
	ctx, stop := f.whileLeading(r.Context(), leader)
	defer stop()
	uri := r.URL.RequestURI()
	out, err := http.NewRequestWithContext(ctx, r.Method, strings.TrimRight(leader.URL, "/")+uri, bytes.NewReader(body))
	if err != nil {
		f.log.Warn("cannot forward to the leader", "leader", leader.Name, "err", err)
		return false
	}
	out.Header = r.Header.Clone()
	dropHopHeaders(out.Header)
	out.Header.Del("Expect") // the body is here already
	f.sign(out.Header, r.Method, uri, r.RemoteAddr, body)
	resp, err := f.transport().RoundTrip(out)
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
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	if _, err := io.CopyBuffer(w, resp.Body, *buf); err != nil {
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

// apiWrites: every JSON API request but GET and HEAD changes something,
// except the event stream (read with any method the API allows).
func apiWrites(r *http.Request, _ int64) bool {
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions:
		return false
	case r.URL.Path == api.Prefix+"/events":
		return false
	}
	return true
}

// cimxmlWrites judges a CIM-XML request by its headers.
func cimxmlWrites(r *http.Request, _ int64) bool { return cimxml.Writes(r) }

// wsmanWrites judges a WS-Man request by its action, read from the start
// of the body (at most limit bytes, up to the action); what was read is
// put back in front of the rest. A Pull is read whole (within limit): one
// of a WS-Eventing subscription's events is served by the leader, which
// keeps the subscriptions. A body that is not an envelope is answered
// here (with a fault).
func wsmanWrites(r *http.Request, limit int64) bool {
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return false
	}
	var head bytes.Buffer
	ct := r.Header.Get("Content-Type")
	action, err := wsman.ReadAction(io.TeeReader(io.LimitReader(r.Body, limit), &head), ct)
	rest := r.Body
	pull := err == nil && wsman.PullAction(action)
	if pull { // a Pull of events goes where the subscriptions are: its body decides
		_, _ = io.Copy(&head, io.LimitReader(rest, limit-int64(head.Len())))
	}
	r.Body = readCloser{io.MultiReader(&head, rest), rest}
	if pull {
		return wsman.EventPull(head.Bytes(), ct)
	}
	return err == nil && wsman.WritesAction(action)
}
