package wsman

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/internal/xmltext"
)

// writeElements writes elements read from a request back as XML, each
// declaring the namespaces it uses (n0, n1 ... per element), so that each
// stands alone wherever it is pasted: the reference parameters of NotifyTo
// and EndTo, sent back as headers of every message.
func writeElements(els []*element) string {
	var b []byte
	for _, e := range els {
		b = appendElement(b, e)
	}
	return string(b)
}

func appendElement(b []byte, e *element) []byte {
	prefixes := map[string]string{}
	return appendElementIn(b, e, prefixes)
}

// appendElementIn writes e; prefixes maps the namespace URIs declared by
// enclosing elements to their prefixes.
func appendElementIn(b []byte, e *element, outer map[string]string) []byte {
	declared := map[string]string{}
	for k, v := range outer {
		declared[k] = v
	}
	var decls []byte
	name := func(space, local string) string {
		if space == "" {
			return local
		}
		p, ok := declared[space]
		if !ok {
			p = "n" + strconv.Itoa(len(declared))
			declared[space] = p
			decls = append(decls, " xmlns:"+p+`="`...)
			decls = xmltext.Append(decls, space, true, "?")
			decls = append(decls, '"')
		}
		return p + ":" + local
	}
	tag := name(e.name.Space, e.name.Local)
	var attrs []byte
	for _, a := range e.attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		attrs = append(attrs, ' ')
		attrs = append(attrs, name(a.Name.Space, a.Name.Local)...)
		attrs = append(attrs, `="`...)
		attrs = xmltext.Append(attrs, a.Value, true, "?")
		attrs = append(attrs, '"')
	}
	b = append(b, '<')
	b = append(b, tag...)
	b = append(b, decls...)
	b = append(b, attrs...)
	b = append(b, '>')
	b = xmltext.Append(b, e.text, false, "?")
	for _, k := range e.kids {
		b = appendElementIn(b, k, declared)
	}
	b = append(b, "</"...)
	b = append(b, tag...)
	return append(b, '>')
}

// expiresText writes a granted expiry in the form the client asked for:
// an xs:dateTime when it asked for one, else an xs:duration.
func expiresText(g Grant, asked Expires) string {
	if !asked.At.IsZero() {
		return g.At.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	return xsDuration(g.Duration)
}

// xsDuration writes a duration as "PTnS" with the seconds' fraction.
func xsDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return "PT" + strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "S"
}

// subscriptionManager writes the subscription manager's endpoint
// reference: the address the request was sent to and the wse:Identifier.
func (w *writer) subscriptionManager(address, resourceURI, id string) {
	w.start(pfxWSE, "SubscriptionManager")
	w.elem(pfxWSA, "Address", address)
	w.start(pfxWSA, "ReferenceParameters")
	if resourceURI != "" {
		w.elem(pfxWSMan, "ResourceURI", resourceURI)
	}
	w.elem(pfxWSE, "Identifier", id)
	w.end()
	w.end()
}

// event writes one event's instance (DSP0230 clause 7) in its own class's
// namespace, each embedded instance as an element of its class inside the
// element of the property that carries it.
func (w *writer) event(ev Event) {
	inst := ev.Instance
	w.start(pfxClass, inst.ClassName)
	w.attr("xmlns:"+pfxClass, w.res.ClassURI(ev.Namespace, inst.ClassName))
	written := 0
	for _, p := range inst.Properties {
		if emb, ok := embeddedUnder(ev, p.Name); ok {
			w.embedded(p.Name, emb, ev.Namespace)
			written++
			continue
		}
		w.property(p.Name, p.Value, ev.Namespace)
	}
	if written < len(ev.Embedded) {
		for _, e := range ev.Embedded {
			if _, ok := inst.Get(e.Property); !ok {
				w.embedded(e.Property, e.Instance, ev.Namespace)
			}
		}
	}
	w.end()
}

func embeddedUnder(ev Event, property string) (cim.Instance, bool) {
	for _, e := range ev.Embedded {
		if strings.EqualFold(e.Property, property) {
			return e.Instance, true
		}
	}
	return cim.Instance{}, false
}

// embedded writes <p:Property><p:Class xmlns:p="class URI">...</p:Class></p:Property>:
// the inner element binds p to its own class for its properties.
func (w *writer) embedded(property string, inst cim.Instance, ns string) {
	w.start(pfxClass, property)
	w.start(pfxClass, inst.ClassName)
	w.attr("xmlns:"+pfxClass, w.res.ClassURI(ns, inst.ClassName))
	for _, p := range inst.Properties {
		w.property(p.Name, p.Value, ns)
	}
	w.end()
	w.end()
}

// Push is where and how events of one push subscription are sent.
type Push struct {
	To          EndpointRef
	Mode        DeliveryMode
	ResourceURI string // the subscription's; names classes in its style
}

