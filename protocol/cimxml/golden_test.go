package cimxml

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// newTestHandler serves the fake model with the fake users.
func newTestHandler(opts Options) http.Handler {
	if opts.Host == "" {
		opts.Host = "127.0.0.1:5988"
	}
	return guarded(cimom.HandlerFunc(fakeManager), opts)
}

// guarded is the handler of om behind the door, as the server mounts it,
// with the object manager's authorization middleware.
func guarded(om cimom.Handler, opts Options) http.Handler {
	authorize := cimom.HandlerFunc(func(ctx context.Context, req *cimom.Request) (*cimom.Response, error) {
		if err := auth.Authorize(ctx, auth.CIMOperation(req.Op.String(), req.Method)); err != nil {
			return nil, cim.Errorf(cim.StatusAccessDenied, "%v", err)
		}
		return om.Handle(ctx, req)
	})
	door := auth.NewDoor(fakeAuth{}, nil)
	return door.Guard(auth.Gate{Protocol: Protocol, Refuse: Refuse}, NewHandler(authorize, opts))
}

// replay sends a fixture's request to h and returns the recorded answer.
func replay(t *testing.T, h http.Handler, name string) *httptest.ResponseRecorder {
	t.Helper()
	req, _ := readFixture(t, name)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestGoldenResponses replays every CIM-XML fixture against the fake model
// and compares the answers with testdata/golden (regenerate with -update).
func TestGoldenResponses(t *testing.T) {
	h := newTestHandler(Options{})
	for _, name := range cimxmlFixtures(t) {
		t.Run(name, func(t *testing.T) {
			rec := replay(t, h, name)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d (CIMError %q), want 200", rec.Code, rec.Header().Get("CIMError"))
			}
			checkResponseHeaders(t, rec)
			checkWellFormed(t, rec.Body.Bytes())
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".http")+".xml")
			compareGolden(t, golden, rec.Body.Bytes())
		})
	}
}

func checkResponseHeaders(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	want := map[string]string{
		"Content-Type":   `application/xml; charset="utf-8"`,
		"CIMOperation":   "MethodResponse",
		"Content-Length": strconv.Itoa(rec.Body.Len()),
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
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
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("answer differs from %s (-want +got):\n%s", path, diff)
	}
}

// checkWellFormed parses the whole document and rejects self-closing tags.
func checkWellFormed(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("answer is not well-formed XML: %v\n%s", err, doc)
		}
	}
	if bytes.Contains(doc, []byte("/>")) {
		t.Errorf("answer has a self-closing tag:\n%s", doc)
	}
}
