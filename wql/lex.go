package wql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokStar
	tokComma
	tokLParen
	tokRParen
	tokOp    // a comparison operator
	tokSign  // a leading + or - of a number
	tokOther // any character the grammar has no use for
)

// token is one lexical unit: its kind, its text (the unquoted contents for
// strings) and its byte offset in the query.
type token struct {
	kind tokKind
	text string
	pos  int
}

// lexer splits a query into tokens. It never fails by itself: characters it
// cannot classify become tokOther, which the parser reports with their
// position; unterminated strings are reported through err.
type lexer struct {
	src string
	pos int
	err *syntaxError
}

// syntaxError is a parse error at a byte offset.
type syntaxError struct {
	pos int
	msg string
}

func (l *lexer) next() token {
	l.skipSpace()
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, pos: l.pos}
	}
	start := l.pos
	r, size := utf8.DecodeRuneInString(l.src[l.pos:])
	switch {
	case r == '\'' || r == '"':
		return l.quoted(byte(r))
	case isIdentStart(r):
		return l.ident()
	case r >= '0' && r <= '9' || r == '.' && l.digitAt(l.pos+1):
		return l.number()
	}
	if t, ok := l.punct(); ok {
		return t
	}
	l.pos += size
	return token{kind: tokOther, text: l.src[start:l.pos], pos: start}
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		l.pos += size
	}
}

func (l *lexer) digitAt(i int) bool {
	return i < len(l.src) && l.src[i] >= '0' && l.src[i] <= '9'
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentPart(r rune) bool { return isIdentStart(r) || unicode.IsDigit(r) }

// ident scans a name, or a dotted name ("SourceInstance.RedundancyStatus"):
// a dot continues the name only when a letter or underscore follows it.
// The parser decides where a dotted name may stand.
func (l *lexer) ident() token {
	start := l.pos
	for l.pos < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.pos:])
		if r == '.' && l.identStartAt(l.pos+1) {
			l.pos++
			continue
		}
		if !isIdentPart(r) {
			break
		}
		l.pos += size
	}
	return token{kind: tokIdent, text: l.src[start:l.pos], pos: start}
}

func (l *lexer) identStartAt(i int) bool {
	if i >= len(l.src) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(l.src[i:])
	return isIdentStart(r)
}

// number scans a decimal integer, a 0x hexadecimal integer, or a real with
// a fraction and/or exponent. The parser interprets the text.
func (l *lexer) number() token {
	start := l.pos
	if strings.HasPrefix(strings.ToLower(l.src[l.pos:]), "0x") {
		l.pos += 2
		l.scanWhile(isHexDigit)
		return token{kind: tokNumber, text: l.src[start:l.pos], pos: start}
	}
	l.scanWhile(isDigit)
	if l.pos < len(l.src) && l.src[l.pos] == '.' {
		l.pos++
		l.scanWhile(isDigit)
	}
	l.exponent()
	return token{kind: tokNumber, text: l.src[start:l.pos], pos: start}
}

func (l *lexer) exponent() {
	if l.pos >= len(l.src) || (l.src[l.pos] != 'e' && l.src[l.pos] != 'E') {
		return
	}
	i := l.pos + 1
	if i < len(l.src) && (l.src[i] == '+' || l.src[i] == '-') {
		i++
	}
	if l.digitAt(i) {
		l.pos = i
		l.scanWhile(isDigit)
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f'
}

func (l *lexer) scanWhile(ok func(byte) bool) {
	for l.pos < len(l.src) && ok(l.src[l.pos]) {
		l.pos++
	}
}

// quoted scans a string literal. A backslash escapes the next character
// (WMI's rule) and a doubled quote stands for one quote (SQL's and CQL's).
func (l *lexer) quoted(q byte) token {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\\' && l.pos+1 < len(l.src):
			b.WriteByte(l.src[l.pos+1])
			l.pos += 2
		case c == q && l.pos+1 < len(l.src) && l.src[l.pos+1] == q:
			b.WriteByte(q)
			l.pos += 2
		case c == q:
			l.pos++
			return token{kind: tokString, text: b.String(), pos: start}
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	l.err = &syntaxError{pos: start, msg: "unterminated string literal"}
	return token{kind: tokEOF, pos: l.pos}
}

// punct scans the one- and two-character punctuation of the grammar.
func (l *lexer) punct() (token, bool) {
	start := l.pos
	two := ""
	if l.pos+2 <= len(l.src) {
		two = l.src[l.pos : l.pos+2]
	}
	switch two {
	case "<>", "!=", "<=", ">=":
		l.pos += 2
		return token{kind: tokOp, text: two, pos: start}, true
	}
	kind, ok := punctKinds[l.src[l.pos]]
	if !ok {
		return token{}, false
	}
	l.pos++
	return token{kind: kind, text: l.src[start:l.pos], pos: start}, true
}

var punctKinds = map[byte]tokKind{
	'*': tokStar, ',': tokComma, '(': tokLParen, ')': tokRParen,
	'=': tokOp, '<': tokOp, '>': tokOp, '+': tokSign, '-': tokSign,
}
