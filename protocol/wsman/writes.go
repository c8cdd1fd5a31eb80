package wsman

import (
	"bufio"
	"encoding/xml"
	"io"
	"strings"
	"sync"

	"github.com/redset/redset/internal/xmlscan"
)

// RequestAction reads the wsa:Action of a request body (UTF-8 or UTF-16,
// as contentType and a byte order mark say) without judging the rest of
// the request. Identify, which carries no action, gives "". Errors are
// *Fault values: the body is not a SOAP 1.2 envelope.
func RequestAction(body []byte, contentType string) (string, error) {
	root, _, err := parseBody(body, contentType)
	if err != nil {
		return "", err
	}
	if root.name.Local != "Envelope" || root.name.Space != nsSOAP {
		return "", newFault(FaultSchemaValidationError, "", "the root element is not a SOAP 1.2 Envelope")
	}
	header := root.child(nsSOAP, "Header")
	if header == nil {
		return "", nil
	}
	action, _ := header.childText(nsWSA, "Action")
	return action, nil
}

// WritesAction reports whether an action asks for a change: Put, Create,
// Delete or a custom action (a CIM method such as Failover), and the
// eventing actions (Subscribe, Renew, GetStatus, Unsubscribe), served
// where the subscriptions are kept (a cluster's leader). Get and the
// enumeration actions read (a Pull of events too); Identify ("") reads.
func WritesAction(action string) bool {
	switch strings.TrimSpace(action) {
	case "", actionGet, actionEnumerate, actionPull, actionRelease:
		return false
	}
	return true
}

// PullAction reports whether action is WS-Enumeration's Pull, which reads
// an enumeration or, on a subscription's context, takes its events (see
// EventPull).
func PullAction(action string) bool { return strings.TrimSpace(action) == actionPull }

// EventPull reports whether a request body is a Pull of a WS-Eventing
// subscription's events (its context "<identifier>#Events"), served where
// the subscriptions are kept, like the other eventing actions.
func EventPull(body []byte, contentType string) bool {
	env, err := decodeBody(body, contentType)
	return err == nil && env.eventPull()
}

// ReadAction is RequestAction on a stream: it reads r only as far as it
// must to find the action (up to the start of the SOAP Body at most), so
// that a request can be judged without holding its whole body. What it
// read is the caller's to keep (an io.TeeReader) and hand on with the rest.
// A UTF-16 body is read whole and judged by RequestAction. A body whose
// Header ends, or whose Body starts, without a wsa:Action gives "".
func ReadAction(r io.Reader, contentType string) (string, error) {
	br := actionReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() { br.Reset(nil); actionReaders.Put(br) }()
	head, _ := br.Peek(3)
	enc, rest, err := detectEncoding(head, contentType)
	if err != nil {
		return "", newFault(FaultEncodingLimit, DetailCharacterSet, "%v", err)
	}
	if enc != UTF8 {
		data, err := io.ReadAll(br)
		if err != nil {
			return "", err
		}
		return RequestAction(data, contentType)
	}
	if _, err := br.Discard(len(head) - len(rest)); err != nil { // the byte order mark
		return "", err
	}
	if data, _ := br.Peek(peekAction); len(data) > 0 {
		if action, ok := scanAction(data); ok {
			return action, nil
		}
	}
	return streamAction(br)
}

// peekAction is how much of a UTF-8 body ReadAction hands to scanAction:
// enough for the Header of every request clients send.
const peekAction = 4096

// actionReaders are ReadAction's buffers, used again.
var actionReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, peekAction) }}

// scanAction is streamAction on the start of a body, read with xmlscan:
// ok is false when the scanner gives up or data ends before the answer,
// and then streamAction (encoding/xml) decides. Only whole tags decide:
// the scanner gives up on a tag cut short, and the text of the action
// counts once its end tag is read.
func scanAction(data []byte) (action string, ok bool) {
	s := xmlscan.New(data, passThrough)
	depth, inHeader, inAction := 0, false, false
	var text []byte
	for {
		tok, err := s.Next()
		if err != nil {
			return "", false
		}
		switch tok.Kind {
		case xmlscan.Start:
			depth++
			switch {
			case depth == 1 && tok.Name != (xml.Name{Space: nsSOAP, Local: "Envelope"}):
				return "", false // streamAction writes the fault
			case depth == 2 && tok.Name == xml.Name{Space: nsSOAP, Local: "Body"}:
				return "", true
			case depth == 2:
				inHeader = tok.Name == xml.Name{Space: nsSOAP, Local: "Header"}
			case depth == 3 && inHeader && tok.Name == xml.Name{Space: nsWSA, Local: "Action"}:
				inAction = true
			}
		case xmlscan.End:
			switch {
			case inAction && depth == 3:
				return strings.TrimSpace(string(text)), true
			case depth == 2 && inHeader:
				return "", true
			}
			depth--
		case xmlscan.Text:
			if inAction && depth == 3 {
				text = append(text, tok.Text...)
			}
		}
	}
}

// streamAction reads tokens until the envelope's Header yields its
// wsa:Action, or shows that there is none.
func streamAction(r io.Reader) (string, error) {
	d := xml.NewDecoder(r)
	d.CharsetReader = charsetPassThrough
	depth, inHeader := 0, false
	for {
		tok, err := d.Token()
		if err != nil {
			return "", newFault(FaultSchemaValidationError, "", "malformed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name != (xml.Name{Space: nsSOAP, Local: "Envelope"}):
				return "", newFault(FaultSchemaValidationError, "", "the root element is not a SOAP 1.2 Envelope")
			case depth == 2 && t.Name == xml.Name{Space: nsSOAP, Local: "Body"}:
				return "", nil
			case depth == 2:
				inHeader = t.Name == xml.Name{Space: nsSOAP, Local: "Header"}
			case depth == 3 && inHeader && t.Name == xml.Name{Space: nsWSA, Local: "Action"}:
				return elementText(d)
			}
		case xml.EndElement:
			if depth == 2 && inHeader {
				return "", nil
			}
			depth--
		}
	}
}

// elementText reads the trimmed text of the element just started, up to
// its end (the text of elements inside it is skipped).
func elementText(d *xml.Decoder) (string, error) {
	var text strings.Builder
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return "", newFault(FaultSchemaValidationError, "", "malformed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return strings.TrimSpace(text.String()), nil
			}
			depth--
		case xml.CharData:
			if depth == 0 {
				text.Write(t)
			}
		}
	}
}
