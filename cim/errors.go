package cim

import (
	"errors"
	"fmt"
	"strconv"
)

// Status is a CIM status code (DSP0200 clause 5.3.1, with 18 and 19 from
// DSP0223). StatusOK (0) means success and never appears in an *Error.
type Status uint16

// The CIM status codes.
const (
	StatusOK                              Status = 0
	StatusFailed                          Status = 1
	StatusAccessDenied                    Status = 2
	StatusInvalidNamespace                Status = 3
	StatusInvalidParameter                Status = 4
	StatusInvalidClass                    Status = 5
	StatusNotFound                        Status = 6
	StatusNotSupported                    Status = 7
	StatusClassHasChildren                Status = 8
	StatusClassHasInstances               Status = 9
	StatusInvalidSuperclass               Status = 10
	StatusAlreadyExists                   Status = 11
	StatusNoSuchProperty                  Status = 12
	StatusTypeMismatch                    Status = 13
	StatusQueryLanguageNotSupported       Status = 14
	StatusInvalidQuery                    Status = 15
	StatusMethodNotAvailable              Status = 16
	StatusMethodNotFound                  Status = 17
	StatusUnexpectedResponse              Status = 18
	StatusInvalidResponseDestination      Status = 19
	StatusNamespaceNotEmpty               Status = 20
	StatusInvalidEnumerationContext       Status = 21
	StatusInvalidOperationTimeout         Status = 22
	StatusPullHasBeenAbandoned            Status = 23
	StatusPullCannotBeAbandoned           Status = 24
	StatusFilteredEnumerationNotSupported Status = 25
	StatusContinuationOnErrorNotSupported Status = 26
	StatusServerLimitsExceeded            Status = 27
	StatusServerIsShuttingDown            Status = 28
)

var statusNames = [...]string{
	StatusOK:                              "CIM_ERR_OK",
	StatusFailed:                          "CIM_ERR_FAILED",
	StatusAccessDenied:                    "CIM_ERR_ACCESS_DENIED",
	StatusInvalidNamespace:                "CIM_ERR_INVALID_NAMESPACE",
	StatusInvalidParameter:                "CIM_ERR_INVALID_PARAMETER",
	StatusInvalidClass:                    "CIM_ERR_INVALID_CLASS",
	StatusNotFound:                        "CIM_ERR_NOT_FOUND",
	StatusNotSupported:                    "CIM_ERR_NOT_SUPPORTED",
	StatusClassHasChildren:                "CIM_ERR_CLASS_HAS_CHILDREN",
	StatusClassHasInstances:               "CIM_ERR_CLASS_HAS_INSTANCES",
	StatusInvalidSuperclass:               "CIM_ERR_INVALID_SUPERCLASS",
	StatusAlreadyExists:                   "CIM_ERR_ALREADY_EXISTS",
	StatusNoSuchProperty:                  "CIM_ERR_NO_SUCH_PROPERTY",
	StatusTypeMismatch:                    "CIM_ERR_TYPE_MISMATCH",
	StatusQueryLanguageNotSupported:       "CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED",
	StatusInvalidQuery:                    "CIM_ERR_INVALID_QUERY",
	StatusMethodNotAvailable:              "CIM_ERR_METHOD_NOT_AVAILABLE",
	StatusMethodNotFound:                  "CIM_ERR_METHOD_NOT_FOUND",
	StatusUnexpectedResponse:              "CIM_ERR_UNEXPECTED_RESPONSE",
	StatusInvalidResponseDestination:      "CIM_ERR_INVALID_RESPONSE_DESTINATION",
	StatusNamespaceNotEmpty:               "CIM_ERR_NAMESPACE_NOT_EMPTY",
	StatusInvalidEnumerationContext:       "CIM_ERR_INVALID_ENUMERATION_CONTEXT",
	StatusInvalidOperationTimeout:         "CIM_ERR_INVALID_OPERATION_TIMEOUT",
	StatusPullHasBeenAbandoned:            "CIM_ERR_PULL_HAS_BEEN_ABANDONED",
	StatusPullCannotBeAbandoned:           "CIM_ERR_PULL_CANNOT_BE_ABANDONED",
	StatusFilteredEnumerationNotSupported: "CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED",
	StatusContinuationOnErrorNotSupported: "CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED",
	StatusServerLimitsExceeded:            "CIM_ERR_SERVER_LIMITS_EXCEEDED",
	StatusServerIsShuttingDown:            "CIM_ERR_SERVER_IS_SHUTTING_DOWN",
}

// String returns the symbolic name of the status, such as
// "CIM_ERR_NOT_FOUND". Codes outside the table give "CIM_ERR_<n>".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "CIM_ERR_" + strconv.Itoa(int(s))
}

// Error is a CIM error: a status code and a human-readable description.
// Protocol codecs translate it to their wire form by Status alone.
type Error struct {
	Status  Status
	Message string
}

// Error returns "CIM_ERR_X: message", or just the symbolic name when there
// is no message.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Status.String()
	}
	return e.Status.String() + ": " + e.Message
}

// Is makes errors.Is(err, &Error{Status: s}) true for any *Error with
// status s. A target with a message must match the message too.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Status == e.Status && (t.Message == "" || t.Message == e.Message)
}

// Errorf builds an *Error with a fmt-formatted message.
func Errorf(s Status, format string, args ...any) *Error {
	return &Error{Status: s, Message: fmt.Sprintf(format, args...)}
}

// StatusOf returns the status of the first *Error in err's chain (see
// errors.As). A nil error gives StatusOK; any other error StatusFailed.
func StatusOf(err error) Status {
	if err == nil {
		return StatusOK
	}
	var e *Error
	if errors.As(err, &e) && e.Status != StatusOK {
		return e.Status
	}
	return StatusFailed
}
