package cimxml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// manySets yields n sets, then err when it is not nil.
func manySets(n int, err error) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		for i := range n {
			id := fmt.Sprintf("redset:set-%04d", i)
			if !yield(cimom.Object{Path: rsPathOf(id), Instance: rsInstance(id)}, nil) {
				return
			}
		}
		if err != nil {
			yield(cimom.Object{}, err)
		}
	}
}

// enumServer serves EnumerateInstances from objs with a small buffer.
func enumServer(t *testing.T, objs func() cimom.Objects, buffer int) *httptest.Server {
	t.Helper()
	h := guarded(cimom.HandlerFunc(func(context.Context, *cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{Objects: objs()}, nil
	}), Options{BufferBytes: buffer})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// postFixture sends a fixture's request to srv.
func postFixture(t *testing.T, srv *httptest.Server, name string, header http.Header) *http.Response {
	t.Helper()
	_, body := readFixture(t, name)
	fix, _ := readFixture(t, name)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/cimom", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = fix.Header.Clone()
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

const enumFixture = "pywbem--EnumerateInstances--1.http"

// TestStreamLargeAnswer streams an answer bigger than the buffer.
func TestStreamLargeAnswer(t *testing.T) {
	srv := enumServer(t, func() cimom.Objects { return manySets(300, nil) }, 4096)
	resp := postFixture(t, srv, enumFixture, nil)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != -1 {
		t.Errorf("status %d, length %d; want 200 streamed without a length", resp.StatusCode, resp.ContentLength)
	}
	checkWellFormed(t, body)
	if got := bytes.Count(body, []byte("<VALUE.NAMEDINSTANCE>")); got != 300 {
		t.Errorf("answer holds %d instances, want 300", got)
	}
}

// TestStreamErrorBeforeCommit turns an early iterator error into an
// ERROR element.
func TestStreamErrorBeforeCommit(t *testing.T) {
	srv := enumServer(t, func() cimom.Objects {
		return manySets(3, cim.Errorf(cim.StatusFailed, "store lost"))
	}, 0)
	resp := postFixture(t, srv, enumFixture, nil)
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `<ERROR CODE="1" DESCRIPTION="store lost"></ERROR>`) ||
		strings.Contains(string(body), "VALUE.NAMEDINSTANCE") {
		t.Errorf("answer = %s, want only the ERROR element", body)
	}
}

// TestStreamErrorWithTrailers reports a late error in the CIMStatusCode
// trailer when the client accepts trailers.
func TestStreamErrorWithTrailers(t *testing.T) {
	srv := enumServer(t, func() cimom.Objects {
		return manySets(300, cim.Errorf(cim.StatusNotFound, "gone"))
	}, 4096)
	resp := postFixture(t, srv, enumFixture, http.Header{"Te": {"trailers"}})
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	checkWellFormed(t, body)
	if got := resp.Trailer.Get("CIMStatusCode"); got != "6" {
		t.Errorf("CIMStatusCode trailer = %q, want 6 (trailers %v)", got, resp.Trailer)
	}
	if got := resp.Trailer.Get("CIMStatusDescription"); got != "gone" {
		t.Errorf("CIMStatusDescription trailer = %q, want gone", got)
	}
}

// TestStreamErrorAborts cuts the connection on a late error when the
// client cannot take trailers, so that the answer cannot look complete.
func TestStreamErrorAborts(t *testing.T) {
	srv := enumServer(t, func() cimom.Objects {
		return manySets(300, cim.Errorf(cim.StatusFailed, "store lost"))
	}, 4096)
	resp := postFixture(t, srv, enumFixture, nil)
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Errorf("reading the answer succeeded (%d bytes), want a truncated stream", len(body))
	}
}

// TestWriteResponseStreamError reports a late error to callers of
// WriteResponse.
func TestWriteResponseStreamError(t *testing.T) {
	_, body := readFixture(t, enumFixture)
	call, err := Decode(bytes.NewReader(body), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	resp := &cimom.Response{Objects: manySets(50, io.ErrUnexpectedEOF)}
	err = WriteResponse(&out, call, resp, nil, EncodeOptions{BufferBytes: 1000})
	var se *StreamError
	if !errors.As(err, &se) || se.Err != io.ErrUnexpectedEOF {
		t.Fatalf("WriteResponse error = %v, want a StreamError wrapping unexpected EOF", err)
	}
	checkWellFormed(t, out.Bytes())
}
