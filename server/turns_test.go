package server

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTurns: while every turn is held, a change and the event stream go
// on at once, another read waits for a turn and runs once one is free.
func TestTurns(t *testing.T) {
	tr := &turns{gate: gate{slots: make(chan struct{}, 1), wait: time.Hour}}
	holding, release := make(chan struct{}), make(chan struct{})
	ran := make(chan string, 4)
	h := tr.wrap(apiFirst, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			close(holding)
			<-release
		}
		ran <- r.Method + " " + r.URL.Path
	}))
	serve := func(method, target string) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, target, nil))
		}()
		return done
	}
	first := serve("GET", "/api/v1/sets?hold=1")
	<-holding
	waiting := serve("GET", "/api/v1/history")
	<-serve("POST", "/api/v1/sets/s/failover")
	<-serve("GET", "/api/v1/events")
	if got := []string{<-ran, <-ran}; got[0] != "POST /api/v1/sets/s/failover" || got[1] != "GET /api/v1/events" {
		t.Errorf("while the turn was held: %q ran, want the failover, then the event stream", got)
	}
	select {
	case r := <-ran:
		t.Fatalf("%s ran while every turn was held", r)
	default:
	}
	close(release)
	<-first
	<-waiting
	if got := []string{<-ran, <-ran}; got[0] != "GET /api/v1/sets" || got[1] != "GET /api/v1/history" {
		t.Errorf("after the turn was given back: %q ran, want the held read, then the waiting one", got)
	}
	if len(tr.slots) != 0 {
		t.Errorf("%d turns still taken after every request ended", len(tr.slots))
	}
}

// TestTurnsNeverRefuse: a read that finds no turn within the wait goes on
// without one; turns only order work.
func TestTurnsNeverRefuse(t *testing.T) {
	tr := &turns{gate: gate{slots: make(chan struct{}, 1), wait: time.Millisecond}}
	tr.slots <- struct{}{} // every turn taken, for good
	rec := httptest.NewRecorder()
	tr.wrap(apiFirst, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/sets", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("a read without a turn was answered %d, want it served (418)", rec.Code)
	}
	if len(tr.slots) != 1 {
		t.Errorf("a read without a turn gave back a turn it had not taken (%d taken)", len(tr.slots))
	}
}

// TestTurnsFirst: the changes of CIM-XML and the JSON API, and the event
// stream, need no turn; reads do (WS-Man: TestTurnsTake).
func TestTurnsFirst(t *testing.T) {
	const base = "http://127.0.0.1"
	cases := []struct {
		name  string
		req   *http.Request
		first func(*http.Request) bool
		want  bool
	}{
		{"CIM-XML Failover", fixtureRequest(t, "wbemcli--InvokeMethod-Failover--2.http", base), cimxmlFirst, true},
		{"CIM-XML GetInstance", fixtureRequest(t, "wbemcli--GetInstance--1.http", base), cimxmlFirst, false},
		{"API failover", httptest.NewRequest("POST", "/api/v1/sets/s/failover", strings.NewReader("{}")), apiFirst, true},
		{"API event stream", httptest.NewRequest("GET", "/api/v1/events", nil), apiFirst, true},
		{"API sets", httptest.NewRequest("GET", "/api/v1/sets", nil), apiFirst, false},
	}
	for _, c := range cases {
		if got := c.first(c.req); got != c.want {
			t.Errorf("%s: needs no turn = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestTurnsTake: the WS-Man handler's turn. While every turn is held, a
// change goes on at once and takes none; a read waits for one, holds it
// until its done is called, and a read that finds none within the wait
// goes on without one.
func TestTurnsTake(t *testing.T) {
	tr := newTurnsOf(&gate{slots: make(chan struct{}, 1), wait: time.Hour})
	held := tr.take(t.Context(), false)
	if len(tr.slots) != 1 {
		t.Fatalf("a read took %d turns, want 1", len(tr.slots))
	}
	tr.take(t.Context(), true)()
	if len(tr.slots) != 1 {
		t.Fatalf("a change changed the turns taken to %d", len(tr.slots))
	}
	got := make(chan func())
	go func() { got <- tr.take(t.Context(), false) }()
	select {
	case <-got:
		t.Fatal("a read got a turn while every turn was held")
	default:
	}
	held()
	(<-got)()
	if len(tr.slots) != 0 {
		t.Errorf("%d turns still taken after both reads were done", len(tr.slots))
	}
	tr.wait = time.Millisecond
	tr.slots <- struct{}{}
	tr.take(t.Context(), false)()
	if len(tr.slots) != 1 {
		t.Errorf("a read without a turn changed the turns taken to %d", len(tr.slots))
	}
}

// TestTurnsAfterTheBody: a read whose body is still arriving holds no turn;
// its handler then reads the whole body, and a body's read error after
// the bytes read.
func TestTurnsAfterTheBody(t *testing.T) {
	tr := &turns{gate: gate{slots: make(chan struct{}, 1), wait: time.Hour}}
	bodies := make(chan string, 2)
	h := tr.wrap(apiFirst, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			b = append(b, " / "+err.Error()...)
		}
		bodies <- string(b)
	}))
	pr, pw := io.Pipe()
	slow := make(chan struct{})
	go func() {
		defer close(slow)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/sets", pr))
	}()
	if _, err := pw.Write([]byte("half ")); err != nil { // the slow read has begun its body
		t.Fatal(err)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/history", strings.NewReader("quick")))
	if got := <-bodies; got != "quick" {
		t.Fatalf("served first: %q, want the read whose body had arrived", got)
	}
	broken := errors.New("connection reset")
	if _, err := pw.Write([]byte("body")); err != nil {
		t.Fatal(err)
	}
	pw.CloseWithError(broken)
	<-slow
	if got, want := <-bodies, "half body / "+broken.Error(); got != want {
		t.Errorf("the slow read's handler read %q, want %q", got, want)
	}
}
