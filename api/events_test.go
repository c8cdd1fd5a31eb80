package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/event"
)

// next reads one event with a deadline, so a broken stream fails the test
// instead of hanging it.
func next(t *testing.T, s *EventStream) Event {
	t.Helper()
	type result struct {
		ev  Event
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ev, err := s.Next()
		ch <- result{ev, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Next: %v", r.err)
		}
		return r.ev
	case <-time.After(10 * time.Second):
		t.Fatalf("no event within 10s")
	}
	return Event{}
}

func TestEventsFollowFailovers(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	stream, err := env.reader.Events(ctx, 0)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	defer stream.Close()
	if res, err := env.operator.Failover(bg, "redset:web", "web-b", "web-a"); err != nil || res.ReturnValue != 4 {
		t.Fatalf("refused failover = %+v, %v", res, err)
	}
	ok, err := env.operator.Failover(bg, "redset:web", "web-a", "web-b")
	if err != nil || ok.ReturnValue != 0 {
		t.Fatalf("failover = %+v, %v", ok, err)
	}
	first, second := next(t, stream), next(t, stream)
	type brief struct {
		Kind, Set, From, To string
		Code                uint32
		Planned             bool
	}
	got := []brief{}
	for _, ev := range []Event{first, second} {
		if ev.Failover == nil {
			t.Fatalf("event %+v has no failover payload", ev)
		}
		got = append(got, brief{ev.Kind, ev.SetID, ev.Failover.From, ev.Failover.To, ev.Failover.ReturnValue, ev.Failover.Planned})
	}
	want := []brief{
		{"FailoverRefused", "redset:web", "web-b", "web-a", 4, true},
		{"FailoverSucceeded", "redset:web", "web-a", "web-b", 0, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if first.Seq >= second.Seq || second.Seq != ok.Seq || stream.LastID() != ok.Seq {
		t.Errorf("seqs %d, %d, last id %d; want increasing, ending at the failover's %d", first.Seq, second.Seq, stream.LastID(), ok.Seq)
	}
}

func TestEventsResumeFromHistory(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	hist, err := env.reader.History(bg, HistoryQuery{Limit: 3})
	if err != nil || len(hist) != 3 {
		t.Fatalf("History = %d events, %v; want 3", len(hist), err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	stream, err := env.reader.Events(ctx, hist[0].Seq)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	defer stream.Close()
	got := []uint64{next(t, stream).Seq, next(t, stream).Seq}
	if diff := cmp.Diff([]uint64{hist[1].Seq, hist[2].Seq}, got); diff != "" {
		t.Errorf("replayed seqs (-want +got):\n%s", diff)
	}
	res, err := env.operator.Failover(bg, "redset:web", "web-a", "web-b")
	if err != nil {
		t.Fatalf("Failover: %v", err)
	}
	if ev := next(t, stream); ev.Seq != res.Seq || ev.Kind != "FailoverSucceeded" {
		t.Errorf("live event after replay = %d %s, want %d FailoverSucceeded", ev.Seq, ev.Kind, res.Seq)
	}
}

func TestEventsHeartbeat(t *testing.T) {
	ticks := make(chan time.Time)
	var interval atomic.Int64
	env := newEnv(t, func(o *Options) {
		o.Heartbeat = 7 * time.Second
		o.NewTicker = func(d time.Duration) (<-chan time.Time, func()) {
			interval.Store(int64(d))
			return ticks, func() {}
		}
	})
	req, _ := http.NewRequest("GET", env.srv.URL+"/api/v1/events", nil)
	req.SetBasicAuth("reader", testPassword)
	resp, err := env.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET events: %v", err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	lines := bufio.NewReader(resp.Body)
	readLine := func() string {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		return line
	}
	if got := readLine() + readLine(); got != ": stream open\n\n" {
		t.Errorf("stream starts with %q", got)
	}
	ticks <- time.Time{}
	if got := readLine() + readLine(); got != ": heartbeat\n\n" {
		t.Errorf("after a tick: %q, want a heartbeat comment", got)
	}
	if got := time.Duration(interval.Load()); got != 7*time.Second {
		t.Errorf("ticker interval %v, want the configured 7s", got)
	}
}

func TestEventsClientDisconnect(t *testing.T) {
	env := newEnv(t)
	base := env.eng.Bus().Subscribers()
	ctx, cancel := context.WithCancel(bg)
	stream, err := env.reader.Events(ctx, 0)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if got := env.eng.Bus().Subscribers(); got != base+1 {
		t.Errorf("subscribers while streaming = %d, want %d", got, base+1)
	}
	cancel()
	_ = stream.Close()
	eventually(t, "the subscription to end", func() bool { return env.eng.Bus().Subscribers() == base })
}

func TestEventsBadResumePoint(t *testing.T) {
	env := newEnv(t)
	resp, body := env.raw(t, "GET", "/api/v1/events?after=x", "", "", "reader")
	if p := decodeProblem(t, resp, body); p.Status != 400 || p.Field != "after" {
		t.Errorf("got %+v, want 400 on field after", p)
	}
}

// gateWriter is a ResponseWriter whose writes wait until the gate opens,
// to hold a stream's handler while events pile up.
type gateWriter struct {
	header  http.Header
	writing chan struct{} // closed at the first write
	gate    chan struct{} // writes proceed once closed
	once    sync.Once
	mu      sync.Mutex
	out     bytes.Buffer
}

func (g *gateWriter) Header() http.Header { return g.header }
func (g *gateWriter) WriteHeader(int)     {}
func (g *gateWriter) Flush()              {}

// text returns what was written so far.
func (g *gateWriter) text() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.out.String()
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.writing) })
	<-g.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.out.Write(p)
}

