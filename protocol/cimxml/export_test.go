package cimxml

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redset/redset/cim"
)

// sampleIndication is a lifecycle indication embedding a set before and
// after a change, with text that needs escaping at both levels.
func sampleIndication(t testing.TB) ExportedIndication {
	t.Helper()
	when, err := cim.ParseDateTime("20261206150405.123456+000")
	if err != nil {
		t.Fatal(err)
	}
	set := func(status uint16) cim.Instance {
		return cim.Instance{ClassName: "Msvm_RedundancySet", Properties: []cim.PropertyValue{
			{Name: "InstanceID", Value: cim.NewString("redset:demo-web")},
			{Name: "ElementName", Value: cim.NewString(`web <"primary"> & spare`)},
			{Name: "RedundancyStatus", Value: cim.MustUint16(status)},
			{Name: "TypeOfSet", Value: cim.MustUint16Array([]uint16{4})},
		}}
	}
	return ExportedIndication{
		Instance: cim.Instance{ClassName: "CIM_InstModification", Properties: []cim.PropertyValue{
			{Name: "IndicationIdentifier", Value: cim.NewString("42")},
			{Name: "IndicationTime", Value: cim.NewDateTime(when)},
			{Name: "SourceInstance", Value: cim.Null(cim.String, false)},
			{Name: "SequenceContext", Value: cim.NewString("ctx-1")},
			{Name: "SequenceNumber", Value: cim.MustSint64(7)},
			{Name: "IndicationFilterName", Value: cim.NewString("status changes")},
		}},
		Embedded: []EmbeddedInstance{
			{Property: "SourceInstance", Instance: set(3)},
			{Property: "PreviousInstance", Instance: set(2)},
		},
	}
}

