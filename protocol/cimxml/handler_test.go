package cimxml

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// newPost builds a CIM-XML request as pywbem would send it.
func newPost(body, method, object string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/cimom", strings.NewReader(body))
	r.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	r.Header.Set("CIMOperation", "MethodCall")
	r.Header.Set("CIMMethod", method)
	r.Header.Set("CIMObject", object)
	r.SetBasicAuth("user", "pass")
	return r
}

func enumerateQualifiers() *http.Request {
	return newPost(imethod("EnumerateQualifiers", ""), "EnumerateQualifiers", ns)
}

// httpErrorCases are requests answered without a CIM-XML message.
var httpErrorCases = []struct {
	name       string
	opts       Options
	req        func(t *testing.T) *http.Request
	wantStatus int
	wantHeader map[string]string
}{
	{"no credentials", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Header.Del("Authorization")
		return r
	}, 401, map[string]string{"WWW-Authenticate": auth.Challenge}},
	{"no credentials and no CIMOperation", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Header.Del("Authorization")
		r.Header.Del("CIMOperation")
		return r
	}, 401, map[string]string{"WWW-Authenticate": auth.Challenge}},
	{"no credentials and a GET", Options{}, func(t *testing.T) *http.Request {
		return httptest.NewRequest(http.MethodGet, "/cimom", nil)
	}, 401, map[string]string{"WWW-Authenticate": auth.Challenge}},
	{"wrong password", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.SetBasicAuth("user", "nope")
		return r
	}, 401, map[string]string{"WWW-Authenticate": auth.Challenge}},
	{"authenticator failing", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.SetBasicAuth("broken", "pass")
		return r
	}, 503, nil},
	{"GET", Options{}, func(t *testing.T) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/cimom", nil)
		r.SetBasicAuth("user", "pass")
		return r
	}, 405, map[string]string{"Allow": "POST, M-POST"}},
	{"no CIMOperation", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Header.Del("CIMOperation")
		return r
	}, 400, map[string]string{"CIMError": "unsupported-operation"}},
	{"CIMOperation MethodResponse", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Header.Set("CIMOperation", "MethodResponse")
		return r
	}, 400, map[string]string{"CIMError": "unsupported-operation"}},
	{"protocol version 2", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Header.Set("CIMProtocolVersion", "2.0")
		return r
	}, 501, map[string]string{"CIMError": "unsupported-protocol-version"}},
	{"JSON body", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Header.Set("Content-Type", "application/json")
		return r
	}, 415, nil},
	{"Latin-1 body", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Header.Set("Content-Type", "text/xml; charset=iso-8859-1")
		return r
	}, 415, nil},
	{"no CIMMethod", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Header.Del("CIMMethod")
		return r
	}, 400, map[string]string{"CIMError": "header-mismatch"}},
	{"CIMMethod of another operation", Options{}, func(t *testing.T) *http.Request {
		return newPost(imethod("EnumerateQualifiers", ""), "GetClass", ns)
	}, 400, map[string]string{"CIMError": "header-mismatch"}},
	{"no CIMObject", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Header.Del("CIMObject")
		return r
	}, 400, map[string]string{"CIMError": "header-mismatch"}},
	{"CIMObject of another namespace", Options{}, func(t *testing.T) *http.Request {
		return newPost(imethod("EnumerateQualifiers", ""), "EnumerateQualifiers", "root/interop")
	}, 400, map[string]string{"CIMError": "header-mismatch"}},
	{"CIMObject of another instance", Options{}, func(t *testing.T) *http.Request {
		_, body := readFixture(t, "pywbem--InvokeMethod-Failover--1.http")
		return newPost(string(body), "Failover", ns+`:Msvm_RedundancySet.InstanceID="Microsoft:RS-2"`)
	}, 400, map[string]string{"CIMError": "header-mismatch"}},
	{"CIMObject of an instance of another class", Options{}, func(t *testing.T) *http.Request {
		_, body := readFixture(t, "pywbem--InvokeMethod-Failover--1.http")
		return newPost(string(body), "Failover", ns+`:Msvm_ComputerSystem.InstanceID="Microsoft:RS-1"`)
	}, 400, map[string]string{"CIMError": "header-mismatch"}},
	{"malformed XML", Options{}, func(t *testing.T) *http.Request {
		return newPost("<CIM", "EnumerateQualifiers", ns)
	}, 400, map[string]string{"CIMError": "request-not-well-formed"}},
	{"body past the cap of the server", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Body = http.MaxBytesReader(nil, r.Body, 50) // as the server caps every body
		return r
	}, 413, nil},
	{"M-POST without Man", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Method = "M-POST"
		return r
	}, 510, nil},
	{"M-POST with unprefixed headers", Options{}, func(t *testing.T) *http.Request {
		r := enumerateQualifiers()
		r.Method = "M-POST"
		r.Header.Set("Man", manExtension+" ; ns=73")
		return r
	}, 400, map[string]string{"73-CIMError": "unsupported-operation"}},
}

