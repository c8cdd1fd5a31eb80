package mof

import "unicode/utf8"

// tokKind classifies a token.
type tokKind uint8

// The token kinds. Punctuation kinds are named after their character.
const (
	tEOF     tokKind = iota
	tIllegal         // a lexical error; lexer.err says what
	tIdent           // identifier or keyword (keywords are case-insensitive identifiers)
	tInt             // integer literal in any base, without sign
	tReal            // real literal, without sign
	tString          // one double-quoted string literal, quotes included
	tChar            // one single-quoted char16 literal, quotes included
	tAlias           // $name
	tLBrace          // {
	tRBrace          // }
	tLBrack          // [
	tRBrack          // ]
	tLParen          // (
	tRParen          // )
	tComma           // ,
	tSemi            // ;
	tColon           // :
	tEquals          // =
	tHash            // #
	tMinus           // -
	tPlus            // +
)

var kindNames = [...]string{
	tEOF: "end of file", tIllegal: "illegal token", tIdent: "identifier",
	tInt: "integer", tReal: "real number", tString: "string", tChar: "char16 literal",
	tAlias: "alias", tLBrace: "'{'", tRBrace: "'}'", tLBrack: "'['", tRBrack: "']'",
	tLParen: "'('", tRParen: "')'", tComma: "','", tSemi: "';'", tColon: "':'",
	tEquals: "'='", tHash: "'#'", tMinus: "'-'", tPlus: "'+'",
}

func (k tokKind) String() string { return kindNames[k] }

// intBase records the base of an integer literal in token.base.
const (
	base10 = 10
	base16 = 16
	base8  = 8
	base2  = 2
)

// token is one lexical token: a span of the source plus its position. It
// holds no strings, so producing one allocates nothing.
type token struct {
	kind      tokKind
	base      uint8 // for tInt: 2, 8, 10 or 16
	escaped   bool  // for tString and tChar: the literal contains a backslash
	off, end  int   // byte span in the source
	line      int   // 1-based line of off
	lineStart int   // byte offset where that line starts
}

// lexer turns a MOF source (DSP0221 clause 7 lexical rules) into tokens.
// It works directly on the byte slice and keeps only offsets.
type lexer struct {
	src       []byte
	off       int
	line      int
	lineStart int
	err       string // message for the last tIllegal token
	errOff    int    // where that error is, when it is not the token start
}

func newLexer(src []byte) *lexer {
	l := &lexer{src: src, line: 1}
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		l.off = 3 // UTF-8 byte order mark
		l.lineStart = 3
	}
	return l
}

// next returns the next token. At the end of input it returns tEOF forever.
// Every call that does not return tEOF consumes at least one byte.
func (l *lexer) next() token {
	if !l.skipSpace() {
		return l.illegal(l.off, len(l.src), "unterminated comment")
	}
	t := token{off: l.off, line: l.line, lineStart: l.lineStart}
	if l.off >= len(l.src) {
		t.kind, t.end = tEOF, l.off
		return t
	}
	c := l.src[l.off]
	switch {
	case isIdentStart(c):
		l.off = l.scanIdent(l.off + 1)
		t.kind = tIdent
	case isDigit(c) || (c == '.' && l.off+1 < len(l.src) && isDigit(l.src[l.off+1])):
		return l.number(t)
	case c == '"':
		return l.quoted(t, '"', tString)
	case c == '\'':
		return l.quoted(t, '\'', tChar)
	case c == '$':
		return l.alias(t)
	default:
		return l.punct(t, c)
	}
	t.end = l.off
	return t
}

// skipSpace skips white space and comments. It reports false when a block
// comment is not closed.
func (l *lexer) skipSpace() bool {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == '\n':
			l.off++
			l.line++
			l.lineStart = l.off
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.off++
		case c == '/' && l.off+1 < len(l.src) && l.src[l.off+1] == '/':
			l.skipLineComment()
		case c == '/' && l.off+1 < len(l.src) && l.src[l.off+1] == '*':
			if !l.skipBlockComment() {
				return false
			}
		default:
			return true
		}
	}
	return true
}

func (l *lexer) skipLineComment() {
	for l.off < len(l.src) && l.src[l.off] != '\n' {
		l.off++
	}
}

func (l *lexer) skipBlockComment() bool {
	start, line, lineStart := l.off, l.line, l.lineStart
	for l.off += 2; l.off+1 < len(l.src); l.off++ {
		switch {
		case l.src[l.off] == '*' && l.src[l.off+1] == '/':
			l.off += 2
			return true
		case l.src[l.off] == '\n':
			l.line++
			l.lineStart = l.off + 1
		}
	}
	// Report the error at the comment's start.
	l.off, l.line, l.lineStart = start, line, lineStart
	return false
}

func (l *lexer) illegal(off, end int, msg string) token {
	l.err, l.errOff = msg, off
	t := token{kind: tIllegal, off: off, end: end, line: l.line, lineStart: l.lineStart}
	if end > l.off {
		l.off = end
	}
	return t
}

