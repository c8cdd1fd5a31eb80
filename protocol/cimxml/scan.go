package cimxml

import (
	"encoding/xml"
	"errors"
	"io"
	"slices"
)

// The scanner reads the small, plain request documents real clients send
// without encoding/xml: names are compared as bytes and interned, text
// without references is handed over without copying. It knows only a
// subset of XML (ASCII text, names without prefixes, the five predefined
// entities and character references, an XML declaration of version 1.0 in
// UTF-8) and gives up on everything else: comments, processing
// instructions, CDATA sections, document type declarations, namespace
// declarations, carriage returns, anything it is not sure encoding/xml
// reads the same way. A document it gives up on, or whose decoding fails,
// is decoded again from the start with encoding/xml, so the scanner only
// ever speeds up a document both read alike (FuzzScannerMatchesDecoder
// checks that) and every error comes from encoding/xml.

// maxScanned is the largest body the scanner reads; larger ones go to
// encoding/xml directly, streamed.
const maxScanned = 64 << 10

// errGiveUp stops the scanner: the document needs encoding/xml.
var errGiveUp = errors.New("cimxml: document outside the scanner's subset")

// scanner produces the tokens encoding/xml's Token would for a document
// in its subset.
type scanner struct {
	gaveUp  bool // sticky: every later call gives up too
	b       []byte
	i       int
	open    []string // names of the open elements
	closing bool     // the last start tag was empty (<a/>): its end comes next
	text    []byte   // character data with references replaced
}

// token returns the next token, io.EOF at the end of the document, or
// errGiveUp.
func (s *scanner) token() (token, error) {
	if s.gaveUp {
		return token{}, errGiveUp
	}
	tok, err := s.scan()
	if err == errGiveUp {
		s.gaveUp = true
	}
	return tok, err
}

func (s *scanner) scan() (token, error) {
	if s.closing {
		s.closing = false
		return s.end()
	}
	if s.i == 0 && hasPrefix(s.b, "<?") {
		if !s.declaration() {
			return token{}, errGiveUp
		}
	}
	if s.i >= len(s.b) {
		if len(s.open) > 0 {
			return token{}, errGiveUp
		}
		return token{}, io.EOF
	}
	if s.b[s.i] != '<' {
		return s.charData()
	}
	if s.i+1 < len(s.b) && s.b[s.i+1] == '/' {
		return s.endTag()
	}
	return s.startTag()
}

// end pops the innermost open element as its end token.
func (s *scanner) end() (token, error) {
	s.open = s.open[:len(s.open)-1]
	return token{kind: endToken}, nil
}

// declaration reads <?xml version="1.0" encoding="utf-8" standalone="..."?>
// with encoding and standalone optional.
func (s *scanner) declaration() bool {
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
		name, ok := s.name()
		if !ok || sp == 0 || slices.Contains(seen, name) {
			return false
		}
		seen = append(seen, name)
		s.spaces()
		v, ok := s.attrValue()
		if !ok || !declValue(name, v) {
			return false
		}
	}
}

// declValue accepts the pseudo-attributes encoding/xml reads alike.
func declValue(name, v string) bool {
	switch name {
	case "version":
		return v == "1.0"
	case "encoding":
		return v == "utf-8" || v == "UTF-8"
	case "standalone":
		return v == "yes" || v == "no"
	}
	return false
}

// startTag reads <name attr="value" ...> or <name .../>.
func (s *scanner) startTag() (token, error) {
	s.i++
	name, ok := s.name()
	if !ok {
		return token{}, errGiveUp
	}
	var attrs []xml.Attr
	for {
		sp := s.spaces()
		if s.i >= len(s.b) {
			return token{}, errGiveUp
		}
		switch s.b[s.i] {
		case '>':
			s.i++
			s.open = append(s.open, name)
			return token{kind: startToken, start: xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs}}, nil
		case '/':
			if s.i+1 >= len(s.b) || s.b[s.i+1] != '>' {
				return token{}, errGiveUp
			}
			s.i += 2
			s.open = append(s.open, name)
			s.closing = true
			return token{kind: startToken, start: xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs}}, nil
		}
		a, ok := s.attr(sp > 0, attrs)
		if !ok {
			return token{}, errGiveUp
		}
		attrs = append(attrs, a)
	}
}

// attr reads name="value" after white space.
func (s *scanner) attr(spaced bool, prev []xml.Attr) (xml.Attr, bool) {
	name, ok := s.name()
	if !ok || !spaced || name == "xmlns" || hasAttr(prev, name) {
		return xml.Attr{}, false
	}
	s.spaces()
	v, ok := s.attrValue()
	return xml.Attr{Name: xml.Name{Local: name}, Value: v}, ok
}

func hasAttr(attrs []xml.Attr, name string) bool {
	for _, a := range attrs {
		if a.Name.Local == name {
			return true
		}
	}
	return false
}

// attrValue reads ="value" or ='value'.
func (s *scanner) attrValue() (string, bool) {
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
	return internValue(text), true
}

// endTag reads </name>, which must close the innermost open element.
func (s *scanner) endTag() (token, error) {
	s.i += 2
	name, ok := s.name()
	if !ok || len(s.open) == 0 || s.open[len(s.open)-1] != name {
		return token{}, errGiveUp
	}
	s.spaces()
	if s.i >= len(s.b) || s.b[s.i] != '>' {
		return token{}, errGiveUp
	}
	s.i++
	return s.end()
}

