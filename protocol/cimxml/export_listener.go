package cimxml

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// Listener returns an http.Handler that receives CIM-XML export requests
// (a CIM listener, DSP0200 clause 9): it checks the export headers,
// decodes the body with DecodeExport (at most DefaultExportMaxBytes),
// calls deliver with the indication of each ExportIndication, and answers
// an EXPMETHODRESPONSE once deliver returned, so that a sender that is
// answered knows the indication was taken.
//
// Requests it cannot answer in CIM-XML get the HTTP status alone, with a
// CIMError header as DSP0200 says: 405 for a method other than POST or
// M-POST; 400 unsupported-operation without "CIMExport: MethodRequest";
// 400 header-mismatch when CIMExportMethod is missing or names another
// method than the body; 501 multiple-requests-unsupported for a batch;
// 415 for a Content-Type other than XML in UTF-8; 400 request-not-valid
// or request-not-well-formed for a body that is not an export request;
// 413 past the size bound. A well-formed request whose call is wrong
// (another export method, a missing NewIndication) is answered 200 with
// an ERROR in the EXPMETHODRESPONSE.
func Listener(deliver func(ExportedIndication)) http.Handler {
	return listener{deliver: deliver}
}

type listener struct {
	deliver func(ExportedIndication)
}

func (l listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd, perr := readExportHeaders(r)
	if perr != nil {
		rejectExport(w, hd, perr)
		return
	}
	body := http.MaxBytesReader(w, r.Body, DefaultExportMaxBytes)
	call, err := DecodeExport(body, Limits{MaxBytes: DefaultExportMaxBytes})
	if pe := asProtocolError(err); pe != nil {
		rejectExport(w, hd, pe)
		return
	}
	if !strings.EqualFold(hd.method, call.Method) {
		rejectExport(w, hd, protocolErrorf(http.StatusBadRequest, CIMErrorHeaderMismatch,
			"CIMExportMethod %q, the body calls %q", hd.method, call.Method))
		return
	}
	if err == nil {
		l.deliver(call.Indication)
	}
	var buf bytes.Buffer
	_ = writeExportResponse(&buf, call.MessageID, call.Method, err) // a bytes.Buffer does not fail
	h := w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Set(hd.prefix+"CIMExport", "MethodResponse")
	if hd.mpost {
		h.Set("Ext", "")
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// readExportHeaders checks the HTTP method and the export headers.
func readExportHeaders(r *http.Request) (cimHeaders, *ProtocolError) {
	hd, perr := readMethod(r)
	if perr != nil {
		return hd, perr
	}
	if op, _ := hd.get(r.Header, "CIMExport"); !strings.EqualFold(op, "MethodRequest") {
		return hd, protocolErrorf(http.StatusBadRequest, CIMErrorUnsupportedOperation, "CIMExport %q", op)
	}
	if _, batch := hd.get(r.Header, "CIMExportBatch"); batch {
		return hd, protocolErrorf(http.StatusNotImplemented, CIMErrorMultipleRequests, "batched export requests are not supported")
	}
	if v, ok := hd.get(r.Header, "CIMProtocolVersion"); ok && !strings.HasPrefix(v, "1.") {
		return hd, protocolErrorf(http.StatusNotImplemented, CIMErrorUnsupportedProtocolVersion, "CIMProtocolVersion %q", v)
	}
	if perr := checkContentType(r.Header.Get("Content-Type")); perr != nil {
		return hd, perr
	}
	hd.method, hd.hasMethod = hd.get(r.Header, "CIMExportMethod")
	if !hd.hasMethod || hd.method == "" {
		return hd, protocolErrorf(http.StatusBadRequest, CIMErrorHeaderMismatch, "no CIMExportMethod header")
	}
	return hd, nil
}

// rejectExport answers an export request that gets no CIM-XML response.
func rejectExport(w http.ResponseWriter, hd cimHeaders, pe *ProtocolError) {
	h := w.Header()
	if pe.Status == http.StatusMethodNotAllowed {
		h.Set("Allow", "POST, M-POST")
	}
	h.Set(hd.prefix+"CIMExport", "MethodResponse")
	if pe.CIMError != "" {
		h.Set(hd.prefix+"CIMError", pe.CIMError)
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(pe.Status)
}
