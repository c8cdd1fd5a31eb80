package mof

import (
	"unicode/utf8"
)

// Parse parses one MOF source into its productions (DSP0221 mofSpecification).
// It does not follow includes or check names against declarations; Compile
// does that. Syntax errors are returned as an *ErrorList; the productions
// that parsed cleanly are returned as well.
func Parse(file string, src []byte) ([]Production, error) {
	var errs ErrorList
	p := newParser(file, src, &errs, nil)
	prods := p.parseFile()
	return prods, errs.err()
}

// parser is a recursive-descent parser over the lexer's tokens. After the
// first error in a production it stops consuming input (failed is sticky)
// and the top loop skips ahead to the next production, so every loop makes
// progress and one mistake gives one message.
type parser struct {
	lx       *lexer
	src      []byte
	file     string
	tok      token
	depth    int // brace nesting of the tokens consumed so far
	errs     *ErrorList
	failed   bool
	names    map[string]string // interned identifiers
	buf      []byte            // scratch for decoding strings
	startOff int               // offset where the current production started

	// Column cache: the column of colOff, on the line starting at
	// colLine, so that long lines are not counted again for every token.
	colLine, colOff, col int
}

func newParser(file string, src []byte, errs *ErrorList, names map[string]string) *parser {
	if names == nil {
		names = make(map[string]string)
	}
	p := &parser{lx: newLexer(src), src: src, file: file, errs: errs, names: names, colLine: -1}
	p.tok = p.lx.next()
	return p
}

// parseFile parses productions until the end of input or until the error
// list is full.
func (p *parser) parseFile() []Production {
	var prods []Production
	for {
		prod, ok := p.nextProduction()
		if !ok {
			return prods
		}
		prods = append(prods, prod)
	}
}

// nextProduction parses the next production that is free of syntax errors,
// recording the errors of those that are not. It reports false at the end
// of input or when the error list is full.
func (p *parser) nextProduction() (Production, bool) {
	for p.tok.kind != tEOF && !p.errs.full() {
		p.failed = false
		p.startOff = p.tok.off
		prod := p.production()
		if !p.failed {
			return prod, true
		}
		p.sync()
	}
	return nil, false
}

// sync skips to the end of the failed production: past a ';' at brace depth
// zero, or up to the keyword that starts the next production.
func (p *parser) sync() {
	for p.tok.kind != tEOF {
		if p.depth == 0 && p.tok.off != p.startOff && p.atProductionStart() {
			return
		}
		semi := p.depth == 0 && p.tok.kind == tSemi
		p.next()
		if semi {
			return
		}
	}
	p.depth = 0
}

func (p *parser) atProductionStart() bool {
	return p.tok.kind == tHash || p.isKeyword("class") || p.isKeyword("instance") ||
		p.isKeyword("qualifier")
}

// next consumes the current token.
func (p *parser) next() {
	switch p.tok.kind {
	case tLBrace:
		p.depth++
	case tRBrace:
		if p.depth > 0 {
			p.depth--
		}
	}
	p.tok = p.lx.next()
}

// pos converts a token's start to a Pos.
func (p *parser) pos(t token) Pos { return p.posAt(t.off, t.line, t.lineStart) }

func (p *parser) posAt(off, line, lineStart int) Pos {
	if lineStart != p.colLine {
		p.colLine, p.colOff, p.col = lineStart, lineStart, 1
	}
	if off >= p.colOff {
		p.col += utf8.RuneCount(p.src[p.colOff:off])
	} else {
		p.col -= utf8.RuneCount(p.src[off:p.colOff])
	}
	p.colOff = off
	return Pos{File: p.file, Line: line, Col: p.col}
}

// fail records msg at the current token, once per production. An illegal
// token reports the lexer's message instead.
func (p *parser) fail(msg string) {
	if p.tok.kind == tIllegal {
		p.failAt(p.posAt(p.lx.errOff, p.tok.line, p.tok.lineStart), p.lx.err)
		return
	}
	p.failAt(p.pos(p.tok), msg)
}

func (p *parser) failAt(pos Pos, msg string) {
	if !p.failed {
		p.failed = true
		p.errs.add(pos, msg)
	}
}

// expected fails with "expected WHAT, found TOKEN".
func (p *parser) expected(what string) {
	p.fail("expected " + what + ", found " + p.describe())
}

func (p *parser) describe() string {
	switch p.tok.kind {
	case tIdent, tInt, tReal, tAlias:
		return p.tok.kind.String() + " " + p.quoteText(p.tok)
	}
	return p.tok.kind.String()
}

func (p *parser) quoteText(t token) string {
	s := p.src[t.off:t.end]
	if len(s) > 40 {
		s = s[:40]
	}
	return "\"" + string(s) + "\""
}

// expect consumes a token of kind k or fails.
func (p *parser) expect(k tokKind) bool {
	if p.failed {
		return false
	}
	if p.tok.kind != k {
		p.expected(k.String())
		return false
	}
	p.next()
	return true
}

// accept consumes a token of kind k if it is the current one.
func (p *parser) accept(k tokKind) bool {
	if !p.failed && p.tok.kind == k {
		p.next()
		return true
	}
	return false
}

// isKeyword reports whether the current token is the identifier kw,
// ignoring ASCII case.
func (p *parser) isKeyword(kw string) bool {
	if p.tok.kind != tIdent || p.tok.end-p.tok.off != len(kw) {
		return false
	}
	return equalFoldASCII(p.src[p.tok.off:p.tok.end], kw)
}

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// expectKeyword consumes the keyword kw or fails.
func (p *parser) expectKeyword(kw string) bool {
	if p.failed {
		return false
	}
	if !p.isKeyword(kw) {
		p.expected("\"" + kw + "\"")
		return false
	}
	p.next()
	return true
}

// ident consumes an identifier and returns its interned text.
func (p *parser) ident(what string) (string, Pos) {
	if p.failed {
		return "", Pos{}
	}
	if p.tok.kind != tIdent {
		p.expected(what)
		return "", Pos{}
	}
	pos := p.pos(p.tok)
	name := p.intern(p.src[p.tok.off:p.tok.end])
	if !utf8.ValidString(name) {
		p.fail("identifier is not valid UTF-8")
		return "", Pos{}
	}
	p.next()
	return name, pos
}

func (p *parser) intern(b []byte) string {
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	s := string(b)
	p.names[s] = s
	return s
}

// production parses one top-level production.
func (p *parser) production() Production {
	if p.tok.kind == tHash {
		return p.pragma()
	}
	start := p.tok
	quals := p.qualifierList()
	switch {
	case p.failed:
		return nil
	case p.isKeyword("class"):
		return p.class(start, quals)
	case p.isKeyword("instance"):
		return p.instance(start, quals)
	case p.isKeyword("qualifier"):
		if quals != nil {
			p.failAt(p.pos(start), "a qualifier declaration cannot have qualifiers")
			return nil
		}
		return p.qualifierDecl()
	}
	p.expected("\"class\", \"instance\", \"qualifier\" or \"#pragma\"")
	return nil
}

// pragma parses: "#pragma" name "(" string ")" (DSP0221 compilerDirective).
func (p *parser) pragma() Production {
	pr := &Pragma{Pos: p.pos(p.tok)}
	p.next()
	p.expectKeyword("pragma")
	pr.Name, _ = p.ident("pragma name")
	p.expect(tLParen)
	if !p.failed && p.tok.kind != tString {
		p.expected("string")
	}
	if lit := p.stringLiteral(); lit != nil {
		pr.Value = lit.Str
	}
	p.expect(tRParen)
	return pr
}
