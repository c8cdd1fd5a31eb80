package server

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/redset/redset/api"
	"github.com/redset/redset/protocol/wsman"
)

// class is what admission makes of a request.
type class int

const (
	classFree   class = iota // goes on at once and is not counted: lasts, or costs next to nothing
	classRead                // waits for a place
	classChange              // goes on at once, counted as a change under way
)

// judge classes the request whose first bytes are head: a change as the
// forwarder judges it (cimxmlWrites, apiWrites, a WS-Man action that
// writes); the event stream, a Pull of events and the health checks as
// free; anything else as a read, a request whose head does not parse too
// (its handler answers it). Most requests are judged from their request
// line (and a WS-Man one from its Content-Type and body) without parsing
// the whole head; a CIM-XML request, whose headers decide, and a target
// that is not a plain path are parsed as net/http would.
func judge(head []byte) class {
	method, path, ok := requestLine(head)
	switch {
	case !ok:
		return judgeParsed(head)
	case method == http.MethodGet || method == http.MethodHead: // never a change
		if path == api.Prefix+"/events" || path == "/healthz" || path == "/readyz" {
			return classFree
		}
		return classRead
	case path == "/wsman":
		return judgeWSMan(method, headerValue(head, "Content-Type"), bodyOf(head))
	case strings.HasPrefix(path, api.Prefix+"/"):
		if apiWrites(&http.Request{Method: method, URL: &url.URL{Path: path}}, 0) {
			return classChange
		}
		return classRead
	}
	return judgeParsed(head)
}

// judgeParsed is judge on the head parsed by net/http.
func judgeParsed(head []byte) class {
	br := headReaders.Get().(*bufio.Reader)
	defer headReaders.Put(br)
	br.Reset(bytes.NewReader(head))
	r, err := http.ReadRequest(br)
	if err != nil {
		return classRead
	}
	switch p := r.URL.Path; {
	case p == "/cimom" && cimxmlWrites(r, 0):
		return classChange
	case p == "/wsman":
		body, _ := io.ReadAll(io.LimitReader(r.Body, judgeBytes))
		return judgeWSMan(r.Method, r.Header.Get("Content-Type"), body)
	case p == api.Prefix+"/events", p == "/healthz", p == "/readyz":
		return classFree
	case strings.HasPrefix(p, api.Prefix+"/") && apiWrites(r, 0):
		return classChange
	}
	return classRead
}

// judgeWSMan classes a WS-Man request by the action of its envelope: one
// that writes is a change, a Pull of a subscription's events (which waits
// for them) is free.
func judgeWSMan(method, contentType string, body []byte) class {
	if method != http.MethodPost || len(body) == 0 {
		return classRead
	}
	action, err := wsman.ReadAction(bytes.NewReader(body), contentType)
	switch {
	case err != nil:
		return classRead
	case wsman.PullAction(action):
		// A subscription's context ends in "#Events": a UTF-8 envelope
		// without it is not worth decoding whole.
		if (utf16Body(body, contentType) || bytes.Contains(body, []byte("#Events"))) && wsman.EventPull(body, contentType) {
			return classFree
		}
		return classRead
	case wsman.WritesAction(action):
		return classChange
	}
	return classRead
}

// utf16Body reports whether a body is UTF-16, by its byte order mark or its
// Content-Type.
func utf16Body(body []byte, contentType string) bool {
	return bytes.HasPrefix(body, []byte{0xFF, 0xFE}) || bytes.HasPrefix(body, []byte{0xFE, 0xFF}) ||
		strings.Contains(strings.ToLower(contentType), "utf-16")
}

// requestLine reads the method and the path of a request whose target is
// a plain path (no query is needed, no escapes); false for anything else.
func requestLine(head []byte) (method, path string, ok bool) {
	line, _, found := bytes.Cut(head, []byte("\r\n"))
	if !found {
		return "", "", false
	}
	m, rest, ok1 := bytes.Cut(line, []byte(" "))
	target, proto, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(target) == 0 || target[0] != '/' {
		return "", "", false
	}
	target, _, _ = bytes.Cut(target, []byte("?"))
	if bytes.IndexByte(target, '%') >= 0 {
		return "", "", false
	}
	return string(m), string(target), true
}

// headerValue returns the value of the first header line named name in
// head (case-insensitive), or "".
func headerValue(head []byte, name string) string {
	end := bytes.Index(head, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(head)
	}
	for line := range bytes.SplitSeq(head[:end], []byte("\r\n")) {
		if n, v, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(n), name) {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// bodyOf returns what head holds of the body: what follows the headers.
func bodyOf(head []byte) []byte {
	_, body, _ := bytes.Cut(head, []byte("\r\n\r\n"))
	return body
}

var headReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, judgeBytes) }}
