package wsman

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// RequestAction reads the action the full decoder reads, and WritesAction
// calls writes exactly the operations that change something.
func TestRequestActionAgreesWithTheDecoder(t *testing.T) {
	writes := 0
	for _, file := range fixtureFiles(t) {
		body, ct := fixtureBody(t, file)
		env, err := DecodeEnvelope(bytes.NewReader(body), ct)
		if err != nil {
			continue
		}
		c, err := env.Call("root/hypervcluster/v2")
		if err != nil {
			continue
		}
		action, err := RequestAction(body, ct)
		if err != nil || action != env.Action {
			t.Errorf("%s: RequestAction = %q, %v; the decoder read %q", filepath.Base(file), action, err, env.Action)
		}
		want := c.Kind == KindPut || c.Kind == KindCreate || c.Kind == KindDelete || c.Kind == KindInvoke
		if got := WritesAction(action); got != want {
			t.Errorf("%s: WritesAction(%q) = %v, want %v (%s)", filepath.Base(file), action, got, want, c.Kind)
		}
		if want {
			writes++
		}
	}
	if writes == 0 {
		t.Error("no fixture is a write; the test proves nothing")
	}
}

func TestRequestActionRefusesNonSOAP(t *testing.T) {
	for _, body := range []string{"", "<a/>", "not xml", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>`} {
		if a, err := RequestAction([]byte(body), "application/soap+xml"); err == nil {
			t.Errorf("RequestAction(%q) = %q, nil; want an error", body, a)
		}
	}
}

func FuzzRequestAction(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		body, ct := fixtureBody(f, file)
		f.Add(body, ct)
	}
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		action, err := RequestAction(body, ct)
		if err != nil && action != "" {
			t.Fatalf("an error with an action %q", action)
		}
		_ = WritesAction(action)
		streamed, err := ReadAction(bytes.NewReader(body), ct)
		if err != nil && streamed != "" {
			t.Fatalf("ReadAction: an error with an action %q", streamed)
		}
	})
}

// ReadAction reads the action RequestAction reads from every recorded
// request, in UTF-8 and converted to UTF-16.
func TestReadActionAgreesWithRequestAction(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		body, ct := fixtureBody(t, file)
		want, wantErr := RequestAction(body, ct)
		if got, err := ReadAction(bytes.NewReader(body), ct); got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("%s: ReadAction = %q, %v; RequestAction = %q, %v", filepath.Base(file), got, err, want, wantErr)
		}
		if wantErr != nil || !strings.Contains(strings.ToLower(ct), "utf-8") && strings.Contains(ct, "charset") {
			continue
		}
		wide := fromUTF8(UTF16LE, body)
		if got, err := ReadAction(bytes.NewReader(wide), "application/soap+xml;charset=UTF-16"); got != want || err != nil {
			t.Errorf("%s in UTF-16: ReadAction = %q, %v; want %q", filepath.Base(file), got, err, want)
		}
	}
}

// errAfterHeader stands for the part of a body not yet arrived.
var errAfterHeader = errors.New("read past the envelope's Header")

// ReadAction reads no further than it must: a body whose rest fails to
// arrive is still judged by its Header.
func TestReadActionStopsAtTheAction(t *testing.T) {
	const envelope = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">`
	tail := strings.Repeat(" ", 4096) // more than one read ahead
	for _, c := range []struct{ name, head, want string }{
		{"action in the header", envelope + `<s:Header><a:To>x</a:To><a:Action s:mustUnderstand="true"> http://schemas.xmlsoap.org/ws/2004/09/transfer/Put </a:Action>`,
			"http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"},
		{"a header without one", envelope + `<s:Header><a:To>x</a:To></s:Header>`, ""},
		{"no header", envelope + `<s:Body>`, ""},
	} {
		r := io.MultiReader(strings.NewReader(c.head+tail), iotestErr{errAfterHeader})
		if got, err := ReadAction(r, "application/soap+xml;charset=UTF-8"); got != c.want || err != nil {
			t.Errorf("%s: ReadAction = %q, %v; want %q, nil", c.name, got, err, c.want)
		}
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestReadActionRefusesNonSOAP(t *testing.T) {
	for _, body := range []string{"", "<a/>", "not xml", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>`,
		`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>`} {
		if a, err := ReadAction(strings.NewReader(body), "application/soap+xml"); err == nil {
			t.Errorf("ReadAction(%q) = %q, nil; want an error", body, a)
		}
	}
	odd := "\xff\xfe<\x00a" // a byte order mark, then an odd number of bytes
	if a, err := ReadAction(strings.NewReader(odd), "application/soap+xml;charset=utf-16"); err == nil {
		t.Errorf("ReadAction of broken UTF-16 = %q, nil; want an error", a)
	}
}

// FuzzScanActionMatchesStream: whenever scanAction decides from the start
// of a UTF-8 body (cut anywhere), streamAction (encoding/xml) reads the
// whole body to the same action, without an error.
func FuzzScanActionMatchesStream(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		body, _ := fixtureBody(f, file)
		f.Add(body, uint16(len(body)))
		f.Add(body, uint16(len(body)/3))
	}
	f.Fuzz(func(t *testing.T, body []byte, cut uint16) {
		head := body[:min(int(cut), len(body))]
		action, ok := scanAction(head)
		if !ok {
			return
		}
		want, err := streamAction(bytes.NewReader(body))
		if err != nil || want != action {
			t.Fatalf("scanAction(%d of %d bytes) = %q; streamAction = %q, %v", len(head), len(body), action, want, err)
		}
	})
}

// scanAction decides every recorded request in UTF-8 (so that ReadAction
// rarely needs encoding/xml), and no start of one cut inside its Header.
func TestScanActionDecidesRecordedRequests(t *testing.T) {
	decided := 0
	for _, file := range fixtureFiles(t) {
		body, ct := fixtureBody(t, file)
		want, err := RequestAction(body, ct)
		if err != nil || strings.Contains(strings.ToLower(ct), "utf-16") || bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
			continue
		}
		if got, ok := scanAction(body); ok {
			decided++
			if got != want {
				t.Errorf("%s: scanAction = %q, want %q", filepath.Base(file), got, want)
			}
		}
		if i := bytes.Index(body, []byte("Action")); i > 0 && want != "" {
			if got, ok := scanAction(body[:i]); ok {
				t.Errorf("%s: scanAction decided %q from the body cut before its action", filepath.Base(file), got)
			}
		}
	}
	if decided == 0 {
		t.Error("scanAction decided no recorded request")
	}
}
