package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"

	"github.com/redset/redset/api"
	"github.com/redset/redset/internal/body"
)

// turns puts the reads of CIM-XML, WS-Man and the JSON API in line so that
// a change never queues for the CPU behind them: at most its capacity of
// reads are worked on at once (decoded, answered and encoded), the others
// wait for a turn in arrival order, and a change (a CIM write or method
// such as Failover, a WS-Man action that writes, a JSON API write) and the
// event stream never wait. Under a flood of reads a change then finds the
// processors shared by a few requests rather than by every connection.
//
// A read's body is read whole (within the body cap and limits.bodyTimeout)
// before it asks for a turn, so that a client slow to send its body holds
// no turn. A read waits at most wait for its turn and then goes on without
// one, so turns only orders work and never refuses: the gate of
// operations in progress (limits.maxOperations) still decides what is
// refused.
//
// A turn is a place in a gate (see limits.go), the same mechanism as the
// cap on operations in progress.
type turns struct {
	gate
	done func() // gives a taken turn back
}

// readsPerCPU is how many reads are worked on at once per processor: a
// read rarely waits for anything but the CPU, and a few more than the
// processors keep them busy while one waits for the network.
const readsPerCPU = 2

func newTurns() *turns {
	return newTurnsOf(newGate(readsPerCPU * runtime.GOMAXPROCS(0)))
}

func newTurnsOf(g *gate) *turns {
	t := &turns{gate: *g}
	t.done = t.leave
	return t
}

// take is the WS-Man handler's Turn (wsman.Options.Turn), which judges a
// request once its envelope is decoded and its body read: a read waits
// for a turn, a change goes on at once. It returns what gives the turn
// back.
func (t *turns) take(ctx context.Context, writes bool) (done func()) {
	if writes || !t.enter(ctx) {
		return noTurn
	}
	return t.done
}

func noTurn() {}

// wrap gives next's reads a turn; requests for which first reports true
// go on at once.
func (t *turns) wrap(first func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first(r) {
			next.ServeHTTP(w, r)
			return
		}
		readBodyFirst(r)
		if !t.enter(r.Context()) {
			next.ServeHTTP(w, r)
			return
		}
		defer t.leave()
		next.ServeHTTP(w, r)
	})
}

// readBodyFirst reads r's body whole and puts it back; a read error (the
// body cap's, say) comes back after the bytes read, for the handler to
// answer as it would have.
func readBodyFirst(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	data, err := body.ReadAll(r.Body, r.ContentLength)
	var rest io.Reader = bytes.NewReader(data)
	if err != nil {
		rest = io.MultiReader(rest, errReader{err})
	}
	r.Body = readCloser{rest, r.Body}
}

// errReader fails every Read with its error.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// cimxmlFirst and apiFirst tell the requests that need no turn: the
// changes (judged as the forwarder judges them) and the event stream,
// which lasts. WS-Man requests are judged by the handler (take).
func cimxmlFirst(r *http.Request) bool { return cimxmlWrites(r, 0) }

func apiFirst(r *http.Request) bool {
	return r.URL.Path == api.Prefix+"/events" || apiWrites(r, 0)
}
