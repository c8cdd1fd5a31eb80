package wsman

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/internal/body"
)

// Options configure the handler. Zero values take the documented defaults.
type Options struct {
	// MaxEnvelopeSize caps an answer in octets when the client sends no
	// smaller w:MaxEnvelopeSize (DSP0226 clause 6.2, MS-WSMV 3.1.4.1.7).
	// Default 512000, WinRM's 500 KB.
	MaxEnvelopeSize int
	// DefaultNamespace is the namespace of DMTF resource URIs without a
	// __cimnamespace selector; default "root/hypervcluster/v2".
	DefaultNamespace string
	// ProductVersion is the wsmid:ProductVersion of Identify answers.
	ProductVersion string
	// Logger receives one debug record per fault and errors of the
	// object manager; default: discard.
	Logger *slog.Logger
	// Eventing keeps the WS-Eventing subscriptions (Subscribe, Renew,
	// GetStatus, Unsubscribe, Pull of events); nil: eventing actions
	// are answered wsa:ActionNotSupported.
	Eventing Eventing
}

// Defaults.
const (
	defaultMaxEnvelopeSize = 512000
	defaultNamespace       = "root/hypervcluster/v2"
)

func (o Options) withDefaults() Options {
	if o.MaxEnvelopeSize < 8192 {
		o.MaxEnvelopeSize = defaultMaxEnvelopeSize
	}
	if o.DefaultNamespace == "" {
		o.DefaultNamespace = defaultNamespace
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// NewHandler returns the POST /wsman handler. It runs behind auth's door,
// which has established the caller (auth.IdentityFrom) or answered 401
// with the challenge openwsman waits for; the door lets a request marked
// "WSMANIDENTIFY: unauthenticated" in without credentials (see Anonymous).
// The handler decodes the envelope, serves the operation through h (whose
// authorization middleware decides it; Identify and the ends of finished
// enumerations are authorized here) and writes the answer or a SOAP fault
// (HTTP 500); a refusal is wsman:AccessDenied. It is safe for concurrent
// use.
func NewHandler(h cimom.Handler, opts Options) http.Handler {
	return &handler{next: h, opts: opts.withDefaults(), newID: newMessageID}
}

type handler struct {
	next  cimom.Handler
	opts  Options
	newID func() string // new MessageIDs; fixed in golden tests
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (h *handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "WS-Management requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	if !soapMediaType(r.Header.Get("Content-Type")) {
		http.Error(rw, "the body must be application/soap+xml", http.StatusUnsupportedMediaType)
		return
	}
	body, ok := h.readBody(rw, r)
	if !ok {
		return
	}
	id, known := auth.IdentityFrom(r.Context())
	ctx := cimom.WithPrincipal(r.Context(), cimom.Principal{User: id.User, Role: string(id.Role),
		Address: r.RemoteAddr, Protocol: Protocol})
	x := &exchange{h: h, ctx: ctx, known: known, tls: r.TLS != nil}
	x.serve(rw, body, r.Header.Get("Content-Type"))
}

// Anonymous tells the door (auth.Gate.Anonymous) which requests may come
// without credentials: SOAP POSTs with the MS-WSMV header "WSMANIDENTIFY:
// unauthenticated", answered only when they are an Identify (without
// version and profiles), else with 401.
func Anonymous(r *http.Request) bool {
	return r.Method == http.MethodPost && soapMediaType(r.Header.Get("Content-Type")) &&
		strings.EqualFold(r.Header.Get("WSMANIDENTIFY"), "unauthenticated")
}

// Refuse writes a refusal of the door (auth.Gate.Refuse) as WinRM does:
// the status and a line of text, no SOAP fault.
func Refuse(rw http.ResponseWriter, _ *http.Request, status int, err error) {
	http.Error(rw, auth.RefusalText(status, err), status)
}

// soapMediaType accepts SOAP 1.2's application/soap+xml, and XML media
// types generally (a SOAP 1.1 envelope then gets s:VersionMismatch).
func soapMediaType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (strings.HasSuffix(mt, "/xml") || strings.HasSuffix(mt, "+xml"))
}

// readBody reads the body, answering 413 (MS-WSMV 3.1.4.1.20) when it
// is past the cap of whoever serves the handler (an *http.MaxBytesError:
// the server caps every path, http.MaxBytesHandler would do).
func (h *handler) readBody(rw http.ResponseWriter, r *http.Request) ([]byte, bool) {
	data, err := body.ReadAll(r.Body, r.ContentLength)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(rw, "request too large", http.StatusRequestEntityTooLarge)
		return nil, false
	case err != nil:
		http.Error(rw, "cannot read the request", http.StatusBadRequest)
		return nil, false
	}
	return data, true
}

