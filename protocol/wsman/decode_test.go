package wsman

import (
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cimom"
)

// TestDecodeCalls decodes requests the fixture clients could not produce.
func TestDecodeCalls(t *testing.T) {
	dmtfVM := `<a:ReferenceParameters><w:ResourceURI>` + prefixDMTF + `Msvm_ComputerSystem</w:ResourceURI><w:SelectorSet>` +
		`<w:Selector Name="CreationClassName">Msvm_ComputerSystem</w:Selector><w:Selector Name="Name">vm-a</w:Selector>` +
		`<w:Selector Name="__cimnamespace">root/other</w:Selector></w:SelectorSet></a:ReferenceParameters>`
	tests := []struct {
		name, action, uri, headers, body string
		want                             callSummary
	}{
		{"static method", uriRS + "/Reset", uriRS, "", "",
			callSummary{Kind: KindInvoke, Op: cimom.InvokeMethod, Namespace: testNS, Class: rsName,
				Object: "/root/hypervcluster/v2:Msvm_RedundancySet", Method: "Reset"}},
		{"reference parameter in another namespace", uriRS + "/Failover", uriRS, selRS1,
			`<p:Failover_INPUT xmlns:p="` + uriRS + `"><p:FailoverFrom>` + dmtfVM + `</p:FailoverFrom></p:Failover_INPUT>`,
			callSummary{Kind: KindInvoke, Op: cimom.InvokeMethod, Namespace: testNS, Object: rsOne, Method: "Failover",
				Values: `FailoverFrom=reference:/root/other:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="vm-a"`}},
		{"associators with properties and expiry", actionEnumerate, prefixWMI + "root/hypervcluster/v2/Msvm_ComputerSystem", "",
			enumerateXML(`<n:Expires>PT90.5S</n:Expires>` + filterXML(dialectAssoc, `<b:AssociatedInstances><b:Object>`+
				`<a:EndpointReference><a:Address>`+addrAnonymous+`</a:Address><a:ReferenceParameters><w:ResourceURI>`+uriRS+
				`</w:ResourceURI>`+selRS1+`</a:ReferenceParameters></a:EndpointReference></b:Object>`+
				`<b:IncludeResultProperty>Name</b:IncludeResultProperty></b:AssociatedInstances>`)),
			callSummary{Kind: KindEnumerate, Op: cimom.OpenAssociatorInstances, Namespace: testNS, Object: rsOne,
				Assoc: "/Msvm_ComputerSystem//", PropertyList: []string{"Name"}}},
		{"CQL filter", actionEnumerate, uriRS, "", enumFilter(dialectCQL, "SELECT * FROM Msvm_RedundancySet"),
			callSummary{Kind: KindEnumerate, Op: cimom.OpenQueryInstances, Namespace: testNS, Class: rsName,
				Query: "DMTF:CQL:SELECT * FROM Msvm_RedundancySet"}},
		{"selector filter with backslash", actionEnumerate, uriRS, "", enumFilter(dialectSelector,
			`<w:SelectorSet><w:Selector Name="InstanceID">a\b</w:Selector></w:SelectorSet>`),
			callSummary{Kind: KindEnumerate, Op: cimom.OpenQueryInstances, Namespace: testNS, Class: rsName,
				Query: `WQL:SELECT * FROM Msvm_RedundancySet WHERE InstanceID = 'a\\b'`}},
		{"pull with MaxTime shorter than the timeout", actionPull, uriRS, `<w:OperationTimeout>PT60S</w:OperationTimeout>`,
			`<n:Pull><n:EnumerationContext>c#QueryObjectAndEPR</n:EnumerationContext><n:MaxTime>PT5S</n:MaxTime></n:Pull>`,
			callSummary{Kind: KindPull, Op: cimom.PullInstances, Namespace: testNS, Context: "c", MaxElements: 1,
				Mode: EnumerateObjectAndEPR, Timeout: 5 * time.Second}},
		{"pretty-printed selectors", actionGet, uriRS, "<w:SelectorSet>\n  <w:Selector Name=\"InstanceID\">\n    Microsoft:RS-1\n  </w:Selector>\n</w:SelectorSet>", "",
			callSummary{Kind: KindGet, Op: cimom.GetInstance, Namespace: testNS, Object: rsOne}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := DecodeEnvelope(strings.NewReader(envelopeText(tt.action, tt.uri, tt.headers, tt.body)), "")
			if err != nil {
				t.Fatal(err)
			}
			c, err := env.Call(testNS)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(env, c)); diff != "" {
				t.Errorf("decoded call (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPermissions checks which role each operation needs.
func TestPermissions(t *testing.T) {
	tests := []struct {
		user, action, body string
		status             int
	}{
		{"reader", actionGet, "", http.StatusOK},
		{"operator", uriRS + "/Failover", "", http.StatusOK},
		{"operator", uriRS + "/Reset", "", http.StatusInternalServerError},
		{"operator", actionPut, `<p:Msvm_RedundancySet xmlns:p="` + uriRS + `"><p:LoadBalanceAlgorithm>3</p:LoadBalanceAlgorithm></p:Msvm_RedundancySet>`, http.StatusOK},
		{"operator", actionDelete, "", http.StatusInternalServerError},
		{"admin", actionDelete, "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.user+" "+tt.action, func(t *testing.T) {
			rec := serve(newTestHandler(newFake(1), Options{}), soapRequest(tt.user, envelopeText(tt.action, uriRS, selRS1, tt.body)))
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d:\n%s", rec.Code, tt.status, rec.Body)
			}
		})
	}
}

var errTest = errors.New("test failure")

// TestPutAnswer checks that Put answers with the instance read back, or
// with an empty body when it cannot be read.
func TestPutAnswer(t *testing.T) {
	put := `<p:Msvm_RedundancySet xmlns:p="` + uriRS + `"><p:LoadBalanceAlgorithm>3</p:LoadBalanceAlgorithm></p:Msvm_RedundancySet>`
	for _, rereads := range []bool{true, false} {
		fake := newFake(1)
		if !rereads {
			fake.fail[cimom.GetInstance] = errTest
		}
		rec := serve(newTestHandler(fake, Options{}), adminRequest(actionPut, uriRS, selRS1, put))
		hasInstance := strings.Contains(rec.Body.String(), "<p:Msvm_RedundancySet")
		if rec.Code != http.StatusOK || hasInstance != rereads {
			t.Errorf("re-read %v: status %d, instance in answer %v", rereads, rec.Code, hasInstance)
		}
		if got := [2]cimom.Operation{fake.requests[0].Op, fake.requests[1].Op}; got != [2]cimom.Operation{cimom.ModifyInstance, cimom.GetInstance} {
			t.Errorf("re-read %v: operations %v, want ModifyInstance then GetInstance", rereads, got)
		}
	}
}

// TestIdentifyProfiles checks the security profiles of an authenticated
// Identify over plain HTTP and over TLS.
func TestIdentifyProfiles(t *testing.T) {
	for _, overTLS := range []bool{false, true} {
		r := soapRequest("reader", identifyBody)
		if overTLS {
			r.TLS = &tls.ConnectionState{}
		}
		body := serve(newTestHandler(newFake(1), Options{}), r).Body.String()
		if !strings.Contains(body, profileHTTPBasic) || strings.Contains(body, profileHTTPSBasic) != overTLS {
			t.Errorf("TLS %v: profiles in\n%s", overTLS, body)
		}
	}
}