func (l *lexer) scanIdent(i int) int {
	for i < len(l.src) && isIdentPart(l.src[i]) {
		i++
	}
	return i
}

func (l *lexer) alias(t token) token {
	end := l.off + 1
	if end >= len(l.src) || !isIdentStart(l.src[end]) {
		return l.illegal(l.off, l.off+1, "'$' must be followed by an alias name")
	}
	l.off = l.scanIdent(end + 1)
	t.kind, t.end = tAlias, l.off
	return t
}

func (l *lexer) punct(t token, c byte) token {
	kinds := [...]struct {
		c byte
		k tokKind
	}{{'{', tLBrace}, {'}', tRBrace}, {'[', tLBrack}, {']', tRBrack}, {'(', tLParen},
		{')', tRParen}, {',', tComma}, {';', tSemi}, {':', tColon}, {'=', tEquals},
		{'#', tHash}, {'-', tMinus}, {'+', tPlus}}
	for _, p := range kinds {
		if p.c == c {
			l.off++
			t.kind, t.end = p.k, l.off
			return t
		}
	}
	_, size := utf8.DecodeRune(l.src[l.off:])
	return l.illegal(l.off, l.off+size, "unexpected character "+quoteByte(l.src[l.off:l.off+size]))
}

func quoteByte(b []byte) string {
	if r, _ := utf8.DecodeRune(b); r != utf8.RuneError && r >= 0x20 {
		return "'" + string(b) + "'"
	}
	const hex = "0123456789abcdef"
	return "0x" + string([]byte{hex[b[0]>>4], hex[b[0]&15]})
}

// quoted scans a string or char16 literal. Escapes are checked later, when
// the parser decodes the value; here a backslash only protects the next byte.
func (l *lexer) quoted(t token, q byte, kind tokKind) token {
	for i := l.off + 1; i < len(l.src); i++ {
		switch l.src[i] {
		case q:
			l.off = i + 1
			t.kind, t.end = kind, l.off
			return t
		case '\\':
			t.escaped = true
			i++
			if i < len(l.src) && l.src[i] == '\n' {
				return l.illegal(t.off, i, "unterminated "+kind.String())
			}
		case '\n':
			return l.illegal(t.off, i, "unterminated "+kind.String())
		}
	}
	return l.illegal(t.off, len(l.src), "unterminated "+kind.String())
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// number scans an integer or real literal (DSP0221 realValue, decimalValue,
// hexValue, octalValue, binaryValue). Signs are separate tokens.
func (l *lexer) number(t token) token {
	s, i := l.src, l.off
	if s[i] == '0' && i+1 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') {
		return l.hexNumber(t)
	}
	i = l.digits(i)
	t.kind, t.base = tInt, base10
	if i < len(s) && s[i] == '.' && i+1 < len(s) && isDigit(s[i+1]) {
		t.kind, i = tReal, l.digits(i+1)
	}
	if j := l.exponent(i); j > i {
		t.kind, i = tReal, j
	}
	if t.kind == tInt {
		var ok bool
		if i, ok = l.intBase(&t, i); !ok {
			return l.illegal(t.off, l.scanIdent(i), "invalid octal or binary literal")
		}
	}
	if i < len(s) && (isIdentPart(s[i]) || s[i] == '.') {
		return l.illegal(t.off, l.scanIdent(i+1), "invalid number")
	}
	l.off, t.end = i, i
	return t
}

func (l *lexer) digits(i int) int {
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	return i
}

// exponent returns the end of an exponent part starting at i, or i if
// there is none.
func (l *lexer) exponent(i int) int {
	s := l.src
	if i >= len(s) || (s[i] != 'e' && s[i] != 'E') {
		return i
	}
	j := i + 1
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	if j >= len(s) || !isDigit(s[j]) {
		return i
	}
	return l.digits(j)
}

// intBase decides between decimal, octal and binary for the digit run
// t.off..i, consuming a binary suffix.
func (l *lexer) intBase(t *token, i int) (int, bool) {
	s := l.src
	digits := s[t.off:i]
	if i < len(s) && (s[i] == 'b' || s[i] == 'B') && allIn(digits, '0', '1') {
		t.base = base2
		return i + 1, true
	}
	if len(digits) > 1 && digits[0] == '0' {
		t.base = base8
		return i, allIn(digits, '0', '7')
	}
	return i, true
}

func allIn(b []byte, lo, hi byte) bool {
	for _, c := range b {
		if c < lo || c > hi {
			return false
		}
	}
	return true
}

func (l *lexer) hexNumber(t token) token {
	s, i := l.src, l.off+2
	for i < len(s) && isHex(s[i]) {
		i++
	}
	if i == l.off+2 || (i < len(s) && (isIdentPart(s[i]) || s[i] == '.')) {
		return l.illegal(t.off, l.scanIdent(i), "invalid hexadecimal literal")
	}
	l.off = i
	t.kind, t.base, t.end = tInt, base16, i
	return t
}
