package wsman

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"
)

// Envelope is a decoded WS-Management request: the SOAP 1.2 envelope's
// addressing and WS-Management headers (DSP0226 clauses 5 and 6) and its
// body, read by namespace URI whatever prefixes the client chose.
type Envelope struct {
	Encoding  Encoding // of the request; the answer uses the same
	Action    string   // wsa:Action; empty for Identify
	To        string   // wsa:To, accepted whatever it says
	MessageID string   // wsa:MessageID, any text ("uuid:…", "0")
	RelatesTo string   // wsa:RelatesTo, in answers (an event sink's wsman:Ack)
	ReplyTo   string   // the wsa:Address of wsa:ReplyTo, "" when absent
	FaultTo   string   // the wsa:Address of wsa:FaultTo, "" when absent

	ResourceURI string     // w:ResourceURI
	Selectors   []Selector // w:SelectorSet, in request order

	OperationTimeout time.Duration // w:OperationTimeout; 0 when absent
	MaxEnvelopeSize  int           // w:MaxEnvelopeSize in octets; 0 when absent
	Locale           string        // xml:lang of w:Locale
	DataLocale       string        // xml:lang of MS-WSMV's DataLocale
	Options          []Option      // w:OptionSet
	Identifier       string        // wse:Identifier: the subscription a Renew, GetStatus or Unsubscribe is for

	body *element // the first element inside s:Body; nil when empty
}

// Selector is one w:Selector: a name with a text value, or with an
// endpoint reference for a reference-typed key (DSP0226 clause 5.1.2.2).
type Selector struct {
	Name  string
	Value string
	EPR   *EPR // set instead of Value for an embedded endpoint reference
}

// EPR is a WS-Management endpoint reference (DSP0226 clause 5.1): an address
// and the reference parameters that name one resource.
type EPR struct {
	Address     string
	ResourceURI string
	Selectors   []Selector
}

// Option is one w:Option of a w:OptionSet (DSP0226 clause 6.4).
type Option struct {
	Name, Type, Value string
	MustComply        bool
}

// maxSelectors bounds the selectors of one set (DSP0226 lets a service
// refuse too many with w:EncodingLimit, detail SelectorLimit).
const maxSelectors = 64

// DecodeEnvelope reads a request body. contentType is the HTTP
// Content-Type, whose charset parameter (with a byte order mark, which
// wins) selects UTF-8 or UTF-16. Errors are *Fault values: malformed XML,
// a non-SOAP-1.2 envelope, unknown mandatory headers (s:MustUnderstand) and
// malformed WS-Addressing or WS-Management headers. On a header fault the
// returned Envelope still holds the MessageID, so the fault can relate to
// the request; on a parse fault it is nil.
func DecodeEnvelope(r io.Reader, contentType string) (*Envelope, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, newFault(FaultSchemaValidationError, "", "reading the request: %v", err)
	}
	return decodeBody(data, contentType)
}

// decodeBody is DecodeEnvelope on a body already read.
func decodeBody(data []byte, contentType string) (*Envelope, error) {
	root, enc, err := parseBody(data, contentType)
	if err != nil {
		return nil, err
	}
	env := &Envelope{Encoding: enc}
	return env, env.decode(root)
}

// parseBody converts the body to UTF-8 and reads it into a tree.
func parseBody(data []byte, contentType string) (*element, Encoding, error) {
	enc, data, err := detectEncoding(data, contentType)
	if err != nil {
		return nil, enc, newFault(FaultEncodingLimit, DetailCharacterSet, "%v", err)
	}
	data, err = toUTF8(enc, data)
	if err != nil {
		return nil, enc, newFault(FaultEncodingLimit, DetailCharacterSet, "%v", err)
	}
	root, err := parseTree(data)
	if err != nil {
		return nil, enc, newFault(FaultSchemaValidationError, "", "malformed XML: %v", err)
	}
	return root, enc, nil
}