// pushWriter starts a message to an event sink: the envelope with the
// sink's address, the action, a new MessageID, the reference parameters
// as headers and more header elements from extra.
func pushWriter(buf *bytes.Buffer, to EndpointRef, resourceURI, action, messageID string, extra func(*writer)) *writer {
	res, _, _ := ParseResourceURI(resourceURI, nil, defaultNamespace)
	res.ClassName = ""
	w := newWriter(buf, res)
	w.w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	w.start("s", "Envelope")
	w.w.WriteString(envelopeDeclarations)
	w.attr("xmlns:"+pfxWSE, nsWSE)
	w.start("s", "Header")
	w.elem(pfxWSA, "To", to.Address)
	w.elem(pfxWSA, "Action", action)
	w.elem(pfxWSA, "MessageID", messageID)
	if resourceURI != "" {
		w.elem(pfxWSMan, "ResourceURI", resourceURI)
	}
	if to.Parameters != "" {
		w.closeTag()
		w.w.WriteString(to.Parameters)
	}
	if extra != nil {
		extra(w)
	}
	w.end()
	w.start("s", "Body")
	return w
}

// EncodeEvents writes the message that pushes events: one event with the
// action wsman/Event (Push, PushWithAck), or a batch in wsman:Events
// (Events mode). AckRequested asks for a wsman:Ack in the acknowledged
// modes, and bookmark, when not empty, is the wsman:Bookmark after the
// last event.
func EncodeEvents(p Push, events []Event, dropped int, bookmark, messageID string) []byte {
	var buf bytes.Buffer
	action := actionEvent
	if p.Mode == DeliverEvents {
		action = actionEvents
	}
	w := pushWriter(&buf, p.To, p.ResourceURI, action, messageID, func(w *writer) {
		if p.Mode.Acked() {
			w.empty(pfxWSMan, "AckRequested")
		}
		if bookmark != "" {
			w.elem(pfxWSMan, "Bookmark", bookmark)
		}
	})
	if p.Mode == DeliverEvents {
		w.start(pfxWSMan, "Events")
		if dropped > 0 {
			w.droppedEvents(dropped)
		}
		for _, ev := range events {
			w.start(pfxWSMan, "Event")
			w.attr("Action", actionEvent)
			w.event(ev)
			w.end()
		}
		w.end()
	} else {
		for _, ev := range events {
			w.event(ev)
		}
	}
	w.envelopeEnd()
	return buf.Bytes()
}

func (w *writer) droppedEvents(n int) {
	w.start(pfxWSMan, "DroppedEvents")
	w.attr("Action", actionEvent)
	w.text(strconv.Itoa(n))
	w.end()
}

// EncodeHeartbeat writes a heartbeat (DSP0226 clause 10.2.5): an empty
// message with the action wsman/Heartbeat, sent when nothing else was for
// the subscription's heartbeat interval.
func EncodeHeartbeat(p Push, messageID string) []byte {
	var buf bytes.Buffer
	w := pushWriter(&buf, p.To, p.ResourceURI, actionHeartbeat, messageID, func(w *writer) {
		if p.Mode.Acked() {
			w.empty(pfxWSMan, "AckRequested")
		}
	})
	w.envelopeEnd()
	return buf.Bytes()
}

// EndStatus is why a subscription ended (WS-Eventing clause 4.4).
type EndStatus uint8

// The statuses of SubscriptionEnd.
const (
	EndDeliveryFailure    EndStatus = iota // events could not be delivered
	EndSourceShuttingDown                  // the service is stopping
	EndSourceCancelling                    // the service ended it (expiry, removal)
)

var endStatusNames = [...]string{"DeliveryFailure", "SourceShuttingDown", "SourceCancelling"}

// URI returns the wse:Status URI.
func (s EndStatus) URI() string {
	if int(s) < len(endStatusNames) {
		return nsWSE + "/" + endStatusNames[s]
	}
	return nsWSE + "/SourceCancelling"
}

// EncodeSubscriptionEnd writes the SubscriptionEnd sent to a
// subscription's EndTo: the subscription manager (managerAddress and the
// identifier), the status and a reason in English.
func EncodeSubscriptionEnd(endTo EndpointRef, managerAddress, id string, status EndStatus, reason, messageID string) []byte {
	var buf bytes.Buffer
	w := pushWriter(&buf, endTo, "", actionSubEnd, messageID, nil)
	w.start(pfxWSE, "SubscriptionEnd")
	w.subscriptionManager(managerAddress, "", id)
	w.elem(pfxWSE, "Status", status.URI())
	w.start(pfxWSE, "Reason")
	w.attr("xml:lang", "en-US")
	w.text(reason)
	w.end()
	w.end()
	w.envelopeEnd()
	return buf.Bytes()
}

// CheckAck checks a sink's answer to an acknowledged message: a SOAP 1.2
// envelope whose action is wsman/Ack and whose wsa:RelatesTo names the
// message (DSP0226 clause 10.7).
func CheckAck(body []byte, contentType, messageID string) error {
	env, err := decodeBody(body, contentType)
	if err != nil {
		return err
	}
	if env.Action != actionAck {
		return newFault(FaultEventInvalidMessage, "", "the answer's action is %q, not %s", env.Action, actionAck)
	}
	if env.RelatesTo != messageID {
		return newFault(FaultEventInvalidMessage, "", "the acknowledgement relates to %q, not %q", env.RelatesTo, messageID)
	}
	return nil
}

// NewMessageID returns a new "uuid:" MessageID.
func NewMessageID() string { return newMessageID() }
