package wsman

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// TestTimeoutAfterAbandonedOperation checks the object manager's way of
// reporting an operation abandoned at the client's OperationTimeout: a
// CIM_ERR_FAILED, which must still become w:TimedOut, not w:InternalError.
func TestTimeoutAfterAbandonedOperation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		om := cimom.HandlerFunc(func(ctx context.Context, _ *cimom.Request) (*cimom.Response, error) {
			<-ctx.Done()
			return nil, cim.Errorf(cim.StatusFailed, "operation abandoned: %v", ctx.Err())
		})
		h := NewHandler(authorizing(om), Options{})
		req := adminRequest(actionGet, uriRS, `<w:OperationTimeout>PT5S</w:OperationTimeout>`+selRS1, "")
		f := parseFault(t, serve(h, req))
		if got := f.Body.Fault.Code.Subcode.Value; got != "wsman:TimedOut" {
			t.Errorf("subcode %q, want wsman:TimedOut (reason %q)", got, f.Body.Fault.Reason.Text)
		}
	})
}

// methodCIMOM serves GetClass for a keyed class with an instance method
// and a static one, and refuses instance methods called without keys as
// the object manager does.
func methodCIMOM(ctx context.Context, req *cimom.Request) (*cimom.Response, error) {
	switch req.Op {
	case cimom.GetClass:
		c := keyClass("Msvm_RedundancySet", "InstanceID")
		c.Methods = []cim.Method{{Name: "Failover", ReturnType: cim.Uint32},
			{Name: "Reset", ReturnType: cim.Uint32, Qualifiers: cim.Qualifiers{{Name: "Static", Value: cim.NewBool(true)}}}}
		return &cimom.Response{Class: c}, nil
	case cimom.InvokeMethod:
		if len(req.ObjectName.Keys) == 0 && req.Method == "Failover" {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "method Failover is not static")
		}
		return &cimom.Response{ReturnValue: cim.MustUint32(0)}, nil
	}
	return nil, cim.Errorf(cim.StatusNotSupported, "%s", req.Op)
}

// TestInvokeWithoutSelectors checks a custom action sent without
// selectors: a static method is called on the class, an instance method
// is a w:InvalidSelectors fault saying selectors are missing.
func TestInvokeWithoutSelectors(t *testing.T) {
	tests := []struct {
		method string
		status int
		detail string
	}{
		{"Reset", http.StatusOK, ""},
		{"Failover", http.StatusInternalServerError, DetailInsufficientSelectors},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			h := NewHandler(authorizing(cimom.HandlerFunc(methodCIMOM)), Options{})
			body := `<p:` + tt.method + `_INPUT xmlns:p="` + uriRS + `"/>`
			rec := serve(h, adminRequest(uriRS+"/"+tt.method, uriRS, "", body))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d:\n%s", rec.Code, tt.status, rec.Body)
			}
			if tt.detail == "" {
				return
			}
			f := parseFault(t, rec)
			if got := [2]string{f.Body.Fault.Code.Subcode.Value, f.Body.Fault.Detail.FaultDetail}; got != [2]string{"wsman:InvalidSelectors", tt.detail} {
				t.Errorf("fault %v, want wsman:InvalidSelectors with %s", got, tt.detail)
			}
		})
	}
}

// TestClassPrefixOnEnvelope checks the answer shape Dell's wsl relies on
// for Put and Invoke: when the request names one class, p is bound to its
// resource URI on the Envelope and its instances (and method outputs)
// start with a bare <p:Class> tag; instances of other classes bind p
// themselves; faults and all-classes answers bind nothing on the
// Envelope.
func TestClassPrefixOnEnvelope(t *testing.T) {
	assoc := enumFilter(dialectAssoc, `<b:AssociatedInstances><b:Object><a:Address>`+addrAnonymous+
		`</a:Address><a:ReferenceParameters><w:ResourceURI>`+uriRS+`</w:ResourceURI>`+selRS1+
		`</a:ReferenceParameters></b:Object></b:AssociatedInstances>`)
	optimized := enumerateXML(`<w:OptimizeEnumeration/><w:MaxElements>5</w:MaxElements>`)
	tests := []struct {
		name     string
		req      *http.Request
		envelope string // the p binding expected on the Envelope, "" for none
		contains []string
	}{
		{"get", adminRequest(actionGet, uriRS, selRS1, ""), uriRS, []string{`<s:Body><p:Msvm_RedundancySet><p:InstanceID>`}},
		{"get DMTF", adminRequest(actionGet, uriRSDMTF, selRS1, ""), uriRSDMTF, []string{`<s:Body><p:Msvm_RedundancySet><p:InstanceID>`}},
		{"optimized enumerate", adminRequest(actionEnumerate, uriRS, "", optimized), uriRS, []string{`<wsman:Items><p:Msvm_RedundancySet><p:InstanceID>`}},
		{"invoke", adminRequest(uriRS+"/Failover", uriRS, selRS1, ""), uriRS, []string{`<s:Body><p:Failover_OUTPUT><p:ReturnValue>0</p:ReturnValue>`}},
		{"associators of all classes", adminRequest(actionEnumerate, uriAll, "", assoc), "", nil},
		{"fault", adminRequest(actionGet, uriRS, "", ""), "", []string{`<wsman:FaultDetail>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := serve(newTestHandler(newFake(2), Options{}), tt.req).Body.String()
			envelope := body[:strings.Index(body, "<s:Header>")]
			_, bound, _ := strings.Cut(envelope, ` xmlns:p="`)
			bound, _, _ = strings.Cut(bound, `"`)
			if bound != tt.envelope {
				t.Errorf("the Envelope binds p to %q, want %q:\n%s", bound, tt.envelope, body)
			}
			for _, want := range tt.contains {
				if !strings.Contains(body, want) {
					t.Errorf("the answer lacks %s:\n%s", want, body)
				}
			}
		})
	}
}
