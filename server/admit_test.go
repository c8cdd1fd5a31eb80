package server

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"
)

// TestJudge checks how requests are classed from their raw bytes as
// clients sent them: changes; the event stream, Pulls of events and
// health checks (free); reads, and what does not parse.
func TestJudge(t *testing.T) {
	fixture := func(name string) string {
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	post := func(path, contentType, body string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + contentType +
			"\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n" + body
	}
	envelope := func(action, body string) string {
		return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
			`xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Header><a:Action>` + action +
			`</a:Action><a:MessageID>1</a:MessageID></s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
	}
	pull := "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
	soap := "application/soap+xml;charset=UTF-8"
	tests := []struct {
		name, raw string
		want      class
	}{
		{"wbemcli Failover", fixture("wbemcli--InvokeMethod-Failover--2.http"), classChange},
		{"pywbem Failover", fixture("pywbem--InvokeMethod-Failover--1.http"), classChange},
		{"wbemcli ModifyInstance", fixture("wbemcli--ModifyInstance--2.http"), classChange},
		{"wbemcli GetInstance", fixture("wbemcli--GetInstance--1.http"), classRead},
		{"pywbem EnumerateInstances", fixture("pywbem--EnumerateInstances--1.http"), classRead},
		{"WS-Man Invoke Failover", fixture("wsman--Invoke-Failover--1.http"), classChange},
		{"WS-Man Get", fixture("wsman--Get--1.http"), classRead},
		{"WS-Man Enumerate", fixture("wsman--Enumerate--1.http"), classRead},
		{"WS-Man Pull of events", post("/wsman", soap, envelope(pull, `<n:Pull><n:EnumerationContext>uuid:1#Events</n:EnumerationContext></n:Pull>`)), classFree},
		{"WS-Man Pull of events in UTF-16", post("/wsman", "application/soap+xml;charset=UTF-16", utf16LE(envelope(pull, `<n:Pull><n:EnumerationContext>uuid:1#Events</n:EnumerationContext></n:Pull>`))), classFree},
		{"WS-Man Pull of an enumeration", post("/wsman", soap, envelope(pull, `<n:Pull><n:EnumerationContext>uuid:1</n:EnumerationContext></n:Pull>`)), classRead},
		{"API failover", post("/api/v1/sets/redset:web/failover", "application/json", `{"from":"a","to":"b"}`), classChange},
		{"API sets", "GET /api/v1/sets HTTP/1.1\r\nHost: x\r\n\r\n", classRead},
		{"API event stream", "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n", classFree},
		{"healthz", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", classFree},
		{"readyz", "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", classFree},
		{"metrics", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", classRead},
		{"dashboard", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", classRead},
		{"not HTTP", "\x16\x03\x01 hello", classRead},
		{"API failover with a query", post("/api/v1/sets/redset:web/failover?dryRun=true", "application/json", `{}`), classChange},
		{"API event stream with a query", "GET /api/v1/events?setId=redset:web HTTP/1.1\r\nHost: x\r\n\r\n", classFree},
		{"API failover, escaped path", post("/api%2Fv1/sets/redset:web/failover", "application/json", `{}`), classChange},
		{"CIM-XML Failover, absolute target", strings.Replace(fixture("wbemcli--InvokeMethod-Failover--2.http"),
			"POST /cimom ", "POST http://127.0.0.1:5988/cimom ", 1), classChange},
		{"CIM-XML GetInstance, absolute target", strings.Replace(fixture("wbemcli--GetInstance--1.http"),
			"POST /cimom ", "POST http://127.0.0.1:5988/cimom ", 1), classRead},
		{"WS-Man Failover, absolute target", strings.Replace(fixture("wsman--Invoke-Failover--1.http"),
			"POST /wsman ", "POST http://127.0.0.1:5985/wsman ", 1), classChange},
		{"WS-Man Failover sent as GET", strings.Replace(fixture("wsman--Invoke-Failover--1.http"), "POST /wsman ", "GET /wsman ", 1), classRead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := []byte(tt.raw)
			if len(head) > judgeBytes {
				head = head[:judgeBytes]
			}
			if got := judge(head); got != tt.want {
				t.Errorf("judge = %d, want %d", got, tt.want)
			}
		})
	}
}

// utf16LE is s in UTF-16, little-endian, after a byte order mark.
func utf16LE(s string) string {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return string(out)
}

// TestRequestLength checks where a request ends, as admission reads it
// from its first bytes.
func TestRequestLength(t *testing.T) {
	tests := []struct {
		head string
		want int64
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n", -1},
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27},
		{"POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\nab", 43},
		{"POST / HTTP/1.1\r\nContent-Length:  12 \r\n\r\n", 53},
		{"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 0},
		{"POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n", 0},
		{"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 0},
	}
	for _, tt := range tests {
		if got := requestLength([]byte(tt.head)); got != tt.want {
			t.Errorf("requestLength(%q) = %d, want %d", tt.head, got, tt.want)
		}
	}
}

// TestAdmissionCarriesTheNextRequestsFirstBytes: bytes read past the end
// of a judged request start the next one. net/http reads one byte ahead
// while a handler runs; when that byte is the "P" of a WS-Man Failover,
// the Failover must still be judged from its whole request line, not as
// "OST /wsman", which is no POST and so would wait as a read.
func TestAdmissionCarriesTheNextRequestsFirstBytes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", "wsman--Invoke-Failover--1.http"))
	if err != nil {
		t.Fatal(err)
	}
	get := []byte("GET /api/v1/sets HTTP/1.1\r\nHost: x\r\n\r\n")
	c := &admitConn{a: newAdmission(1)}
	if cl := c.seen(get); cl != classRead {
		t.Fatalf("the GET: class %d, want a read", cl)
	}
	if cl := c.seen(raw[:1]); cl != classFree { // the read ahead, while the GET is served
		t.Fatalf("the byte read ahead: class %d, want nothing judged", cl)
	}
	c.done()
	if cl := c.seen(raw[1:]); cl != classChange {
		t.Fatalf("the Failover after the byte read ahead: class %d, want a change", cl)
	}
	c.done()

	// Two requests in one read (a client that pipelines): the second is
	// judged once the first is done.
	two := append(append([]byte{}, get...), raw...)
	if cl := c.seen(two); cl != classRead {
		t.Fatalf("the GET with a Failover behind it: class %d, want a read", cl)
	}
	c.done()
	if !c.judged || c.class != classChange {
		t.Fatalf("the pipelined Failover: judged %v, class %d; want judged a change", c.judged, c.class)
	}
	c.done()
	if _, _, changes := c.a.counts(); changes != 0 {
		t.Fatalf("%d changes counted after both ended", changes)
	}
}

// admitted is a test server under admission whose handler notes each
// request it serves (by its query's name) and holds those named in holds
// until they are released or their client leaves.
type admitted struct {
	a       *admission
	addr    string
	holds   map[string]chan struct{}
	mu      sync.Mutex
	entered []string
	tls     map[string]bool // name -> whether the handler saw r.TLS
}

func startAdmitted(t *testing.T, maxReads int, wait time.Duration, tlsCfg *tls.Config, holds ...string) *admitted {
	t.Helper()
	s := &admitted{a: newAdmission(maxReads), holds: map[string]chan struct{}{}, tls: map[string]bool{}}
	s.a.wait = wait
	for _, name := range holds {
		s.holds[name] = make(chan struct{})
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		name := r.URL.Query().Get("name")
		s.mu.Lock()
		s.entered = append(s.entered, name)
		s.tls[name] = r.TLS != nil
		s.mu.Unlock()
		if hold, ok := s.holds[name]; ok {
			select {
			case <-hold:
			case <-r.Context().Done():
			}
		}
		_, _ = io.WriteString(w, "ok "+name)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	srv := &http.Server{Handler: withTLSState(h), ConnState: connState, ConnContext: connContext}
	go func() { _ = srv.Serve(s.a.listener(ln)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *admitted) release(name string) { close(s.holds[name]) }

// reads, waiting and changes are the admission's counts.
func (s *admitted) reads() int   { r, _, _ := s.a.counts(); return r }
func (s *admitted) waiting() int { _, w, _ := s.a.counts(); return w }
func (s *admitted) changes() int { _, _, c := s.a.counts(); return c }

func (s *admitted) has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.entered, name)
}

// sendAlone makes a request on a connection of its own and returns the error
// of its answer.
func sendAlone(client *http.Client, method, url, body string) error {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Close = true
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	return nil
}

// TestAdmissionChangeOvertakesRead: with the one place held by a read, a
// second read waits for it, parked, while a change sent after it is
// served at once; when the first read ends, the second is served.
func TestAdmissionChangeOvertakesRead(t *testing.T) {
	s := startAdmitted(t, 1, time.Minute, nil, "A")
	client := &http.Client{Timeout: 20 * time.Second}
	base := "http://" + s.addr
	changeOvertakesRead(t, s, client, base)
	eventually(t, 10*time.Second, "the place to be given back", func() bool { return s.reads() == 0 })
}

// changeOvertakesRead holds read A in its only place, sends read B, which
// waits, then change C, which must be served while B still waits; then
// lets A end, and B with it.
func changeOvertakesRead(t *testing.T, s *admitted, client *http.Client, base string) {
	t.Helper()
	errs := make(chan error, 2)
	go func() { errs <- sendAlone(client, "GET", base+"/api/v1/sets?name=A", "") }()
	eventually(t, 10*time.Second, "read A to be served", func() bool { return s.has("A") })
	go func() { errs <- sendAlone(client, "GET", base+"/api/v1/sets?name=B", "") }()
	eventually(t, 10*time.Second, "read B to wait for a place", func() bool { return s.waiting() == 1 })
	if err := sendAlone(client, "POST", base+"/api/v1/sets/x/failover?name=C", `{}`); err != nil {
		t.Fatalf("the change: %v", err)
	}
	if s.has("B") {
		t.Fatal("read B was served while read A held the only place")
	}
	s.release("A")
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestAdmissionSlowBodyHoldsNoPlace: a read whose body is slow to come
// takes its place only once the body is in, so another read is served
// meanwhile.
func TestAdmissionSlowBodyHoldsNoPlace(t *testing.T) {
	s := startAdmitted(t, 1, time.Minute, nil)
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /cimom?name=slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n" +
		"CIMOperation: MethodCall\r\nCIMMethod: GetInstance\r\nContent-Length: 10\r\n\r\n"
	if _, err := io.WriteString(conn, head+"<CIM>"); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	if err := sendAlone(client, "GET", "http://"+s.addr+"/api/v1/sets?name=B", ""); err != nil {
		t.Fatalf("read B while a body was under way: %v", err)
	}
	if s.has("slow") {
		t.Fatal("the slow read was served before its body was in")
	}
	if _, err := io.WriteString(conn, "</CIM>"); err != nil {
		t.Fatal(err)
	}
	answer := make([]byte, 512)
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := conn.Read(answer)
	if err != nil || !strings.Contains(string(answer[:n]), "ok slow") {
		t.Fatalf("the slow read's answer: %q, %v", answer[:n], err)
	}
	eventually(t, 10*time.Second, "the place to be given back", func() bool { return s.reads() == 0 })
}

// TestAdmissionWaitIsBounded: a read that waited its whole wait goes on
// without a place; admission orders work and never refuses.
func TestAdmissionWaitIsBounded(t *testing.T) {
	s := startAdmitted(t, 1, 20*time.Millisecond, nil, "A")
	client := &http.Client{Timeout: 20 * time.Second}
	base := "http://" + s.addr
	errA := make(chan error, 1)
	go func() { errA <- sendAlone(client, "GET", base+"/?name=A", "") }()
	eventually(t, 10*time.Second, "read A to be served", func() bool { return s.has("A") })
	if err := sendAlone(client, "GET", base+"/?name=B", ""); err != nil {
		t.Fatalf("read B: %v", err)
	}
	if s.reads() != 1 {
		t.Errorf("%d places held, want 1 (A's; B went on without one)", s.reads())
	}
	s.release("A")
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the place to be given back", func() bool { return s.reads() == 0 })
}

// TestAdmissionClientGone: a read whose client leaves while it is served
// gives its place back.
func TestAdmissionClientGone(t *testing.T) {
	s := startAdmitted(t, 1, time.Minute, nil, "A")
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "GET /?name=A HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "read A to be served", func() bool { return s.has("A") })
	if s.reads() != 1 {
		t.Fatalf("%d places held while A is served, want 1", s.reads())
	}
	_ = conn.Close()
	eventually(t, 10*time.Second, "the place to be given back", func() bool { return s.reads() == 0 })
}

// TestAdmissionOverTLS: admission sits above TLS, so HTTPS requests are
// judged as plain ones (a change overtakes a waiting read), and the
// handlers still see the TLS state.
func TestAdmissionOverTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	s := startAdmitted(t, 1, time.Minute, cfg, "A")
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://" + s.addr
	changeOvertakesRead(t, s, client, base)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range []string{"A", "B", "C"} {
		if !s.tls[name] {
			t.Errorf("request %s: the handler saw no TLS state", name)
		}
	}
}

// TestAdmissionLeavesAPlaceToChanges: while a change is under way, and
// for changeCalm after, reads hold one place fewer than limits.maxReads;
// then the waiting reads are given both places.
func TestAdmissionLeavesAPlaceToChanges(t *testing.T) {
	s := startAdmitted(t, 2, time.Minute, nil, "A", "B", "C", "D")
	var clock atomic.Int64 // nanoseconds past start
	start := time.Now()
	s.a.mu.Lock()
	s.a.now = func() time.Time { return start.Add(time.Duration(clock.Load())) }
	s.a.mu.Unlock()
	client := &http.Client{Timeout: 20 * time.Second}
	base := "http://" + s.addr
	errs := make(chan error, 4)
	go func() { errs <- sendAlone(client, "POST", base+"/api/v1/sets/x/failover?name=C", `{}`) }()
	eventually(t, 10*time.Second, "change C to be served", func() bool { return s.has("C") })
	if s.changes() != 1 {
		t.Fatalf("%d changes under way, want 1", s.changes())
	}
	go func() { errs <- sendAlone(client, "GET", base+"/api/v1/sets?name=A", "") }()
	eventually(t, 10*time.Second, "read A to be served", func() bool { return s.has("A") })
	go func() { errs <- sendAlone(client, "GET", base+"/api/v1/sets?name=B", "") }()
	eventually(t, 10*time.Second, "read B to wait for a place", func() bool { return s.waiting() == 1 })
	go func() { errs <- sendAlone(client, "GET", base+"/api/v1/sets?name=D", "") }()
	eventually(t, 10*time.Second, "read D to wait for a place", func() bool { return s.waiting() == 2 })
	s.release("C")
	eventually(t, 10*time.Second, "change C to end", func() bool { return s.changes() == 0 })
	if r, w := s.reads(), s.waiting(); r != 1 || w != 2 {
		t.Fatalf("right after the change: %d reads hold a place and %d wait, want 1 and 2", r, w)
	}
	clock.Add(int64(changeCalm + time.Millisecond))
	s.release("A")
	eventually(t, 10*time.Second, "reads B and D to hold both places", func() bool { return s.reads() == 2 && s.has("B") && s.has("D") })
	s.release("B")
	s.release("D")
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "every place given back and no change counted", func() bool {
		return s.reads() == 0 && s.changes() == 0 && s.waiting() == 0
	})
}
