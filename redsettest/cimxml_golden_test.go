package redsettest_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
	"github.com/redset/redset/server"
)

// updateGolden reports whether -update was given: rewrite the golden
// answers instead of comparing them. The flag is shared with the other
// golden tests of this package; whichever file initializes first
// registers it.
var updateGolden = sharedUpdateFlag()

func sharedUpdateFlag() func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden answers under testdata")
	}
	return func() bool { return flag.Lookup("update").Value.String() == "true" }
}

// fixtureDir holds the raw requests real clients sent (relative to this
// package's directory, where go test runs).
const fixtureDir = "../testdata/fixtures"

// The model the fixtures were recorded against (testdata/fixtures/README.md): set
// Microsoft:RS-1 with members vm-a and vm-b, read by user "user" with
// password "pass". A second set, Microsoft:RS-2, makes enumerations and
// queries show that they return every set and only the matching ones.
const (
	rs1 = "Microsoft:RS-1"
	rs2 = "Microsoft:RS-2"
)

// fixtureUser is the account whose credentials the fixtures carry.
func fixtureUser(t testing.TB) func(*server.Config) {
	hash, err := auth.HashPassword("pass")
	if err != nil {
		t.Fatal(err)
	}
	return func(c *server.Config) {
		c.Users = append(c.Users, server.User{Name: "user", Role: string(auth.Admin), PasswordHash: hash})
	}
}

// fixtureModel (re)creates the two sets. RS-1 is a Sparing set with vm-a
// in service and vm-b a hot spare; vm-b is Degraded, so RS-1 is 3 Degraded
// Redundancy — the value wbemcli's ModifyInstance echoes back from the
// GetInstance it sent first. RS-2 is an N+1 set of vm-c and vm-d, all OK:
// 2 Fully Redundant.
func fixtureModel(t testing.TB, eng *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{rs1, rs2} {
		if err := eng.DeleteSet(ctx, id); err != nil && !errors.Is(err, engine.ErrNotFound) {
			t.Fatalf("DeleteSet(%s): %v", id, err)
		}
	}
	createSet(t, eng, engine.Set{InstanceID: rs1, ElementName: "Redundancy set " + rs1,
		TypeOfSet: []uint16{engine.TypeSparing}, MinNumberNeeded: 1},
		map[string]engine.Role{"vm-a": inService, "vm-b": hotSpare})
	createSet(t, eng, engine.Set{InstanceID: rs2, ElementName: "Redundancy set " + rs2,
		TypeOfSet: []uint16{engine.TypeNPlus1}, MinNumberNeeded: 1},
		map[string]engine.Role{"vm-c": inService, "vm-d": inService})
}

// startFixtureServer starts a server holding the fixtures' model.
func startFixtureServer(t testing.TB) *redsettest.Server {
	t.Helper()
	srv := redsettest.Start(t, redsettest.Options{Edit: fixtureUser(t)})
	eng := srv.Engine()
	putMembers(t, eng, "vm-a", "vm-b", "vm-c", "vm-d")
	reportHealth(t, eng, engine.HealthOK, "vm-a", "vm-c", "vm-d")
	reportHealth(t, eng, engine.HealthDegraded, "vm-b")
	fixtureModel(t, eng)
	return srv
}

// cimxmlFixtures lists the CIM-XML fixtures (pywbem and wbemcli). Without
// the folder the test is skipped, or fails under REDSET_REQUIRE_INTEROP=1.
func cimxmlFixtures(t testing.TB) []string {
	t.Helper()
	var names []string
	for _, pattern := range []string{"pywbem--*.http", "wbemcli--*.http"} {
		m, _ := filepath.Glob(filepath.Join(fixtureDir, pattern))
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
	}
	if len(names) == 0 {
		msg := fmt.Sprintf("no CIM-XML fixtures under %s ", fixtureDir)
		if os.Getenv("REDSET_REQUIRE_INTEROP") == "1" {
			t.Fatal(msg + " and REDSET_REQUIRE_INTEROP=1")
		}
		t.Skip(msg)
	}
	sort.Strings(names)
	return names
}