func TestEventsLaggedSubscriberIsClosed(t *testing.T) {
	env := newEnv(t)
	h := guard(NewHandler(env.eng, Options{EventBuffer: 2}), testUsers(t), nil)
	w := &gateWriter{header: http.Header{}, writing: make(chan struct{}), gate: make(chan struct{})}
	req := httptest.NewRequest("GET", "/api/v1/events", nil)
	req.SetBasicAuth("reader", testPassword)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(w, req)
	}()
	<-w.writing // subscribed, and held in its first write
	for seq := uint64(1); seq <= 3; seq++ {
		env.eng.Bus().Publish(event.Record{Seq: seq, Kind: event.KindConfigChanged, Config: &event.ConfigChanged{Action: "test"}})
	}
	close(w.gate)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the lagged stream did not end")
	}
	stream := NewEventStream(io.NopCloser(strings.NewReader(w.out.String())))
	var seqs []uint64
	var err error
	for err == nil {
		var ev Event
		if ev, err = stream.Next(); err == nil {
			seqs = append(seqs, ev.Seq)
		}
	}
	if !errors.Is(err, ErrLagged) {
		t.Errorf("stream ended with %v, want ErrLagged; output:\n%s", err, w.out.String())
	}
	if diff := cmp.Diff([]uint64{1, 2}, seqs); diff != "" {
		t.Errorf("events before the end (-want +got):\n%s", diff)
	}
}

func TestEventStreamParsing(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		kinds   []string
		lastID  uint64
		wantErr error
	}{
		{"plain", "event: A\nid: 5\ndata: {\"seq\":5,\"kind\":\"A\"}\n\n", []string{"A"}, 5, io.EOF},
		{"crlf and comments", ": hi\r\n\r\nevent: B\r\nid: 6\r\ndata: {\"kind\":\"B\"}\r\n\r\n", []string{"B"}, 6, io.EOF},
		{"data over lines", "data: {\"kind\":\ndata: \"C\"}\n\n", []string{"C"}, 0, io.EOF},
		{"no space after colon", "data:{\"kind\":\"D\"}\n\n", []string{"D"}, 0, io.EOF},
		{"unterminated event is dropped", "data: {\"kind\":\"E\"}\n", nil, 0, io.EOF},
		{"lagged", "event: lagged\ndata: {\"reason\":\"slow\"}\n\n", nil, 0, ErrLagged},
		{"bad id ignored", "id: x\ndata: {\"kind\":\"F\"}\n\n", []string{"F"}, 0, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewEventStream(io.NopCloser(strings.NewReader(tt.in)))
			var kinds []string
			var err error
			for {
				var ev Event
				if ev, err = s.Next(); err != nil {
					break
				}
				kinds = append(kinds, ev.Kind)
			}
			if diff := cmp.Diff(tt.kinds, kinds); diff != "" {
				t.Errorf("kinds (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.wantErr) || s.LastID() != tt.lastID {
				t.Errorf("end %v, last id %d; want %v, %d", err, s.LastID(), tt.wantErr, tt.lastID)
			}
		})
	}
}