// TestHandlerHTTPErrors checks the answers that are not CIM-XML messages.
func TestHandlerHTTPErrors(t *testing.T) {
	for _, tc := range httpErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newTestHandler(tc.opts).ServeHTTP(rec, tc.req(t))
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d (CIMError %q)", rec.Code, tc.wantStatus, rec.Header().Get("CIMError"))
			}
			for k, v := range tc.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if rec.Body.Len() != 0 {
				t.Errorf("body = %q, want none", rec.Body.String())
			}
		})
	}
}

// TestHandlerWithoutDoor refuses everything when no door established the
// caller.
func TestHandlerWithoutDoor(t *testing.T) {
	rec := httptest.NewRecorder()
	NewHandler(cimom.HandlerFunc(fakeManager), Options{}).ServeHTTP(rec, enumerateQualifiers())
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != auth.Challenge {
		t.Errorf("status = %d, challenge %q; want 401 with %q", rec.Code, rec.Header().Get("WWW-Authenticate"), auth.Challenge)
	}
}

// errorCode runs req and returns the CODE of the ERROR element, "" when
// the answer has none.
func errorCode(t *testing.T, h http.Handler, req *http.Request) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d (CIMError %q), want 200", rec.Code, rec.Header().Get("CIMError"))
	}
	body := rec.Body.String()
	i := strings.Index(body, `<ERROR CODE="`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(`<ERROR CODE="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestHandlerAuthorization checks the role each operation needs.
func TestHandlerAuthorization(t *testing.T) {
	fixtures := map[string]string{
		"read":      "pywbem--GetInstance--1.http",
		"failover":  "pywbem--InvokeMethod-Failover--1.http",
		"modify":    "pywbem--ModifyInstance--1.http",
		"configure": "create",
	}
	tests := []struct {
		user, action, wantCode string
	}{
		{"reader", "read", ""},
		{"reader", "failover", "2"},
		{"reader", "modify", "2"},
		{"operator", "failover", ""},
		{"operator", "modify", ""},
		{"operator", "configure", "2"},
		{"admin", "configure", ""},
	}
	h := newTestHandler(Options{})
	for _, tc := range tests {
		t.Run(tc.user+" "+tc.action, func(t *testing.T) {
			var req *http.Request
			if fixtures[tc.action] == "create" {
				req = newPost(imethod("CreateInstance", `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="Msvm_RedundancySet"></INSTANCE></IPARAMVALUE>`),
					"CreateInstance", ns)
			} else {
				req, _ = readFixture(t, fixtures[tc.action])
			}
			req.SetBasicAuth(tc.user, "pass")
			if got := errorCode(t, h, req); got != tc.wantCode {
				t.Errorf("ERROR CODE = %q, want %q", got, tc.wantCode)
			}
		})
	}
}

// TestHandlerPassesPrincipal checks the context and request the object
// manager sees.
func TestHandlerPassesPrincipal(t *testing.T) {
	var got cimom.Principal
	var gotReq *cimom.Request
	h := guarded(cimom.HandlerFunc(func(ctx context.Context, req *cimom.Request) (*cimom.Response, error) {
		got, _ = cimom.PrincipalFrom(ctx)
		gotReq = req
		return &cimom.Response{}, nil
	}), Options{})
	req, _ := readFixture(t, "wbemcli--ModifyInstance--2.http")
	req.SetBasicAuth("operator", "pass")
	req.RemoteAddr = "192.0.2.1:40000"
	if code := errorCode(t, h, req); code != "" {
		t.Fatalf("ERROR CODE = %s, want none", code)
	}
	want := cimom.Principal{User: "operator", Role: "operator", Address: "192.0.2.1:40000", Protocol: "cimxml"}
	if got != want {
		t.Errorf("principal = %+v, want %+v", got, want)
	}
	if gotReq == nil || gotReq.Op != cimom.ModifyInstance || !gotReq.ObjectName.Equal(rsPath) {
		t.Errorf("request = %+v, want ModifyInstance of %s", gotReq, rsPath)
	}
}

// TestHandlerCIMErrors checks errors answered inside the message.
func TestHandlerCIMErrors(t *testing.T) {
	failing := func(err error) http.Handler {
		return guarded(cimom.HandlerFunc(func(context.Context, *cimom.Request) (*cimom.Response, error) {
			return nil, err
		}), Options{})
	}
	tests := []struct {
		name     string
		h        http.Handler
		req      *http.Request
		wantCode string
		wantDesc string
	}{
		{"unknown operation", newTestHandler(Options{}), newPost(imethod("DeleteClass", ""), "DeleteClass", ns), "7", "not supported"},
		{"bad parameter", newTestHandler(Options{}), newPost(imethod("GetInstance", ""), "GetInstance", ns), "4", "missing parameter InstanceName"},
		{"CIM error of the object manager", failing(cim.Errorf(cim.StatusNotFound, "no such set")), enumerateQualifiers(), "6", "no such set"},
		{"other error of the object manager", failing(io.ErrUnexpectedEOF), enumerateQualifiers(), "1", "internal error"},
		{"no result", guarded(cimom.HandlerFunc(func(context.Context, *cimom.Request) (*cimom.Response, error) {
			return &cimom.Response{}, nil
		}), Options{}), newPost(imethod("GetClass", `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="X"/></IPARAMVALUE>`), "GetClass", ns), "1", "internal error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, tc.req)
			body := rec.Body.String()
			if rec.Code != 200 || !strings.Contains(body, `<ERROR CODE="`+tc.wantCode+`" DESCRIPTION="`) || !strings.Contains(body, tc.wantDesc) {
				t.Errorf("got %d %s, want 200 with ERROR CODE %s and %q", rec.Code, body, tc.wantCode, tc.wantDesc)
			}
			if !strings.Contains(body, `<MESSAGE ID="42" PROTOCOLVERSION="1.0">`) {
				t.Errorf("answer does not echo the message ID: %s", body)
			}
		})
	}
}

