package wsman

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// TestChallenge checks the 401 answers openwsman needs before it sends
// credentials: the one challenge of every protocol.
func TestChallenge(t *testing.T) {
	for _, user := range []string{"", "mallory"} {
		t.Run("user "+user, func(t *testing.T) {
			r := soapRequest(user, envelopeText(actionGet, uriRS, selRS1, ""))
			rec := serve(newTestHandler(newFake(1), Options{}), r)
			if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != auth.Challenge {
				t.Errorf("status %d, WWW-Authenticate %q; want 401 and %q", rec.Code, rec.Header().Get("WWW-Authenticate"), auth.Challenge)
			}
		})
	}
}

// TestWithoutDoor checks that a handler no door stands in front of
// refuses everyone.
func TestWithoutDoor(t *testing.T) {
	rec := httptest.NewRecorder()
	NewHandler(newFake(1), Options{}).ServeHTTP(rec, adminRequest(actionGet, uriRS, selRS1, ""))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != auth.Challenge {
		t.Errorf("status %d, challenge %q; want 401 with the challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}

// TestAuthenticatorFailure checks that a broken user store is 503, not a
// challenge.
func TestAuthenticatorFailure(t *testing.T) {
	h := newTestHandler(newFake(1), Options{})
	rec := serve(h, soapRequest("broken", envelopeText(actionGet, uriRS, selRS1, "")))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("status %d, challenge %q; want 503 without a challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}

const identifyBody = `<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:wsmid="` + nsWSMID + `"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`

// TestUnauthenticatedIdentify checks MS-WSMV's unauthenticated Identify:
// answered without version and profiles, only for Identify.
func TestUnauthenticatedIdentify(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
	}{
		{"identify", identifyBody, http.StatusOK},
		{"get", envelopeText(actionGet, uriRS, selRS1, ""), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := soapRequest("", tt.body)
			r.Header.Set("WSMANIDENTIFY", "unauthenticated")
			rec := serve(newTestHandler(newFake(1), Options{}), r)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status == http.StatusOK {
				body := rec.Body.String()
				if strings.Contains(body, "ProductVersion") || strings.Contains(body, "SecurityProfiles") || !strings.Contains(body, "ProductVendor>redset<") {
					t.Errorf("unauthenticated Identify must name the vendor only:\n%s", body)
				}
			}
		})
	}
}

// TestHTTPRefusals checks the answers given before any SOAP processing.
func TestHTTPRefusals(t *testing.T) {
	big := soapRequest("admin", envelopeText(actionGet, uriRS, selRS1, strings.Repeat(" ", 2000)))
	chunked := soapRequest("admin", envelopeText(actionGet, uriRS, selRS1, strings.Repeat(" ", 2000)))
	chunked.ContentLength = -1
	for _, r := range []*http.Request{big, chunked} {
		r.Body = http.MaxBytesReader(nil, r.Body, 1000) // as the server caps every body
	}
	get := httptest.NewRequest(http.MethodGet, "/wsman", nil)
	get.SetBasicAuth("admin", "pass")
	text := soapRequest("admin", identifyBody)
	text.Header.Set("Content-Type", "text/plain")
	tests := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"too large", big, http.StatusRequestEntityTooLarge},
		{"too large without length", chunked, http.StatusRequestEntityTooLarge},
		{"GET", get, http.StatusMethodNotAllowed},
		{"not XML", text, http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(newTestHandler(newFake(1), Options{}), tt.req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
		})
	}
}

// TestUTF16 sends the same Get in UTF-16 (with a byte order mark, and
// with only a charset parameter) and expects the UTF-8 answer re-encoded
// in the request's encoding.
func TestUTF16(t *testing.T) {
	text := envelopeText(actionGet, uriRS, selRS1, "")
	want := serve(newTestHandler(newFake(1), Options{}), adminRequest(actionGet, uriRS, selRS1, "")).Body.Bytes()
	tests := []struct {
		name, contentType string
		enc               Encoding
		stripMark         bool
	}{
		{"little-endian with mark", "application/soap+xml;charset=UTF-16", UTF16LE, false},
		{"big-endian by charset", "application/soap+xml;charset=utf-16", UTF16BE, true},
		{"little-endian by charset", "application/soap+xml;charset=utf-16le", UTF16LE, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fromUTF8(tt.enc, []byte(`<?xml version="1.0" encoding="UTF-16"?>`+text))
			if tt.stripMark {
				body = body[2:]
			}
			r := httptest.NewRequest(http.MethodPost, "/wsman", bytes.NewReader(body))
			r.Header.Set("Content-Type", tt.contentType)
			r.SetBasicAuth("admin", "pass")
			rec := serve(newTestHandler(newFake(1), Options{}), r)
			if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || ct != "application/soap+xml;charset=UTF-16" {
				t.Fatalf("status %d, Content-Type %q; want 200 and UTF-16:\n%s", rec.Code, ct, rec.Body)
			}
			got, err := toUTF8(tt.enc, rec.Body.Bytes()[2:])
			wantText := strings.Replace(string(want), `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
			if err != nil || string(got) != wantText {
				t.Errorf("UTF-16 answer (%v) decodes to\n%s\nwant\n%s", err, got, wantText)
			}
		})
	}
}

// TestOperationTimeout checks that an object manager slower than the
// client's OperationTimeout gives w:TimedOut. The clock is synctest's.
func TestOperationTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := newFake(1)
		fake.block = true
		req := adminRequest(actionGet, uriRS, `<w:OperationTimeout>PT30S</w:OperationTimeout>`+selRS1, "")
		f := parseFault(t, serve(newTestHandler(fake, Options{}), req))
		if got := f.Body.Fault.Code.Subcode.Value; got != "wsman:TimedOut" {
			t.Errorf("subcode %q, want wsman:TimedOut", got)
		}
	})
}

// A request marked "WSMANIDENTIFY: unauthenticated" that is no SOAP POST
// is refused before anything else is judged.
func TestUnauthenticatedIdentifyNeedsASOAPPost(t *testing.T) {
	get := httptest.NewRequest(http.MethodGet, "/wsman", nil)
	text := soapRequest("", identifyBody)
	text.Header.Set("Content-Type", "text/plain")
	for _, r := range []*http.Request{get, text} {
		r.Header.Set("WSMANIDENTIFY", "unauthenticated")
		rec := serve(newTestHandler(newFake(1), Options{}), r)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != auth.Challenge {
			t.Errorf("%s %s: %d, want 401 with the challenge", r.Method, r.Header.Get("Content-Type"), rec.Code)
		}
	}
}

// TestClientGoneIsNoInternalError: an operation abandoned because the
// client left is logged at debug, not as an internal error; a failure while
// the client waits still is.
func TestClientGoneIsNoInternalError(t *testing.T) {
	for _, gone := range []bool{true, false} {
		var logs bytes.Buffer
		fake := newFake(1)
		fake.fail[cimom.GetInstance] = cim.Errorf(cim.StatusFailed, "operation abandoned: context canceled")
		h := newTestHandler(fake, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		req := adminRequest(actionGet, uriRS, selRS1, "")
		if gone {
			ctx, cancel := context.WithCancel(req.Context())
			cancel()
			req = req.WithContext(ctx)
		}
		serve(h, req)
		if warned := strings.Contains(logs.String(), "internal error"); warned == gone {
			t.Errorf("client gone %v: logged %q; want the internal error warned only while the client waits", gone, logs.String())
		}
	}
}
