package wsman

import (
	"bytes"
	"encoding/binary"
	"errors"
	"mime"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding is the character encoding of a message. DSP0226 (clause 13,
// "character encoding") lets clients send UTF-8 or UTF-16; redset answers
// in the encoding of the request.
type Encoding uint8

// The encodings served.
const (
	UTF8 Encoding = iota
	UTF16LE
	UTF16BE
)

// String names the encoding as a charset parameter spells it.
func (e Encoding) String() string {
	if e == UTF8 {
		return "UTF-8"
	}
	return "UTF-16"
}

var errOddUTF16 = errors.New("UTF-16 body has an odd number of bytes")

// detectEncoding finds the encoding of a body: a byte order mark wins,
// then the charset parameter of the Content-Type, then a look at the first
// bytes (an XML document starts with '<'). It returns the body without its
// byte order mark.
func detectEncoding(data []byte, contentType string) (Encoding, []byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return UTF8, data[3:], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return UTF16LE, data[2:], nil
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return UTF16BE, data[2:], nil
	}
	enc, err := charsetEncoding(contentType)
	if err != nil {
		return UTF8, nil, err
	}
	if enc == UTF16BE && len(data) > 1 && data[0] == '<' && data[1] == 0 {
		enc = UTF16LE // "utf-16" without a mark, written little-endian
	}
	return enc, data, nil
}

// charsetEncoding reads the charset parameter of a Content-Type. No
// charset means UTF-8; "utf-16" without a byte order mark means big-endian
// (RFC 2781 clause 4.3), corrected by detectEncoding when the first bytes
// say otherwise.
func charsetEncoding(contentType string) (Encoding, error) {
	if contentType == "" {
		return UTF8, nil
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return UTF8, nil // an unreadable header does not stop a UTF-8 body
	}
	switch strings.ToLower(params["charset"]) {
	case "", "utf-8", "utf8", "us-ascii":
		return UTF8, nil
	case "utf-16", "utf-16be":
		return UTF16BE, nil
	case "utf-16le":
		return UTF16LE, nil
	}
	return UTF8, errors.New("unsupported charset " + params["charset"])
}

// toUTF8 converts a body in enc to UTF-8.
func toUTF8(enc Encoding, data []byte) ([]byte, error) {
	if enc == UTF8 {
		return data, nil
	}
	if len(data)%2 != 0 {
		return nil, errOddUTF16
	}
	order := byteOrder(enc)
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = order.Uint16(data[2*i:])
	}
	out := make([]byte, 0, len(units))
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// fromUTF8 converts UTF-8 text to enc, with a byte order mark for UTF-16.
func fromUTF8(enc Encoding, data []byte) []byte {
	if enc == UTF8 {
		return data
	}
	order := byteOrder(enc)
	out := order.AppendUint16(make([]byte, 0, 2*len(data)+2), 0xFEFF)
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		data = data[size:]
		for _, u := range utf16.AppendRune(nil, r) {
			out = order.AppendUint16(out, u)
		}
	}
	return out
}

// unitOrder reads and writes UTF-16 code units in one byte order.
type unitOrder interface {
	Uint16([]byte) uint16
	AppendUint16([]byte, uint16) []byte
}

func byteOrder(enc Encoding) unitOrder {
	if enc == UTF16BE {
		return binary.BigEndian
	}
	return binary.LittleEndian
}
