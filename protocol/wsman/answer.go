package wsman

import (
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/redset/redset/cim"
)

// fault writes the body of a SOAP 1.2 fault (SOAP 1.2 part 1 clause 5.4,
// DSP0226 clause 14): code and subcode, the reason in English, and a
// detail with the w:FaultDetail URI and, for errors of the object manager,
// a CIM_Error instance carrying the CIM status (DSP0227's error mapping).
func (w *writer) fault(f *Fault) {
	spec := f.Kind.spec()
	w.start("s", "Fault")
	w.start("s", "Code")
	w.elem("s", "Value", spec.code)
	if spec.subcode != "" {
		w.start("s", "Subcode")
		w.start("s", "Value")
		if strings.HasPrefix(spec.subcode, pfxWSE+":") {
			w.attr("xmlns:"+pfxWSE, nsWSE)
		}
		w.text(spec.subcode)
		w.end()
		w.end()
	}
	w.end()
	w.start("s", "Reason")
	w.start("s", "Text")
	w.attr("xml:lang", "en-US")
	w.text(f.reason())
	w.end()
	w.end()
	if f.Detail != "" || f.Status != cim.StatusOK {
		w.faultDetail(f)
	}
	w.end()
}

func (w *writer) faultDetail(f *Fault) {
	w.start("s", "Detail")
	if f.Detail != "" {
		w.elem(pfxWSMan, "FaultDetail", f.Detail)
	}
	if f.Status != cim.StatusOK {
		w.start("p", "CIM_Error")
		w.attr("xmlns:p", nsCIMError)
		w.elem("p", "OwningEntity", "redset")
		w.elem("p", "Message", f.reason())
		w.elem("p", "CIMStatusCode", strconv.Itoa(int(f.Status)))
		w.elem("p", "CIMStatusCodeDescription", f.Status.String())
		w.end()
	}
	w.end()
}

// notUnderstood returns the header writer of a MustUnderstand fault: one
// s:NotUnderstood per mandatory header that was not understood (SOAP 1.2
// part 1 clause 5.4.8).
func notUnderstood(names []xml.Name) func(*writer) {
	return func(w *writer) {
		for _, n := range names {
			w.start("s", "NotUnderstood")
			w.attr("qname", "q:"+n.Local)
			w.attr("xmlns:q", n.Space)
			w.end()
		}
	}
}

// identify writes the whole Identify answer (DSP0226 clause 11), which has
// no addressing headers. Unauthenticated answers (MS-WSMV 3.1.4.1.23)
// leave out the product version and the security profiles.
func writeIdentify(w *writer, enc Encoding, id identity) {
	w.w.WriteString(`<?xml version="1.0" encoding="` + enc.String() + `"?>`)
	w.start("s", "Envelope")
	w.attr("xmlns:s", nsSOAP)
	w.attr("xmlns:wsmid", nsWSMID)
	w.empty("s", "Header")
	w.start("s", "Body")
	w.start("wsmid", "IdentifyResponse")
	w.elem("wsmid", "ProtocolVersion", protocolVersion)
	w.elem("wsmid", "ProductVendor", "redset")
	if id.authenticated {
		if id.version != "" {
			w.elem("wsmid", "ProductVersion", id.version)
		}
		w.start("wsmid", "SecurityProfiles")
		w.elem("wsmid", "SecurityProfileName", profileHTTPBasic)
		if id.tls {
			w.elem("wsmid", "SecurityProfileName", profileHTTPSBasic)
		}
		w.end()
	}
	w.end()
	w.end()
	w.end()
}

// identity is what an Identify answer tells.
type identity struct {
	version       string
	authenticated bool
	tls           bool
}