// TestHandlerMPost serves an M-POST request with prefixed headers.
func TestHandlerMPost(t *testing.T) {
	r := httptest.NewRequest("M-POST", "/cimom", strings.NewReader(imethod("EnumerateQualifiers", "")))
	r.Header.Set("Man", `"`+manExtension+`"; ns=73`)
	r.Header.Set("73-CIMOperation", "MethodCall")
	r.Header.Set("73-CIMMethod", "EnumerateQualifiers")
	r.Header.Set("73-CIMObject", "root%2Fhypervcluster%2Fv2")
	r.SetBasicAuth("user", "pass")
	rec := httptest.NewRecorder()
	newTestHandler(Options{}).ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Fatalf("status = %d (CIMError %q), want 200", rec.Code, rec.Header().Get("73-CIMError"))
	}
	if got := rec.Header().Get("73-CIMOperation"); got != "MethodResponse" {
		t.Errorf("73-CIMOperation = %q, want MethodResponse", got)
	}
	if _, ok := rec.Header()["Ext"]; !ok {
		t.Errorf("no Ext header in the answer to M-POST")
	}
}

// TestHandlerKeepAlive sends two requests over one connection.
func TestHandlerKeepAlive(t *testing.T) {
	srv := httptest.NewServer(newTestHandler(Options{}))
	defer srv.Close()
	reused := []bool{}
	for range 2 {
		req := enumerateQualifiers()
		req.RequestURI = ""
		req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(srv.URL, "http://")
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Errorf("status %d close %v, want 200 and a kept connection", resp.StatusCode, resp.Close)
		}
	}
	if len(reused) != 2 || !reused[1] {
		t.Errorf("connection reuse = %v, want the second request on the first connection", reused)
	}
}

// TestHandlerCIMObjectForms accepts the spellings clients use for the
// CIMObject of an extrinsic call.
func TestHandlerCIMObjectForms(t *testing.T) {
	_, failover := readFixture(t, "pywbem--InvokeMethod-Failover--1.http")
	numeric := message(`<METHODCALL NAME="Failover"><LOCALINSTANCEPATH>` + nsPath +
		`<INSTANCENAME CLASSNAME="Msvm_RedundancySet"><KEYBINDING NAME="N"><KEYVALUE VALUETYPE="numeric">5</KEYVALUE></KEYBINDING></INSTANCENAME>` +
		`</LOCALINSTANCEPATH></METHODCALL>`)
	tests := []struct{ name, body, object string }{
		{"raw", string(failover), ns + `:Msvm_RedundancySet.InstanceID="Microsoft:RS-1"`},
		{"percent-encoded", string(failover), `root%2Fhypervcluster%2Fv2%3AMsvm_RedundancySet.InstanceID=%22Microsoft%3ARS-1%22`},
		{"with host and other case", string(failover), `//h/ROOT/HyperVCluster/v2:msvm_redundancyset.instanceid="Microsoft:RS-1"`},
		{"quoted number", numeric, ns + `:Msvm_RedundancySet.N="5"`},
		{"bare number", numeric, ns + `:Msvm_RedundancySet.N=5`},
	}
	h := newTestHandler(Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, newPost(tc.body, "Failover", tc.object))
			if rec.Code != 200 || strings.Contains(rec.Body.String(), "<ERROR") {
				t.Errorf("status %d (CIMError %q), body %s; want 200 without error", rec.Code, rec.Header().Get("CIMError"), rec.Body.String())
			}
		})
	}
}