// decode checks the SOAP 1.2 envelope structure (SOAP 1.2 part 1, clause
// 5): an Envelope holding an optional Header and a Body, in that order.
func (e *Envelope) decode(root *element) error {
	if root.name.Local != "Envelope" || root.name.Space != nsSOAP {
		return newFault(FaultVersionMismatch, "", "the root element must be a SOAP 1.2 Envelope (%s)", nsSOAP)
	}
	var header, body *element
	for _, k := range root.kids {
		switch {
		case k.is(nsSOAP, "Header") && header == nil && body == nil:
			header = k
		case k.is(nsSOAP, "Body") && body == nil:
			body = k
		default:
			return newFault(FaultSchemaValidationError, "", "unexpected element %s in the Envelope", k.name.Local)
		}
	}
	if body == nil {
		return newFault(FaultSchemaValidationError, "", "the Envelope has no Body")
	}
	if len(body.kids) > 0 {
		e.body = body.kids[0]
	}
	if header == nil {
		return nil
	}
	return e.readHeaders(header)
}

// headerReader decodes one understood header into the envelope.
type headerReader func(e *Envelope, h *element) error

// headerReaders lists every header redset understands. A header outside
// this table is ignored unless it is marked mustUnderstand, which makes the
// request fail with s:MustUnderstand (SOAP 1.2 part 1, clause 5.2.3).
var headerReaders = map[xml.Name]headerReader{
	{Space: nsWSA, Local: "Action"}:                           textHeader(func(e *Envelope) *string { return &e.Action }),
	{Space: nsWSA, Local: "To"}:                               textHeader(func(e *Envelope) *string { return &e.To }),
	{Space: nsWSA, Local: "MessageID"}:                        textHeader(func(e *Envelope) *string { return &e.MessageID }),
	{Space: nsWSA, Local: "ReplyTo"}:                          addressHeader(func(e *Envelope) *string { return &e.ReplyTo }),
	{Space: nsWSA, Local: "FaultTo"}:                          addressHeader(func(e *Envelope) *string { return &e.FaultTo }),
	{Space: nsWSA, Local: "RelatesTo"}:                        textHeader(func(e *Envelope) *string { return &e.RelatesTo }),
	{Space: nsWSA, Local: "From"}:                             ignoreHeader,
	{Space: nsWSMan, Local: "ResourceURI"}:                    textHeader(func(e *Envelope) *string { return &e.ResourceURI }),
	{Space: nsWSMan, Local: "SelectorSet"}:                    (*Envelope).readSelectorSet,
	{Space: nsWSMan, Local: "OperationTimeout"}:               (*Envelope).readOperationTimeout,
	{Space: nsWSMan, Local: "MaxEnvelopeSize"}:                (*Envelope).readMaxEnvelopeSize,
	{Space: nsWSMan, Local: "Locale"}:                         localeHeader(func(e *Envelope) *string { return &e.Locale }),
	{Space: nsWSMan, Local: "OptionSet"}:                      (*Envelope).readOptionSet,
	{Space: nsWSMan, Local: "RequestEPR"}:                     ignoreHeader,
	{Space: nsWSMan, Local: "RequestTotalItemsCountEstimate"}: ignoreHeader,
	{Space: nsWSMan, Local: "FragmentTransfer"}:               refuseFragments,
	{Space: nsWSE, Local: "Identifier"}:                       textHeader(func(e *Envelope) *string { return &e.Identifier }),
	{Space: nsMSWSMan, Local: "DataLocale"}:                   localeHeader(func(e *Envelope) *string { return &e.DataLocale }),
	{Space: nsMSWSMan, Local: "SessionId"}:                    ignoreHeader,
	{Space: nsMSWSMan, Local: "OperationID"}:                  ignoreHeader,
	{Space: nsMSWSMan, Local: "SequenceId"}:                   ignoreHeader,
	{Space: nsMSWSMan, Local: "ActivityId"}:                   ignoreHeader,
}

