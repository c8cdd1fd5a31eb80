package cimxml

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// EncodeOptions configure WriteResponse.
type EncodeOptions struct {
	// Host is the HOST of full instance paths (associations, pulls) whose
	// path names none, normally the server's address as clients reach it.
	Host string
	// BufferBytes is how much of the answer is held back before the first
	// write to the output (default 256 KiB); see StreamError.
	BufferBytes int
}

// StreamError reports that the result iterator failed after part of the
// answer had already been written. The document written is complete and
// well-formed, but its result ends early; the error is not in it.
type StreamError struct {
	Err error
}

func (e *StreamError) Error() string {
	return "cimxml: result failed after output began: " + e.Err.Error()
}

func (e *StreamError) Unwrap() error { return e.Err }

// errNoResult is reported when a handler succeeds without the result its
// operation needs.
var errNoResult = errors.New("the operation returned no result")

// WriteResponse writes the response message answering call: the result
// in resp, or opErr as an ERROR element. Answers smaller than
// opts.BufferBytes are written in one piece, and an error from
// resp.Objects becomes an ERROR element; past that size see StreamError.
// Any other error is the writer's.
func WriteResponse(w io.Writer, call *Call, resp *cimom.Response, opErr error, opts EncodeOptions) error {
	xw := newXMLWriter(w, opts.BufferBytes)
	defer xw.release()
	err := newEncoder(xw, call, opts.Host).response(call, resp, opErr)
	xw.flush()
	if xw.err != nil {
		return xw.err
	}
	return err
}

// newEncoder returns an encoder for the answer to call.
func newEncoder(w *xmlWriter, call *Call, host string) *encoder {
	e := &encoder{w: w, host: host}
	if call != nil && call.Request != nil {
		e.ns = call.Request.Namespace
		e.qualifiers = call.Request.IncludeQualifiers
		e.classOrigin = call.Request.IncludeClassOrigin
	}
	return e
}

// response writes the whole message. It returns a *StreamError when the
// result failed after output was committed; an earlier failure replaces
// the answer with an ERROR element.
func (e *encoder) response(c *Call, resp *cimom.Response, opErr error) error {
	if opErr == nil && (resp == nil || c.Request == nil) {
		opErr = errNoResult
	}
	e.begin(c)
	if opErr != nil {
		e.errorElement(opErr)
		e.end(c)
		return nil
	}
	err := e.result(c.Request, resp)
	if err != nil && !e.w.flushed {
		e.w.reset()
		e.begin(c)
		e.errorElement(err)
		e.end(c)
		return nil
	}
	e.end(c)
	if err != nil {
		return &StreamError{Err: err}
	}
	return nil
}

// begin writes the message up to the method response's start tag.
//
//	<!ELEMENT CIM (MESSAGE|DECLARATION)>  CIMVERSION, DTDVERSION
//	<!ELEMENT MESSAGE (SIMPLEREQ|MULTIREQ|SIMPLERSP|MULTIRSP|...)>  ID, PROTOCOLVERSION
//	<!ELEMENT SIMPLERSP (METHODRESPONSE|IMETHODRESPONSE)>
func (e *encoder) begin(c *Call) {
	e.w.raw(`<?xml version="1.0" encoding="utf-8" ?>` + "\n")
	e.w.raw(`<CIM CIMVERSION="2.0" DTDVERSION="2.0">`)
	e.w.start("MESSAGE")
	e.w.attr("ID", c.MessageID)
	e.w.attr("PROTOCOLVERSION", "1.0")
	e.w.gt()
	e.w.open("SIMPLERSP")
	e.w.start(responseElement(c))
	e.w.attr("NAME", c.Method)
	e.w.gt()
}

// end closes what begin opened.
func (e *encoder) end(c *Call) {
	e.w.close(responseElement(c))
	e.w.raw("</SIMPLERSP></MESSAGE></CIM>\n")
}

// responseElement names the response to an intrinsic or extrinsic call.
//
//	<!ELEMENT IMETHODRESPONSE (ERROR|(IRETURNVALUE?, PARAMVALUE*))>  NAME
//	<!ELEMENT METHODRESPONSE (ERROR|(RETURNVALUE?, PARAMVALUE*))>  NAME
func responseElement(c *Call) string {
	if c.Intrinsic {
		return "IMETHODRESPONSE"
	}
	return "METHODRESPONSE"
}

// errorElement writes a CIM error. Errors that are not *cim.Error are
// CIM_ERR_FAILED with a generic description (the caller logs them).
//
//	<!ELEMENT ERROR (INSTANCE*)>  CODE required, DESCRIPTION optional
func (e *encoder) errorElement(err error) {
	e.w.start("ERROR")
	e.w.attr("CODE", strconv.Itoa(int(cim.StatusOf(err))))
	e.w.attr("DESCRIPTION", description(err))
	e.w.gt()
	e.w.close("ERROR")
}

// description is the text clients see for err: the message of a
// *cim.Error (its status name when empty), "internal error" for anything
// else, whose text may reveal internals.
func description(err error) string {
	var ce *cim.Error
	switch {
	case !errors.As(err, &ce):
		return "internal error"
	case ce.Message == "":
		return ce.Status.String()
	}
	return ce.Message
}

