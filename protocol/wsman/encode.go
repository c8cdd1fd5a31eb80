package wsman

import (
	"bytes"
	"strconv"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/internal/xmltext"
)

// writer writes one answer with the fixed prefixes (see envelopePrefixes):
// s (SOAP 1.2), wsa (WS-Addressing), wsen (WS-Enumeration), wsman
// (WS-Management), wxf (WS-Transfer), wsmb (CIM binding), xsi, cim (DSP0230
// common types) and p (the resource URI of the class being written). When
// the request addresses one class, p is declared on the Envelope for that
// class and its instances start with a bare <p:Class> tag, as openwsman
// writes them (wsl finds an instance by that tag); instances of other
// classes declare p themselves.
type writer struct {
	*xmlWriter
	res      Resource // names classes in the style and namespace of the request
	envClass string   // the URI p is bound to on the Envelope, or ""
	scratch  []byte   // formats numbers without allocating
	uriKey   [2]string
	uri      string // ClassURI of uriKey (namespace, class), kept for the next instance
}

func newWriter(w *bytes.Buffer, res Resource) *writer {
	wr := &writer{xmlWriter: newXMLWriter(w), res: res}
	if res.ClassName != "" {
		wr.envClass = res.ClassURI(res.Namespace, res.ClassName)
	}
	return wr
}

// envelopeStart writes the XML declaration, the Envelope with every fixed
// prefix declared, the header (DSP0226 clause 5.4: wsa:To anonymous, the
// response action, a new MessageID and RelatesTo naming the request), and
// opens the Body. enc names the declaration's encoding.
func (w *writer) envelopeStart(enc Encoding, h header) {
	w.w.WriteString(`<?xml version="1.0" encoding="`)
	w.w.WriteString(enc.String())
	w.w.WriteString(`"?>`)
	w.start("s", "Envelope")
	w.w.WriteString(envelopeDeclarations)
	if w.envClass != "" {
		w.attr("xmlns:"+pfxClass, w.envClass)
	}
	w.start("s", "Header")
	w.elem(pfxWSA, "To", addrAnonymous)
	w.elem(pfxWSA, "Action", h.action)
	w.elem(pfxWSA, "MessageID", h.messageID)
	if h.relatesTo != "" {
		w.elem(pfxWSA, "RelatesTo", h.relatesTo)
	}
	if h.extra != nil {
		h.extra(w)
	}
	w.end()
	w.start("s", "Body")
}

// envelopeDeclarations declares every fixed prefix on the Envelope,
// written once.
var envelopeDeclarations = func() string {
	var b []byte
	for _, p := range envelopePrefixes {
		b = append(b, " xmlns:"+p.prefix+`="`...)
		b = xmltext.Append(b, p.uri, true, "?")
		b = append(b, '"')
	}
	return string(b)
}()

// header is what the SOAP header of an answer says.
type header struct {
	action, messageID, relatesTo string
	extra                        func(*writer) // more header elements, or nil
}

// envelopeEnd closes the Body and the Envelope.
func (w *writer) envelopeEnd() {
	w.end()
	w.end()
}

// instance writes an instance as DSP0230 (clause 7) maps it: an element
// named after its class in the class's resource URI namespace, holding one
// element per property in the order given (the object manager's order,
// which is the class's).
func (w *writer) instance(inst *cim.Instance, path cim.ObjectPath) {
	class := inst.ClassName
	if class == "" {
		class = path.ClassName
	}
	ns := w.namespace(path)
	w.start(pfxClass, class)
	w.declareClass(w.classURI(ns, class))
	for _, p := range inst.Properties {
		w.property(p.Name, p.Value, ns)
	}
	w.end()
}

// declareClass binds p to uri on the element just started, unless the
// Envelope already binds it so.
func (w *writer) declareClass(uri string) {
	if uri != w.envClass {
		w.attr("xmlns:"+pfxClass, uri)
	}
}

// classURI returns ClassURI, reusing the last answer for runs of
// instances of one class.
func (w *writer) classURI(ns, class string) string {
	if key := [2]string{ns, class}; key != w.uriKey || w.uri == "" {
		w.uriKey, w.uri = key, w.res.ClassURI(ns, class)
	}
	return w.uri
}

// namespace returns the namespace of a path, or the request's.
func (w *writer) namespace(p cim.ObjectPath) string {
	if p.Namespace != "" {
		return p.Namespace
	}
	return w.res.Namespace
}

