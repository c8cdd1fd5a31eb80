package wsman

import (
	"bytes"
	"net/http"
	"path/filepath"
	"testing"
)

// BenchmarkDecodeGet decodes openwsman's Get request into its call.
func BenchmarkDecodeGet(b *testing.B) {
	body, ct := fixtureBody(b, filepath.Join(fixtureDir, "wsman--Get--2.http"))
	b.ReportAllocs()
	for b.Loop() {
		env, err := DecodeEnvelope(bytes.NewReader(body), ct)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := env.Call(testNS); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeGet serves openwsman's Get through the whole handler.
func BenchmarkServeGet(b *testing.B) {
	body, _ := fixtureBody(b, filepath.Join(fixtureDir, "wsman--Get--2.http"))
	h := newTestHandler(newFake(3), Options{})
	b.ReportAllocs()
	for b.Loop() {
		r := soapRequest("admin", string(body))
		if rec := serve(h, r); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkEncodeEnumerate1000 writes an EnumerateResponse holding 1,000
// instances.
func BenchmarkEncodeEnumerate1000(b *testing.B) {
	objs := newFake(1000).setObjects()
	res := Resource{URI: uriRS, Namespace: testNS, ClassName: rsName}
	var out, items bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		items.Reset()
		f := &filler{items: &items, w: newWriter(&items, res), budget: 1 << 30}
		for _, o := range objs {
			f.w.item(o, EnumerateObjects)
		}
		f.ended = true
		w := newWriter(&out, res)
		w.envelopeStart(UTF8, header{action: actionEnumerate + responseSuffix, messageID: "uuid:1", relatesTo: "uuid:2"})
		w.start("n", "EnumerateResponse")
		w.empty("n", "EnumerationContext")
		w.items("w", f)
		w.end()
		w.envelopeEnd()
	}
	b.SetBytes(int64(out.Len()))
}

// BenchmarkEnumeratePull1000 runs a whole enumeration of 1,000 sets through
// the handler: Enumerate, then Pulls of MaxElements 1000 until the end
// (several, as each answer stays within the default MaxEnvelopeSize).
func BenchmarkEnumeratePull1000(b *testing.B) {
	fake := newFake(1000)
	fake.setObjects()
	h := newTestHandler(fake, Options{})
	b.ReportAllocs()
	for b.Loop() {
		rec := serve(h, adminRequest(actionEnumerate, uriRS, "", enumerateXML("")))
		ctx, pulls := readEnumB(b, rec.Body.Bytes()), 0
		for ctx != "-" {
			rec = serve(h, adminRequest(actionPull, uriRS, "", pullBody(ctx, 1000)))
			ctx = readEnumB(b, rec.Body.Bytes())
			pulls++
		}
		b.ReportMetric(float64(pulls), "pulls/op")
	}
	fake.requests = nil
}

func readEnumB(b *testing.B, body []byte) string {
	i := bytes.Index(body, []byte("<wsen:EnumerationContext>"))
	if i < 0 {
		if !bytes.Contains(body, []byte("EndOfSequence")) {
			b.Fatalf("neither context nor end:\n%.300s", body)
		}
		return "-"
	}
	rest := body[i+len("<wsen:EnumerationContext>"):]
	return string(rest[:bytes.IndexByte(rest, '<')])
}