// readHeaders first looks for mandatory headers it cannot understand (that
// fault wins over every other), then decodes the known ones. A known header
// given twice is an invalid message information header.
func (e *Envelope) readHeaders(header *element) error {
	var notUnderstood []xml.Name
	for _, h := range header.kids {
		if _, ok := headerReaders[h.name]; !ok && mustUnderstand(h) {
			notUnderstood = append(notUnderstood, h.name)
		}
	}
	e.readMessageID(header)
	if len(notUnderstood) > 0 {
		return &Fault{Kind: FaultMustUnderstand, NotUnderstood: notUnderstood,
			Reason: "the header " + notUnderstood[0].Local + " is mandatory but not understood"}
	}
	seen := map[xml.Name]bool{}
	for _, h := range header.kids {
		read, ok := headerReaders[h.name]
		if !ok {
			continue
		}
		if seen[h.name] {
			return newFault(FaultInvalidMessageInformationHeader, "", "the header %s appears twice", h.name.Local)
		}
		seen[h.name] = true
		if err := read(e, h); err != nil {
			return err
		}
	}
	return nil
}

// readMessageID picks up the MessageID early, so that faults about other
// headers can still carry wsa:RelatesTo.
func (e *Envelope) readMessageID(header *element) {
	if id, ok := header.childText(nsWSA, "MessageID"); ok {
		e.MessageID = id
	}
}

// mustUnderstand reads the SOAP mustUnderstand attribute; the namespace-less
// spelling some clients write is accepted too.
func mustUnderstand(h *element) bool {
	if v, ok := h.attr(nsSOAP, "mustUnderstand"); ok {
		return xmlBool(v)
	}
	v, ok := h.attr("", "mustUnderstand")
	return ok && xmlBool(v)
}

func ignoreHeader(*Envelope, *element) error { return nil }

func textHeader(field func(*Envelope) *string) headerReader {
	return func(e *Envelope, h *element) error {
		*field(e) = h.value()
		return nil
	}
}

// addressHeader reads wsa:ReplyTo or wsa:FaultTo, which must hold a
// wsa:Address (WS-Addressing 2004/08, clause 2.1).
func addressHeader(field func(*Envelope) *string) headerReader {
	return func(e *Envelope, h *element) error {
		addr, ok := h.childText(nsWSA, "Address")
		if !ok || addr == "" {
			return newFault(FaultInvalidMessageInformationHeader, "", "%s has no wsa:Address", h.name.Local)
		}
		*field(e) = addr
		return nil
	}
}

// localeHeader reads w:Locale or DataLocale (DSP0226 clause 6.3, MS-WSMV
// 3.1.4.1.8-9). Answers are written in English: a mandatory request for
// another language is refused with w:UnsupportedFeature.
func localeHeader(field func(*Envelope) *string) headerReader {
	return func(e *Envelope, h *element) error {
		lang, _ := h.attr(nsXML, "lang")
		*field(e) = lang
		if mustUnderstand(h) && !isEnglish(lang) {
			return newFault(FaultUnsupportedFeature, DetailLocale, "only English (en) is served, not %q", lang)
		}
		return nil
	}
}

func isEnglish(lang string) bool {
	l := strings.ToLower(lang)
	return l == "" || l == "en" || strings.HasPrefix(l, "en-")
}

// refuseFragments answers w:FragmentTransfer (DSP0226 clause 7.7), which
// redset does not implement, with w:UnsupportedFeature whatever its
// mustUnderstand says: ignoring it would answer with the whole resource.
func refuseFragments(*Envelope, *element) error {
	return newFault(FaultUnsupportedFeature, DetailFragmentLevelAccess, "fragment-level access is not supported")
}

// readOperationTimeout reads w:OperationTimeout, an xs:duration (DSP0226
// clause 6.1).
func (e *Envelope) readOperationTimeout(h *element) error {
	d, err := parseDuration(h.value())
	if err != nil || d <= 0 {
		return newFault(FaultInvalidMessageInformationHeader, DetailInvalidTimeout, "OperationTimeout %q is not a positive xs:duration", h.value())
	}
	e.OperationTimeout = d
	return nil
}

// readMaxEnvelopeSize reads w:MaxEnvelopeSize (DSP0226 clause 6.2): a
// positive number of octets, at least 8192.
func (e *Envelope) readMaxEnvelopeSize(h *element) error {
	n, err := strconv.ParseUint(h.value(), 10, 31)
	if err != nil || n == 0 {
		return newFault(FaultInvalidMessageInformationHeader, "", "MaxEnvelopeSize %q is not a positive integer", h.value())
	}
	if n < 8192 {
		return newFault(FaultEncodingLimit, DetailMinimumEnvelopeLimit, "MaxEnvelopeSize %d is below the minimum of 8192 octets", n)
	}
	e.MaxEnvelopeSize = int(n)
	return nil
}