// result writes the result of a successful operation.
func (e *encoder) result(req *cimom.Request, resp *cimom.Response) error {
	switch req.Op {
	case cimom.InvokeMethod:
		e.methodResult(resp)
		return nil
	case cimom.ModifyInstance, cimom.DeleteInstance, cimom.CloseEnumeration:
		return nil
	case cimom.GetClass, cimom.GetInstance, cimom.CreateInstance, cimom.GetQualifier,
		cimom.EnumerateQualifiers, cimom.EnumerationCount:
		return e.single(req.Op, resp)
	}
	if resp.Objects == nil {
		return errNoResult
	}
	e.w.open("IRETURNVALUE")
	err := e.objects(req.Op, resp.Objects)
	e.w.close("IRETURNVALUE")
	if isPull(req.Op) {
		e.pullParams(resp)
	}
	return err
}

// single writes the IRETURNVALUE of an operation with a one-piece result.
//
//	<!ELEMENT IRETURNVALUE (CLASSNAME*|INSTANCENAME*|VALUE*|VALUE.OBJECTWITHPATH*|
//	    VALUE.OBJECTWITHLOCALPATH*|VALUE.OBJECT*|OBJECTPATH*|QUALIFIER.DECLARATION*|
//	    VALUE.ARRAY?|VALUE.REFERENCE?|CLASS*|INSTANCE*|INSTANCEPATH*|
//	    VALUE.NAMEDINSTANCE*|VALUE.INSTANCEWITHPATH*)>
func (e *encoder) single(op cimom.Operation, resp *cimom.Response) error {
	if err := checkSingle(op, resp); err != nil {
		return err
	}
	e.w.open("IRETURNVALUE")
	switch op {
	case cimom.GetClass:
		e.class(resp.Class)
	case cimom.GetInstance:
		e.instance(resp.Instance.Instance)
	case cimom.CreateInstance:
		e.instanceName(resp.Instance.Path)
	case cimom.GetQualifier, cimom.EnumerateQualifiers:
		for _, d := range resp.Qualifiers {
			e.qualifierDecl(d)
		}
	case cimom.EnumerationCount:
		if resp.Count != nil {
			e.scalar(cim.MustUint64(*resp.Count))
		}
	}
	e.w.close("IRETURNVALUE")
	return nil
}

// checkSingle verifies that resp holds what op answers with.
func checkSingle(op cimom.Operation, resp *cimom.Response) error {
	missing := false
	switch op {
	case cimom.GetClass:
		missing = resp.Class == nil
	case cimom.GetInstance:
		missing = resp.Instance == nil || resp.Instance.Instance == nil
	case cimom.CreateInstance:
		missing = resp.Instance == nil
	case cimom.GetQualifier:
		missing = len(resp.Qualifiers) != 1
	}
	if missing {
		return fmt.Errorf("%s: %w", op, errNoResult)
	}
	return nil
}

// methodResult writes the return value and the non-null output
// parameters of an extrinsic method (wbemcli cannot read an empty
// PARAMVALUE, so nulls are left out).
//
//	<!ELEMENT RETURNVALUE (VALUE|VALUE.REFERENCE)>  PARAMTYPE
//	<!ELEMENT PARAMVALUE (VALUE|VALUE.REFERENCE|VALUE.ARRAY|VALUE.REFARRAY|...)?>  NAME, PARAMTYPE
func (e *encoder) methodResult(resp *cimom.Response) {
	if rv := resp.ReturnValue; rv.Type().Valid() {
		e.w.start("RETURNVALUE")
		e.w.attr("PARAMTYPE", rv.Type().String())
		e.w.gt()
		e.value(rv)
		e.w.close("RETURNVALUE")
	}
	for _, p := range resp.Out {
		if !p.Value.IsNull() {
			e.paramValue(p.Name, p.Value)
		}
	}
}

// paramValue writes one output parameter.
func (e *encoder) paramValue(name string, v cim.Value) {
	e.w.start("PARAMVALUE")
	e.w.attr("NAME", name)
	if v.Type().Valid() {
		e.w.attr("PARAMTYPE", v.Type().String())
	}
	e.w.gt()
	e.value(v)
	e.w.close("PARAMVALUE")
}

// pullParams writes the output parameters of the Open and Pull
// operations; the context is null once the sequence has ended.
func (e *encoder) pullParams(resp *cimom.Response) {
	ctx := cim.Null(cim.String, false)
	if resp.EnumerationContext != "" {
		ctx = cim.NewString(resp.EnumerationContext)
	}
	e.paramValue("EnumerationContext", ctx)
	e.paramValue("EndOfSequence", cim.NewBool(resp.EndOfSequence))
}

// isPull reports whether op answers with EnumerationContext and
// EndOfSequence.
func isPull(op cimom.Operation) bool {
	switch op {
	case cimom.OpenEnumerateInstances, cimom.OpenEnumerateInstancePaths,
		cimom.OpenAssociatorInstances, cimom.OpenAssociatorInstancePaths,
		cimom.OpenReferenceInstances, cimom.OpenReferenceInstancePaths,
		cimom.OpenQueryInstances, cimom.PullInstancesWithPath,
		cimom.PullInstancePaths, cimom.PullInstances:
		return true
	}
	return false
}