// property writes one property or parameter (DSP0230 clause 9): null as a
// single element with xsi:nil, arrays as the element repeated (an empty
// array writes nothing, as MS-WSMV 3.1.4.1.26 has it).
func (w *writer) property(name string, v cim.Value, ns string) {
	switch {
	case v.IsNull():
		w.start(pfxClass, name)
		w.attr("xsi:nil", "true")
		w.end()
	case v.IsArray():
		for i := 0; i < v.Len(); i++ {
			w.scalar(name, v.Index(i), ns)
		}
	default:
		w.scalar(name, v, ns)
	}
}

// scalar writes one non-null value: references as endpoint references,
// datetimes in their cim: element, everything else as text.
func (w *writer) scalar(name string, v cim.Value, ns string) {
	switch v.Type() {
	case cim.Datetime:
		w.start(pfxClass, name)
		w.datetime(v.Time())
		w.end()
	case cim.Reference:
		w.start(pfxClass, name)
		w.eprContent(v.Ref(), ns)
		w.end()
	case cim.String:
		w.elem(pfxClass, name, v.Str())
	default:
		w.start(pfxClass, name)
		w.number(v)
		w.end()
	}
}

// number writes integers without allocating, other scalars as their text.
func (w *writer) number(v cim.Value) {
	switch t := v.Type(); {
	case t.IsSigned():
		w.scratch = strconv.AppendInt(w.scratch[:0], v.Sint(), 10)
	case t.IsInteger():
		w.scratch = strconv.AppendUint(w.scratch[:0], v.Uint(), 10)
	default:
		w.text(v.String())
		return
	}
	w.digits(w.scratch)
}

// datetime writes cim:Datetime (an xs:dateTime) for timestamps,
// cim:Interval (an xs:duration) for intervals, and cim:CIM_DateTime (the
// CIM text) for values with asterisks (DSP0230 clause 8.1).
func (w *writer) datetime(d cim.DateTime) {
	if s, ok := xsDateTime(d); ok {
		w.elem("cim", "Datetime", s)
		return
	}
	if s, ok := xsInterval(d); ok {
		w.elem("cim", "Interval", s)
		return
	}
	w.elem("cim", "CIM_DateTime", d.String())
}

// epr writes a wsa:EndpointReference for a path.
func (w *writer) epr(p cim.ObjectPath, ns string) {
	w.start(pfxWSA, "EndpointReference")
	w.eprContent(p, ns)
	w.end()
}

// eprContent writes the parts of an endpoint reference (DSP0227 clause 7):
// the anonymous address and the reference parameters naming the class's
// resource URI and the keys as selectors; in the DMTF style the namespace
// is the __cimnamespace selector.
func (w *writer) eprContent(p cim.ObjectPath, ns string) {
	if p.Namespace != "" {
		ns = p.Namespace
	}
	w.elem(pfxWSA, "Address", addrAnonymous)
	w.start(pfxWSA, "ReferenceParameters")
	w.elem(pfxWSMan, "ResourceURI", w.res.ClassURI(ns, p.ClassName))
	w.start(pfxWSMan, "SelectorSet")
	for _, k := range p.Keys {
		w.selector(k.Name, k.Value, ns)
	}
	if w.res.Style == StyleDMTF {
		w.selectorText(selNamespace, cim.NormalizeNamespace(ns))
	}
	w.end()
	w.end()
}

func (w *writer) selector(name string, v cim.Value, ns string) {
	switch {
	case v.Type() == cim.Reference && !v.IsArray() && !v.IsNull():
		w.start(pfxWSMan, "Selector")
		w.attr("Name", name)
		w.epr(v.Ref(), ns)
		w.end()
	case v.Type() == cim.String:
		w.selectorText(name, v.Str())
	default:
		w.selectorText(name, v.String())
	}
}

func (w *writer) selectorText(name, value string) {
	w.start(pfxWSMan, "Selector")
	w.attr("Name", name)
	w.text(value)
	w.end()
}

// item writes one enumeration item in the requested mode (DSP0226 clause
// 8.7): the instance, its endpoint reference, or both in a w:Item. An
// object without an instance is written as its endpoint reference, and one
// without a path as its instance alone.
func (w *writer) item(o cimom.Object, mode EnumerationMode) {
	hasPath := o.Path.ClassName != ""
	switch {
	case o.Instance == nil || mode == EnumerateEPR && hasPath:
		w.epr(o.Path, w.res.Namespace)
	case mode == EnumerateObjectAndEPR && hasPath:
		w.start(pfxWSMan, "Item")
		w.instance(o.Instance, o.Path)
		w.epr(o.Path, w.res.Namespace)
		w.end()
	default:
		w.instance(o.Instance, o.Path)
	}
}
