// Package xmltext escapes text for XML 1.0 documents: the one escaper of
// the CIM-XML and WS-Management encoders.
//
// Markup characters become entities (& < >, and " in attribute values).
// CR, and in attribute values TAB and LF, become character references so
// that a parser's end-of-line and attribute normalization keeps them.
// Other control characters, which XML 1.0 cannot carry at all, become
// the caller's replacement (CIM-XML writes U+FFFD; WS-Management "?", as
// MS-WSMV 3.1.4.1.25 does). Invalid UTF-8 and the non-characters U+FFFE
// and U+FFFF become U+FFFD.
package xmltext

import "unicode/utf8"

// Append appends s escaped to b, for character data or, when attr, for a
// double-quoted attribute value; control characters become control.
func Append(b []byte, s string, attr bool, control string) []byte {
	if plain(s, attr) {
		return append(b, s...)
	}
	last := 0
	for i := 0; i < len(s); {
		rep, size := replacement(s[i:], attr, control)
		if rep != "" {
			b = append(b, s[last:i]...)
			b = append(b, rep...)
			last = i + size
		}
		i += size
	}
	return append(b, s[last:]...)
}

// plain reports whether s is ASCII that needs no escaping, the common
// case, checked without decoding.
func plain(s string, attr bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c < 0x20 || c == '<' || c == '>' || c == '&' || c == '"' && attr {
			return false
		}
	}
	return true
}

// replacement returns what the first character of s becomes ("" to keep
// it) and its length in bytes.
func replacement(s string, attr bool, control string) (string, int) {
	c := s[0]
	if c < utf8.RuneSelf {
		return ascii(c, attr, control), 1
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
		return "\uFFFD", size
	}
	return "", size
}

// ascii returns the replacement of an ASCII byte, or "" to keep it.
func ascii(c byte, attr bool, control string) string {
	switch c {
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	case '&':
		return "&amp;"
	case '"':
		if attr {
			return "&quot;"
		}
	case '\r':
		return "&#xD;"
	case '\n':
		if attr {
			return "&#xA;"
		}
	case '\t':
		if attr {
			return "&#x9;"
		}
	default:
		if c < 0x20 {
			return control
		}
	}
	return ""
}