// charData reads the text up to the next tag.
func (s *scanner) charData() (token, error) {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] != '<' {
		s.i++
	}
	text, ok := s.unescape(s.b[start:s.i])
	if !ok {
		return token{}, errGiveUp
	}
	return token{kind: textToken, text: text}, nil
}

// unescape checks text and replaces its references; the result is raw
// itself when it holds none, else the scanner's scratch buffer, valid
// until the next call.
func (s *scanner) unescape(raw []byte) ([]byte, bool) {
	amp := -1
	for i, c := range raw {
		if !plainByte(c) {
			return nil, false
		}
		if c == '&' && amp < 0 {
			amp = i
		}
	}
	if hasPrefix(raw, "]]>") || containsCDATAEnd(raw) {
		return nil, false
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

// plainByte accepts the bytes the scanner's text may hold: printable
// ASCII, tab and line feed.
func plainByte(c byte) bool {
	return c >= 0x20 && c < 0x7f || c == '\t' || c == '\n'
}

func containsCDATAEnd(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == ']' && b[i+1] == ']' && b[i+2] == '>' {
			return true
		}
	}
	return false
}

// reference reads the reference at the start of b: a predefined entity or
// a character reference to a character plainByte accepts. It returns the
// character and the reference's length, 0 when it is not one of those.
func reference(b []byte) (byte, int) {
	end := 1
	for end < len(b) && end < 12 && b[end] != ';' {
		end++
	}
	if end >= len(b) || b[end] != ';' {
		return 0, 0
	}
	name := string(b[1:end]) // no allocation: compared only
	switch name {
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

// name reads an ASCII name without a prefix: a letter or underscore, then
// letters, digits, underscores, dots and hyphens.
func (s *scanner) name() (string, bool) {
	start := s.i
	for s.i < len(s.b) && nameByte(s.b[s.i], s.i == start) {
		s.i++
	}
	if s.i == start {
		return "", false
	}
	return internName(s.b[start:s.i]), true
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
func (s *scanner) spaces() int {
	start := s.i
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n') {
		s.i++
	}
	return s.i - start
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// names holds the element and attribute names of DSP0201 and the
// attribute values that recur in requests, so that reading them does not
// allocate.
var names = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"CIM", "MESSAGE", "SIMPLEREQ", "MULTIREQ", "IMETHODCALL", "METHODCALL", "LOCALNAMESPACEPATH",
		"NAMESPACE", "LOCALCLASSPATH", "LOCALINSTANCEPATH", "IPARAMVALUE", "PARAMVALUE", "CLASSNAME",
		"INSTANCENAME", "KEYBINDING", "KEYVALUE", "VALUE", "VALUE.ARRAY", "VALUE.REFERENCE",
		"VALUE.REFARRAY", "VALUE.NULL", "INSTANCE", "PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE",
		"INSTANCEPATH", "NAMESPACEPATH", "HOST", "CLASSPATH", "QUALIFIER", "VALUE.NAMEDINSTANCE",
		"CIMVERSION", "DTDVERSION", "ID", "PROTOCOLVERSION", "NAME", "TYPE", "VALUETYPE", "CLASSORIGIN",
		"PROPAGATED", "PARAMTYPE", "EmbeddedObject", "REFERENCECLASS", "ARRAYSIZE",
		"2.0", "1.0", "1001", "string", "numeric", "boolean", "uint16", "uint32", "uint64", "sint32",
		"true", "false", "TRUE", "FALSE", "reference", "root", "interop", "cimv2",
		"ClassName", "InstanceName", "ObjectName", "PropertyList", "LocalOnly", "DeepInheritance",
		"IncludeQualifiers", "IncludeClassOrigin", "MaxObjectCount", "EnumerationContext",
		"InstanceID", "Msvm_RedundancySet", "Msvm_ComputerSystem", "CreationClassName",
		"FailoverFrom", "FailoverTo", "Failover",
	} {
		m[s] = s
	}
	return m
}()

// internName returns b as a string, without allocating for known names.
func internName(b []byte) string {
	if s, ok := names[string(b)]; ok {
		return s
	}
	return string(b)
}

// internValue is internName for attribute values.
func internValue(b []byte) string { return internName(b) }

// decodeScanned decodes a whole body with the scanner; false when the
// scanner gave up or the decoding failed (encoding/xml decides then).
func decodeScanned(body []byte, lim Limits) (*Call, bool) {
	s := &scanner{b: body}
	t := &tokens{src: s, lim: lim}
	c := &Call{}
	if err := t.document(c); err != nil || s.gaveUp {
		return nil, false
	}
	return c, true
}

// readSmall reads r into b up to limit bytes. When r ends within them it
// returns the body and a nil rest; otherwise what follows the bytes read,
// to be read after them: the rest of r, or the read error r returned.
func readSmall(r io.Reader, b []byte, limit int) ([]byte, io.Reader) {
	for len(b) <= limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(cap(b), limit+1)])
		b = b[:len(b)+n]
		switch {
		case err == io.EOF && len(b) <= limit:
			return b, nil
		case err == io.EOF:
			return b, eofReader{}
		case err != nil:
			return b, errReader{err}
		}
	}
	return b, r
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
