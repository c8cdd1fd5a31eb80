package cim

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseObjectPath reads an untyped WBEM URI (DSP0207 clause 5) in any of
// the forms shown on ObjectPath. It also accepts a leading scheme
// ("http://host/ns:Class"), a namespace without a leading slash
// ("root/cimv2:Class") and backslashes as namespace separators
// (`\\host\root\cimv2:Class`).
//
// Key values: a double-quoted value is a string (backslash escapes the
// next character); true and false are booleans; other bare values are
// numbers: uint64 when unsigned, sint64 when negative (0x hex allowed),
// real64 when written with a decimal point or exponent. A reference key
// arrives as a string holding the nested path; Equal treats that string as
// the reference it names, and TypeKeys converts keys to the declared types.
//
// Errors are *Error with StatusInvalidParameter.
func ParseObjectPath(s string) (ObjectPath, error) {
	in := strings.TrimSpace(s)
	var p ObjectPath
	rest, err := p.parseHost(in)
	if err == nil {
		rest, err = p.parseNamespace(rest)
	}
	if err == nil {
		rest, err = p.parseClass(rest)
	}
	if err == nil {
		err = p.parseKeys(rest)
	}
	if err != nil {
		return ObjectPath{}, pathError(s, err.Error())
	}
	sortKeys(p.Keys)
	return p, nil
}

// pathReason is an error carrying only the reason; ParseObjectPath wraps it.
type pathReason string

func (r pathReason) Error() string { return string(r) }

func pathError(s, why string) *Error {
	return Errorf(StatusInvalidParameter, "invalid object path %q: %s", s, why)
}

// parseHost strips an optional scheme and "//host" prefix.
func (p *ObjectPath) parseHost(s string) (string, error) {
	if i := strings.Index(s, "://"); i > 0 && isScheme(s[:i]) {
		s = s[i+1:]
	}
	if !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, `\\`) {
		return s, nil
	}
	s = s[2:]
	end := strings.IndexAny(s, `/\`)
	if end < 0 {
		return "", pathReason("host must be followed by a namespace and class")
	}
	host := s[:end]
	if host == "" || strings.ContainsAny(host, "\"' \t\r\n,=") {
		return "", pathReason("bad host")
	}
	p.Host = host
	return s[end:], nil
}

func isScheme(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// parseNamespace takes "ns:" off the front when present.
func (p *ObjectPath) parseNamespace(s string) (string, error) {
	i := strings.IndexAny(s, `:."=`)
	if i < 0 || s[i] != ':' {
		if p.Host != "" || strings.HasPrefix(s, "/") || strings.HasPrefix(s, `\`) {
			return "", pathReason("missing ':' between namespace and class")
		}
		return s, nil
	}
	ns := NormalizeNamespace(s[:i])
	for _, part := range strings.Split(ns, "/") {
		if ns != "" && !isIdentifier(part) {
			return "", pathReason("bad namespace name")
		}
	}
	p.Namespace = ns
	return s[i+1:], nil
}

// parseClass reads the class name and returns what follows it.
func (p *ObjectPath) parseClass(s string) (string, error) {
	end := strings.IndexAny(s, ".=")
	if end < 0 {
		end = len(s)
	}
	if !isIdentifier(s[:end]) {
		return "", pathReason("bad class name")
	}
	p.ClassName = s[:end]
	return s[end:], nil
}

// parseKeys reads "", "=@" or ".k=v,k=v".
func (p *ObjectPath) parseKeys(s string) error {
	switch {
	case s == "":
		return nil
	case s == "=@":
		p.Singleton = true
		return nil
	case s[0] != '.':
		return pathReason("unexpected text after class name")
	}
	s = s[1:]
	for {
		kb, rest, err := parseKeyBinding(s)
		if err != nil {
			return err
		}
		if _, dup := p.Key(kb.Name); dup {
			return pathReason("duplicate key " + kb.Name)
		}
		p.Keys = append(p.Keys, kb)
		if rest == "" {
			return nil
		}
		if rest[0] != ',' {
			return pathReason("expected ',' after value of key " + kb.Name)
		}
		s = rest[1:]
	}
}

// parseKeyBinding reads one name=value and returns the text after it.
func parseKeyBinding(s string) (KeyBinding, string, error) {
	eq := strings.IndexByte(s, '=')
	if eq < 0 || !isIdentifier(s[:eq]) {
		return KeyBinding{}, "", pathReason("bad key name")
	}
	kb := KeyBinding{Name: s[:eq]}
	s = s[eq+1:]
	var err error
	if strings.HasPrefix(s, `"`) {
		var text string
		text, s, err = readQuoted(s)
		kb.Value = NewString(text)
	} else {
		end := strings.IndexByte(s, ',')
		if end < 0 {
			end = len(s)
		}
		kb.Value, err = parseBareKey(s[:end])
		s = s[end:]
	}
	if err != nil {
		return KeyBinding{}, "", pathReason("key " + kb.Name + ": " + err.Error())
	}
	return kb, s, nil
}

// readQuoted reads a double-quoted string starting at s[0], undoing
// backslash escapes, and returns it with the text after the closing quote.
func readQuoted(s string) (string, string, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return "", "", pathReason("unterminated string")
			}
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", pathReason("unterminated string")
}

// parseBareKey reads an unquoted key value: boolean or number.
func parseBareKey(s string) (Value, error) {
	switch {
	case strings.EqualFold(s, "true"):
		return NewBool(true), nil
	case strings.EqualFold(s, "false"):
		return NewBool(false), nil
	case s == "":
		return Value{}, pathReason("missing value")
	case isRealText(s):
		return parseReal(Real64, s)
	case s[0] == '-':
		return parseInteger(Sint64, s)
	}
	return parseInteger(Uint64, s)
}

// isRealText reports whether a bare number is written as a real.
func isRealText(s string) bool {
	body := strings.ToUpper(strings.TrimLeft(s, "+-"))
	if strings.HasPrefix(body, "0X") {
		return false
	}
	return body == "INF" || body == "NAN" || strings.ContainsAny(body, ".E")
}

// isIdentifier reports whether s is a CIM identifier: a letter or '_'
// followed by letters, digits and '_' (DSP0004 Annex A, any script).
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == utf8.RuneError || !(r == '_' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}