func encodeExport(t testing.TB, id string, x ExportedIndication) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeExport(&buf, id, x); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEncodeExportBody(t *testing.T) {
	body := string(encodeExport(t, "1001", sampleIndication(t)))
	for _, want := range []string{
		`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1001" PROTOCOLVERSION="1.0"><SIMPLEEXPREQ><EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="NewIndication"><INSTANCE CLASSNAME="CIM_InstModification">`,
		`<PROPERTY NAME="IndicationIdentifier" TYPE="string"><VALUE>42</VALUE></PROPERTY>`,
		`<PROPERTY NAME="IndicationTime" TYPE="datetime"><VALUE>20261206150405.123456+000</VALUE></PROPERTY>`,
		// the embedded instance takes the place of the null property
		`<PROPERTY NAME="IndicationTime" TYPE="datetime"><VALUE>20261206150405.123456+000</VALUE></PROPERTY><PROPERTY NAME="SourceInstance" TYPE="string" EmbeddedObject="instance"><VALUE>&lt;INSTANCE CLASSNAME="Msvm_RedundancySet"&gt;&lt;PROPERTY NAME="InstanceID" TYPE="string"&gt;&lt;VALUE&gt;redset:demo-web&lt;/VALUE&gt;`,
		// text escaped twice: once in the inner document, once as its value
		`&lt;VALUE&gt;web &amp;lt;"primary"&amp;gt; &amp;amp; spare&lt;/VALUE&gt;`,
		`<PROPERTY NAME="SequenceNumber" TYPE="sint64"><VALUE>7</VALUE></PROPERTY>`,
		// an embedded instance without a property of its name follows the others
		`<PROPERTY NAME="IndicationFilterName" TYPE="string"><VALUE>status changes</VALUE></PROPERTY><PROPERTY NAME="PreviousInstance" TYPE="string" EmbeddedObject="instance">`,
		`</INSTANCE></EXPPARAMVALUE></EXPMETHODCALL></SIMPLEEXPREQ></MESSAGE></CIM>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks\n%s\nbody:\n%s", want, body)
		}
	}
	if strings.Count(body, `EmbeddedObject="instance"`) != 2 {
		t.Errorf("want two embedded instances in\n%s", body)
	}
}

func TestExportHeader(t *testing.T) {
	h := ExportHeader()
	for name, want := range map[string]string{
		"CIMExport": "MethodRequest", "CIMExportMethod": "ExportIndication",
		"Content-Type": "application/xml; charset=utf-8", "CIMProtocolVersion": "1.0",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestExportRoundTrip(t *testing.T) {
	x := sampleIndication(t)
	call, err := DecodeExport(bytes.NewReader(encodeExport(t, "9", x)), Limits{})
	if err != nil {
		t.Fatalf("DecodeExport: %v", err)
	}
	if call.MessageID != "9" || call.Method != ExportIndication {
		t.Errorf("message %q method %q, want 9 ExportIndication", call.MessageID, call.Method)
	}
	want := x.Instance.Clone()
	want.Properties = append(want.Properties[:2], want.Properties[3:]...) // SourceInstance is embedded
	if a, b := describeInstance(&want), describeInstance(&call.Indication.Instance); a != b {
		t.Errorf("indication\n got %s\nwant %s", b, a)
	}
	if len(call.Indication.Embedded) != 2 {
		t.Fatalf("embedded %d instances, want 2", len(call.Indication.Embedded))
	}
	for _, e := range x.Embedded {
		got, ok := call.Indication.EmbeddedInstance(strings.ToLower(e.Property))
		if !ok {
			t.Fatalf("no instance embedded under %s", e.Property)
		}
		if a, b := describeInstance(&e.Instance), describeInstance(&got); a != b {
			t.Errorf("%s\n got %s\nwant %s", e.Property, b, a)
		}
	}
}

func TestDecodeExportEmbeddedForms(t *testing.T) {
	inner := `&lt;INSTANCE CLASSNAME="Msvm_ComputerSystem"&gt;&lt;PROPERTY NAME="Name" TYPE="string"&gt;&lt;VALUE&gt;web-a&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;`
	tests := []struct {
		name, property string
		embedded       bool
	}{
		{"instance", `<PROPERTY NAME="SourceInstance" TYPE="string" EmbeddedObject="instance"><VALUE>` + inner + `</VALUE></PROPERTY>`, true},
		{"upper-case attribute", `<PROPERTY NAME="SourceInstance" TYPE="string" EMBEDDEDOBJECT="instance"><VALUE>` + inner + `</VALUE></PROPERTY>`, true},
		{"object holding an instance", `<PROPERTY NAME="SourceInstance" TYPE="string" EmbeddedObject="object"><VALUE>` + inner + `</VALUE></PROPERTY>`, true},
		{"cdata", `<PROPERTY NAME="SourceInstance" TYPE="string" EmbeddedObject="instance"><VALUE><![CDATA[<INSTANCE CLASSNAME="Msvm_ComputerSystem"><PROPERTY NAME="Name" TYPE="string"><VALUE>web-a</VALUE></PROPERTY></INSTANCE>]]></VALUE></PROPERTY>`, true},
		{"object holding a class stays text", `<PROPERTY NAME="SourceInstance" TYPE="string" EmbeddedObject="object"><VALUE>&lt;CLASS NAME="X"&gt;&lt;/CLASS&gt;</VALUE></PROPERTY>`, false},
		{"null stays a null property", `<PROPERTY NAME="SourceInstance" TYPE="string" EmbeddedObject="instance"></PROPERTY>`, false},
		{"unmarked stays text", `<PROPERTY NAME="SourceInstance" TYPE="string"><VALUE>` + inner + `</VALUE></PROPERTY>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, err := DecodeExport(strings.NewReader(exportMessage(`<INSTANCE CLASSNAME="CIM_InstCreation">`+tt.property+`</INSTANCE>`)), Limits{})
			if err != nil {
				t.Fatalf("DecodeExport: %v", err)
			}
			got, ok := call.Indication.EmbeddedInstance("SourceInstance")
			_, asProperty := call.Indication.Instance.Get("SourceInstance")
			if ok != tt.embedded || asProperty == tt.embedded {
				t.Fatalf("embedded %v, as a property %v; want embedded %v", ok, asProperty, tt.embedded)
			}
			if v, _ := got.Get("Name"); ok && (got.ClassName != "Msvm_ComputerSystem" || v.Str() != "web-a") {
				t.Errorf("embedded %s", describeInstance(&got))
			}
		})
	}
}

// exportMessage wraps the content of NewIndication in an export request.
func exportMessage(param string) string {
	return exportCall(ExportIndication, `<EXPPARAMVALUE NAME="NewIndication">`+param+`</EXPPARAMVALUE>`)
}

func exportCall(method, params string) string {
	return `<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="5" PROTOCOLVERSION="1.0"><SIMPLEEXPREQ><EXPMETHODCALL NAME="` +
		method + `">` + params + `</EXPMETHODCALL></SIMPLEEXPREQ></MESSAGE></CIM>`
}

