package wsman

import (
	"unicode/utf8"
)

// textWriter is what the XML writer writes to: a *bufio.Writer or a
// *bytes.Buffer. Write errors are sticky in both; the caller checks once at
// the end.
type textWriter interface {
	Write(p []byte) (int, error)
	WriteString(s string) (int, error)
	WriteByte(c byte) error
}

// xmlWriter writes XML token by token with the fixed prefixes of this
// package. Names are written as prefix and local name; the caller declares the
// prefixes with attributes. A start tag stays open until content or the end
// tag follows, so elements without content are written self-closed.
type xmlWriter struct {
	w     textWriter
	stack []qname
	open  bool // the last start tag still takes attributes
}

// qname is a prefixed element name.
type qname struct{ prefix, local string }

func newXMLWriter(w textWriter) *xmlWriter {
	return &xmlWriter{w: w, stack: make([]qname, 0, 16)}
}

// start opens the element prefix:local.
func (x *xmlWriter) start(prefix, local string) {
	x.closeTag()
	x.w.WriteByte('<')
	x.writeName(prefix, local)
	x.stack = append(x.stack, qname{prefix, local})
	x.open = true
}

func (x *xmlWriter) writeName(prefix, local string) {
	x.w.WriteString(prefix)
	x.w.WriteByte(':')
	x.w.WriteString(local)
}

// attr adds an attribute to the element just started.
func (x *xmlWriter) attr(name, value string) {
	x.w.WriteByte(' ')
	x.w.WriteString(name)
	x.w.WriteString(`="`)
	x.escape(value, true)
	x.w.WriteByte('"')
}

// text writes character data.
func (x *xmlWriter) text(s string) {
	x.closeTag()
	x.escape(s, false)
}

// end closes the innermost open element.
func (x *xmlWriter) end() {
	name := x.stack[len(x.stack)-1]
	x.stack = x.stack[:len(x.stack)-1]
	if x.open {
		x.w.WriteString("/>")
		x.open = false
		return
	}
	x.w.WriteString("</")
	x.writeName(name.prefix, name.local)
	x.w.WriteByte('>')
}

// elem writes an element holding text.
func (x *xmlWriter) elem(prefix, local, text string) {
	x.start(prefix, local)
	x.text(text)
	x.end()
}

// empty writes an element without content.
func (x *xmlWriter) empty(prefix, local string) {
	x.start(prefix, local)
	x.end()
}

func (x *xmlWriter) closeTag() {
	if x.open {
		x.w.WriteByte('>')
		x.open = false
	}
}

// escape writes s as character data or an attribute value. Markup
// characters become entities; CR (and, in attributes, tab and LF) become
// character references so they survive end-of-line normalization; control
// characters that XML 1.0 cannot carry become "?" (as MS-WSMV
// 3.1.4.1.25 does) and invalid UTF-8 becomes U+FFFD.
func (x *xmlWriter) escape(s string, inAttr bool) {
	if plainText(s, inAttr) {
		x.w.WriteString(s)
		return
	}
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
				x.w.WriteString(s[last:i])
				x.w.WriteString("\uFFFD")
				last = i + size
			}
			i += size
			continue
		}
		if rep := escapeASCII(c, inAttr); rep != "" {
			x.w.WriteString(s[last:i])
			x.w.WriteString(rep)
			last = i + 1
		}
		i++
	}
	x.w.WriteString(s[last:])
}

// plainText reports whether s is ASCII that needs no escaping, the common
// case, checked without decoding.
func plainText(s string, inAttr bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c < 0x20 || c == '<' || c == '>' || c == '&' || c == '"' && inAttr {
			return false
		}
	}
	return true
}

// escapeASCII returns the replacement of an ASCII byte, or "" to keep it.
func escapeASCII(c byte, inAttr bool) string {
	switch c {
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	case '&':
		return "&amp;"
	case '"':
		if inAttr {
			return "&quot;"
		}
	case '\r':
		return "&#xD;"
	case '\n':
		if inAttr {
			return "&#xA;"
		}
	case '\t':
		if inAttr {
			return "&#x9;"
		}
	default:
		if c < 0x20 {
			return "?"
		}
	}
	return ""
}

// digits writes a number's text, which needs no escaping.
func (x *xmlWriter) digits(b []byte) {
	x.closeTag()
	x.w.Write(b)
}
