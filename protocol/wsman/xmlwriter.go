package wsman

import (
	"bytes"

	"github.com/redset/redset/internal/xmltext"
)

// xmlWriter writes XML token by token with the fixed prefixes of this
// package. Names are written as prefix and local name; the caller declares the
// prefixes with attributes. A start tag stays open until content or the end
// tag follows, so elements without content are written self-closed.
type xmlWriter struct {
	w     *bytes.Buffer // a buffer: its methods are called directly, and never fail
	stack []qname
	open  bool // the last start tag still takes attributes
}

// qname is a prefixed element name.
type qname struct{ prefix, local string }

func newXMLWriter(w *bytes.Buffer) *xmlWriter {
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

// escape writes s as character data or an attribute value (see
// xmltext); control characters that XML 1.0 cannot carry become "?", as
// MS-WSMV 3.1.4.1.25 does.
func (x *xmlWriter) escape(s string, inAttr bool) {
	x.w.Write(xmltext.Append(x.w.AvailableBuffer(), s, inAttr, "?"))
}

// digits writes a number's text, which needs no escaping.
func (x *xmlWriter) digits(b []byte) {
	x.closeTag()
	x.w.Write(b)
}