func TestDecodeExportErrors(t *testing.T) {
	okParam := `<EXPPARAMVALUE NAME="NewIndication"><INSTANCE CLASSNAME="X"></INSTANCE></EXPPARAMVALUE>`
	tests := []struct {
		name, body string
		status     int    // HTTP status of a *ProtocolError; 0 for a *cim.Error
		cimError   string // CIMError header, or the CIM status name
	}{
		{"not xml", "hello", 400, CIMErrorRequestNotValid},
		{"not well-formed", `<CIM CIMVERSION="2.0" DTDVERSION="2.0">&x;</CIM>`, 400, CIMErrorRequestNotWellFormed},
		{"wrong root", `<MESSAGE/>`, 400, CIMErrorRequestNotValid},
		{"dtd version", `<CIM CIMVERSION="2.0" DTDVERSION="3.0"></CIM>`, 501, CIMErrorUnsupportedDTDVersion},
		{"protocol version", `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="2.0"></MESSAGE></CIM>`, 501, CIMErrorUnsupportedProtocolVersion},
		{"operation request", message(`<IMETHODCALL NAME="X"></IMETHODCALL>`), 400, CIMErrorUnsupportedOperation},
		{"multiple", `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><MULTIEXPREQ></MULTIEXPREQ></MESSAGE></CIM>`, 501, CIMErrorMultipleRequests},
		{"no method name", strings.Replace(exportCall("", okParam), ` NAME=""`, "", 1), 400, CIMErrorRequestNotValid},
		{"truncated", exportCall(ExportIndication, okParam)[:150], 400, CIMErrorRequestNotWellFormed},
		{"trailing content", exportCall(ExportIndication, okParam) + "<x/>", 400, CIMErrorRequestNotWellFormed},
		{"other method", exportCall("ExportAlert", okParam), 0, "CIM_ERR_NOT_SUPPORTED"},
		{"no parameter", exportCall(ExportIndication, ""), 0, "CIM_ERR_INVALID_PARAMETER"},
		{"other parameter", exportCall(ExportIndication, `<EXPPARAMVALUE NAME="Old"><INSTANCE CLASSNAME="X"></INSTANCE></EXPPARAMVALUE>`), 0, "CIM_ERR_INVALID_PARAMETER"},
		{"twice", exportCall(ExportIndication, okParam+okParam), 0, "CIM_ERR_INVALID_PARAMETER"},
		{"empty parameter", exportMessage(""), 0, "CIM_ERR_INVALID_PARAMETER"},
		{"bad value deep inside", exportMessage(`<INSTANCE CLASSNAME="X"><PROPERTY NAME="n" TYPE="uint8"><VALUE>300</VALUE></PROPERTY></INSTANCE>`), 0, "CIM_ERR_INVALID_PARAMETER"},
		{"bad embedded instance", exportMessage(`<INSTANCE CLASSNAME="X"><PROPERTY NAME="S" TYPE="string" EmbeddedObject="instance"><VALUE>&lt;INSTANCE</VALUE></PROPERTY></INSTANCE>`), 0, "CIM_ERR_INVALID_PARAMETER"},
		{"embedded twice", exportMessage(`<INSTANCE CLASSNAME="X"><PROPERTY NAME="S" TYPE="string" EmbeddedObject="instance"><VALUE>&lt;INSTANCE CLASSNAME="Y"/&gt;</VALUE></PROPERTY><PROPERTY NAME="s" TYPE="string"></PROPERTY></INSTANCE>`), 0, "CIM_ERR_INVALID_PARAMETER"},
		{"cim error then broken", exportCall("ExportAlert", okParam)[:180], 400, CIMErrorRequestNotWellFormed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, err := DecodeExport(strings.NewReader(tt.body), Limits{})
			var pe *ProtocolError
			var ce *cim.Error
			switch {
			case tt.status != 0 && errors.As(err, &pe):
				if pe.Status != tt.status || pe.CIMError != tt.cimError {
					t.Errorf("error %v, want HTTP %d %s", err, tt.status, tt.cimError)
				}
			case tt.status == 0 && errors.As(err, &ce):
				if ce.Status.String() != tt.cimError {
					t.Errorf("error %v, want %s", err, tt.cimError)
				}
				if call.MessageID != "5" || call.Method == "" {
					t.Errorf("call %+v: a CIM error keeps the message ID and method", call)
				}
			default:
				t.Errorf("error %v (%T), want HTTP %d %s", err, err, tt.status, tt.cimError)
			}
		})
	}
}

