package redsettest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
	"github.com/redset/redset/server"
)

// Limits of the hostile server: short timeouts so that the slow cases end
// soon; the body cap is the default, 16 MiB.
const (
	hostileHeaderTimeout = 2 * time.Second
	hostileBodyTimeout   = 2 * time.Second
	hostileConnsPerAddr  = 64
	hostileSet           = "redset:bench-0000"
	hostileDeadline      = 30 * time.Second // each case's answer, not a speed goal
)

// hostileServer starts a server with one set and the hostile limits.
func hostileServer(t *testing.T, edit func(*server.Limits)) *redsettest.Server {
	t.Helper()
	srv := redsettest.Start(t, redsettest.Options{Edit: func(c *server.Config) {
		c.Limits.HeaderTimeout = server.Dur(hostileHeaderTimeout)
		c.Limits.BodyTimeout = server.Dur(hostileBodyTimeout)
		c.Limits.MaxConnsPerAddress = hostileConnsPerAddr
		if edit != nil {
			edit(&c.Limits)
		}
	}})
	if err := populateOne(context.Background(), srv.Engine(), 0); err != nil {
		t.Fatal(err)
	}
	return srv
}

// hostileCase is one hostile request and the check of its answer.
type hostileCase struct {
	name string
	run  func(t *testing.T, srv *redsettest.Server)
}

// TestHostileRequests sends each hostile request to a running server,
// checks that it is answered with the protocol's standard error (or the
// connection closed, for the slow and half-open ones) within the case's
// deadline, and that a normal GetInstance succeeds after each.
func TestHostileRequests(t *testing.T) {
	srv := hostileServer(t, nil)
	cases := slices.Concat(hostileXMLCases(), hostileHTTPCases(), hostileConnectionCases())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, srv)
			hostileHealthy(t, srv)
		})
	}
}

