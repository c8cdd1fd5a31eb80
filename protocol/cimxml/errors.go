package cimxml

import (
	"fmt"
	"net/http"

	"github.com/redset/redset/cim"
)

// The values of the CIMError HTTP header defined by DSP0200 clause 7 that
// this package sends.
const (
	CIMErrorUnsupportedProtocolVersion = "unsupported-protocol-version"
	CIMErrorMultipleRequests           = "multiple-requests-unsupported"
	CIMErrorUnsupportedCIMVersion      = "unsupported-cim-version"
	CIMErrorUnsupportedDTDVersion      = "unsupported-dtd-version"
	CIMErrorRequestNotValid            = "request-not-valid"
	CIMErrorRequestNotWellFormed       = "request-not-well-formed"
	CIMErrorUnsupportedOperation       = "unsupported-operation"
	CIMErrorHeaderMismatch             = "header-mismatch"
)

// ProtocolError is a request that cannot be answered with a CIM-XML
// response message: the HTTP layer answers with Status and, when set, a
// CIMError header holding CIMError.
type ProtocolError struct {
	Status   int    // HTTP status code
	CIMError string // value of the CIMError header; may be empty
	Message  string // for logs; never sent to the client
}

func (e *ProtocolError) Error() string {
	if e.CIMError == "" {
		return fmt.Sprintf("cimxml: HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("cimxml: HTTP %d %s: %s", e.Status, e.CIMError, e.Message)
}

// protocolErrorf builds a *ProtocolError.
func protocolErrorf(status int, cimError, format string, args ...any) *ProtocolError {
	return &ProtocolError{Status: status, CIMError: cimError, Message: fmt.Sprintf(format, args...)}
}

// notValid reports a message that is well-formed XML but breaks the DTD
// outside the method call.
func notValid(format string, args ...any) *ProtocolError {
	return protocolErrorf(http.StatusBadRequest, CIMErrorRequestNotValid, format, args...)
}

// invalidParam reports a method call whose parameters break the DTD or
// DSP0200.
func invalidParam(format string, args ...any) *cim.Error {
	return cim.Errorf(cim.StatusInvalidParameter, format, args...)
}

// notSupported reports a valid request this server does not implement.
func notSupported(format string, args ...any) *cim.Error {
	return cim.Errorf(cim.StatusNotSupported, format, args...)
}

// withContext prefixes the message of a *cim.Error with where it happened,
// keeping its status; other errors become CIM_ERR_INVALID_PARAMETER.
func withContext(where string, err error) error {
	if err == nil {
		return nil
	}
	switch e := err.(type) {
	case *cim.Error:
		return cim.Errorf(e.Status, "%s: %s", where, e.Message)
	case *ProtocolError:
		return e
	}
	return invalidParam("%s: %v", where, err)
}
