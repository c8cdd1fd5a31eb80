package cimxml

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"github.com/redset/redset/cim"
)

// DefaultExportMaxBytes bounds the body of one export request the
// listener reads: indications are small.
const DefaultExportMaxBytes = 4 << 20

// ExportCall is one decoded export request message.
type ExportCall struct {
	MessageID  string // ID of the MESSAGE element
	Method     string // NAME of the EXPMETHODCALL, as sent
	Indication ExportedIndication
}

// DecodeExport reads one export request message (DSP0200 clause 9,
// DSP0201's SIMPLEEXPREQ) from r, read with encoding/xml within lim (zero
// fields take the defaults of Limits, MaxBytes DefaultExportMaxBytes).
// Its NewIndication is decoded with its embedded instances: a string
// property marked EmbeddedObject="instance" (or "object") whose value
// is an INSTANCE element becomes an EmbeddedInstance, decoded in turn
// (one level deep: what it embeds stays text).
//
// Errors come at the two levels of Decode: a *ProtocolError when the
// message is not an export request that can be answered; a *cim.Error
// (CIM_ERR_NOT_SUPPORTED for another export method,
// CIM_ERR_INVALID_PARAMETER for a missing or malformed NewIndication)
// with the call's MessageID and Method set, to be answered with ERROR.
func DecodeExport(r io.Reader, lim Limits) (*ExportCall, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultExportMaxBytes
	}
	lim = lim.withDefaults()
	t := newTokens(r, lim)
	c := &ExportCall{}
	if err := t.exportDocument(c); err != nil {
		return c, err
	}
	return c, nil
}

// exportDocument reads the whole message: the CIM element and nothing
// but white space after it. A *cim.Error found in the method call is
// returned only once the rest of the message proved well-formed.
func (t *tokens) exportDocument(c *ExportCall) error {
	tok, err := t.next()
	if err != nil {
		return envelope(err)
	}
	se := tok.start
	if tok.kind != startToken || se.Name.Local != "CIM" {
		return notValid("the root element must be CIM")
	}
	if err := checkVersion(se, "CIMVERSION", "2.", CIMErrorUnsupportedCIMVersion); err != nil {
		return err
	}
	if err := checkVersion(se, "DTDVERSION", "2.", CIMErrorUnsupportedDTDVersion); err != nil {
		return err
	}
	msg, err := t.need("CIM", "MESSAGE")
	if err != nil {
		return envelope(err)
	}
	if err := t.exportMessage(msg, c); err != nil {
		return err
	}
	if err := envelope(t.end("CIM")); err != nil {
		return err
	}
	return t.trailing()
}

// exportMessage reads the MESSAGE element of an export request.
//
//	<!ELEMENT MESSAGE (...|SIMPLEEXPREQ|MULTIEXPREQ|...)>  ID, PROTOCOLVERSION required
//	<!ELEMENT SIMPLEEXPREQ (CORRELATOR*, EXPMETHODCALL)>
func (t *tokens) exportMessage(se xml.StartElement, c *ExportCall) error {
	id, req, err := t.messageRequest(se)
	if err != nil {
		return err
	}
	c.MessageID = id
	switch req.Name.Local {
	case "MULTIEXPREQ":
		return protocolErrorf(http.StatusNotImplemented, CIMErrorMultipleRequests, "multiple export requests are not supported")
	case "SIMPLEREQ", "MULTIREQ":
		return protocolErrorf(http.StatusBadRequest, CIMErrorUnsupportedOperation, "an operation request is not an export request")
	}
	call, err := t.need("SIMPLEEXPREQ", "CORRELATOR", "EXPMETHODCALL")
	for err == nil && call.Name.Local == "CORRELATOR" {
		if err = t.skip(); err == nil {
			call, err = t.need("SIMPLEEXPREQ", "CORRELATOR", "EXPMETHODCALL")
		}
	}
	if err != nil {
		return envelope(err)
	}
	callErr := t.expMethodCall(call, c)
	if _, isCIM := callErr.(*cim.Error); callErr != nil && !isCIM {
		return callErr
	}
	if err := envelope(t.end("SIMPLEEXPREQ")); err != nil {
		return err
	}
	if err := envelope(t.end("MESSAGE")); err != nil {
		return err
	}
	return callErr
}

// expMethodCall reads the export method call. After a *cim.Error (another
// method: CIM_ERR_NOT_SUPPORTED; a bad parameter) the rest of the call is
// skipped, so that the rest of the message can still be checked.
//
//	<!ELEMENT EXPMETHODCALL (EXPPARAMVALUE*)>  NAME required
func (t *tokens) expMethodCall(se xml.StartElement, c *ExportCall) error {
	name, ok := attr(se, "NAME")
	if !ok || strings.TrimSpace(name) == "" {
		return notValid("EXPMETHODCALL: missing NAME attribute")
	}
	c.Method = name
	depth := t.depth
	err := t.expParams(c)
	if _, ok := err.(*cim.Error); ok {
		if serr := t.skipTo(depth - 1); serr != nil {
			return serr
		}
	}
	return err
}

