package mof

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// literal parses a constant value, an array of constants, or (when
// allowAlias) an alias reference. It returns nil after a failure.
func (p *parser) literal(allowAlias bool) *Literal {
	if p.failed {
		return nil
	}
	if p.tok.kind == tLBrace {
		return p.arrayLiteral(allowAlias)
	}
	return p.scalar(allowAlias)
}

func (p *parser) arrayLiteral(allowAlias bool) *Literal {
	lit := &Literal{Pos: p.pos(p.tok), Kind: LitArray, Elems: []Literal{}}
	p.next()
	for !p.failed && p.tok.kind != tRBrace {
		e := p.scalar(allowAlias)
		if e == nil {
			return nil
		}
		lit.Elems = append(lit.Elems, *e)
		if !p.accept(tComma) {
			break
		}
	}
	if !p.expect(tRBrace) {
		return nil
	}
	return lit
}

// scalar parses one constant: number, string(s), char16, boolean, null or
// alias.
func (p *parser) scalar(allowAlias bool) *Literal {
	pos := p.pos(p.tok)
	switch p.tok.kind {
	case tMinus, tPlus, tInt, tReal:
		return p.number(pos)
	case tString:
		return p.stringLiteral()
	case tChar:
		return p.charLiteral(pos)
	case tAlias:
		if allowAlias {
			lit := &Literal{Pos: pos, Kind: LitAlias, Str: p.intern(p.src[p.tok.off+1 : p.tok.end])}
			p.next()
			return lit
		}
	case tIdent:
		return p.keywordValue(pos)
	}
	p.expected("value")
	return nil
}

func (p *parser) keywordValue(pos Pos) *Literal {
	var lit *Literal
	switch {
	case p.isKeyword("true"), p.isKeyword("false"):
		lit = &Literal{Pos: pos, Kind: LitBool, Bool: p.isKeyword("true")}
	case p.isKeyword("null"):
		lit = &Literal{Pos: pos, Kind: LitNull}
	default:
		p.expected("value")
		return nil
	}
	p.next()
	return lit
}

// number parses an optionally signed integer or real literal.
func (p *parser) number(pos Pos) *Literal {
	neg := p.tok.kind == tMinus
	if p.tok.kind == tMinus || p.tok.kind == tPlus {
		p.next()
	}
	t := p.tok
	switch t.kind {
	case tInt:
		u, ok := parseUint(p.src[t.off:t.end], t.base)
		if !ok {
			p.fail("integer literal out of range")
			return nil
		}
		p.next()
		return &Literal{Pos: pos, Kind: LitInt, Neg: neg, Uint: u}
	case tReal:
		f, err := strconv.ParseFloat(string(p.src[t.off:t.end]), 64)
		if err != nil {
			p.fail("real literal out of range")
			return nil
		}
		p.next()
		if neg {
			f = -f
		}
		return &Literal{Pos: pos, Kind: LitReal, Real: f}
	}
	p.expected("number")
	return nil
}

// parseUint converts the digits of an integer token in the given base,
// reporting false on overflow.
func parseUint(s []byte, base uint8) (uint64, bool) {
	switch base {
	case base16:
		s = s[2:]
	case base2:
		s = s[:len(s)-1]
	}
	var u uint64
	for _, c := range s {
		d := uint64(hexVal(c))
		hi, lo := mul64(u, uint64(base))
		if hi != 0 || lo+d < lo {
			return 0, false
		}
		u = lo + d
	}
	return u, true
}

func mul64(a, b uint64) (hi, lo uint64) {
	lo = a * b
	if a != 0 && lo/a != b {
		return 1, lo
	}
	return 0, lo
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// stringLiteral parses one or more adjacent string literals and joins them.
func (p *parser) stringLiteral() *Literal {
	if p.failed {
		return nil
	}
	lit := &Literal{Pos: p.pos(p.tok), Kind: LitString}
	p.buf = p.buf[:0]
	for p.tok.kind == tString {
		if !p.appendString(&p.buf) {
			return nil
		}
		p.next()
	}
	lit.Str = string(p.buf)
	return lit
}

// appendString checks the current string token and appends its decoded
// text to dst.
func (p *parser) appendString(dst *[]byte) bool {
	t := p.tok
	body := p.src[t.off+1 : t.end-1]
	if !utf8.Valid(body) {
		p.fail("string is not valid UTF-8")
		return false
	}
	if bytes.IndexByte(body, 0) >= 0 {
		p.fail("string contains a NUL character")
		return false
	}
	if !t.escaped {
		*dst = append(*dst, body...)
		return true
	}
	out, badOff, msg := unescape(*dst, body)
	if msg != "" {
		p.failAt(p.posAt(t.off+1+badOff, t.line, t.lineStart), msg)
		return false
	}
	*dst = out
	return true
}

// charLiteral parses a char16 literal: one character or one escape.
func (p *parser) charLiteral(pos Pos) *Literal {
	t := p.tok
	body := p.src[t.off+1 : t.end-1]
	if !utf8.Valid(body) {
		p.fail("char16 literal is not valid UTF-8")
		return nil
	}
	out, badOff, msg := unescape(nil, body)
	if msg != "" {
		p.failAt(p.posAt(t.off+1+badOff, t.line, t.lineStart), msg)
		return nil
	}
	r, size := utf8.DecodeRune(out)
	if len(out) == 0 || size != len(out) || r > 0xFFFF || r == 0 {
		p.fail("char16 literal must hold exactly one UCS-2 character")
		return nil
	}
	p.next()
	return &Literal{Pos: pos, Kind: LitChar, Char: r}
}

// unescape appends the decoded form of a literal's body to dst (DSP0221
// escapeSequence: \b \t \n \f \r \" \' \\ and \x or \X with 1 to 4 hex
// digits). On a bad escape it returns its offset and a message.
func unescape(dst, body []byte) ([]byte, int, string) {
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		if i+1 >= len(body) {
			return dst, i, "incomplete escape sequence"
		}
		r, n := escapeValue(body[i+1:])
		if n == 0 {
			return dst, i, "invalid escape sequence"
		}
		dst = utf8.AppendRune(dst, r)
		i += n
	}
	return dst, 0, ""
}

// escapeValue decodes the escape after a backslash, returning the character
// and how many bytes it used, or n == 0 when it is not valid.
func escapeValue(s []byte) (rune, int) {
	switch s[0] {
	case 'b':
		return '\b', 1
	case 't':
		return '\t', 1
	case 'n':
		return '\n', 1
	case 'f':
		return '\f', 1
	case 'r':
		return '\r', 1
	case '"', '\'', '\\':
		return rune(s[0]), 1
	}
	if s[0] != 'x' && s[0] != 'X' {
		return 0, 0
	}
	n, v := 1, rune(0)
	for n < len(s) && n <= 4 && isHex(s[n]) {
		v = v<<4 | rune(hexVal(s[n]))
		n++
	}
	if n == 1 || v == 0 || (v >= 0xD800 && v <= 0xDFFF) {
		return 0, 0
	}
	return v, n
}
