package cimxml

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkEncodeExport writes the export request of a lifecycle
// indication with two embedded instances.
func BenchmarkEncodeExport(b *testing.B) {
	x := sampleIndication(b)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := EncodeExport(&buf, "1", x); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// BenchmarkDecodeExport reads it back, embedded instances included.
func BenchmarkDecodeExport(b *testing.B) {
	body := encodeExport(b, "1", sampleIndication(b))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeExport(bytes.NewReader(body), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListenerRoundTrip posts export requests over loopback HTTP to
// a Listener, one at a time on a kept-alive connection, and checks each
// answer: the cost of one CIM-XML delivery, both ends.
func BenchmarkListenerRoundTrip(b *testing.B) {
	srv := httptest.NewServer(Listener(func(ExportedIndication) {}))
	defer srv.Close()
	body := encodeExport(b, "1", sampleIndication(b))
	client := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header = ExportHeader()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := CheckExportResponse(resp, answer); err != nil {
			b.Fatal(err)
		}
	}
}
