package wsman

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// reqSpec describes a request; build makes a fresh one each time, so the
// table can be run more than once.
type reqSpec struct{ user, envelope string }

func (r reqSpec) build() *http.Request { return soapRequest(r.user, r.envelope) }

func rawEnv(user, envelope string) reqSpec { return reqSpec{user, envelope} }

func adminEnv(action, uri, headers, body string) reqSpec {
	return reqSpec{"admin", envelopeText(action, uri, headers, body)}
}

type faultCase struct {
	name    string
	req     reqSpec
	setup   func(*fakeCIMOM)
	code    string // fault code, default s:Sender
	subcode string
	detail  string
	status  cim.Status // CIM status in the CIM_Error detail; 0 for none
}

func filterXML(dialect, content string) string {
	return `<w:Filter Dialect="` + dialect + `">` + content + `</w:Filter>`
}

func enumFilter(dialect, content string) string { return enumerateXML(filterXML(dialect, content)) }

const numbered = prefixWMI + "root/hypervcluster/v2/Test_Numbered"

// faultCases are the bad requests and the faults they must get.
var faultCases = []faultCase{
	{name: "malformed XML", req: rawEnv("admin", `<s:Envelope xmlns:s="`+nsSOAP+`"><s:Body>`),
		subcode: "wsman:SchemaValidationError"},
	{name: "SOAP 1.1 envelope", req: rawEnv("admin", `<e:Envelope xmlns:e="`+nsSOAP11+`"><e:Body/></e:Envelope>`),
		code: "s:VersionMismatch"},
	{name: "no Body", req: rawEnv("admin", `<s:Envelope xmlns:s="`+nsSOAP+`"><s:Header/></s:Envelope>`),
		subcode: "wsman:SchemaValidationError"},
	{name: "unknown action", req: adminEnv(nsWSEN+"/Renew", uriRS, "", ""), subcode: "wsa:ActionNotSupported"},
	{name: "no action", req: adminEnv("", uriRS, selRS1, ""), subcode: "wsa:MessageInformationHeaderRequired"},
	{name: "action twice", req: adminEnv(actionGet, uriRS, `<a:Action>`+actionGet+`</a:Action>`+selRS1, ""),
		subcode: "wsa:InvalidMessageInformationHeader"},
	{name: "ReplyTo elsewhere", req: adminEnv(actionGet, uriRS,
		`<a:FaultTo><a:Address>http://elsewhere/</a:Address></a:FaultTo>`+selRS1, ""),
		subcode: "wsman:UnsupportedFeature", detail: DetailAddressingMode},
	{name: "unknown resource URI", req: adminEnv(actionGet, "http://example.com/nothing", selRS1, ""),
		subcode: "wsa:DestinationUnreachable", detail: DetailInvalidResourceURI},
	{name: "Get on all classes", req: adminEnv(actionGet, uriAll, selRS1, ""),
		subcode: "wsa:DestinationUnreachable", detail: DetailInvalidResourceURI},
	{name: "instance not found", req: adminEnv(actionGet, uriRS,
		`<w:SelectorSet><w:Selector Name="InstanceID">Microsoft:RS-9</w:Selector></w:SelectorSet>`, ""),
		subcode: "wsa:DestinationUnreachable", status: cim.StatusNotFound},
	{name: "no selectors", req: adminEnv(actionGet, uriRS, "", ""),
		subcode: "wsman:InvalidSelectors", detail: DetailInsufficientSelectors, status: cim.StatusInvalidParameter},
	{name: "selector that is no key", req: adminEnv(actionGet, uriRS, `<w:SelectorSet>`+
		`<w:Selector Name="InstanceID">Microsoft:RS-1</w:Selector><w:Selector Name="Color">red</w:Selector></w:SelectorSet>`, ""),
		subcode: "wsman:InvalidSelectors", detail: DetailUnexpectedSelectors, status: cim.StatusNotFound},
	{name: "selector of the wrong type", req: adminEnv(actionGet, numbered,
		`<w:SelectorSet><w:Selector Name="Id">twelve</w:Selector></w:SelectorSet>`, ""),
		subcode: "wsman:InvalidSelectors", detail: DetailTypeMismatch, status: cim.StatusNotFound},
	{name: "selector twice", req: adminEnv(actionGet, uriRS, `<w:SelectorSet><w:Selector Name="InstanceID">a</w:Selector>`+
		`<w:Selector Name="instanceid">b</w:Selector></w:SelectorSet>`, ""),
		subcode: "wsman:InvalidSelectors", detail: DetailDuplicateSelectors},
	{name: "namespace selector disagrees", req: adminEnv(actionGet, uriRS, `<w:SelectorSet><w:Selector Name="InstanceID">a</w:Selector>`+
		`<w:Selector Name="__cimnamespace">root/cimv2</w:Selector></w:SelectorSet>`, ""),
		subcode: "wsman:InvalidSelectors", detail: DetailUnexpectedSelectors},
	{name: "unknown enumeration context", req: adminEnv(actionPull, uriRS, "", pullBody("no-such", 0)),
		code: "s:Receiver", subcode: "wsen:InvalidEnumerationContext", status: cim.StatusInvalidEnumerationContext},
	{name: "empty enumeration context", req: adminEnv(actionPull, uriRS, "", pullBody("", 0)),
		code: "s:Receiver", subcode: "wsen:InvalidEnumerationContext"},
	{name: "release unknown context", req: adminEnv(actionRelease, uriRS, "",
		`<n:Release><n:EnumerationContext>no-such</n:EnumerationContext></n:Release>`),
		code: "s:Receiver", subcode: "wsen:InvalidEnumerationContext", status: cim.StatusInvalidEnumerationContext},
	{name: "reader may not Put", req: rawEnv("reader", envelopeText(actionPut, uriRS, selRS1,
		`<p:Msvm_RedundancySet xmlns:p="`+uriRS+`"><p:LoadBalanceAlgorithm>3</p:LoadBalanceAlgorithm></p:Msvm_RedundancySet>`)),
		subcode: "wsman:AccessDenied", status: cim.StatusAccessDenied},
	{name: "reader may not fail over", req: rawEnv("reader", envelopeText(uriRS+"/Failover", uriRS, selRS1, "")),
		subcode: "wsman:AccessDenied", status: cim.StatusAccessDenied},
	{name: "operator may not create", req: rawEnv("operator", envelopeText(actionCreate, uriRS, "",
		`<p:Msvm_RedundancySet xmlns:p="`+uriRS+`"><p:InstanceID>x</p:InstanceID></p:Msvm_RedundancySet>`)),
		subcode: "wsman:AccessDenied", status: cim.StatusAccessDenied},
	{name: "object manager denies", req: adminEnv(actionGet, uriRS, selRS1, ""),
		setup:   func(f *fakeCIMOM) { f.fail[cimom.GetInstance] = cim.Errorf(cim.StatusAccessDenied, "no") },
		subcode: "wsman:AccessDenied", status: cim.StatusAccessDenied},
	{name: "envelope limit too small", req: adminEnv(actionGet, uriRS, `<w:MaxEnvelopeSize>4096</w:MaxEnvelopeSize>`+selRS1, ""),
		subcode: "wsman:EncodingLimit", detail: DetailMinimumEnvelopeLimit},
	{name: "answer too large", req: adminEnv(actionGet, uriRS, `<w:MaxEnvelopeSize>8192</w:MaxEnvelopeSize>`+selRS1, ""),
		setup:   func(f *fakeCIMOM) { f.padding = strings.Repeat("x", 9000) },
		subcode: "wsman:EncodingLimit", detail: DetailMaxEnvelopeSize},
	{name: "envelope size not a number", req: adminEnv(actionGet, uriRS, `<w:MaxEnvelopeSize>big</w:MaxEnvelopeSize>`+selRS1, ""),
		subcode: "wsa:InvalidMessageInformationHeader"},
	{name: "bad operation timeout", req: adminEnv(actionGet, uriRS, `<w:OperationTimeout>60</w:OperationTimeout>`+selRS1, ""),
		subcode: "wsa:InvalidMessageInformationHeader", detail: DetailInvalidTimeout},
	{name: "mandatory French", req: adminEnv(actionGet, uriRS, `<w:Locale xml:lang="fr-FR" s:mustUnderstand="true"/>`+selRS1, ""),
		subcode: "wsman:UnsupportedFeature", detail: DetailLocale},
	{name: "option that must be honoured", req: adminEnv(actionGet, uriRS,
		`<w:OptionSet><w:Option Name="ShowExtensions" MustComply="true">true</w:Option></w:OptionSet>`+selRS1, ""),
		subcode: "wsman:InvalidOptions", detail: DetailNotSupported},
	{name: "fragment transfer", req: adminEnv(actionGet, uriRS, `<w:FragmentTransfer s:mustUnderstand="true">p:Name</w:FragmentTransfer>`+selRS1, ""),
		subcode: "wsman:UnsupportedFeature", detail: DetailFragmentLevelAccess},
	{name: "XPath filter", req: adminEnv(actionEnumerate, uriRS, "", enumFilter("", "/p:Name")),
		subcode: "wsen:FilterDialectRequestedUnavailable"},
	{name: "empty WQL filter", req: adminEnv(actionEnumerate, uriAll, "", enumFilter(dialectWQL, "")),
		subcode: "wsen:CannotProcessFilter"},
	{name: "WQL the object manager refuses", req: adminEnv(actionEnumerate, uriAll, "", enumFilter(dialectWQL, "SELECT")),
		setup:   func(f *fakeCIMOM) { f.fail[cimom.OpenQueryInstances] = cim.Errorf(cim.StatusInvalidQuery, "bad") },
		subcode: "wsen:CannotProcessFilter", status: cim.StatusInvalidQuery},
	{name: "selector filter with a quote", req: adminEnv(actionEnumerate, uriRS, "", enumFilter(dialectSelector,
		`<w:SelectorSet><w:Selector Name="InstanceID">it's</w:Selector></w:SelectorSet>`)),
		subcode: "wsen:CannotProcessFilter"},
	{name: "association filter without object", req: adminEnv(actionEnumerate, uriAll, "", enumFilter(dialectAssoc,
		`<b:AssociatedInstances><b:Role>Collection</b:Role></b:AssociatedInstances>`)),
		subcode: "wsen:CannotProcessFilter"},
	{name: "all classes without filter", req: adminEnv(actionEnumerate, uriAll, "", `<n:Enumerate/>`),
		subcode: "wsman:UnsupportedFeature", detail: DetailFilteringRequired},
	{name: "unknown enumeration mode", req: adminEnv(actionEnumerate, uriRS, "",
		`<n:Enumerate><w:EnumerationMode>EnumerateEverything</w:EnumerationMode></n:Enumerate>`),
		subcode: "wsman:UnsupportedFeature", detail: DetailEnumerationMode},
	{name: "zero MaxElements", req: adminEnv(actionPull, uriRS, "",
		`<n:Pull><n:EnumerationContext>ctx</n:EnumerationContext><n:MaxElements>0</n:MaxElements></n:Pull>`),
		subcode: "wsman:SchemaValidationError"},
	{name: "Put of another class", req: adminEnv(actionPut, uriRS, selRS1, `<p:Other xmlns:p="`+uriRS+`"/>`),
		subcode: "wxf:InvalidRepresentation"},
	{name: "Put with an embedded object", req: adminEnv(actionPut, uriRS, selRS1,
		`<p:Msvm_RedundancySet xmlns:p="`+uriRS+`"><p:Caption><p:X>1</p:X></p:Caption></p:Msvm_RedundancySet>`),
		subcode: "wxf:InvalidRepresentation"},
	{name: "method input of another method", req: adminEnv(uriRS+"/Failover", uriRS, selRS1, `<p:Other_INPUT xmlns:p="`+uriRS+`"/>`),
		subcode: "wsman:InvalidParameter"},
	{name: "unknown method", req: adminEnv(uriRS+"/Explode", uriRS, selRS1, ""),
		setup:   func(f *fakeCIMOM) { f.fail[cimom.InvokeMethod] = cim.Errorf(cim.StatusMethodNotFound, "Explode") },
		subcode: "wsa:ActionNotSupported", status: cim.StatusMethodNotFound},
	{name: "object manager failure", req: adminEnv(actionGet, uriRS, selRS1, ""),
		setup: func(f *fakeCIMOM) { f.fail[cimom.GetInstance] = errors.New("disk on fire") },
		code:  "s:Receiver", subcode: "wsman:InternalError", status: cim.StatusFailed},
	{name: "server shutting down", req: adminEnv(actionGet, uriRS, selRS1, ""),
		setup: func(f *fakeCIMOM) { f.fail[cimom.GetInstance] = cim.Errorf(cim.StatusServerIsShuttingDown, "bye") },
		code:  "s:Receiver", subcode: "wsa:EndpointUnavailable", status: cim.StatusServerIsShuttingDown},
}