// readOptionSet reads w:OptionSet (DSP0226 clause 6.4). redset honours no
// option, so it processes the set (whatever its mustUnderstand says, as
// MS-WSMV 3.1.4.1.10 does) and refuses any option marked MustComply.
func (e *Envelope) readOptionSet(h *element) error {
	for _, o := range h.kids {
		if !o.is(nsWSMan, "Option") {
			continue
		}
		opt := Option{Value: o.value()}
		opt.Name, _ = o.attr("", "Name")
		opt.Type, _ = o.attr("", "Type")
		mc, _ := o.attr("", "MustComply")
		opt.MustComply = xmlBool(mc)
		if opt.MustComply {
			return newFault(FaultInvalidOptions, DetailNotSupported, "the option %q is not supported", opt.Name)
		}
		e.Options = append(e.Options, opt)
	}
	return nil
}

// readSelectorSet reads the w:SelectorSet header.
func (e *Envelope) readSelectorSet(h *element) error {
	sels, err := readSelectors(h)
	e.Selectors = sels
	return err
}

// readSelectors reads the w:Selector children of a selector set. A selector
// holds text (trimmed of surrounding white space, so pretty-printed requests
// work), or an endpoint reference (wrapped in wsa:EndpointReference, or
// given directly as wsa:Address and wsa:ReferenceParameters). Names must be
// present and unique ignoring case (DSP0226 clause 5.1.2.2).
func readSelectors(set *element) ([]Selector, error) {
	var sels []Selector
	for _, s := range set.kids {
		if !s.is(nsWSMan, "Selector") {
			continue
		}
		if len(sels) == maxSelectors {
			return sels, newFault(FaultEncodingLimit, DetailSelectorLimit, "more than %d selectors", maxSelectors)
		}
		sel, err := readSelector(s, sels)
		if err != nil {
			return sels, err
		}
		sels = append(sels, sel)
	}
	return sels, nil
}

func readSelector(s *element, previous []Selector) (Selector, error) {
	name, _ := s.attr("", "Name")
	sel := Selector{Name: strings.TrimSpace(name)}
	if sel.Name == "" {
		return sel, newFault(FaultInvalidSelectors, "", "a selector has no Name")
	}
	for _, p := range previous {
		if strings.EqualFold(p.Name, sel.Name) {
			return sel, newFault(FaultInvalidSelectors, DetailDuplicateSelectors, "the selector %s appears twice", sel.Name)
		}
	}
	if ref := eprElement(s); ref != nil {
		epr, err := readEPR(ref)
		sel.EPR = &epr
		return sel, err
	}
	sel.Value = s.value()
	return sel, nil
}

// eprElement finds the endpoint reference inside an element: a wrapping
// wsa:EndpointReference, or the element itself when it holds wsa:Address or
// wsa:ReferenceParameters directly (DSP0230's form for references).
func eprElement(e *element) *element {
	if ref := e.child(nsWSA, "EndpointReference"); ref != nil {
		return ref
	}
	if e.child(nsWSA, "ReferenceParameters") != nil || e.child(nsWSA, "Address") != nil {
		return e
	}
	return nil
}

// readEPR reads wsa:Address and wsa:ReferenceParameters (with its
// w:ResourceURI and w:SelectorSet).
func readEPR(e *element) (EPR, error) {
	var epr EPR
	epr.Address, _ = e.childText(nsWSA, "Address")
	params := e.child(nsWSA, "ReferenceParameters")
	if params == nil {
		return epr, newFault(FaultInvalidSelectors, DetailInvalidValue, "an endpoint reference has no wsa:ReferenceParameters")
	}
	epr.ResourceURI, _ = params.childText(nsWSMan, "ResourceURI")
	if set := params.child(nsWSMan, "SelectorSet"); set != nil {
		sels, err := readSelectors(set)
		epr.Selectors = sels
		return epr, err
	}
	return epr, nil
}