// replayRaw sends a fixture's bytes unchanged over a new connection and
// reads the answer.
func replayRaw(t testing.TB, srv *redsettest.Server, raw []byte) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.URL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write(raw); err != nil {
		t.Fatalf("sending the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	return resp, body
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// contextValue matches the value of an EnumerationContext output
// parameter: an opaque random ID that differs on every run.
var contextValue = regexp.MustCompile(`(<PARAMVALUE NAME="EnumerationContext"[^>]*><VALUE>)[^<]*(</VALUE>)`)

// normalize replaces the volatile parts of an answer. MESSAGE ID is the
// request's and HOST is the request's Host header, so both are stable.
func normalize(body []byte) []byte {
	return contextValue.ReplaceAll(body, []byte("${1}ENUMERATION-CONTEXT${2}"))
}

// TestCIMXMLGoldenFixtures replays every CIM-XML request real clients sent
// (testdata/fixtures) against a running server holding the model the
// fixtures assume, byte for byte, and compares each answer with
// testdata/cimxml/NAME.xml (regenerate with -update, then review by eye).
// Each answer's key facts are also checked in code, so that a wrong golden
// file cannot pass. The model is recreated before every request, so each
// answer is that of the recorded model and not of the previous request.
func TestCIMXMLGoldenFixtures(t *testing.T) {
	names := cimxmlFixtures(t)
	srv := startFixtureServer(t)
	for _, name := range names {
		t.Run(strings.TrimSuffix(name, ".http"), func(t *testing.T) {
			check, ok := fixtureFacts[strings.TrimSuffix(name, ".http")]
			if !ok {
				t.Fatalf("fixture %s has no entry in fixtureFacts: say what its answer must contain", name)
			}
			fixtureModel(t, srv.Engine())
			resp, body := replayRaw(t, srv, readFixture(t, name))
			checkCIMXMLAnswer(t, resp, body)
			compareGolden(t, filepath.Join("testdata", "cimxml", strings.TrimSuffix(name, ".http")+".xml"), normalize(body))
			check(t, parseXML(t, body), srv.Engine())
		})
	}
}

// checkCIMXMLAnswer checks the HTTP layer of an operation's answer: 200
// (operation errors travel inside the XML), the DSP0200 headers, and a
// well-formed document without self-closing elements (wbemcli's parser
// cannot read them).
func checkCIMXMLAnswer(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP status = %d (CIMError %q), want 200\n%s", resp.StatusCode, resp.Header.Get("CIMError"), body)
	}
	want := map[string]string{
		"Content-Type": `application/xml; charset="utf-8"`,
		"CIMOperation": "MethodResponse",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if cl := resp.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length = %s, body has %d bytes", cl, len(body))
	}
	if bytes.Contains(body, []byte("/>")) {
		t.Errorf("answer has a self-closing element:\n%s", body)
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if updateGolden() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden answer (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("answer differs from %s (-want +got):\n%s", path, diff)
	}
}

// TestCIMXMLPullConversation replays pywbem's Open / Pull / Close
// conversation with the enumeration context the server issued in place
// of the one the recording server invented: Open gives one set, Pull the
// other and the end of the sequence; a Close of a context still open
// succeeds, and the closed context is then unknown.
func TestCIMXMLPullConversation(t *testing.T) {
	cimxmlFixtures(t)
	srv := startFixtureServer(t)
	const base = "pywbem--OpenEnumerateInstances-PullInstancesWithPath-CloseEnumeration--"
	open := func() (*xnode, string) {
		_, body := replayRaw(t, srv, readFixture(t, base+"1.http"))
		doc := parseXML(t, body)
		noError(t, doc)
		return doc, outParams(doc)["EnumerationContext"]
	}
	withContext := func(n int, ctx string) *xnode {
		_, body := replayRaw(t, srv, rewriteContext(t, readFixture(t, base+strconv.Itoa(n)+".http"), ctx))
		return parseXML(t, body)
	}

	t.Run("open then pull", func(t *testing.T) {
		first, ctx := open()
		pulled := withContext(2, ctx)
		noError(t, pulled)
		got := append(column(first.instances(), "InstanceID"), column(pulled.instances(), "InstanceID")...)
		if diff := cmp.Diff([]string{rs1, rs2}, got); diff != "" {
			t.Errorf("sets over Open and Pull (-want +got):\n%s", diff)
		}
		if eos := outParams(pulled)["EndOfSequence"]; eos != "TRUE" {
			t.Errorf("EndOfSequence after the last set = %q, want TRUE", eos)
		}
		if code, _ := withContext(2, ctx).cimError(); code != 21 {
			t.Errorf("Pull of a finished context: ERROR %d, want 21", code)
		}
	})
	t.Run("open then close", func(t *testing.T) {
		_, ctx := open()
		closed := withContext(3, ctx)
		noError(t, closed)
		if code, _ := withContext(2, ctx).cimError(); code != 21 {
			t.Errorf("Pull of a closed context: ERROR %d, want 21", code)
		}
	})
}

// rewriteContext puts ctx in place of the recorded context ctx-0001 and
// fixes Content-Length.
func rewriteContext(t testing.TB, raw []byte, ctx string) []byte {
	t.Helper()
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok || ctx == "" {
		t.Fatalf("cannot rewrite the request (context %q)", ctx)
	}
	body = bytes.ReplaceAll(body, []byte("<VALUE>ctx-0001</VALUE>"), []byte("<VALUE>"+ctx+"</VALUE>"))
	cl := regexp.MustCompile(`(?mi)^Content-Length: *\d+`)
	head = cl.ReplaceAll(head, []byte("Content-Length: "+strconv.Itoa(len(body))))
	return slices.Concat(head, []byte("\r\n\r\n"), body)
}
