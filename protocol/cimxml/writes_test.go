package cimxml

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// Writes judges every client's request by its headers as the decoder
// judges it by its body: extrinsic calls and intrinsic writes change
// things, the rest reads.
func TestWritesAgreesWithTheBody(t *testing.T) {
	writes := 0
	for _, name := range cimxmlFixtures(t) {
		req, body := readFixture(t, name)
		c, err := Decode(bytes.NewReader(body), Limits{})
		if err != nil || c.Request == nil {
			continue // a request the server refuses is judged by whoever answers it
		}
		want := !c.Intrinsic || c.Request.Op.IsWrite()
		if got := Writes(req); got != want {
			t.Errorf("%s: Writes = %v, want %v (method %s)", name, got, want, c.Method)
		}
		if want {
			writes++
		}
	}
	if writes == 0 {
		t.Error("no fixture is a write; the test proves nothing")
	}
}

func TestWritesHeaders(t *testing.T) {
	tests := []struct {
		method string
		header map[string]string
		want   bool
	}{
		{"POST", map[string]string{"CIMOperation": "MethodCall", "CIMMethod": "GetInstance"}, false},
		{"POST", map[string]string{"CIMOperation": "MethodCall", "CIMMethod": "enumerateinstances"}, false},
		{"POST", map[string]string{"CIMOperation": "MethodCall", "CIMMethod": "ModifyInstance"}, true},
		{"POST", map[string]string{"CIMOperation": "MethodCall", "CIMMethod": "Failover"}, true},
		{"POST", map[string]string{"CIMOperation": "MethodCall", "CIMMethod": "SetProperty"}, true},
		{"POST", map[string]string{"CIMOperation": "MethodCall"}, true},
		{"M-POST", map[string]string{"Man": "http://www.dmtf.org/cim/mapping/http/v1.0;ns=73",
			"73-CIMOperation": "MethodCall", "73-CIMMethod": "GetClass"}, false},
		{"M-POST", map[string]string{"Man": "http://www.dmtf.org/cim/mapping/http/v1.0;ns=73",
			"73-CIMOperation": "MethodCall", "73-CIMMethod": "Failover"}, true},
		{"GET", nil, true},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, "/cimom", nil)
		for k, v := range tc.header {
			r.Header.Set(k, v)
		}
		if got := Writes(r); got != tc.want {
			t.Errorf("%s %v: Writes = %v, want %v", tc.method, tc.header, got, tc.want)
		}
	}
}
