package server

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/indication"
	"github.com/redset/redset/protocol/cimxml"
)

// exportBody writes the CIM-XML ExportIndication request of one delivery
// to a CIM_ListenerDestinationCIMXML: its headers and its body. The
// indication gets the delivery's IndicationFilterName, SequenceContext
// and SequenceNumber (DSP1054), and IndicationTime from its record when
// the Source left it unset; its embedded instances are written as
// EmbeddedObject="instance" properties. The message ID is the sequence
// number, so a listener's log and the subscription's sequence agree.
func exportBody(d indication.Delivery) (http.Header, []byte) {
	var body bytes.Buffer
	_ = cimxml.EncodeExport(&body, strconv.FormatInt(d.SequenceNumber, 10), exported(d)) // a bytes.Buffer does not fail
	return cimxml.ExportHeader(), body.Bytes()
}

// exported is the delivery as the CIM-XML encoder takes it.
func exported(d indication.Delivery) cimxml.ExportedIndication {
	in := d.Instance.Clone()
	if v, ok := in.Get("IndicationTime"); (!ok || v.IsNull()) && !d.Time.IsZero() {
		in.Set("IndicationTime", cim.NewDateTime(cim.DateTimeFromTime(d.Time)))
	}
	in.Set("IndicationFilterName", cim.NewString(d.FilterName))
	in.Set("SequenceContext", cim.NewString(d.SequenceContext))
	in.Set("SequenceNumber", cim.MustSint64(d.SequenceNumber))
	x := cimxml.ExportedIndication{Instance: in}
	for _, e := range d.Embedded {
		x.Embedded = append(x.Embedded, cimxml.EmbeddedInstance{Property: e.Property, Instance: e.Instance})
	}
	return x
}

// exportCheck judges a listener's answer to exportBody's request: nil
// when it took the indication (HTTP 200 and an EXPMETHODRESPONSE without
// ERROR); otherwise an error saying why (the HTTP status and CIMError
// header, the listener's CIM error, or an answer that is no export
// response), after which the delivery counts as failed.
func exportCheck(resp *http.Response, body []byte) error {
	return cimxml.CheckExportResponse(resp, body)
}
