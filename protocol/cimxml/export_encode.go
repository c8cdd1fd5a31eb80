package cimxml

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/redset/redset/cim"
)

// ExportIndication is the export method that delivers an indication to a
// listener (DSP0200 clause 9), and NewIndication its one parameter.
const (
	ExportIndication = "ExportIndication"
	NewIndication    = "NewIndication"
)

// EmbeddedInstance is an instance carried by a string property of an
// indication (SourceInstance, PreviousInstance). On the wire it is the
// property's value: the escaped text of an INSTANCE element, marked
// EmbeddedObject="instance" (DSP0201).
type EmbeddedInstance struct {
	Property string
	Instance cim.Instance
}

// ExportedIndication is the indication of one ExportIndication request:
// the indication instance with its own properties (SequenceContext,
// SequenceNumber, IndicationFilterName among them), and its embedded
// instances, kept apart and decoded.
type ExportedIndication struct {
	Instance cim.Instance
	Embedded []EmbeddedInstance
}

// EmbeddedInstance returns the instance embedded under property (names
// compare ignoring case), if any.
func (x ExportedIndication) EmbeddedInstance(property string) (cim.Instance, bool) {
	for _, e := range x.Embedded {
		if strings.EqualFold(e.Property, property) {
			return e.Instance, true
		}
	}
	return cim.Instance{}, false
}

// ExportHeader returns the HTTP headers of an ExportIndication request
// (DSP0200 clause 7.2).
func ExportHeader() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Set("CIMExport", "MethodRequest")
	h.Set("CIMExportMethod", ExportIndication)
	h.Set("CIMProtocolVersion", "1.0")
	return h
}

// EncodeExport writes the body of an ExportIndication request with the
// message ID id (DSP0201):
//
//	<CIM><MESSAGE><SIMPLEEXPREQ><EXPMETHODCALL NAME="ExportIndication">
//	<EXPPARAMVALUE NAME="NewIndication"><INSTANCE>...
//
// The indication's properties come in its order. An embedded instance
// takes the place of the indication's property of the same name, if it
// has one, and follows its properties otherwise; it is written as a
// string property with EmbeddedObject="instance" whose value is the
// escaped INSTANCE element.
func EncodeExport(w io.Writer, id string, x ExportedIndication) error {
	xw := newXMLWriter(w, streamChunk)
	defer xw.release()
	e := &encoder{w: xw}
	e.exportRequest(id, x)
	xw.flush()
	return xw.err
}

// AppendExport appends the body EncodeExport writes to b.
func AppendExport(b []byte, id string, x ExportedIndication) []byte {
	buf := bytes.NewBuffer(b)
	_ = EncodeExport(buf, id, x) // a bytes.Buffer does not fail
	return buf.Bytes()
}

// <!ELEMENT SIMPLEEXPREQ (EXPMETHODCALL)>
// <!ELEMENT EXPMETHODCALL (EXPPARAMVALUE*)>  NAME required
// <!ELEMENT EXPPARAMVALUE (INSTANCE?)>  NAME required
func (e *encoder) exportRequest(id string, x ExportedIndication) {
	e.exportBegin(id, "SIMPLEEXPREQ")
	e.w.start("EXPMETHODCALL")
	e.w.attr("NAME", ExportIndication)
	e.w.gt()
	e.w.start("EXPPARAMVALUE")
	e.w.attr("NAME", NewIndication)
	e.w.gt()
	e.indication(x)
	e.w.raw("</EXPPARAMVALUE></EXPMETHODCALL></SIMPLEEXPREQ></MESSAGE></CIM>\n")
}

// exportBegin writes the message up to the start tag of simple (an
// export request or response).
func (e *encoder) exportBegin(id, simple string) {
	e.w.raw(`<?xml version="1.0" encoding="utf-8" ?>` + "\n")
	e.w.raw(`<CIM CIMVERSION="2.0" DTDVERSION="2.0">`)
	e.w.start("MESSAGE")
	e.w.attr("ID", id)
	e.w.attr("PROTOCOLVERSION", "1.0")
	e.w.gt()
	e.w.open(simple)
}

// indication writes the indication instance with its embedded instances.
func (e *encoder) indication(x ExportedIndication) {
	e.w.start("INSTANCE")
	e.w.attr("CLASSNAME", x.Instance.ClassName)
	e.w.gt()
	written := make([]bool, len(x.Embedded))
	for _, p := range x.Instance.Properties {
		if i := embeddedIndex(x.Embedded, p.Name); i >= 0 {
			e.embeddedProperty(x.Embedded[i])
			written[i] = true
			continue
		}
		e.propertyValue(p.Name, p.Value)
	}
	for i, em := range x.Embedded {
		if !written[i] {
			e.embeddedProperty(em)
		}
	}
	e.w.close("INSTANCE")
}

func embeddedIndex(es []EmbeddedInstance, name string) int {
	for i, em := range es {
		if strings.EqualFold(em.Property, name) {
			return i
		}
	}
	return -1
}

// embeddedProperty writes one embedded instance as a string property.
//
//	<!ELEMENT PROPERTY (QUALIFIER*, VALUE?)>  EmbeddedObject (object|instance)
func (e *encoder) embeddedProperty(em EmbeddedInstance) {
	inner := newXMLWriter(nil, streamChunk)
	defer inner.release()
	(&encoder{w: inner}).instance(&em.Instance)
	e.w.start("PROPERTY")
	e.w.attr("NAME", em.Property)
	e.w.attr("TYPE", "string")
	e.w.attr("EmbeddedObject", "instance")
	e.w.gt()
	e.w.open("VALUE")
	e.w.buf = appendEscaped(e.w.buf, string(inner.buf), false)
	e.w.close("VALUE")
	e.w.close("PROPERTY")
}

// writeExportResponse writes the answer to an export request: an empty
// EXPMETHODRESPONSE, or one holding ERROR when err is not nil.
//
//	<!ELEMENT SIMPLEEXPRSP (EXPMETHODRESPONSE)>
//	<!ELEMENT EXPMETHODRESPONSE (ERROR|IRETURNVALUE?)>  NAME required
func writeExportResponse(w io.Writer, id, method string, err error) error {
	xw := newXMLWriter(w, streamChunk)
	defer xw.release()
	e := &encoder{w: xw}
	e.exportBegin(id, "SIMPLEEXPRSP")
	e.w.start("EXPMETHODRESPONSE")
	e.w.attr("NAME", method)
	e.w.gt()
	if err != nil {
		e.errorElement(err)
	}
	e.w.raw("</EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE></CIM>\n")
	xw.flush()
	return xw.err
}
