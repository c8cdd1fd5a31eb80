// Package xmlscan reads the small, plain XML documents of CIM-XML and
// WS-Management requests without encoding/xml, giving the tokens
// encoding/xml's Decoder.Token (Strict) gives: names with namespace URIs
// (xmlns declarations applied, the xml prefix bound, xmlns attributes kept
// as encoding/xml keeps them), character data with references replaced.
// Names are compared as bytes and interned, text without references is
// handed over without copying, and a token costs no allocation beyond its
// attributes.
//
// It knows a subset of XML and gives up (ErrGiveUp) on everything else:
// comments, processing instructions other than an XML declaration of
// version 1.0, CDATA sections, document type declarations, text or
// attribute values that are not printable ASCII, tabs and line feeds
// (attribute values hold neither), carriage returns, unbound or emptied
// prefixes, repeated attributes, references other than the five entities
// and character references to the characters it accepts. A caller decodes
// a document the scanner gave up on with encoding/xml instead, so that the
// scanner only ever speeds up documents both read alike; each protocol
// checks that with a differential fuzz target.
package xmlscan

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// ErrGiveUp says that the document is outside the scanner's subset.
var ErrGiveUp = errors.New("xmlscan: document outside the scanner's subset")

// xmlURL is the namespace the xml prefix is bound to.
const xmlURL = "http://www.w3.org/XML/1998/namespace"

// Kind is the kind of a token.
type Kind uint8

// The kinds of tokens.
const (
	Start Kind = iota + 1 // a start element (an empty element gives Start, then End)
	End                   // the end of an element
	Text                  // character data
)

// Token is one token. Text is valid until the next call of Next.
type Token struct {
	Kind Kind
	Name xml.Name   // of Start and End
	Attr []xml.Attr // of Start
	Text []byte     // of Text
}

// Scanner reads the tokens of one document.
type Scanner struct {
	b        []byte
	i        int
	open     []string   // raw (prefixed) names of the open elements
	ends     []xml.Name // their names as tokens give them
	bindings []binding
	closing  bool // the last start tag was empty: its end comes next
	gaveUp   bool
	text     []byte
	charsets func(label string) bool
}

// binding is one xmlns declaration, in force inside the element at depth.
type binding struct {
	prefix, uri string
	depth       int
}

// New returns a scanner of b. charsets accepts the encoding labels of the
// XML declaration that encoding/xml would accept besides UTF-8 (nil: none).
func New(b []byte, charsets func(label string) bool) *Scanner {
	return &Scanner{b: b, charsets: charsets}
}

// Next returns the next token, io.EOF at the end of the document, or
// ErrGiveUp, after which every call gives up.
func (s *Scanner) Next() (Token, error) {
	if s.gaveUp {
		return Token{}, ErrGiveUp
	}
	tok, err := s.scan()
	if err == ErrGiveUp {
		s.gaveUp = true
	}
	return tok, err
}

// GaveUp reports whether the scanner gave up.
func (s *Scanner) GaveUp() bool { return s.gaveUp }

func (s *Scanner) scan() (Token, error) {
	if s.closing {
		s.closing = false
		return s.end(), nil
	}
	if s.i == 0 && hasPrefix(s.b, "<?") && !s.declaration() {
		return Token{}, ErrGiveUp
	}
	if s.i >= len(s.b) {
		if len(s.open) > 0 {
			return Token{}, ErrGiveUp
		}
		return Token{}, io.EOF
	}
	if s.b[s.i] != '<' {
		return s.charData()
	}
	if s.i+1 < len(s.b) && s.b[s.i+1] == '/' {
		return s.endTag()
	}
	return s.startTag()
}

// end closes the innermost open element.
func (s *Scanner) end() Token {
	depth := len(s.open)
	name := s.ends[depth-1]
	s.open, s.ends = s.open[:depth-1], s.ends[:depth-1]
	for len(s.bindings) > 0 && s.bindings[len(s.bindings)-1].depth == depth {
		s.bindings = s.bindings[:len(s.bindings)-1]
	}
	return Token{Kind: End, Name: name}
}

