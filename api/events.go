package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

// Event stream limits.
const (
	// MaxReplay is the most history records sent to a client that resumes
	// with Last-Event-ID.
	MaxReplay = 1000
	// streamWriteTimeout bounds each write of an event stream, so a client
	// that stops reading does not hold the handler forever.
	streamWriteTimeout = 30 * time.Second
)

// streamEvents: GET /api/v1/events, Server-Sent Events.
//
// The subscription is made before the response starts, so every event
// published after the client has the response headers reaches it. With
// Last-Event-ID (or ?after=N) the stored history after that sequence number
// is sent first; events that arrive both ways are sent once. The query
// parameters setId, member, kind and user (as for the history) keep only
// the events that pass, live and replayed.
func (h *handler) streamEvents(w http.ResponseWriter, r *http.Request) error {
	after, err := resumePoint(r)
	if err != nil {
		return err
	}
	filter, err := streamFilter(r.URL.Query())
	if err != nil {
		return err
	}
	sub := h.eng.Bus().Subscribe(h.opts.EventBuffer, filter.Match)
	defer sub.Close()
	var replay []event.Record
	if after > 0 {
		if replay, err = h.replay(r.Context(), after, filter); err != nil {
			return err
		}
	}
	s := newSSE(w, &h.events)
	if err := s.start(); err != nil {
		return nil // the client is gone
	}
	sent := make(map[uint64]bool, len(replay))
	for _, rec := range replay {
		sent[rec.Seq] = true
		if s.event(rec) != nil {
			return nil
		}
	}
	if s.flush() != nil {
		return nil
	}
	h.pump(r.Context(), s, sub, sent)
	return nil
}

// resumePoint reads Last-Event-ID (or the after query parameter).
func resumePoint(r *http.Request) (uint64, error) {
	v := r.Header.Get("Last-Event-ID")
	if q := r.URL.Query().Get("after"); q != "" {
		v = q
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fieldProblem("after", "must be an event sequence number", v)
	}
	return n, nil
}

// streamFilter reads the filter of an event stream: setId, member, kind
// and user.
func streamFilter(q url.Values) (engine.HistoryFilter, error) {
	kinds, err := kindsOf(q["kind"])
	return engine.HistoryFilter{SetID: q.Get("setId"), Member: q.Get("member"), User: q.Get("user"), Kinds: kinds}, err
}

// replay returns the stored records after seq that pass filter, at most
// MaxReplay.
func (h *handler) replay(ctx context.Context, after uint64, filter engine.HistoryFilter) ([]event.Record, error) {
	filter.Limit = MaxReplay // the newest MaxReplay matches hold every one after seq that is kept
	recs, err := h.eng.QueryHistory(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := make([]event.Record, 0)
	for _, rec := range recs {
		if rec.Seq > after {
			out = append(out, rec)
		}
	}
	if len(out) > MaxReplay {
		out = out[len(out)-MaxReplay:]
	}
	return out, nil
}

// pump copies live records and heartbeats to the client until it leaves,
// a write fails or the subscription ends. A subscription dropped for
// lagging ends with a "lagged" event.
//
// Under a burst the stream flushes at most once per streamPace: after a
// flush it waits out the rest of that interval before it takes the next
// records, and then sends all that gathered meanwhile at once. A stream
// that flushed longer ago sends a record as soon as it comes.
func (h *handler) pump(ctx context.Context, s *sse, sub *event.Subscription, sent map[uint64]bool) {
	ticks, stop := h.opts.NewTicker(h.opts.Heartbeat)
	defer stop()
	var flushed time.Time
	for {
		if wait := streamPace - time.Since(flushed); wait > 0 && !pause(ctx, wait) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			if s.comment("heartbeat") != nil {
				return
			}
		case rec, ok := <-sub.C():
			if !ok {
				h.endStream(s, sub)
				return
			}
			if s.forward(rec, sent) != nil || s.catchUp(sub, sent) != nil {
				return
			}
			flushed = time.Now()
		}
	}
}

// streamPace is the shortest interval between two flushes of an event
// stream under a burst of records (see pump): each flush wakes the
// stream's goroutine and writes to its connection, and a flood of
// records must not make every stream do that for each one, taking the
// processors from the requests being served.
const streamPace = 5 * time.Millisecond

// pause waits d, or until ctx ends (false).
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// maxCatchUp bounds how many waiting records one flush of the stream
// carries.
const maxCatchUp = 256

// forward writes rec unless it was sent already (replayed); it does not
// flush.
func (s *sse) forward(rec event.Record, sent map[uint64]bool) error {
	if sent[rec.Seq] {
		return nil
	}
	return s.event(rec)
}

// catchUp writes the records already waiting in sub, at most maxCatchUp,
// and then flushes them all at once: under a burst a subscriber's records
// leave in a few writes rather than one each. An ended subscription is
// left for the next receive to see.
func (s *sse) catchUp(sub *event.Subscription, sent map[uint64]bool) error {
	for range maxCatchUp {
		select {
		case rec, ok := <-sub.C():
			if !ok {
				return s.flush()
			}
			if err := s.forward(rec, sent); err != nil {
				return err
			}
			continue
		default:
		}
		break
	}
	return s.flush()
}

func (h *handler) endStream(s *sse, sub *event.Subscription) {
	if !sub.Lagged() {
		return // the bus closed: the server is stopping
	}
	h.log.Info("event stream subscriber lagged; closing its stream")
	reason := "the client fell behind the event stream; reconnect with Last-Event-ID to catch up from the history"
	_ = s.send("lagged", "", Lagged{Reason: reason})
}

// sse writes one Server-Sent Events stream (HTML Living Standard,
// "Server-sent events": fields event, id and data, comments starting with
// a colon, a blank line ending each event).
type sse struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	json *eventJSON
}

func newSSE(w http.ResponseWriter, json *eventJSON) *sse {
	return &sse{w: w, rc: http.NewResponseController(w), json: json}
}

// start sends the headers and a first comment, so the client knows the
// stream is open.
func (s *sse) start() error {
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	return s.comment("stream open")
}

// event writes rec, with its kept JSON, without flushing.
func (s *sse) event(rec event.Record) error {
	data, err := s.json.of(rec)
	if err != nil {
		return err
	}
	return s.put(string(rec.Kind), strconv.FormatUint(rec.Seq, 10), data)
}

// send writes one event and flushes it.
func (s *sse) send(kind, id string, data any) error {
	body, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if err := s.put(kind, id, body); err != nil {
		return err
	}
	return s.flush()
}

// put writes one event into the response's buffer; kind and id must not
// contain line breaks, which the callers guarantee (engine kinds, decimal
// numbers) and put enforces. encoding/json never writes a raw line break
// into data.
func (s *sse) put(kind, id string, data []byte) error {
	b := make([]byte, 0, len(data)+len(kind)+len(id)+24)
	b = append(append(append(b, "event: "...), oneLine(kind)...), '\n')
	if id != "" {
		b = append(append(append(b, "id: "...), oneLine(id)...), '\n')
	}
	b = append(append(append(b, "data: "...), data...), "\n\n"...)
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	_, err := s.w.Write(b)
	return err
}

func (s *sse) comment(text string) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := s.w.Write([]byte(": " + oneLine(text) + "\n\n")); err != nil {
		return err
	}
	return s.flush()
}

// flush sends what is buffered, within streamWriteTimeout.
func (s *sse) flush() error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// lineBreaks turns line breaks into spaces.
var lineBreaks = strings.NewReplacer("\r", " ", "\n", " ")

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return lineBreaks.Replace(s)
}
