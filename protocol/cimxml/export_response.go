package cimxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/redset/redset/cim"
)

// ErrNotExportResponse is wrapped by CheckExportResponse's error when the
// answer is not an export response at all (not CIM-XML, another
// message).
var ErrNotExportResponse = errors.New("cimxml: the listener's answer is not an export response")

// CheckExportResponse judges a listener's answer to an export request:
// nil for HTTP 200 with an EXPMETHODRESPONSE holding nothing or an
// IRETURNVALUE. An EXPMETHODRESPONSE holding ERROR gives a *cim.Error
// with the listener's code and description; another HTTP status a
// *ProtocolError with the status and the CIMError header; a body that
// is not an export response an error wrapping ErrNotExportResponse.
func CheckExportResponse(resp *http.Response, body []byte) error {
	if resp.StatusCode != http.StatusOK {
		return &ProtocolError{Status: resp.StatusCode, CIMError: resp.Header.Get("CIMError"),
			Message: "the listener answered " + resp.Status}
	}
	t := newTokens(bytes.NewReader(body), Limits{MaxBytes: int64(len(body))}.withDefaults())
	listenerErr, err := t.exportResponse()
	switch {
	case err != nil:
		return fmt.Errorf("%w: %v", ErrNotExportResponse, err)
	case listenerErr != nil:
		return listenerErr
	}
	return nil
}

// exportResponse reads an export response message: the listener's ERROR,
// if any, or what is wrong with the message.
//
//	<!ELEMENT SIMPLEEXPRSP (EXPMETHODRESPONSE)>
//	<!ELEMENT EXPMETHODRESPONSE (ERROR|IRETURNVALUE?)>  NAME required
func (t *tokens) exportResponse() (*cim.Error, error) {
	se, err := t.root("CIM")
	if err != nil {
		return nil, err
	}
	parent := se.Name.Local
	for _, name := range []string{"MESSAGE", "SIMPLEEXPRSP", "EXPMETHODRESPONSE"} {
		if _, err := t.need(parent, name); err != nil {
			return nil, err
		}
		parent = name
	}
	listenerErr, err := t.exportResult()
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"SIMPLEEXPRSP", "MESSAGE", "CIM"} {
		if err := t.end(name); err != nil {
			return nil, err
		}
	}
	return listenerErr, t.trailing()
}

// exportResult reads what the EXPMETHODRESPONSE holds and its end: the
// listener's ERROR, if any.
func (t *tokens) exportResult() (*cim.Error, error) {
	se, ok, err := t.child()
	if err != nil || !ok {
		return nil, err
	}
	var listenerErr *cim.Error
	switch se.Name.Local {
	case "ERROR":
		listenerErr, err = errorOf(se)
	case "IRETURNVALUE":
	default:
		return nil, unexpected("EXPMETHODRESPONSE", se)
	}
	if err != nil {
		return nil, err
	}
	if err := t.skip(); err != nil {
		return nil, err
	}
	return listenerErr, t.end("EXPMETHODRESPONSE")
}

// errorOf reads the attributes of an ERROR element.
//
//	<!ELEMENT ERROR (INSTANCE*)>  CODE required, DESCRIPTION optional
func errorOf(se xml.StartElement) (*cim.Error, error) {
	code, err := needAttr(se, "CODE")
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(code), 10, 16)
	if err != nil || n == 0 {
		return nil, invalidParam("ERROR: CODE %q is not a CIM status", code)
	}
	desc, _ := attr(se, "DESCRIPTION")
	return &cim.Error{Status: cim.Status(n), Message: desc}, nil
}
