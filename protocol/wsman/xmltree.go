package wsman

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/redset/redset/internal/xmlscan"
)

// element is one node of the small tree a request is read into. WS-Man
// requests are small and their meaning depends on context (a selector may
// hold text or an endpoint reference), so the codec reads the whole
// envelope once and then walks it, always matching names by namespace URI.
type element struct {
	name  xml.Name // Space is the namespace URI, never a prefix
	attrs []xml.Attr
	text  string // character data directly inside the element
	kids  []*element
}

// Limits that keep hostile input from costing more than its size.
const (
	maxDepth    = 64
	maxElements = 100000
)

var errNoRoot = errors.New("no root element")

// maxScanned is the largest document xmlscan reads; larger ones go to
// encoding/xml directly.
const maxScanned = 64 << 10

// parseTree reads one XML document (already UTF-8) into a tree. DTDs are
// refused, as SOAP 1.2 forbids them. Errors are plain errors; the caller
// turns them into a fault. Small plain documents are read with xmlscan;
// those it gives up on, and every document that fails, with encoding/xml,
// so that every error comes from encoding/xml
// (FuzzScannedTreeMatchesDecoder checks that both read alike).
func parseTree(data []byte) (*element, error) {
	if len(data) <= maxScanned {
		if root, ok := scanTree(data); ok {
			return root, nil
		}
	}
	return decodeTree(data)
}

// scanTree reads a document with xmlscan; false when the scanner gave up
// or the document is not a tree.
func scanTree(data []byte) (*element, bool) {
	s := xmlscan.New(data, passThrough)
	b := treeBuilder{}
	for {
		tok, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
		switch tok.Kind {
		case xmlscan.Start:
			err = b.start(xml.StartElement{Name: tok.Name, Attr: tok.Attr})
		case xmlscan.End:
			b.stack = b.stack[:len(b.stack)-1]
		case xmlscan.Text:
			err = b.chars(tok.Text)
		}
		if err != nil {
			return nil, false
		}
	}
	if b.root == nil || len(b.stack) > 0 {
		return nil, false
	}
	return b.root, true
}

// decodeTree reads a document with encoding/xml.
func decodeTree(data []byte) (*element, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetPassThrough
	b := treeBuilder{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := b.add(tok); err != nil {
			return nil, err
		}
	}
	if b.root == nil || len(b.stack) > 0 {
		return nil, errNoRoot
	}
	return b.root, nil
}

// charsetPassThrough lets documents declare a UTF-16 or ASCII encoding:
// the body was converted to UTF-8 before parsing, so the bytes are passed
// on unchanged. Other encodings are refused.
func charsetPassThrough(label string, in io.Reader) (io.Reader, error) {
	if passThrough(label) {
		return in, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// passThrough reports whether charsetPassThrough accepts label.
func passThrough(label string) bool {
	switch strings.ToLower(label) {
	case "utf-16", "utf-16le", "utf-16be", "us-ascii", "ascii", "utf8":
		return true
	}
	return false
}

type treeBuilder struct {
	root  *element
	stack []*element
	count int
}

func (b *treeBuilder) add(tok xml.Token) error {
	switch t := tok.(type) {
	case xml.StartElement:
		return b.start(t)
	case xml.EndElement:
		b.stack = b.stack[:len(b.stack)-1]
	case xml.CharData:
		return b.chars(t)
	case xml.Directive:
		return errors.New("document type declarations are not allowed")
	}
	return nil
}

func (b *treeBuilder) start(t xml.StartElement) error {
	b.count++
	if len(b.stack) >= maxDepth || b.count > maxElements {
		return errors.New("document too deeply nested or too large")
	}
	el := &element{name: t.Name, attrs: t.Attr}
	if len(el.attrs) == 0 {
		el.attrs = nil // alike whichever reader gave them
	}
	if len(b.stack) == 0 {
		if b.root != nil {
			return errors.New("more than one root element")
		}
		b.root = el
	} else {
		parent := b.stack[len(b.stack)-1]
		parent.kids = append(parent.kids, el)
	}
	b.stack = append(b.stack, el)
	return nil
}

func (b *treeBuilder) chars(t xml.CharData) error {
	if len(b.stack) == 0 {
		if len(bytes.TrimSpace(t)) > 0 {
			return errors.New("text outside the root element")
		}
		return nil
	}
	top := b.stack[len(b.stack)-1]
	top.text += string(t)
	return nil
}

// is reports whether the element has the given namespace URI and local
// name.
func (e *element) is(space, local string) bool {
	return e != nil && e.name.Space == space && e.name.Local == local
}

// child returns the first child with the given name, or nil.
func (e *element) child(space, local string) *element {
	if e == nil {
		return nil
	}
	for _, k := range e.kids {
		if k.is(space, local) {
			return k
		}
	}
	return nil
}

// childText returns the trimmed text of the first child with the given
// name, and whether that child exists.
func (e *element) childText(space, local string) (string, bool) {
	k := e.child(space, local)
	if k == nil {
		return "", false
	}
	return strings.TrimSpace(k.text), true
}

// attr returns the value of the attribute with the given namespace URI and
// local name.
func (e *element) attr(space, local string) (string, bool) {
	for _, a := range e.attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// value returns the trimmed text of the element.
func (e *element) value() string { return strings.TrimSpace(e.text) }

// isNil reports whether the element carries xsi:nil="true" (XML Schema
// part 1, clause 2.6.2).
func (e *element) isNil() bool {
	v, ok := e.attr(nsXSI, "nil")
	return ok && xmlBool(v)
}

// xmlBool reads an xs:boolean: "true" or "1" (surrounding space allowed).
func xmlBool(s string) bool {
	s = strings.TrimSpace(s)
	return s == "true" || s == "1"
}
