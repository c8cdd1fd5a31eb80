package cimxml

import (
	"encoding/xml"
	"io"

	"github.com/redset/redset/internal/xmlscan"
)

// Small request bodies are read whole and decoded with xmlscan, which
// knows the plain XML real clients send; a document it gives up on, or
// whose decoding fails, is decoded again from the start with encoding/xml,
// so the scanner only ever speeds up a document both read alike
// (FuzzScannerMatchesDecoder checks that) and every error comes from
// encoding/xml.

// maxScanned is the largest body the scanner reads; larger ones go to
// encoding/xml directly, streamed.
const maxScanned = 64 << 10

// errGiveUp stops the decoding: the document needs encoding/xml.
var errGiveUp = xmlscan.ErrGiveUp

// scanSource reads tokens with xmlscan.
type scanSource struct{ s *xmlscan.Scanner }

func (x scanSource) token() (token, error) {
	tok, err := x.s.Next()
	if err != nil {
		return token{}, err
	}
	switch tok.Kind {
	case xmlscan.Start:
		return token{kind: startToken, start: xml.StartElement{Name: tok.Name, Attr: tok.Attr}}, nil
	case xmlscan.End:
		return token{kind: endToken}, nil
	}
	return token{kind: textToken, text: tok.Text}, nil
}

// decodeScanned decodes a whole body with the scanner; false when the
// scanner gave up or the decoding failed (encoding/xml decides then).
func decodeScanned(body []byte, lim Limits) (*Call, bool) {
	s := xmlscan.New(body, nil)
	t := &tokens{src: scanSource{s}, lim: lim}
	c := &Call{}
	if err := t.document(c); err != nil || s.GaveUp() {
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