func TestDecodeExportBounded(t *testing.T) {
	big := exportMessage(`<INSTANCE CLASSNAME="X"><PROPERTY NAME="p" TYPE="string"><VALUE>` + strings.Repeat("a", 5000) + `</VALUE></PROPERTY></INSTANCE>`)
	_, err := DecodeExport(strings.NewReader(big), Limits{MaxBytes: 4096})
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("error %v, want HTTP 413", err)
	}
	deep := exportMessage(`<INSTANCE CLASSNAME="X"><PROPERTY NAME="S" TYPE="string" EmbeddedObject="instance"><VALUE>` +
		strings.Repeat("&lt;a&gt;", 100) + `</VALUE></PROPERTY></INSTANCE>`)
	_, err = DecodeExport(strings.NewReader(deep), Limits{MaxDepth: 20})
	if cim.StatusOf(err) != cim.StatusInvalidParameter {
		t.Errorf("deep embedded text: error %v, want CIM_ERR_INVALID_PARAMETER", err)
	}
}

// postExport posts body with the export headers, changed by edit.
func postExport(t *testing.T, url, body string, edit func(http.Header)) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = ExportHeader()
	if edit != nil {
		edit(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// recorder collects what a Listener delivers.
type recorder struct {
	mu  sync.Mutex
	got []ExportedIndication
}

func (r *recorder) deliver(x ExportedIndication) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, x)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func TestListenerDelivers(t *testing.T) {
	var rec recorder
	srv := httptest.NewServer(Listener(rec.deliver))
	defer srv.Close()
	resp, body := postExport(t, srv.URL, string(encodeExport(t, "77", sampleIndication(t))), nil)
	if err := CheckExportResponse(resp, body); err != nil {
		t.Fatalf("CheckExportResponse: %v\n%s", err, body)
	}
	if got := resp.Header.Get("CIMExport"); got != "MethodResponse" {
		t.Errorf("CIMExport = %q, want MethodResponse", got)
	}
	if want := `<MESSAGE ID="77" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="ExportIndication"></EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE>`; !strings.Contains(string(body), want) {
		t.Errorf("answer lacks %s:\n%s", want, body)
	}
	if rec.count() != 1 {
		t.Fatalf("delivered %d, want 1", rec.count())
	}
	if in, ok := rec.got[0].EmbeddedInstance("PreviousInstance"); !ok || in.ClassName != "Msvm_RedundancySet" {
		t.Errorf("PreviousInstance = %v, %v", in, ok)
	}
}

func TestListenerMPost(t *testing.T) {
	var rec recorder
	srv := httptest.NewServer(Listener(rec.deliver))
	defer srv.Close()
	req, _ := http.NewRequest("M-POST", srv.URL, bytes.NewReader(encodeExport(t, "1", sampleIndication(t))))
	req.Header.Set("Man", `"http://www.dmtf.org/cim/mapping/http/v1.0" ; ns=40`)
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	req.Header.Set("40-CIMExport", "MethodRequest")
	req.Header.Set("40-CIMExportMethod", "ExportIndication")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("40-CIMExport") != "MethodResponse" || rec.count() != 1 {
		t.Errorf("HTTP %d, 40-CIMExport %q, delivered %d:\n%s", resp.StatusCode, resp.Header.Get("40-CIMExport"), rec.count(), body)
	}
}

func TestListenerRefuses(t *testing.T) {
	good := string(encodeExport(t, "1", sampleIndication(t)))
	tests := []struct {
		name     string
		body     string
		edit     func(http.Header)
		status   int
		cimError string
	}{
		{"no CIMExport", good, func(h http.Header) { h.Del("CIMExport") }, 400, CIMErrorUnsupportedOperation},
		{"CIMExport of a response", good, func(h http.Header) { h.Set("CIMExport", "MethodResponse") }, 400, CIMErrorUnsupportedOperation},
		{"an operation", good, func(h http.Header) { h.Del("CIMExport"); h.Set("CIMOperation", "MethodCall") }, 400, CIMErrorUnsupportedOperation},
		{"no CIMExportMethod", good, func(h http.Header) { h.Del("CIMExportMethod") }, 400, CIMErrorHeaderMismatch},
		{"CIMExportMethod mismatch", good, func(h http.Header) { h.Set("CIMExportMethod", "ExportAlert") }, 400, CIMErrorHeaderMismatch},
		{"batch", good, func(h http.Header) { h.Set("CIMExportBatch", "") }, 501, CIMErrorMultipleRequests},
		{"protocol version", good, func(h http.Header) { h.Set("CIMProtocolVersion", "2.0") }, 501, CIMErrorUnsupportedProtocolVersion},
		{"content type", good, func(h http.Header) { h.Set("Content-Type", "text/plain") }, 415, ""},
		{"not xml", "junk", nil, 400, CIMErrorRequestNotValid},
		{"not well-formed", `<CIM CIMVERSION="2.0" DTDVERSION="2.0"></MESSAGE>`, nil, 400, CIMErrorRequestNotWellFormed},
		{"too large", exportMessage(`<INSTANCE CLASSNAME="X"><PROPERTY NAME="p" TYPE="string"><VALUE>` + strings.Repeat("a", DefaultExportMaxBytes) + `</VALUE></PROPERTY></INSTANCE>`), nil, 413, ""},
	}
	var rec recorder
	srv := httptest.NewServer(Listener(rec.deliver))
	defer srv.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postExport(t, srv.URL, tt.body, tt.edit)
			if resp.StatusCode != tt.status || resp.Header.Get("CIMError") != tt.cimError {
				t.Errorf("HTTP %d CIMError %q, want %d %q", resp.StatusCode, resp.Header.Get("CIMError"), tt.status, tt.cimError)
			}
			var pe *ProtocolError
			if err := CheckExportResponse(resp, body); !errors.As(err, &pe) || pe.Status != tt.status || pe.CIMError != tt.cimError {
				t.Errorf("CheckExportResponse: %v", err)
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST, M-POST" {
			t.Errorf("HTTP %d Allow %q, want 405 POST, M-POST", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
	if rec.count() != 0 {
		t.Errorf("delivered %d refused requests", rec.count())
	}
}

func TestListenerAnswersCIMErrors(t *testing.T) {
	var rec recorder
	srv := httptest.NewServer(Listener(rec.deliver))
	defer srv.Close()
	tests := []struct {
		name, method, body string
		want               cim.Status
	}{
		{"other method", "ExportAlert", exportCall("ExportAlert", ""), cim.StatusNotSupported},
		{"no NewIndication", ExportIndication, exportCall(ExportIndication, ""), cim.StatusInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postExport(t, srv.URL, tt.body, func(h http.Header) { h.Set("CIMExportMethod", tt.method) })
			err := CheckExportResponse(resp, body)
			var ce *cim.Error
			if resp.StatusCode != 200 || !errors.As(err, &ce) || ce.Status != tt.want || ce.Message == "" {
				t.Errorf("HTTP %d, CheckExportResponse %v; want 200 and %v\n%s", resp.StatusCode, err, tt.want, body)
			}
		})
	}
	if rec.count() != 0 {
		t.Errorf("delivered %d", rec.count())
	}
}

func TestCheckExportResponse(t *testing.T) {
	wrap := func(inner string) string {
		return `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="3" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP>` + inner + `</SIMPLEEXPRSP></MESSAGE></CIM>`
	}
	tests := []struct {
		name   string
		status int
		body   string
		want   string // "" for nil; else a substring of the error
		notExp bool   // wraps ErrNotExportResponse
	}{
		{"empty response", 200, wrap(`<EXPMETHODRESPONSE NAME="ExportIndication"></EXPMETHODRESPONSE>`), "", false},
		{"self-closing", 200, wrap(`<EXPMETHODRESPONSE NAME="ExportIndication"/>`), "", false},
		{"empty return value", 200, wrap(`<EXPMETHODRESPONSE NAME="ExportIndication"><IRETURNVALUE/></EXPMETHODRESPONSE>`), "", false},
		{"error", 200, wrap(`<EXPMETHODRESPONSE NAME="ExportIndication"><ERROR CODE="1" DESCRIPTION="queue full"><INSTANCE CLASSNAME="CIM_Error"></INSTANCE></ERROR></EXPMETHODRESPONSE>`), "CIM_ERR_FAILED: queue full", false},
		{"bad code", 200, wrap(`<EXPMETHODRESPONSE NAME="ExportIndication"><ERROR CODE="x"/></EXPMETHODRESPONSE>`), "CODE", true},
		{"operation response", 200, `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="3" PROTOCOLVERSION="1.0"><SIMPLERSP></SIMPLERSP></MESSAGE></CIM>`, "SIMPLERSP", true},
		{"html", 200, `<html><body>hello</body></html>`, "CIM", true},
		{"empty body", 200, ``, "end of message", true},
		{"server error", 500, ``, "HTTP 500", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Status: strconv.Itoa(tt.status) + " " + http.StatusText(tt.status), Header: http.Header{}}
			err := CheckExportResponse(resp, []byte(tt.body))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one containing %q", err, tt.want)
			case errors.Is(err, ErrNotExportResponse) != tt.notExp:
				t.Errorf("error %v: wraps ErrNotExportResponse %v, want %v", err, !tt.notExp, tt.notExp)
			}
		})
	}
}
