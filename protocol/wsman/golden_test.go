package wsman

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

var update = flag.Bool("update", false, "rewrite the golden answers in testdata/golden")

// newTestHandler returns a handler over fake with predictable MessageIDs.
func newTestHandler(fake *fakeCIMOM, opts Options) *handler {
	opts.ProductVersion = "1.2.3"
	h := NewHandler(authorizing(fake), opts).(*handler)
	var n atomic.Int64
	h.newID = func() string { return fmt.Sprintf("uuid:00000000-0000-4000-8000-%012d", n.Add(1)) }
	return h
}

// serve runs one request through h and returns the recorded answer.
// h is put behind the door, as the server mounts it.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	door := auth.NewDoor(fakeAuth{}, nil)
	door.Guard(auth.Gate{Protocol: Protocol, Anonymous: Anonymous, Refuse: Refuse}, h).ServeHTTP(rec, r)
	return rec
}

// authorizing puts the object manager's authorization middleware, as the
// server has it, in front of om.
func authorizing(om cimom.Handler) cimom.Handler {
	return cimom.HandlerFunc(func(ctx context.Context, req *cimom.Request) (*cimom.Response, error) {
		if err := auth.Authorize(ctx, auth.CIMOperation(req.Op.String(), req.Method)); err != nil {
			return nil, cim.Errorf(cim.StatusAccessDenied, "%v", err)
		}
		return om.Handle(ctx, req)
	})
}

// checkWellFormed parses an answer with encoding/xml and checks its root is
// a SOAP 1.2 Envelope.
func checkWellFormed(t *testing.T, body []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = charsetPassThrough
	root := true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("answer is not well-formed XML: %v\n%s", err, body)
		}
		if se, ok := tok.(xml.StartElement); ok && root {
			root = false
			if se.Name != (xml.Name{Space: nsSOAP, Local: "Envelope"}) {
				t.Fatalf("root element is %v, want a SOAP 1.2 Envelope", se.Name)
			}
		}
	}
}

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading golden answer (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("answer differs from %s\n got: %s\nwant: %s", file, got, want)
	}
}

// TestGoldenFixtures replays every fixture against a handler over a small
// fixed model and compares the answers with the reviewed golden files.
// Requests without credentials must get the Basic challenge.
func TestGoldenFixtures(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		name := fixtureName(file)
		t.Run(name, func(t *testing.T) {
			r := readFixture(t, file)
			rec := serve(newTestHandler(newFake(3), Options{}), r)
			if r.Header.Get("Authorization") == "" {
				checkChallenge(t, rec)
				return
			}
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200; body:\n%s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/soap+xml;charset=UTF-8" {
				t.Errorf("Content-Type %q, want application/soap+xml;charset=UTF-8", ct)
			}
			checkWellFormed(t, rec.Body.Bytes())
			golden(t, name+".xml", rec.Body.Bytes())
		})
	}
}

func checkChallenge(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", rec.Code)
	}
	if got, want := rec.Header().Get("WWW-Authenticate"), auth.Challenge; got != want {
		t.Errorf("WWW-Authenticate %q, want %q", got, want)
	}
}

// scenarios are requests no fixture client could send, answered against
// the same model; their answers are reviewed golden files too.
var scenarios = []struct {
	name   string
	status int
	req    func() *http.Request
}{
	{"references-objectandepr-dmtf", http.StatusOK, func() *http.Request {
		return adminRequest(actionEnumerate, uriAllClasses,
			`<w:SelectorSet><w:Selector Name="__cimnamespace">root/hypervcluster/v2</w:Selector></w:SelectorSet>`,
			enumerateXML(`<w:OptimizeEnumeration/><w:MaxElements>5</w:MaxElements>`+
				`<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>`+filterXML(dialectAssoc,
				`<b:AssociationInstances><b:Object><a:Address>`+addrAnonymous+`</a:Address><a:ReferenceParameters>`+
					`<w:ResourceURI>`+uriRSDMTF+`</w:ResourceURI>`+selRS1+`</a:ReferenceParameters></b:Object>`+
					`<b:ResultClassName>Msvm_MemberOfCollection</b:ResultClassName></b:AssociationInstances>`)))
	}},
	{"fault-not-found", http.StatusInternalServerError, func() *http.Request {
		return adminRequest(actionGet, uriRS, `<w:SelectorSet><w:Selector Name="InstanceID">Microsoft:RS-9</w:Selector></w:SelectorSet>`, "")
	}},
	{"fault-must-understand", http.StatusInternalServerError, func() *http.Request {
		return adminRequest(actionGet, uriRS, `<z:Secret xmlns:z="urn:secret" s:mustUnderstand="true"/>`+selRS1, "")
	}},
	{"identify-utf16", http.StatusOK, func() *http.Request {
		r := soapRequest("admin", string(fromUTF8(UTF16LE, []byte(identifyBody))))
		r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-16")
		return r
	}},
}

// TestGoldenScenarios compares the answers to the scenarios with their
// golden files.
func TestGoldenScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec := serve(newTestHandler(newFake(3), Options{}), sc.req())
			if rec.Code != sc.status {
				t.Fatalf("status %d, want %d", rec.Code, sc.status)
			}
			body := rec.Body.Bytes()
			if bytes.HasPrefix(body, []byte{0xFF, 0xFE}) {
				utf8Body, err := toUTF8(UTF16LE, body[2:])
				if err != nil {
					t.Fatal(err)
				}
				body = utf8Body
			}
			checkWellFormed(t, body)
			golden(t, "scenario-"+sc.name+".xml", rec.Body.Bytes())
		})
	}
}