// hostileHealthy checks that a normal GetInstance, on a new connection,
// succeeds; connections the case left open may take a moment to be let go.
func hostileHealthy(t *testing.T, srv *redsettest.Server) {
	t.Helper()
	deadline := time.Now().Add(hostileDeadline)
	for {
		c := newCIMClient(srv)
		c.hc.Transport.(*http.Transport).DisableKeepAlives = true
		data, err := c.do("GetInstance", cimNamespace, getInstanceBody(hostileSet))
		if err == nil {
			if got := column(parseXML(t, data).instances(), "InstanceID"); !slices.Equal(got, []string{hostileSet}) {
				t.Fatalf("after the case, GetInstance returned %v", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the case, GetInstance failed: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // poll: the server is letting go of the case's connections
	}
}

// ---- the XML payloads ----

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE CIM [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>`

const externalEntity = `<?xml version="1.0"?>
<!DOCTYPE CIM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`

// cimWith puts a DTD before a GetInstance whose key value is entity.
func cimWith(dtd, entity string) string {
	body := getInstanceBody(hostileSet)
	body = body[strings.Index(body, "<CIM "):]
	return dtd + strings.Replace(body, hostileSet, entity, 1)
}

func wsmanWith(dtd, entity string) string {
	env := wsmanMsg{Action: wsmanActGet, URI: wsmanDMTFSet, Selectors: []string{"InstanceID", "SELECTOR"}}.String()
	env = env[strings.Index(env, "<s:Envelope"):]
	return dtd + strings.Replace(env, "SELECTOR", entity, 1)
}

func deepCIM(depth int) string {
	v := strings.Repeat("<VALUE.ARRAY>", depth) + strings.Repeat("</VALUE.ARRAY>", depth)
	return intrinsicBody("GetInstance", `<IPARAMVALUE NAME="InstanceName">`+v+`</IPARAMVALUE>`)
}

func deepWSMan(depth int) string {
	return wsmanMsg{Action: wsmanActGet, URI: wsmanDMTFSet, Selectors: []string{"InstanceID", hostileSet},
		Header: strings.Repeat("<x:a xmlns:x=\"urn:x\">", depth) + strings.Repeat("</x:a>", depth)}.String()
}

// hostileXMLCases: payloads each protocol must refuse in its own form.
func hostileXMLCases() []hostileCase {
	// A key value of 1 MiB, thousands of times any real one: large enough to
	// show it costs no more than its bytes, small enough that reading it
	// stays well inside the hostile server's 2 s body timeout under -race
	// on a loaded machine (8 MiB did not).
	bigKey := strings.Repeat("k", 1<<20)
	return []hostileCase{
		{"CIM-XML billion laughs", cimRefused(cimWith(billionLaughs, "&lol9;"), "request-not-well-formed")},
		{"CIM-XML external entity", cimRefused(cimWith(externalEntity, "&xxe;"), "request-not-well-formed")},
		{"CIM-XML deep nesting", cimError(deepCIM(100_000), 4)}, // CIM_ERR_INVALID_PARAMETER at the first level too many
		{"CIM-XML invalid UTF-8", cimRefused(strings.Replace(getInstanceBody(hostileSet), "bench", "b\xff\xfeench", 1), "request-not-well-formed")},
		{"CIM-XML huge key value", cimError(getInstanceBody(bigKey), 6)}, // CIM_ERR_NOT_FOUND
		{"CIM-XML bogus enumeration context", cimError(intrinsicBody("PullInstancesWithPath",
			`<IPARAMVALUE NAME="EnumerationContext"><VALUE>bogus</VALUE></IPARAMVALUE>`+
				`<IPARAMVALUE NAME="MaxObjectCount"><VALUE>10</VALUE></IPARAMVALUE>`), 21)}, // CIM_ERR_INVALID_ENUMERATION_CONTEXT
		{"WS-Man billion laughs", wsmanRefused(wsmanWith(billionLaughs, "&lol9;"))},
		{"WS-Man external entity", wsmanRefused(wsmanWith(externalEntity, "&xxe;"))},
		{"WS-Man deep nesting", wsmanRefused(deepWSMan(100_000))},
		{"WS-Man invalid UTF-8", wsmanRefused(strings.Replace(wsmanMsg{Action: wsmanActGet, URI: wsmanDMTFSet,
			Selectors: []string{"InstanceID", hostileSet}}.String(), "bench", "b\xff\xfeench", 1))},
		{"WS-Man huge selector", wsmanRefused(wsmanMsg{Action: wsmanActGet, URI: wsmanDMTFSet,
			Selectors: []string{"InstanceID", bigKey}}.String())},
		{"WS-Man bogus enumeration context", wsmanRefused(wsmanMsg{Action: wsmanActPull, URI: wsmanDMTFSet,
			Body: `<n:Pull><n:EnumerationContext>bogus</n:EnumerationContext></n:Pull>`}.String())},
		{"API invalid UTF-8", apiRefused(http.MethodPost, "/api/v1/sets", "{\"instanceID\": \"a\xff\"}", http.StatusBadRequest)},
		{"API deep nesting", apiRefused(http.MethodPost, "/api/v1/sets", strings.Repeat("[", 100_000), http.StatusBadRequest)},
		{"API body past the cap", apiRefused(http.MethodPost, "/api/v1/sets",
			`{"instanceID":"redset:big","description":"`+strings.Repeat("x", server.DefaultMaxBodyBytes)+`"}`, http.StatusRequestEntityTooLarge)},
	}
}

// cimRefused: the request gets no CIM-XML answer, an HTTP 400 naming the
// problem in the CIMError header (DSP0200 clause 7).
func cimRefused(body, cimError string) func(*testing.T, *redsettest.Server) {
	return func(t *testing.T, srv *redsettest.Server) {
		resp := cimPost(t, srv, body)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("CIMError") != cimError {
			t.Errorf("HTTP %d CIMError %q, want 400 %q", resp.StatusCode, resp.Header.Get("CIMError"), cimError)
		}
	}
}

// cimError: the request is answered with an ERROR element of that code.
func cimError(body string, code int) func(*testing.T, *redsettest.Server) {
	return func(t *testing.T, srv *redsettest.Server) {
		resp := cimPost(t, srv, body)
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d (CIMError %q), want 200 with an ERROR", resp.StatusCode, resp.Header.Get("CIMError"))
		}
		if got, desc := parseXML(t, data).cimError(); got != code {
			t.Errorf("CIM status %d (%s), want %d", got, desc, code)
		}
	}
}

func cimPost(t *testing.T, srv *redsettest.Server, body string) *http.Response {
	t.Helper()
	c := newCIMClient(srv)
	c.hc.Timeout = hostileDeadline
	method := "GetInstance"
	if strings.Contains(body, "PullInstancesWithPath") {
		method = "PullInstancesWithPath"
	}
	resp, err := c.hc.Do(c.request(method, cimNamespace, body))
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// wsmanRefused: the request is answered with a SOAP fault (HTTP 500).
func wsmanRefused(envelope string) func(*testing.T, *redsettest.Server) {
	return func(t *testing.T, srv *redsettest.Server) {
		c := newWSManClient(srv, "admin", redsettest.AdminPassword)
		c.hc.Timeout = hostileDeadline
		f := c.fault(t, envelope)
		if f.Subcode == "" {
			t.Errorf("fault without a subcode: %v", f)
		}
	}
}

// apiRefused: the request is answered with a problem document.
func apiRefused(method, path, body string, status int) func(*testing.T, *redsettest.Server) {
	return func(t *testing.T, srv *redsettest.Server) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.SetBasicAuth("admin", redsettest.AdminPassword)
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: hostileDeadline}).Do(req)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		defer resp.Body.Close()
		var p struct{ Status int }
		err = json.NewDecoder(resp.Body).Decode(&p)
		if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/problem+json" || err != nil || p.Status != status {
			t.Errorf("HTTP %d %s (problem status %d, %v), want a %d problem", resp.StatusCode,
				resp.Header.Get("Content-Type"), p.Status, err, status)
		}
	}
}

// ---- raw HTTP ----

// rawConn dials the server with the case's deadline on every read and
// write.
func rawConn(t *testing.T, srv *redsettest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(hostileDeadline))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// cimHead is the head of a CIM-XML GetInstance with a declared length.
func cimHead(length int) string {
	return "POST /cimom HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + basicAuth("admin", redsettest.AdminPassword) +
		"\r\nContent-Type: application/xml; charset=\"utf-8\"\r\nCIMOperation: MethodCall\r\nCIMMethod: GetInstance\r\n" +
		"CIMObject: " + cimNamespace + "\r\nContent-Length: " + strconv.Itoa(length) + "\r\n\r\n"
}

func basicAuth(user, pass string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// readStatus reads one answer's status code from c.
func readStatus(t *testing.T, c net.Conn) int {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// hostileHTTPCases: lies and excesses of the HTTP layer.
func hostileHTTPCases() []hostileCase {
	return []hostileCase{
		{"40 MB body from a client that writes first", func(t *testing.T, srv *redsettest.Server) {
			c := rawConn(t, srv)
			const size = 40 << 20
			if _, err := io.WriteString(c, cimHead(size)); err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(c, io.LimitReader(spaces{}, size)); err != nil {
				t.Fatalf("writing the body: %v (the server stopped reading)", err)
			}
			if got := readStatus(t, c); got != http.StatusRequestEntityTooLarge {
				t.Errorf("HTTP %d, want 413", got)
			}
		}},
		{"Content-Length shorter than the body", func(t *testing.T, srv *redsettest.Server) {
			c := rawConn(t, srv)
			body := getInstanceBody(hostileSet)
			_, _ = io.WriteString(c, cimHead(len(body)/2)+body)
			if got := readStatus(t, c); got != http.StatusBadRequest {
				t.Errorf("HTTP %d, want 400", got)
			}
		}},
		{"Content-Length longer than the body", func(t *testing.T, srv *redsettest.Server) {
			c := rawConn(t, srv)
			body := getInstanceBody(hostileSet)
			_, _ = io.WriteString(c, cimHead(len(body)+1000)+body) // then nothing: the body timeout ends it
			if got := readStatus(t, c); got != http.StatusBadRequest {
				t.Errorf("HTTP %d, want 400", got)
			}
		}},
		{"huge header", func(t *testing.T, srv *redsettest.Server) {
			c := rawConn(t, srv)
			_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 256<<10)+"\r\n\r\n")
			if got := readStatus(t, c); got != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("HTTP %d, want 431", got)
			}
		}},
	}
}

type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// ---- slow and idle connections ----

func hostileConnectionCases() []hostileCase {
	return []hostileCase{
		{"slowloris: headers trickled", func(t *testing.T, srv *redsettest.Server) {
			c := rawConn(t, srv)
			_, _ = io.WriteString(c, "POST /cimom HTTP/1.1\r\nHost: x\r\n")
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			start := time.Now()
			for i := 0; ; i++ {
				if _, err := fmt.Fprintf(c, "X-%d: a\r\n", i); err != nil {
					break // the server closed the connection
				}
				if closedNow(c) {
					break
				}
				if time.Since(start) > hostileDeadline {
					t.Fatal("the server kept a connection whose headers never ended")
				}
				<-tick.C
			}
		}},
		{"300 half-open connections", func(t *testing.T, srv *redsettest.Server) {
			conns := make([]net.Conn, 0, 300)
			defer func() {
				for _, c := range conns {
					_ = c.Close()
				}
			}()
			for range 300 {
				c, err := net.Dial("tcp", srv.Addrs()[0])
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				conns = append(conns, c)
			}
			closed := 0
			for _, c := range conns {
				if closedNow(c) {
					closed++
				}
			}
			if want := 300 - hostileConnsPerAddr; closed < want {
				t.Errorf("%d of 300 connections closed at once, want at least %d (the cap per address is %d)",
					closed, want, hostileConnsPerAddr)
			}
		}},
	}
}

// closedNow reports whether the server has closed c: a read that fails
// other than by its deadline. It waits at most 50ms.
func closedNow(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// TestHostileEnumerationContexts: one user past the cap of open
// enumeration contexts is refused with CIM_ERR_SERVER_LIMITS_EXCEEDED
// over CIM-XML and wsman:QuotaLimit over WS-Man.
func TestHostileEnumerationContexts(t *testing.T) {
	srv := hostileServer(t, func(l *server.Limits) { l.MaxEnumerationsPerUser = 2 })
	open := intrinsicBody("OpenEnumerateInstances", `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="`+classSet+`"/></IPARAMVALUE>`+
		`<IPARAMVALUE NAME="MaxObjectCount"><VALUE>0</VALUE></IPARAMVALUE>`)
	c := newCIMClient(srv)
	for range 2 {
		if code, desc := c.call(t, "OpenEnumerateInstances", cimNamespace, open).cimError(); code != 0 {
			t.Fatalf("open within the cap: %d %s", code, desc)
		}
	}
	if code, _ := c.call(t, "OpenEnumerateInstances", cimNamespace, open).cimError(); code != 27 {
		t.Errorf("CIM-XML past the cap: status %d, want 27 (CIM_ERR_SERVER_LIMITS_EXCEEDED)", code)
	}
	w := newWSManClient(srv, "admin", redsettest.AdminPassword)
	f := w.fault(t, wsmanMsg{Action: wsmanActEnumerate, URI: wsmanDMTFSet, Body: `<n:Enumerate/>`}.String())
	if wsmanLocal(f.Subcode) != "QuotaLimit" {
		t.Errorf("WS-Man past the cap: %v, want wsman:QuotaLimit", f)
	}
}

// TestHostileEventStreamOutlivesWriteTimeout: the event stream sets its
// own write deadline for each event, so an event published after the
// server's write timeout has passed still reaches a subscriber.
func TestHostileEventStreamOutlivesWriteTimeout(t *testing.T) {
	const writeTimeout = 300 * time.Millisecond
	srv := hostileServer(t, func(l *server.Limits) { l.WriteTimeout = server.Dur(writeTimeout) })
	c, err := api.NewClient(srv.URL, "admin", redsettest.AdminPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
	defer cancel()
	stream, err := c.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	<-time.After(3 * writeTimeout) // the request's own write deadline passes
	if _, err := srv.Engine().PutMember(ctx, engine.Member{Name: "late"}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Next(); err != nil {
		t.Fatalf("the stream ended after the write timeout: %v", err)
	}
}
