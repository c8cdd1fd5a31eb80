package cimxml

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// envelope turns a structural *cim.Error found outside the method call
// into the HTTP-level request-not-valid error.
func envelope(err error) error {
	if e, ok := err.(*cim.Error); ok {
		return notValid("%s", e.Message)
	}
	return err
}

// document reads the whole message: the CIM element and nothing but white
// space, comments or processing instructions after it.
func (t *tokens) document(c *Call) error {
	tok, err := t.next()
	if err != nil {
		return envelope(err)
	}
	se := tok.start
	if tok.kind != startToken || se.Name.Local != "CIM" {
		return notValid("the root element must be CIM")
	}
	if err := t.cim(se, c); err != nil {
		return err
	}
	return t.trailing()
}

// trailing checks that only white space follows the root element.
func (t *tokens) trailing() error {
	for {
		tok, err := t.raw()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if tok.kind != textToken || !isSpace(tok.text) {
			return protocolErrorf(http.StatusBadRequest, CIMErrorRequestNotWellFormed, "content after the CIM element")
		}
	}
}

// cim reads the root element.
//
//	<!ELEMENT CIM (MESSAGE|DECLARATION)>  CIMVERSION, DTDVERSION required
func (t *tokens) cim(se xml.StartElement, c *Call) error {
	if err := checkVersion(se, "CIMVERSION", "2.", CIMErrorUnsupportedCIMVersion); err != nil {
		return err
	}
	if err := checkVersion(se, "DTDVERSION", "2.", CIMErrorUnsupportedDTDVersion); err != nil {
		return err
	}
	msg, err := t.need("CIM", "MESSAGE", "DECLARATION")
	if err != nil {
		return envelope(err)
	}
	if msg.Name.Local == "DECLARATION" {
		return notValid("a DECLARATION is not an operation request")
	}
	if err := t.message(msg, c); err != nil {
		return err
	}
	return envelope(t.end("CIM"))
}

// checkVersion requires attribute name to start with prefix; a missing
// attribute breaks the DTD, another version is unsupported (HTTP 501).
func checkVersion(se xml.StartElement, name, prefix, cimError string) error {
	v, ok := attr(se, name)
	if !ok {
		return notValid("%s: missing %s attribute", se.Name.Local, name)
	}
	if !strings.HasPrefix(strings.TrimSpace(v), prefix) {
		return protocolErrorf(http.StatusNotImplemented, cimError, "%s %q is not supported", name, v)
	}
	return nil
}

// messageID reads the ID of a MESSAGE element and checks its
// PROTOCOLVERSION.
func messageID(se xml.StartElement) (string, error) {
	id, ok := attr(se, "ID")
	if !ok {
		return "", notValid("MESSAGE: missing ID attribute")
	}
	if err := checkVersion(se, "PROTOCOLVERSION", "1.", CIMErrorUnsupportedProtocolVersion); err != nil {
		return "", err
	}
	return id, nil
}

// messageRequest reads the ID of a MESSAGE and its request element: an
// operation request (SIMPLEREQ, MULTIREQ) or an export request
// (SIMPLEEXPREQ, MULTIEXPREQ), which its reader accepts or refuses.
func (t *tokens) messageRequest(se xml.StartElement) (string, xml.StartElement, error) {
	id, err := messageID(se)
	if err != nil {
		return "", xml.StartElement{}, err
	}
	req, err := t.need("MESSAGE", "SIMPLEREQ", "MULTIREQ", "SIMPLEEXPREQ", "MULTIEXPREQ")
	if err != nil {
		return "", xml.StartElement{}, envelope(err)
	}
	return id, req, nil
}

// message reads the MESSAGE element.
//
//	<!ELEMENT MESSAGE (SIMPLEREQ|MULTIREQ|SIMPLERSP|MULTIRSP|
//	                   SIMPLEEXPREQ|MULTIEXPREQ|SIMPLEEXPRSP|MULTIEXPRSP)>
//	ID, PROTOCOLVERSION required
func (t *tokens) message(se xml.StartElement, c *Call) error {
	id, req, err := t.messageRequest(se)
	if err != nil {
		return err
	}
	c.MessageID = id
	switch req.Name.Local {
	case "MULTIREQ":
		return protocolErrorf(http.StatusNotImplemented, CIMErrorMultipleRequests, "multiple requests are not supported")
	case "SIMPLEEXPREQ", "MULTIEXPREQ":
		return notValid("export requests are not served here")
	}
	if err := t.simpleReq(c); err != nil {
		return err
	}
	return envelope(t.end("MESSAGE"))
}