// flushCounter is a ResponseWriter that holds the first write until its
// gate opens and counts the flushes.
type flushCounter struct {
	gateWriter
	flushes atomic.Int32
}

func (f *flushCounter) Flush() { f.flushes.Add(1) }

// TestEventsBurstLeavesInFewFlushes: records that wait for a busy
// subscriber all reach it, in order, and leave together rather than a
// flush each.
func TestEventsBurstLeavesInFewFlushes(t *testing.T) {
	env := newEnv(t)
	h := guard(NewHandler(env.eng, Options{EventBuffer: 1000}), testUsers(t), nil)
	w := &flushCounter{gateWriter: gateWriter{header: http.Header{}, writing: make(chan struct{}), gate: make(chan struct{})}}
	ctx, cancel := context.WithCancel(bg)
	req := httptest.NewRequest("GET", "/api/v1/events", nil).WithContext(ctx)
	req.SetBasicAuth("reader", testPassword)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(w, req)
	}()
	<-w.writing // subscribed, and held in its first write
	const burst = 300
	for seq := uint64(1); seq <= burst; seq++ {
		env.eng.Bus().Publish(event.Record{Seq: seq, Kind: event.KindConfigChanged, Config: &event.ConfigChanged{Action: "test"}})
	}
	close(w.gate)
	last := fmt.Sprintf("id: %d\n", burst)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(w.text(), last); {
		if time.Now().After(deadline) {
			t.Fatalf("event %d not written; output:\n%s", burst, w.text())
		}
		runtime.Gosched()
	}
	cancel()
	<-done
	stream := NewEventStream(io.NopCloser(strings.NewReader(w.text())))
	for want := uint64(1); want <= burst; want++ {
		ev, err := stream.Next()
		if err != nil || ev.Seq != want {
			t.Fatalf("event %d: got %d, %v", want, ev.Seq, err)
		}
	}
	if n := w.flushes.Load(); n < 2 || n > burst/maxCatchUp+3 {
		t.Errorf("%d flushes for a burst of %d records, want at least 2 and at most %d", n, burst, burst/maxCatchUp+3)
	}
}

// flushTimes records when each flush happened.
type flushTimes struct {
	gateWriter
	times []time.Time // guarded by mu
}

func (f *flushTimes) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.times = append(f.times, time.Now())
}

// TestEventStreamPaced: records that come one after another, each as soon
// as the previous one was written, leave at most one flush per
// streamPace.
func TestEventStreamPaced(t *testing.T) {
	env := newEnv(t)
	h := guard(NewHandler(env.eng, Options{}), testUsers(t), nil)
	w := &flushTimes{gateWriter: gateWriter{header: http.Header{}, writing: make(chan struct{}), gate: make(chan struct{})}}
	close(w.gate)
	ctx, cancel := context.WithCancel(bg)
	req := httptest.NewRequest("GET", "/api/v1/events", nil).WithContext(ctx)
	req.SetBasicAuth("reader", testPassword)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(w, req)
	}()
	<-w.writing
	const records = 12
	for seq := uint64(1); seq <= records; seq++ {
		env.eng.Bus().Publish(event.Record{Seq: seq, Kind: event.KindConfigChanged, Config: &event.ConfigChanged{Action: "test"}})
		id := fmt.Sprintf("id: %d\n", seq)
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(w.text(), id); runtime.Gosched() {
			if time.Now().After(deadline) {
				t.Fatalf("event %d not written; output:\n%s", seq, w.text())
			}
		}
	}
	cancel()
	<-done
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.times) < records {
		t.Fatalf("%d flushes for %d records sent one by one, want at least %d", len(w.times), records, records)
	}
	live := w.times[len(w.times)-records:] // the flushes of the records, after those of the stream's start
	for i := 1; i < len(live); i++ {
		if gap := live[i].Sub(live[i-1]); gap < streamPace {
			t.Errorf("flushes %d and %d are %s apart, want at least %s", i-1, i, gap, streamPace)
		}
	}
}