// declaration reads <?xml version="1.0" encoding="..." standalone="..."?>;
// version must come first, encoding and standalone are optional.
func (s *Scanner) declaration() bool {
	if !hasPrefix(s.b, "<?xml") {
		return false
	}
	s.i = len("<?xml")
	var seen []string
	for {
		sp := s.spaces()
		if hasPrefix(s.b[s.i:], "?>") {
			s.i += 2
			return len(seen) > 0 && seen[0] == "version"
		}
		name, ok := s.rawName()
		if !ok || sp == 0 || contains(seen, name) {
			return false
		}
		seen = append(seen, name)
		s.spaces()
		v, ok := s.attrValue()
		if !ok || !s.declValue(name, v) {
			return false
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// declValue accepts the pseudo-attributes encoding/xml reads alike.
func (s *Scanner) declValue(name, v string) bool {
	switch name {
	case "version":
		return v == "1.0"
	case "encoding":
		return strings.EqualFold(v, "utf-8") || s.charsets != nil && s.charsets(v)
	case "standalone":
		return v == "yes" || v == "no"
	}
	return false
}

// startTag reads <name attr="value" ...> or <name .../>.
func (s *Scanner) startTag() (Token, error) {
	s.i++
	raw, ok := s.rawName()
	if !ok {
		return Token{}, ErrGiveUp
	}
	var attrs []xml.Attr
	for {
		sp := s.spaces()
		if s.i >= len(s.b) {
			return Token{}, ErrGiveUp
		}
		switch s.b[s.i] {
		case '>':
			s.i++
			return s.opened(raw, attrs)
		case '/':
			if s.i+1 >= len(s.b) || s.b[s.i+1] != '>' {
				return Token{}, ErrGiveUp
			}
			s.i += 2
			s.closing = true
			return s.opened(raw, attrs)
		}
		name, ok := s.rawName()
		if !ok || sp == 0 || hasRaw(attrs, name) {
			return Token{}, ErrGiveUp
		}
		s.spaces()
		v, ok := s.attrValue()
		if !ok {
			return Token{}, ErrGiveUp
		}
		attrs = append(attrs, xml.Attr{Name: splitName(name), Value: v})
	}
}

// hasRaw reports whether attrs (names not yet resolved) has name.
func hasRaw(attrs []xml.Attr, name string) bool {
	n := splitName(name)
	for _, a := range attrs {
		if a.Name == n {
			return true
		}
	}
	return false
}

// splitName splits prefix:local; rawName made sure there is at most one
// colon, with text on both sides.
func splitName(raw string) xml.Name {
	if p, l, ok := strings.Cut(raw, ":"); ok {
		return xml.Name{Space: p, Local: l}
	}
	return xml.Name{Local: raw}
}

// opened applies the element's xmlns declarations, resolves its names and
// returns its start token.
func (s *Scanner) opened(raw string, attrs []xml.Attr) (Token, error) {
	depth := len(s.open) + 1
	for _, a := range attrs {
		switch {
		case a.Name.Space == "xmlns":
			if a.Value == "" || a.Name.Local == "xmlns" || a.Name.Local == "xml" {
				return Token{}, ErrGiveUp
			}
			s.bindings = append(s.bindings, binding{a.Name.Local, a.Value, depth})
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			if a.Value == "" {
				return Token{}, ErrGiveUp
			}
			s.bindings = append(s.bindings, binding{"", a.Value, depth})
		}
	}
	name, ok := s.resolve(splitName(raw), true)
	if !ok {
		return Token{}, ErrGiveUp
	}
	for i := range attrs {
		if attrs[i].Name, ok = s.resolve(attrs[i].Name, false); !ok {
			return Token{}, ErrGiveUp
		}
	}
	s.open = append(s.open, raw)
	s.ends = append(s.ends, name)
	return Token{Kind: Start, Name: name, Attr: attrs}, nil
}

// resolve gives a name its namespace URI as encoding/xml does; false for
// an unbound prefix.
func (s *Scanner) resolve(n xml.Name, element bool) (xml.Name, bool) {
	switch {
	case n.Space == "xmlns":
		return n, !element
	case n.Space == "xml":
		n.Space = xmlURL
		return n, true
	case n.Space == "" && (!element || n.Local == "xmlns"):
		return n, true
	}
	for i := len(s.bindings) - 1; i >= 0; i-- {
		if s.bindings[i].prefix == n.Space {
			n.Space = s.bindings[i].uri
			return n, true
		}
	}
	return n, n.Space == ""
}

// attrValue reads ="value" or ='value'.
func (s *Scanner) attrValue() (string, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '=' {
		return "", false
	}
	s.i++
	s.spaces()
	if s.i >= len(s.b) || s.b[s.i] != '"' && s.b[s.i] != '\'' {
		return "", false
	}
	quote := s.b[s.i]
	s.i++
	start := s.i
	for s.i < len(s.b) && s.b[s.i] != quote {
		if c := s.b[s.i]; c == '<' || c == '\t' || c == '\n' { // encoding/xml may normalize white space
			return "", false
		}
		s.i++
	}
	if s.i >= len(s.b) {
		return "", false
	}
	raw := s.b[start:s.i]
	s.i++
	text, ok := s.unescape(raw)
	if !ok {
		return "", false
	}
	return intern(text), true
}

// endTag reads </name>, which must close the innermost open element.
func (s *Scanner) endTag() (Token, error) {
	s.i += 2
	raw, ok := s.rawName()
	if !ok || len(s.open) == 0 || s.open[len(s.open)-1] != raw {
		return Token{}, ErrGiveUp
	}
	s.spaces()
	if s.i >= len(s.b) || s.b[s.i] != '>' {
		return Token{}, ErrGiveUp
	}
	s.i++
	return s.end(), nil
}

// charData reads the text up to the next tag.
func (s *Scanner) charData() (Token, error) {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] != '<' {
		s.i++
	}
	text, ok := s.unescape(s.b[start:s.i])
	if !ok {
		return Token{}, ErrGiveUp
	}
	return Token{Kind: Text, Text: text}, nil
}

// unescape checks text and replaces its references; the result is raw
// itself when it holds none, else the scanner's scratch buffer.
func (s *Scanner) unescape(raw []byte) ([]byte, bool) {
	amp := -1
	for i, c := range raw {
		if !plainByte(c) {
			return nil, false
		}
		if c == '&' && amp < 0 {
			amp = i
		}
		if c == '>' && i >= 2 && raw[i-1] == ']' && raw[i-2] == ']' {
			return nil, false
		}
	}
	if amp < 0 {
		return raw, true
	}
	out := append(s.text[:0], raw[:amp]...)
	for i := amp; i < len(raw); {
		if raw[i] != '&' {
			out = append(out, raw[i])
			i++
			continue
		}
		c, n := reference(raw[i:])
		if n == 0 {
			return nil, false
		}
		out = append(out, c)
		i += n
	}
	s.text = out
	return out, true
}

// plainByte accepts the bytes text may hold: printable ASCII, tab and
// line feed.
func plainByte(c byte) bool {
	return c >= 0x20 && c < 0x7f || c == '\t' || c == '\n'
}

// reference reads the reference at the start of b: a predefined entity or
// a character reference to a byte plainByte accepts. It returns the byte
// and the reference's length, 0 when it is not one of those.
func reference(b []byte) (byte, int) {
	end := 1
	for end < len(b) && end < 12 && b[end] != ';' {
		end++
	}
	if end >= len(b) || b[end] != ';' {
		return 0, 0
	}
	switch string(b[1:end]) {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "apos":
		return '\'', end + 1
	case "quot":
		return '"', end + 1
	}
	c, ok := charRef(b[1:end])
	if !ok {
		return 0, 0
	}
	return c, end + 1
}

// charRef reads #NNN or #xHH.
func charRef(b []byte) (byte, bool) {
	if len(b) < 2 || b[0] != '#' {
		return 0, false
	}
	base, digits := 10, b[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if len(digits) == 0 || len(digits) > 6 {
		return 0, false
	}
	n := 0
	for _, c := range digits {
		d := digitValue(c, base)
		if d < 0 {
			return 0, false
		}
		n = n*base + d
	}
	if n > 0x7f || !plainByte(byte(n)) {
		return 0, false
	}
	return byte(n), true
}

func digitValue(c byte, base int) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case base == 16 && c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case base == 16 && c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// rawName reads an ASCII name, prefixed or not: parts that start with a
// letter or underscore and go on with letters, digits, underscores, dots
// and hyphens, at most two of them joined by a colon.
func (s *Scanner) rawName() (string, bool) {
	start, colon := s.i, -1
	for s.i < len(s.b) {
		c := s.b[s.i]
		partStart := s.i == start || s.i == colon+1
		switch {
		case c == ':' && colon < 0 && !partStart:
			colon = s.i
		case nameByte(c, partStart):
		default:
			return s.nameEnd(start, colon)
		}
		s.i++
	}
	return s.nameEnd(start, colon)
}

func (s *Scanner) nameEnd(start, colon int) (string, bool) {
	if s.i == start || colon == s.i-1 {
		return "", false
	}
	return intern(s.b[start:s.i]), true
}

func nameByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case first:
		return false
	}
	return c >= '0' && c <= '9' || c == '.' || c == '-'
}

// spaces skips spaces, tabs and line feeds and returns how many.
func (s *Scanner) spaces() int {
	start := s.i
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n') {
		s.i++
	}
	return s.i - start
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// common holds the names and attribute values that recur in CIM-XML and
// WS-Management requests, so that reading them does not allocate.
var common = func() map[string]string {
	m := map[string]string{}
	for _, s := range strings.Fields(`
		CIM MESSAGE SIMPLEREQ MULTIREQ IMETHODCALL METHODCALL LOCALNAMESPACEPATH NAMESPACE
		LOCALCLASSPATH LOCALINSTANCEPATH IPARAMVALUE PARAMVALUE CLASSNAME INSTANCENAME KEYBINDING
		KEYVALUE VALUE VALUE.ARRAY VALUE.REFERENCE VALUE.REFARRAY VALUE.NULL INSTANCE PROPERTY
		PROPERTY.ARRAY PROPERTY.REFERENCE INSTANCEPATH NAMESPACEPATH HOST CLASSPATH QUALIFIER
		VALUE.NAMEDINSTANCE CIMVERSION DTDVERSION ID PROTOCOLVERSION NAME TYPE VALUETYPE CLASSORIGIN
		PROPAGATED PARAMTYPE EmbeddedObject REFERENCECLASS ARRAYSIZE
		2.0 1.0 1001 string numeric boolean uint16 uint32 uint64 sint32 true false TRUE FALSE
		reference root interop cimv2 hypervcluster v2 ClassName InstanceName ObjectName PropertyList
		LocalOnly DeepInheritance IncludeQualifiers IncludeClassOrigin MaxObjectCount
		EnumerationContext InstanceID Msvm_RedundancySet Msvm_ComputerSystem CreationClassName
		FailoverFrom FailoverTo Failover
		xmlns s:Envelope s:Header s:Body env:Envelope env:Header env:Body a:To a:Action a:MessageID
		a:ReplyTo a:Address a:RelatesTo w:ResourceURI w:SelectorSet w:Selector w:OperationTimeout
		w:MaxEnvelopeSize w:Locale w:OptionSet w:Option p:DataLocale wsa:To wsa:Action
		wsa:MessageID wsa:ReplyTo wsa:Address wsman:ResourceURI wsman:SelectorSet wsman:Selector
		wsman:OperationTimeout wsman:MaxEnvelopeSize wsman:Locale n:Enumerate n:Pull
		n:EnumerationContext n:MaxElements w:OptimizeEnumeration w:MaxElements w:EnumerationMode
		Name mustUnderstand s:mustUnderstand env:mustUnderstand xml:lang en-US
		s a w n p b env wsa wsman wsen xsi xsd
		http://www.w3.org/2003/05/soap-envelope
		http://schemas.xmlsoap.org/ws/2004/08/addressing
		http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd
		http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd
		http://schemas.xmlsoap.org/ws/2004/09/enumeration
		http://schemas.xmlsoap.org/ws/2004/09/transfer
		http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous
		http://www.w3.org/2001/XMLSchema-instance
	`) {
		m[s] = s
	}
	return m
}()

// intern returns b as a string, without allocating for common ones.
func intern(b []byte) string {
	if s, ok := common[string(b)]; ok {
		return s
	}
	return string(b)
}
