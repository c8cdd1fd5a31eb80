package server

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
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
// (its handler answers it).
func judge(head []byte) class {
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
		return judgeWSMan(r)
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
func judgeWSMan(r *http.Request) class {
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return classRead
	}
	ct := r.Header.Get("Content-Type")
	body, _ := io.ReadAll(io.LimitReader(r.Body, judgeBytes))
	action, err := wsman.ReadAction(bytes.NewReader(body), ct)
	switch {
	case err != nil:
		return classRead
	case wsman.PullAction(action):
		if wsman.EventPull(body, ct) {
			return classFree
		}
		return classRead
	case wsman.WritesAction(action):
		return classChange
	}
	return classRead
}

var headReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, judgeBytes) }}
