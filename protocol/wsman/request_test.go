package wsman

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	uriRS     = prefixWMI + "root/hypervcluster/v2/Msvm_RedundancySet"
	uriRSDMTF = prefixDMTF + "Msvm_RedundancySet"
	uriAll    = prefixWMI + "root/hypervcluster/v2/*"
	selRS1    = `<w:SelectorSet><w:Selector Name="InstanceID">Microsoft:RS-1</w:Selector></w:SelectorSet>`
)

// envelopeText builds a request envelope with the usual addressing headers
// and the given extra headers and body.
func envelopeText(action, uri, headers, body string) string {
	var b strings.Builder
	b.WriteString(`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsWSA + `" xmlns:w="` + nsWSMan +
		`" xmlns:n="` + nsWSEN + `" xmlns:b="` + nsWSMB + `" xmlns:cim="` + nsCIM + `" xmlns:xsi="` + nsXSI + `"><s:Header>`)
	if action != "" {
		b.WriteString(`<a:Action s:mustUnderstand="true">` + action + `</a:Action>`)
	}
	b.WriteString(`<a:To>http://127.0.0.1:5985/wsman</a:To>`)
	if uri != "" {
		b.WriteString(`<w:ResourceURI s:mustUnderstand="true">` + uri + `</w:ResourceURI>`)
	}
	b.WriteString(`<a:MessageID>uuid:test-1</a:MessageID>`)
	b.WriteString(`<a:ReplyTo><a:Address>` + addrAnonymous + `</a:Address></a:ReplyTo>`)
	b.WriteString(headers + `</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
	return b.String()
}

// soapRequest makes an authenticated POST of an envelope as user.
func soapRequest(user, envelope string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(envelope))
	r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if user != "" {
		r.SetBasicAuth(user, "pass")
	}
	return r
}

func adminRequest(action, uri, headers, body string) *http.Request {
	return soapRequest("admin", envelopeText(action, uri, headers, body))
}

// parsedFault is what tests read back from a fault answer.
type parsedFault struct {
	Header struct {
		NotUnderstood []struct {
			QName string `xml:"qname,attr"`
		} `xml:"NotUnderstood"`
		RelatesTo string `xml:"RelatesTo"`
		Action    string `xml:"Action"`
	} `xml:"Header"`
	Body struct {
		Fault *struct {
			Code struct {
				Value   string `xml:"Value"`
				Subcode struct {
					Value string `xml:"Value"`
				} `xml:"Subcode"`
			} `xml:"Code"`
			Reason struct {
				Text string `xml:"Text"`
			} `xml:"Reason"`
			Detail struct {
				FaultDetail string `xml:"FaultDetail"`
				CIMError    *struct {
					CIMStatusCode int `xml:"CIMStatusCode"`
				} `xml:"CIM_Error"`
			} `xml:"Detail"`
		} `xml:"Fault"`
	} `xml:"Body"`
}

func parseFault(t *testing.T, rec *httptest.ResponseRecorder) parsedFault {
	t.Helper()
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500; body:\n%s", rec.Code, rec.Body)
	}
	var f parsedFault
	d := xml.NewDecoder(rec.Body)
	d.CharsetReader = charsetPassThrough
	if err := d.Decode(&f); err != nil || f.Body.Fault == nil {
		t.Fatalf("answer is no fault (%v):\n%s", err, rec.Body)
	}
	return f
}