// newMessageID returns "uuid:" and a random version 4 UUID.
func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// exchange is one request being served.
type exchange struct {
	h     *handler
	ctx   context.Context
	known bool // the door established the caller
	tls   bool
}

// serve decodes, authorizes, runs and answers one request.
func (x *exchange) serve(rw http.ResponseWriter, body []byte, contentType string) {
	env, err := decodeBody(body, contentType)
	if !x.known && (err != nil || !env.isIdentify()) {
		rw.Header().Set("WWW-Authenticate", auth.Challenge)
		Refuse(rw, nil, http.StatusUnauthorized, auth.ErrUnauthorized)
		return
	}
	if err != nil {
		x.writeFault(rw, env, err)
		return
	}
	call, err := env.Call(x.h.opts.DefaultNamespace)
	if err == nil && call.Request == nil {
		err = x.authorize(call)
	}
	if err != nil {
		x.writeFault(rw, env, err)
		return
	}
	out, err := x.run(env, call)
	if err != nil {
		x.writeFault(rw, env, err)
		return
	}
	x.send(rw, env, out)
}

// authorize decides the calls that do not reach the object manager, whose
// middleware decides the others: Identify, and Pull and Release of an
// enumeration that already ended (as the pull or close they would be).
func (x *exchange) authorize(c *Call) error {
	op := auth.Operation("wsman Identify")
	switch {
	case c.Kind == KindIdentify && !x.known:
		op = "wsman Identify unauthenticated"
	case c.Kind == KindPull:
		op = auth.CIMOperation(c.pull.String(), "")
	case c.Kind == KindRelease:
		op = auth.CIMOperation(cimom.CloseEnumeration.String(), "")
	case c.Kind >= KindSubscribe:
		op = auth.Operation("wsman " + c.Kind.String())
	}
	if err := auth.Authorize(x.ctx, op); err != nil {
		return newFault(FaultAccessDenied, "", "%v", err)
	}
	return nil
}

// send writes a finished answer in the request's encoding.
func (x *exchange) send(rw http.ResponseWriter, env *Envelope, out *bytes.Buffer) {
	x.sendStatus(rw, env, out, http.StatusOK)
}

func (x *exchange) sendStatus(rw http.ResponseWriter, env *Envelope, out *bytes.Buffer, status int) {
	defer bufPool.Put(out)
	enc := UTF8
	if env != nil {
		enc = env.Encoding
	}
	data := fromUTF8(enc, out.Bytes())
	hd := rw.Header()
	hd.Set("Content-Type", "application/soap+xml;charset="+enc.String())
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	rw.WriteHeader(status)
	_, _ = rw.Write(data)
}

// writeFault answers with a SOAP fault and HTTP 500.
func (x *exchange) writeFault(rw http.ResponseWriter, env *Envelope, err error) {
	f := faultOf(err)
	switch {
	case f.Kind == FaultInternalError && x.ctx.Err() != nil:
		// The client left (or the server is stopping): nobody reads the
		// fault, and nothing went wrong inside.
		x.h.opts.Logger.Debug("wsman: the request ended before its answer", "err", err)
	case f.Kind == FaultInternalError:
		x.h.opts.Logger.Warn("wsman: internal error", "err", err)
	default:
		x.h.opts.Logger.Debug("wsman: fault", "subcode", f.Kind.Subcode(), "reason", f.reason())
	}
	out := bufPool.Get().(*bytes.Buffer)
	out.Reset()
	w := newWriter(out, Resource{})
	hd := header{action: f.Kind.Action(), messageID: x.h.newID()}
	if env != nil {
		hd.relatesTo = env.MessageID
	}
	if len(f.NotUnderstood) > 0 {
		hd.extra = notUnderstood(f.NotUnderstood)
	}
	w.envelopeStart(encodingOf(env), hd)
	w.fault(f)
	w.envelopeEnd()
	x.sendStatus(rw, env, out, http.StatusInternalServerError)
}

func encodingOf(env *Envelope) Encoding {
	if env == nil {
		return UTF8
	}
	return env.Encoding
}

// Protocol names WS-Management in cimom.Principal.Protocol.
const Protocol = "wsman"
