package cimxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// Default limits of one request message.
const (
	DefaultMaxBytes    = 16 << 20 // 16 MiB of body
	DefaultMaxDepth    = 64       // nested elements
	DefaultMaxElements = 100_000  // elements in the whole message
)

// Limits bound the work one request message may cause. Zero fields take
// the defaults.
type Limits struct {
	MaxBytes    int64
	MaxDepth    int
	MaxElements int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	return l
}

// Call is one decoded request message: the operation and what its
// response must echo.
type Call struct {
	MessageID string // ID of the MESSAGE element
	Method    string // NAME of the IMETHODCALL or METHODCALL, as sent
	Intrinsic bool   // IMETHODCALL rather than METHODCALL
	Request   *cimom.Request
}

// Decode reads one request message from r (see the package comment for
// the error levels). On a *cim.Error the returned Call has MessageID,
// Method and Intrinsic set and a nil Request, so that an ERROR response
// can be written. On a *ProtocolError the Call may be nil or partial.
//
// Small bodies are read whole and decoded by the scanner (scan.go) when
// it can; encoding/xml decodes the others, streamed.
func Decode(r io.Reader, lim Limits) (*Call, error) {
	lim = lim.withDefaults()
	bp := scanBuffers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 2*maxScanned {
			scanBuffers.Put(bp)
		}
	}()
	body, rest := readSmall(r, (*bp)[:0], int(min(maxScanned, lim.MaxBytes)))
	*bp = body[:0]
	if rest == nil {
		if c, ok := decodeScanned(body, lim); ok {
			return c, nil
		}
		return decodeXML(bytes.NewReader(body), lim)
	}
	return decodeXML(io.MultiReader(bytes.NewReader(body), rest), lim)
}

// scanBuffers recycles the buffers small bodies are read into.
var scanBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// decodeXML decodes a message with encoding/xml.
func decodeXML(r io.Reader, lim Limits) (*Call, error) {
	t := newTokens(r, lim)
	c := &Call{}
	if err := t.document(c); err != nil {
		c.Request = nil
		return c, err
	}
	return c, nil
}

// DecodeRequest decodes a request message with the default limits and
// returns its operation and message ID.
func DecodeRequest(r io.Reader) (*cimom.Request, string, error) {
	c, err := Decode(r, Limits{})
	if c == nil {
		return nil, "", err
	}
	return c.Request, c.MessageID, err
}

// errTooLarge is returned by the size-capped reader past its limit.
var errTooLarge = errors.New("request body too large")