// simpleReq reads the SIMPLEREQ element; correlators are skipped.
//
//	<!ELEMENT SIMPLEREQ (CORRELATOR*, (METHODCALL|IMETHODCALL))>
func (t *tokens) simpleReq(c *Call) error {
	for {
		se, err := t.need("SIMPLEREQ", "CORRELATOR", "METHODCALL", "IMETHODCALL")
		if err != nil {
			return envelope(err)
		}
		if se.Name.Local == "CORRELATOR" {
			if err := t.skip(); err != nil {
				return err
			}
			continue
		}
		if err := t.call(se, c); err != nil {
			return err
		}
		return envelope(t.end("SIMPLEREQ"))
	}
}

// call reads METHODCALL or IMETHODCALL. From here on, mistakes are CIM
// errors answered inside the message.
func (t *tokens) call(se xml.StartElement, c *Call) error {
	name, ok := attr(se, "NAME")
	if !ok || strings.TrimSpace(name) == "" {
		return notValid("%s: missing NAME attribute", se.Name.Local)
	}
	c.Method = name
	c.Intrinsic = se.Name.Local == "IMETHODCALL"
	var req *cimom.Request
	var err error
	if c.Intrinsic {
		req, err = t.imethodCall(name)
	} else {
		req, err = t.methodCall(name)
	}
	if err != nil {
		return err
	}
	c.Request = req
	return nil
}

// findOperation maps an intrinsic method name to its operation, ignoring
// case as CIM names do.
func findOperation(name string) (cimom.Operation, bool) {
	for op := cimom.GetClass; op.String() != ""; op++ {
		if op != cimom.InvokeMethod && strings.EqualFold(op.String(), name) {
			return op, true
		}
	}
	return cimom.OpInvalid, false
}

// imethodCall reads the body of an intrinsic method call.
//
//	<!ELEMENT IMETHODCALL (LOCALNAMESPACEPATH, IPARAMVALUE*, RESPONSEDESTINATION?)>
func (t *tokens) imethodCall(name string) (*cimom.Request, error) {
	op, ok := findOperation(name)
	if !ok {
		return nil, notSupported("intrinsic method %q is not supported", name)
	}
	req := newRequest(op)
	se, err := t.need("IMETHODCALL", "LOCALNAMESPACEPATH")
	if err != nil {
		return nil, err
	}
	if req.Namespace, err = t.localNamespacePath(se); err != nil {
		return nil, err
	}
	ps := newParamSet(op)
	for {
		se, ok, err := t.child()
		if err != nil || !ok {
			return req, firstErr(err, ps.finish())
		}
		if err := t.imethodChild(se, req, ps); err != nil {
			return nil, err
		}
	}
}

// imethodChild reads one IPARAMVALUE (or skips RESPONSEDESTINATION).
func (t *tokens) imethodChild(se xml.StartElement, req *cimom.Request, ps *paramSet) error {
	switch se.Name.Local {
	case "IPARAMVALUE":
		return t.iparamValue(se, req, ps)
	case "RESPONSEDESTINATION":
		return t.skip()
	}
	return unexpected("IMETHODCALL", se)
}

// methodCall reads the body of an extrinsic method call.
//
//	<!ELEMENT METHODCALL ((LOCALCLASSPATH|LOCALINSTANCEPATH), PARAMVALUE*, RESPONSEDESTINATION?)>
func (t *tokens) methodCall(name string) (*cimom.Request, error) {
	req := &cimom.Request{Op: cimom.InvokeMethod, Method: name}
	se, err := t.need("METHODCALL", "LOCALINSTANCEPATH", "LOCALCLASSPATH")
	if err != nil {
		return nil, err
	}
	p, err := t.localPath(se)
	if err != nil {
		return nil, err
	}
	req.Namespace = p.Namespace
	if se.Name.Local == "LOCALCLASSPATH" {
		req.ClassName = p.ClassName
	} else {
		req.ObjectName = p
	}
	for {
		se, ok, err := t.child()
		if err != nil || !ok {
			return req, err
		}
		if err := t.methodChild(se, req); err != nil {
			return nil, err
		}
	}
}

// methodChild reads one PARAMVALUE (or skips RESPONSEDESTINATION).
func (t *tokens) methodChild(se xml.StartElement, req *cimom.Request) error {
	switch se.Name.Local {
	case "PARAMVALUE":
		p, err := t.paramValue(se)
		if err != nil {
			return err
		}
		for _, q := range req.Params {
			if strings.EqualFold(q.Name, p.Name) {
				return invalidParam("parameter %s given twice", p.Name)
			}
		}
		req.Params = append(req.Params, p)
		return nil
	case "RESPONSEDESTINATION":
		return t.skip()
	}
	return unexpected("METHODCALL", se)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