// TestFaults sends every kind of bad request and checks the SOAP fault:
// HTTP 500, code, subcode, detail and CIM status.
func TestFaults(t *testing.T) {
	for _, tc := range faultCases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(3)
			if tc.setup != nil {
				tc.setup(fake)
			}
			f := parseFault(t, serve(newTestHandler(fake, Options{}), tc.req.build()))
			fault := f.Body.Fault
			wantCode := tc.code
			if wantCode == "" {
				wantCode = "s:Sender"
			}
			got := []string{fault.Code.Value, fault.Code.Subcode.Value, fault.Detail.FaultDetail}
			want := []string{wantCode, tc.subcode, tc.detail}
			if strings.Join(got, " | ") != strings.Join(want, " | ") {
				t.Errorf("code | subcode | detail = %q, want %q (reason %q)", got, want, fault.Reason.Text)
			}
			gotStatus := cim.StatusOK
			if fault.Detail.CIMError != nil {
				gotStatus = cim.Status(fault.Detail.CIMError.CIMStatusCode)
			}
			if gotStatus != tc.status {
				t.Errorf("CIM status %v, want %v", gotStatus, tc.status)
			}
			if fault.Reason.Text == "" {
				t.Error("the fault has no reason text")
			}
		})
	}
}

// TestFaultHeaders checks the addressing of a fault and the NotUnderstood
// header of a MustUnderstand fault, with both spellings of the attribute.
func TestFaultHeaders(t *testing.T) {
	tests := []struct{ name, attr string }{
		{"prefixed", `s:mustUnderstand="true"`},
		{"without prefix", `mustUnderstand="1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := adminRequest(actionGet, uriRS, `<z:Secret xmlns:z="urn:secret" `+tt.attr+`>1</z:Secret>`+selRS1, "")
			f := parseFault(t, serve(newTestHandler(newFake(1), Options{}), req))
			got := []string{f.Body.Fault.Code.Value, f.Header.RelatesTo, f.Header.Action}
			want := []string{"s:MustUnderstand", "uuid:test-1", actionFaultWSA}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("code, RelatesTo, Action = %q, want %q", got, want)
			}
			if len(f.Header.NotUnderstood) != 1 || f.Header.NotUnderstood[0].QName != "q:Secret" {
				t.Errorf("NotUnderstood = %+v, want one for q:Secret", f.Header.NotUnderstood)
			}
		})
	}
}

// TestOptionalUnknownHeader checks that an unknown header that is not
// mandatory is ignored.
func TestOptionalUnknownHeader(t *testing.T) {
	req := adminRequest(actionGet, uriRS, `<z:Note xmlns:z="urn:note" s:mustUnderstand="false">hi</z:Note>`+selRS1, "")
	if rec := serve(newTestHandler(newFake(1), Options{}), req); rec.Code != http.StatusOK {
		t.Errorf("status %d, want 200:\n%s", rec.Code, rec.Body)
	}
}