// cappedReader fails with errTooLarge once more than n bytes were read.
type cappedReader struct {
	r io.Reader
	n int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, errTooLarge
	}
	if int64(len(p))-1 > c.n {
		p = p[:c.n+1]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// tokens reads the start and end elements of a message, enforcing the
// limits. Element names are compared without XML namespace.
type tokens struct {
	src      tokenSource // encoding/xml (xmlSource) or the scanner
	lim      Limits
	depth    int
	elements int
}

func newTokens(r io.Reader, lim Limits) *tokens {
	d := xml.NewDecoder(&cappedReader{r: r, n: lim.MaxBytes})
	d.Strict = true
	return &tokens{src: xmlSource{d}, lim: lim}
}

// token is what the message readers see of one token: a start element,
// the end of an element, or character data.
type token struct {
	kind  tokenKind
	start xml.StartElement // of a start element
	text  []byte           // of character data, valid until the next token
}

type tokenKind uint8

const (
	startToken tokenKind = iota + 1
	endToken
	textToken
)

// tokenSource reads tokens: start and end elements and character data,
// io.EOF at the end of the input.
type tokenSource interface {
	token() (token, error)
}

// xmlSource reads tokens with encoding/xml, skipping comments, processing
// instructions and directives.
type xmlSource struct{ d *xml.Decoder }

func (x xmlSource) token() (token, error) {
	for {
		tok, err := x.d.Token()
		if err != nil {
			return token{}, err
		}
		switch v := tok.(type) {
		case xml.StartElement:
			return token{kind: startToken, start: v}, nil
		case xml.EndElement:
			return token{kind: endToken}, nil
		case xml.CharData:
			return token{kind: textToken, text: v}, nil
		}
	}
}

// readErr classifies an error of the XML decoder.
func readErr(err error) error {
	switch {
	case errors.Is(err, errTooLarge), errors.As(err, new(*http.MaxBytesError)):
		return protocolErrorf(http.StatusRequestEntityTooLarge, "", "%v", err)
	case errors.Is(err, io.EOF):
		return protocolErrorf(http.StatusBadRequest, CIMErrorRequestNotWellFormed, "unexpected end of message")
	}
	return protocolErrorf(http.StatusBadRequest, CIMErrorRequestNotWellFormed, "%v", err)
}

// raw returns the next token: a start element, an end element or
// character data. At the end of input it returns io.EOF itself.
func (t *tokens) raw() (token, error) {
	tok, err := t.src.token()
	switch {
	case err == io.EOF, err == errGiveUp:
		return tok, err
	case err != nil:
		return tok, readErr(err)
	case tok.kind == startToken:
		return tok, t.enter()
	case tok.kind == endToken:
		t.depth--
	}
	return tok, nil
}

// enter counts a new element against the limits.
func (t *tokens) enter() error {
	t.depth++
	t.elements++
	if t.depth > t.lim.MaxDepth {
		return notValid("elements nested deeper than %d", t.lim.MaxDepth)
	}
	if t.elements > t.lim.MaxElements {
		return notValid("more than %d elements", t.lim.MaxElements)
	}
	return nil
}

// next returns the next start or end element; text between elements must
// be white space.
func (t *tokens) next() (token, error) {
	for {
		tok, err := t.raw()
		if err == io.EOF {
			return tok, readErr(io.EOF)
		}
		if err != nil {
			return tok, err
		}
		if tok.kind == textToken {
			if !isSpace(tok.text) {
				return tok, invalidParam("unexpected text %q", clip(string(tok.text)))
			}
			continue
		}
		return tok, nil
	}
}

// child returns the next child element of the current element, or ok
// false when the current element ends instead.
func (t *tokens) child() (se xml.StartElement, ok bool, err error) {
	tok, err := t.next()
	if err != nil {
		return se, false, err
	}
	return tok.start, tok.kind == startToken, nil
}

// need returns the next child element, which must be one of names.
func (t *tokens) need(parent string, names ...string) (xml.StartElement, error) {
	se, ok, err := t.child()
	if err != nil {
		return se, err
	}
	if !ok {
		return se, invalidParam("%s: missing %s", parent, strings.Join(names, " or "))
	}
	for _, n := range names {
		if se.Name.Local == n {
			return se, nil
		}
	}
	return se, unexpected(parent, se)
}

// end consumes the end of the current element; no more children may
// follow.
func (t *tokens) end(parent string) error {
	se, ok, err := t.child()
	if err != nil {
		return err
	}
	if ok {
		return unexpected(parent, se)
	}
	return nil
}

// empty consumes the end of an element that must have no children.
func (t *tokens) empty(se xml.StartElement) error {
	return t.end(se.Name.Local)
}

// text returns the character data of the current element, which must not
// have child elements.
func (t *tokens) text(parent string) (string, error) {
	var b strings.Builder
	for {
		tok, err := t.raw()
		if err == io.EOF {
			return "", readErr(io.EOF)
		}
		if err != nil {
			return "", err
		}
		switch tok.kind {
		case textToken:
			b.Write(tok.text)
		case startToken:
			return "", unexpected(parent, tok.start)
		default:
			return b.String(), nil
		}
	}
}

// skip consumes the rest of the current element, whatever it holds.
func (t *tokens) skip() error {
	for level := 1; level > 0; {
		tok, err := t.raw()
		if err == io.EOF {
			return readErr(io.EOF)
		}
		if err != nil {
			return err
		}
		switch tok.kind {
		case startToken:
			level++
		case endToken:
			level--
		}
	}
	return nil
}

// attr returns the value of the attribute named name (exact case).
func attr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// needAttr returns a required attribute that must not be empty.
func needAttr(se xml.StartElement, name string) (string, error) {
	v, ok := attr(se, name)
	if !ok || strings.TrimSpace(v) == "" {
		return "", invalidParam("%s: missing %s attribute", se.Name.Local, name)
	}
	return v, nil
}

func unexpected(parent string, se xml.StartElement) *cim.Error {
	return invalidParam("%s: unexpected element %s", parent, se.Name.Local)
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
