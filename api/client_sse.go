package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrLagged ends an EventStream whose subscriber fell behind the server's
// event bus. Reconnect with the stream's LastID to catch up from the
// history.
var ErrLagged = errors.New("api: the event stream fell behind and was closed by the server")

// maxEventLine caps one line of an event stream.
const maxEventLine = 1 << 20

// EventStream is a live stream of events from GET /api/v1/events. It is
// not safe for concurrent use: one goroutine calls Next.
type EventStream struct {
	body   io.ReadCloser
	lines  *bufio.Scanner
	lastID uint64
}

// Events opens the live event stream. With after > 0 the server first sends
// the stored events after that sequence number (as Last-Event-ID does).
// The stream ends when ctx ends or Close is called; the http.Client's
// Timeout does not apply to it.
func (c *Client) Events(ctx context.Context, after uint64) (*EventStream, error) {
	return c.EventsOf(ctx, after, HistoryQuery{})
}

// EventsOf opens the live event stream of the events that pass q's SetID,
// Member, Kinds and User (its Limit, Since and Until do not apply);
// otherwise as Events.
func (c *Client) EventsOf(ctx context.Context, after uint64, q HistoryQuery) (*EventStream, error) {
	q.Limit, q.Since, q.Until = 0, time.Time{}, time.Time{}
	path := "/events"
	if v := q.values(); len(v) > 0 {
		path += "?" + v.Encode()
	}
	req, err := c.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if after > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(after, 10))
	}
	hc := *c.hc
	hc.Timeout = 0 // a stream lasts; ctx ends it
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, readProblem(resp)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("api: events: the server answered %q, not an event stream", mt)
	}
	return NewEventStream(resp.Body), nil
}

// NewEventStream reads Server-Sent Events from body, as Events does.
func NewEventStream(body io.ReadCloser) *EventStream {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 4096), maxEventLine)
	return &EventStream{body: body, lines: sc}
}

// Next returns the next event. It returns io.EOF when the server ended the
// stream, ErrLagged when the server dropped it for falling behind, and the
// read error when the connection failed or the context ended.
func (s *EventStream) Next() (Event, error) {
	kind, data, err := s.nextMessage()
	if err != nil {
		return Event{}, err
	}
	if kind == "lagged" {
		return Event{}, ErrLagged
	}
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return Event{}, fmt.Errorf("api: events: bad event data: %w", err)
	}
	return ev, nil
}

// LastID is the id of the last event read (0 before any), the point to
// resume from.
func (s *EventStream) LastID() uint64 { return s.lastID }

// Close ends the stream.
func (s *EventStream) Close() error { return s.body.Close() }

// nextMessage reads lines up to the next dispatched message: one with
// data. Comments and unknown fields are skipped ("Server-sent events",
// interpreting an event stream).
func (s *EventStream) nextMessage() (kind string, data []byte, err error) {
	var buf bytes.Buffer
	hasData := false
	for s.lines.Scan() {
		line := s.lines.Text()
		if line == "" {
			if hasData {
				return kind, buf.Bytes(), nil
			}
			kind = ""
			continue
		}
		field, value := splitField(line)
		switch field {
		case "event":
			kind = value
		case "data":
			if hasData {
				buf.WriteByte('\n')
			}
			buf.WriteString(value)
			hasData = true
		case "id":
			if n, err := strconv.ParseUint(value, 10, 64); err == nil {
				s.lastID = n
			}
		}
	}
	if err := s.lines.Err(); err != nil {
		return "", nil, err
	}
	return "", nil, io.EOF
}

// splitField splits "field: value"; a line starting with a colon is a
// comment (empty field).
func splitField(line string) (field, value string) {
	field, value, found := strings.Cut(line, ":")
	if !found {
		return line, ""
	}
	return field, strings.TrimPrefix(value, " ")
}