func (t *tokens) expParams(c *ExportCall) error {
	if !strings.EqualFold(c.Method, ExportIndication) {
		return notSupported("export method %q is not supported; only ExportIndication is", c.Method)
	}
	seen := false
	for {
		p, ok, err := t.child()
		switch {
		case err != nil:
			return err
		case !ok && !seen:
			return invalidParam("ExportIndication: missing parameter NewIndication")
		case !ok:
			return nil
		case p.Name.Local != "EXPPARAMVALUE":
			return unexpected("EXPMETHODCALL", p)
		}
		if err := t.newIndication(p, &c.Indication, seen); err != nil {
			return err
		}
		seen = true
	}
}

// skipTo consumes tokens until the element nesting is back to depth.
func (t *tokens) skipTo(depth int) error {
	for t.depth > depth {
		if _, err := t.raw(); err != nil {
			if err == io.EOF {
				return readErr(io.EOF)
			}
			return err
		}
	}
	return nil
}

// newIndication reads the one parameter of ExportIndication.
//
//	<!ELEMENT EXPPARAMVALUE (INSTANCE?)>  NAME required
func (t *tokens) newIndication(se xml.StartElement, x *ExportedIndication, seen bool) error {
	name, err := needAttr(se, "NAME")
	switch {
	case err != nil:
		return err
	case !strings.EqualFold(name, NewIndication):
		return invalidParam("ExportIndication: unknown parameter %q", name)
	case seen:
		return invalidParam("ExportIndication: parameter NewIndication given twice")
	}
	inst, err := t.need("EXPPARAMVALUE", "INSTANCE")
	if err != nil {
		return withContext("NewIndication", err)
	}
	if err := t.exportInstance(inst, x); err != nil {
		return withContext("NewIndication", err)
	}
	return withContext("NewIndication", t.end("EXPPARAMVALUE"))
}

// exportInstance reads the indication instance, taking its embedded
// instances apart.
func (t *tokens) exportInstance(se xml.StartElement, x *ExportedIndication) error {
	class, err := needAttr(se, "CLASSNAME")
	if err != nil {
		return err
	}
	x.Instance = cim.Instance{ClassName: class}
	for {
		ch, ok, err := t.child()
		if err != nil || !ok {
			return err
		}
		if err := t.exportInstanceChild(ch, x); err != nil {
			return withContext("INSTANCE of "+class, err)
		}
	}
}

func (t *tokens) exportInstanceChild(se xml.StartElement, x *ExportedIndication) error {
	switch se.Name.Local {
	case "QUALIFIER":
		_, err := t.qualifier(se)
		return err
	case "PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE":
	default:
		return unexpected("INSTANCE", se)
	}
	p, v, err := t.property(se)
	if err != nil {
		return err
	}
	if _, dup := x.Instance.Get(p.Name); dup || embeddedIndex(x.Embedded, p.Name) >= 0 {
		return invalidParam("property %s given twice", p.Name)
	}
	if isEmbeddedInstance(se, p, v) {
		in, err := decodeEmbedded(v.Str(), t.lim)
		if err != nil {
			return withContext("property "+p.Name+": embedded instance", err)
		}
		x.Embedded = append(x.Embedded, EmbeddedInstance{Property: p.Name, Instance: *in})
		return nil
	}
	x.Instance.Properties = append(x.Instance.Properties, cim.PropertyValue{Name: p.Name, Value: v})
	return nil
}

// isEmbeddedInstance reports whether a property holds an embedded
// instance: a non-null scalar string marked EmbeddedObject (DSP0201; some
// writers spell the attribute EMBEDDEDOBJECT) whose text is an INSTANCE
// element (an "object" may be a class, which stays text).
func isEmbeddedInstance(se xml.StartElement, p cim.Property, v cim.Value) bool {
	kind, ok := attr(se, "EmbeddedObject")
	if !ok {
		kind, ok = attr(se, "EMBEDDEDOBJECT")
	}
	if !ok || p.Type != cim.String || p.IsArray || v.IsNull() {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "instance":
		return true
	case "object":
		return strings.HasPrefix(strings.TrimSpace(v.Str()), "<INSTANCE")
	}
	return false
}

// decodeEmbedded decodes the text of an embedded instance within the
// limits of the message that carried it.
func decodeEmbedded(text string, lim Limits) (*cim.Instance, error) {
	t := newTokens(strings.NewReader(text), lim)
	se, err := t.root("INSTANCE")
	if err != nil {
		return nil, asParamError(err)
	}
	inst, err := t.instance(se)
	if err == nil {
		err = t.trailing()
	}
	return inst, asParamError(err)
}

// asParamError makes any error of an embedded instance's text a
// CIM_ERR_INVALID_PARAMETER: the message around it was fine.
func asParamError(err error) error {
	if pe, ok := err.(*ProtocolError); ok {
		return invalidParam("%s", pe.Message)
	}
	return err
}
