package wsman

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeEvent feeds eventing requests (the fixtures of
// testdata/eventing, and testdata/fuzz/FuzzDecodeEvent) to the decoder
// and the handler with a subscription manager: every outcome is a *Fault
// or a well-formed answer, never a panic.
func FuzzDecodeEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "eventing", "*.xml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := DecodeEnvelope(bytes.NewReader(body), "")
		if err == nil {
			_, err = env.Call(testNS)
		}
		if err != nil {
			if _, ok := err.(*Fault); !ok {
				t.Fatalf("error %T %v is not a *Fault", err, err)
			}
			return
		}
		r := soapRequest("admin", string(body))
		rec := serve(newTestHandler(newFake(1), Options{Eventing: &fakeEventing{events: []Event{testEvent()}}}), r)
		if rec.Code != 200 && rec.Code != 500 {
			t.Fatalf("status %d", rec.Code)
		}
		checkWellFormed(t, rec.Body.Bytes())
	})
}

// FuzzCheckAck feeds arbitrary answers to the acknowledgement check.
func FuzzCheckAck(f *testing.F) {
	f.Add([]byte(`<s:Envelope xmlns:s="`+nsSOAP+`" xmlns:a="`+nsWSA+`"><s:Header><a:Action>`+actionAck+
		`</a:Action><a:RelatesTo>uuid:m</a:RelatesTo></s:Header><s:Body/></s:Envelope>`), "uuid:m")
	f.Fuzz(func(t *testing.T, body []byte, id string) {
		_ = CheckAck(body, "", id)
	})
}
