package cimxml

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// Options configure NewHandler. Zero fields take the defaults.
type Options struct {
	// Logger receives request problems; default: discarded.
	Logger *slog.Logger
	// Host is the HOST written in full instance paths; default the Host
	// header of the request.
	Host string
	// BufferBytes is the size up to which an answer is built in memory and
	// sent whole with a Content-Length; larger answers stream (see the
	// package comment). Default 256 KiB.
	BufferBytes int
}

// handler serves CIM-XML over HTTP; see NewHandler.
type handler struct {
	next cimom.Handler
	opts Options
	log  *slog.Logger
}

// NewHandler returns the HTTP handler of CIM-XML operation requests: POST
// or M-POST with the DSP0200 headers, then h. It runs behind auth's door,
// which has established the caller (auth.IdentityFrom) before the handler
// reads anything; the caller is passed on to h with cimom.WithPrincipal,
// and h's authorization middleware decides each operation (a refusal is
// CIM_ERR_ACCESS_DENIED in the answer). Refuse writes the door's refusals.
// Connections are kept alive. It is safe for concurrent use when h is.
func NewHandler(h cimom.Handler, opts Options) http.Handler {
	if opts.BufferBytes <= 0 {
		opts.BufferBytes = defaultBufferBytes
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{next: h, opts: opts, log: log}
}

// ServeHTTP checks the HTTP layer, decodes, calls the object manager and
// writes the answer.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd, perr := readHeaders(r)
	if perr != nil {
		h.reject(w, hd, perr)
		return
	}
	id, ok := auth.IdentityFrom(r.Context())
	if !ok {
		refuse(w, auth.ErrUnauthorized)
		return
	}
	call, err := Decode(r.Body, Limits{MaxBytes: math.MaxInt64})
	if pe := asProtocolError(err); pe != nil {
		h.reject(w, hd, pe)
		return
	}
	if pe := hd.match(call); pe != nil {
		h.reject(w, hd, pe)
		return
	}
	resp, err := h.serve(r.Context(), id, r.RemoteAddr, call, err)
	h.respond(w, r, hd, call, resp, err)
}

func asProtocolError(err error) *ProtocolError {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// reject answers a request that gets no CIM-XML response.
func (h *handler) reject(w http.ResponseWriter, hd cimHeaders, pe *ProtocolError) {
	h.log.Debug("cimxml: request rejected", "status", pe.Status, "cimerror", pe.CIMError, "reason", pe.Message)
	if pe.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "POST, M-POST")
	}
	if pe.CIMError != "" {
		w.Header().Set(hd.prefix+"CIMError", pe.CIMError)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(pe.Status)
}

// Refuse writes a refusal of the door (auth.Gate.Refuse) as CIM-XML
// clients expect it: the status alone, with no body.
func Refuse(w http.ResponseWriter, _ *http.Request, status int, _ error) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// refuse answers a request that reached the handler without a caller.
func refuse(w http.ResponseWriter, err error) {
	status := auth.StatusOf(err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", auth.Challenge)
	}
	Refuse(w, nil, status, err)
}

// serve hands the decoded call to the object manager with the caller
// (user, role, remote address, protocol "cimxml") in the context.
// decodeErr is the CIM error the decoder found, if any.
func (h *handler) serve(ctx context.Context, id auth.Identity, remote string, call *Call, decodeErr error) (*cimom.Response, error) {
	if decodeErr != nil {
		return nil, decodeErr
	}
	req := call.Request
	ctx = cimom.WithPrincipal(ctx, cimom.Principal{User: id.User, Role: string(id.Role), Address: remote, Protocol: Protocol})
	resp, err := h.next.Handle(ctx, req)
	if err != nil && !isCIMError(err) {
		h.log.Error("cimxml: operation failed", "operation", call.Method, "err", err)
	}
	return resp, err
}

func isCIMError(err error) bool {
	var ce *cim.Error
	return errors.As(err, &ce)
}

// respond writes the CIM-XML answer (see the package comment for errors
// after the answer was committed).
func (h *handler) respond(w http.ResponseWriter, r *http.Request, hd cimHeaders, call *Call, resp *cimom.Response, opErr error) {
	sink := &httpSink{w: w, prefix: hd.prefix, mpost: hd.mpost, trailers: acceptsTrailers(r)}
	xw := newXMLWriter(sink, h.opts.BufferBytes)
	defer xw.release()
	host := h.opts.Host
	if host == "" {
		host = r.Host
	}
	err := newEncoder(xw, call, host).response(call, resp, opErr)
	if err == nil {
		sink.finish(xw)
		return
	}
	h.log.Error("cimxml: result failed after the answer began", "operation", call.Method, "err", err)
	if !sink.trailers {
		panic(http.ErrAbortHandler)
	}
	xw.flush()
	w.Header().Set("CIMStatusCode", strconv.Itoa(int(cim.StatusOf(err))))
	w.Header().Set("CIMStatusDescription", strings.Map(noControl, description(err)))
}

// noControl drops control characters, which header values cannot hold.
func noControl(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return -1
	}
	return r
}

// acceptsTrailers reports whether the client announced `TE: trailers`.
func acceptsTrailers(r *http.Request) bool {
	for _, v := range r.Header.Values("TE") {
		for t := range strings.SplitSeq(v, ",") {
			name, _, _ := strings.Cut(t, ";")
			if strings.EqualFold(strings.TrimSpace(name), "trailers") {
				return true
			}
		}
	}
	return false
}

// httpSink is the output of a response: it sends the headers before the
// first byte of the body.
type httpSink struct {
	w        http.ResponseWriter
	prefix   string
	mpost    bool
	trailers bool
	started  bool
}

// header sets the response headers; length < 0 means streamed.
func (s *httpSink) header(length int) {
	h := s.w.Header()
	h.Set("Content-Type", `application/xml; charset="utf-8"`)
	h.Set(s.prefix+"CIMOperation", "MethodResponse")
	if s.mpost {
		h.Set("Ext", "")
	}
	if length >= 0 {
		h.Set("Content-Length", strconv.Itoa(length))
	} else if s.trailers {
		h.Set("Trailer", "CIMStatusCode, CIMStatusDescription")
	}
	s.w.WriteHeader(http.StatusOK)
	s.started = true
}

// Write sends body bytes, committing a streamed answer first.
func (s *httpSink) Write(p []byte) (int, error) {
	if !s.started {
		s.header(-1)
	}
	return s.w.Write(p)
}

// finish sends what xw still holds; an answer that was never flushed is
// sent whole with its length.
func (s *httpSink) finish(xw *xmlWriter) {
	if !s.started {
		s.header(len(xw.buf))
	}
	xw.flush()
}

// Protocol names CIM-XML in cimom.Principal.Protocol.
const Protocol = "cimxml"
