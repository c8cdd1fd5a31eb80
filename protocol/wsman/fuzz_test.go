package wsman

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDecodeEnvelope feeds arbitrary bodies to the decoder and, when they
// decode, to the whole handler: every outcome must be a *Fault or an
// answer that is well-formed XML, never a panic or a hang.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		body, ct := fixtureBody(f, file)
		f.Add(body, ct)
	}
	utf16 := fromUTF8(UTF16LE, []byte(envelopeText(actionGet, uriRS, selRS1, "")))
	f.Add(utf16, "application/soap+xml;charset=UTF-16")
	f.Add([]byte(envelopeText(actionEnumerate, uriAll, "", enumerateXML(`<w:Filter Dialect="`+dialectAssoc+
		`"><b:AssociationInstances><b:Object><a:ReferenceParameters><w:ResourceURI>`+uriRS+
		`</w:ResourceURI></a:ReferenceParameters></b:Object></b:AssociationInstances></w:Filter>`))), "")
	f.Add([]byte(`<s:Envelope xmlns:s="`+nsSOAP+`"><s:Body>`), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		env, err := DecodeEnvelope(bytes.NewReader(body), contentType)
		if err == nil {
			_, err = env.Call(testNS)
		}
		if err != nil {
			if _, ok := err.(*Fault); !ok {
				t.Fatalf("error %T %v is not a *Fault", err, err)
			}
			return
		}
		r := httptest.NewRequest(http.MethodPost, "/wsman", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.SetBasicAuth("admin", "pass")
		rec := serve(newTestHandler(newFake(3), Options{}), r)
		switch rec.Code {
		case http.StatusOK, http.StatusInternalServerError:
		case http.StatusUnsupportedMediaType:
			return // a Content-Type that is not XML
		default:
			t.Fatalf("status %d", rec.Code)
		}
		answer := rec.Body.Bytes()
		if env.Encoding != UTF8 {
			if answer, err = toUTF8(env.Encoding, answer[2:]); err != nil {
				t.Fatal(err)
			}
		}
		checkWellFormed(t, answer)
	})
}
