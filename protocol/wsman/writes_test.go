package wsman

import (
	"bytes"
	"path/filepath"
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
	})
}
