package cimxml

import (
	"bytes"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/redset/redset/cimom"
)

// BenchmarkEncodeEnumerate1000 encodes an EnumerateInstances answer of
// 1,000 sets.
func BenchmarkEncodeEnumerate1000(b *testing.B) {
	_, body := readFixture(b, enumFixture)
	call, err := Decode(bytes.NewReader(body), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	var objs []cimom.Object
	for o := range manySets(1000, nil) {
		objs = append(objs, o)
	}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		cw := &countingWriter{}
		resp := &cimom.Response{Objects: objectsOf(objs...)}
		if err := WriteResponse(cw, call, resp, nil, EncodeOptions{}); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.ReportMetric(float64(size), "bytes/answer")
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

// BenchmarkDecodeGetInstance decodes wbemcli's GetInstance request.
func BenchmarkDecodeGetInstance(b *testing.B) {
	_, body := readFixture(b, "wbemcli--GetInstance--1.http")
	r := bytes.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		if _, err := Decode(r, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerGetInstance serves a whole GetInstance request through
// the HTTP handler (recorder, no network).
func BenchmarkHandlerGetInstance(b *testing.B) {
	h := newTestHandler(Options{})
	_, body := readFixture(b, "wbemcli--GetInstance--1.http")
	b.ReportAllocs()
	for b.Loop() {
		req, _ := readFixture(b, "wbemcli--GetInstance--1.http")
		req.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
