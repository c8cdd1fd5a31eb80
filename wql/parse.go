package wql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/redset/redset/cim"
)

// MaxLength is the longest query text Parse accepts, in bytes.
const MaxLength = 64 << 10

// maxDepth bounds the nesting of parentheses and NOT, so that a hostile
// query cannot exhaust the stack.
const maxDepth = 100

// Parse parses a WQL SELECT statement (see the package documentation for
// the grammar). Errors are *cim.Error with cim.StatusInvalidQuery and a
// message that gives the column: "wql: col 17: expected FROM, found WHERE".
func Parse(s string) (*Query, error) {
	return parse(s, WQL)
}

// ParseLanguage parses s in the named query language: "WQL" (also the
// WS-Management WQL dialect URI) or "DMTF:CQL" / "CQL", which share this
// grammar but compare strings case-sensitively. Any other language fails
// with cim.StatusQueryLanguageNotSupported.
func ParseLanguage(lang, s string) (*Query, error) {
	d, ok := LookupDialect(lang)
	if !ok {
		return nil, cim.Errorf(cim.StatusQueryLanguageNotSupported,
			"query language %q is not supported; use WQL or DMTF:CQL", lang)
	}
	return parse(s, d)
}

// LookupDialect maps a query language name to its dialect, ignoring case.
func LookupDialect(lang string) (Dialect, bool) {
	switch strings.ToLower(strings.TrimSpace(lang)) {
	case "wql", "http://schemas.microsoft.com/wbem/wsman/1/wql":
		return WQL, true
	case "dmtf:cql", "cql":
		return CQL, true
	}
	return WQL, false
}

func parse(s string, d Dialect) (*Query, error) {
	if len(s) > MaxLength {
		return nil, cim.Errorf(cim.StatusInvalidQuery, "wql: query is %d bytes long, the limit is %d", len(s), MaxLength)
	}
	p := &parser{lex: lexer{src: s}}
	p.advance()
	q, err := p.query()
	if err == nil && p.lex.err != nil {
		err = p.lex.err
	}
	if err != nil {
		return nil, toCIMError(s, err)
	}
	q.text, q.dialect = s, d
	return q, nil
}

// toCIMError turns a syntaxError into the *cim.Error callers see, with a
// 1-based column counted in characters.
func toCIMError(src string, err *syntaxError) error {
	pos := min(max(err.pos, 0), len(src))
	col := utf8.RuneCountInString(src[:pos]) + 1
	return cim.Errorf(cim.StatusInvalidQuery, "wql: col %d: %s", col, err.msg)
}

// parser is a recursive-descent parser over the lexer's tokens with one
// token of look-ahead.
type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() {
	if p.lex.err != nil {
		p.tok = token{kind: tokEOF, pos: len(p.lex.src)}
		return
	}
	p.tok = p.lex.next()
}

func (p *parser) errorf(pos int, format string, args ...any) *syntaxError {
	if p.lex.err != nil {
		return p.lex.err
	}
	return &syntaxError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

// expected reports that the current token is not what the grammar needs.
func (p *parser) expected(what string) *syntaxError {
	return p.errorf(p.tok.pos, "expected %s, found %s", what, describe(p.tok))
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokString:
		return "string " + strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

// isKeyword reports whether the current token is the keyword kw (any case).
func (p *parser) isKeyword(kw string) bool {
	return p.tok.kind == tokIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) keyword(kw string) *syntaxError {
	if !p.isKeyword(kw) {
		return p.expected(kw)
	}
	p.advance()
	return nil
}

var keywords = map[string]bool{
	"select": true, "from": true, "where": true, "and": true, "or": true, "not": true,
	"is": true, "null": true, "isa": true, "like": true, "true": true, "false": true,
}

func isKeyword(s string) bool { return keywords[strings.ToLower(s)] }

// name reads an identifier that is not a keyword. Dotted names stand only
// as operands in WHERE.
func (p *parser) name(what string) (token, *syntaxError) {
	if p.tok.kind != tokIdent || isKeyword(p.tok.text) {
		return token{}, p.expected(what)
	}
	if err := p.undotted(what); err != nil {
		return token{}, err
	}
	t := p.tok
	p.advance()
	return t, nil
}

// query := SELECT selectList FROM className [WHERE expr] EOF
func (p *parser) query() (*Query, *syntaxError) {
	if err := p.keyword("SELECT"); err != nil {
		return nil, err
	}
	q := &Query{}
	if err := p.selectList(q); err != nil {
		return nil, err
	}
	if err := p.keyword("FROM"); err != nil {
		return nil, err
	}
	class, err := p.name("a class name")
	if err != nil {
		return nil, err
	}
	q.class = class.text
	return q, p.whereClause(q)
}

func (p *parser) whereClause(q *Query) *syntaxError {
	if p.isKeyword("WHERE") {
		p.advance()
		w, err := p.orExpr(q)
		if err != nil {
			return err
		}
		q.where = w
	}
	if p.tok.kind != tokEOF {
		return p.expected("WHERE or end of query")
	}
	return nil
}

// selectList := '*' | name {',' name}
func (p *parser) selectList(q *Query) *syntaxError {
	if p.tok.kind == tokStar {
		p.advance()
		return nil
	}
	for {
		t, err := p.name("'*' or a property name")
		if err != nil {
			return err
		}
		q.props = append(q.props, selected{name: t.text, pos: t.pos})
		if p.tok.kind != tokComma {
			return nil
		}
		p.advance()
	}
}

// orExpr := andExpr {OR andExpr}
func (p *parser) orExpr(q *Query) (expr, *syntaxError) {
	l, err := p.andExpr(q)
	for err == nil && p.isKeyword("OR") {
		p.advance()
		var r expr
		r, err = p.andExpr(q)
		l = &logical{or: true, l: l, r: r}
	}
	return l, err
}

// andExpr := notExpr {AND notExpr}
func (p *parser) andExpr(q *Query) (expr, *syntaxError) {
	l, err := p.notExpr(q)
	for err == nil && p.isKeyword("AND") {
		p.advance()
		var r expr
		r, err = p.notExpr(q)
		l = &logical{l: l, r: r}
	}
	return l, err
}

// notExpr := NOT notExpr | '(' orExpr ')' | predicate
func (p *parser) notExpr(q *Query) (expr, *syntaxError) {
	if p.depth >= maxDepth {
		return nil, p.errorf(p.tok.pos, "expression nested more than %d levels deep", maxDepth)
	}
	p.depth++
	defer func() { p.depth-- }()
	switch {
	case p.isKeyword("NOT"):
		p.advance()
		x, err := p.notExpr(q)
		return &not{x: x}, err
	case p.tok.kind == tokLParen:
		p.advance()
		x, err := p.orExpr(q)
		if err == nil && p.tok.kind != tokRParen {
			err = p.expected("')'")
		}
		p.advance()
		return x, err
	}
	return p.predicate(q)
}

// predicate := operand (op operand | IS [NOT] NULL | ISA class | [NOT] LIKE string)
func (p *parser) predicate(q *Query) (expr, *syntaxError) {
	x, err := p.operand(q)
	if err != nil {
		return nil, err
	}
	switch {
	case p.tok.kind == tokOp:
		return p.comparison(q, x)
	case p.isKeyword("IS"):
		return p.isNull(x)
	case p.isKeyword("ISA"):
		return p.isa(x)
	case p.isKeyword("LIKE"), p.isKeyword("NOT"):
		return p.like(x)
	}
	return nil, p.expected("a comparison operator, IS, ISA or LIKE")
}

func (p *parser) comparison(q *Query, l operand) (expr, *syntaxError) {
	opTok := p.tok
	op := parseOp(opTok.text)
	p.advance()
	r, err := p.operand(q)
	if err != nil {
		return nil, err
	}
	if l.isNull() || r.isNull() {
		return nullComparison(p, opTok, op, l, r)
	}
	return &compare{op: op, l: l, r: r, pos: opTok.pos}, nil
}

// nullComparison turns "x = NULL" and "x <> NULL" into IS [NOT] NULL, as
// WMI does; other operators cannot compare with NULL.
func nullComparison(p *parser, opTok token, op cmpOp, l, r operand) (expr, *syntaxError) {
	x := l
	if l.isNull() {
		x = r
	}
	if op != opEq && op != opNe {
		return nil, p.errorf(opTok.pos, "NULL cannot be compared with %s; use IS NULL or IS NOT NULL", opTok.text)
	}
	return &isNull{x: x, not: op == opNe}, nil
}

func (p *parser) isNull(x operand) (expr, *syntaxError) {
	p.advance()
	n := &isNull{x: x}
	if p.isKeyword("NOT") {
		n.not = true
		p.advance()
	}
	if !p.isKeyword("NULL") {
		return nil, p.expected("NULL")
	}
	p.advance()
	return n, nil
}

// isa := ISA (name | string)
func (p *parser) isa(x operand) (expr, *syntaxError) {
	pos := p.tok.pos
	p.advance()
	switch {
	case p.tok.kind == tokString && p.tok.text != "":
	case p.tok.kind == tokIdent && !isKeyword(p.tok.text):
		if err := p.undotted("a class name after ISA"); err != nil {
			return nil, err
		}
	default:
		return nil, p.expected("a class name after ISA")
	}
	n := &isa{x: x, class: p.tok.text, pos: pos}
	p.advance()
	return n, nil
}

// like := [NOT] LIKE string
func (p *parser) like(x operand) (expr, *syntaxError) {
	n := &like{x: x, pos: p.tok.pos}
	if p.isKeyword("NOT") {
		n.not = true
		p.advance()
	}
	if err := p.keyword("LIKE"); err != nil {
		return nil, err
	}
	if p.tok.kind != tokString {
		return nil, p.expected("a string pattern after LIKE")
	}
	pat, err := compileLike(p.tok.text)
	if err != nil {
		return nil, p.errorf(p.tok.pos, "LIKE pattern %q: %s", p.tok.text, err.msg)
	}
	n.pattern = pat
	p.advance()
	return n, nil
}

// operand := name | string | [sign] number | TRUE | FALSE | NULL
func (p *parser) operand(q *Query) (operand, *syntaxError) {
	t := p.tok
	switch t.kind {
	case tokString:
		p.advance()
		return literal(cim.NewString(t.text), t.pos), nil
	case tokNumber, tokSign:
		return p.number()
	case tokIdent:
		return p.identOperand(q)
	}
	return operand{}, p.expected("a property name or a literal")
}

func (p *parser) identOperand(q *Query) (operand, *syntaxError) {
	t := p.tok
	switch strings.ToLower(t.text) {
	case "true", "false":
		p.advance()
		return literal(cim.NewBool(strings.EqualFold(t.text, "true")), t.pos), nil
	case "null":
		p.advance()
		return operand{kind: opndNull, pos: t.pos}, nil
	case "__class":
		p.advance()
		return operand{kind: opndClass, name: t.text, pos: t.pos}, nil
	}
	if isKeyword(t.text) {
		return operand{}, p.expected("a property name or a literal")
	}
	if strings.Contains(t.text, ".") {
		return p.pathOperand(q)
	}
	p.advance()
	if strings.EqualFold(t.text, q.class) {
		return operand{kind: opndClass, name: t.text, pos: t.pos}, nil
	}
	return operand{kind: opndProp, name: t.text, pos: t.pos}, nil
}

// undotted refuses a dotted name where the grammar wants a plain one.
func (p *parser) undotted(what string) *syntaxError {
	if strings.Contains(p.tok.text, ".") {
		return p.errorf(p.tok.pos, "expected %s, found %s: a dotted name stands only for a property of an embedded instance in WHERE", what, describe(p.tok))
	}
	return nil
}

// pathOperand reads Property.Name: the property Name of the instance
// embedded under Property. Paths go one level deep. A name qualified by
// the FROM class (Class.Name, as CQL allows) is the instance's own
// property Name.
func (p *parser) pathOperand(q *Query) (operand, *syntaxError) {
	t := p.tok
	head, prop, _ := strings.Cut(t.text, ".")
	if strings.Contains(prop, ".") {
		return operand{}, p.errorf(t.pos, "%s: a property path has one dot (EmbeddedProperty.Property)", describe(t))
	}
	p.advance()
	if strings.EqualFold(head, q.class) {
		if strings.EqualFold(prop, "__class") {
			return operand{kind: opndClass, name: t.text, pos: t.pos}, nil
		}
		return operand{kind: opndProp, name: prop, pos: t.pos}, nil
	}
	return operand{kind: opndPath, name: t.text, head: head, prop: prop, pos: t.pos}, nil
}

// number := [+|-] number-token
func (p *parser) number() (operand, *syntaxError) {
	start, neg := p.tok.pos, false
	if p.tok.kind == tokSign {
		neg = p.tok.text == "-"
		p.advance()
		if p.tok.kind != tokNumber {
			return operand{}, p.expected("a number after the sign")
		}
	}
	v, err := numberValue(p.tok.text, neg)
	if err != nil {
		return operand{}, p.errorf(p.tok.pos, "%s", err.Error())
	}
	p.advance()
	return literal(v, start), nil
}

// numberValue makes a literal: uint64 for non-negative integers, sint64 for
// negative ones, real64 for reals.
func numberValue(text string, neg bool) (cim.Value, error) {
	if strings.ContainsAny(text, ".eE") && !strings.HasPrefix(strings.ToLower(text), "0x") {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(f, 0) {
			return cim.Value{}, fmt.Errorf("number %s is out of range", text)
		}
		if neg {
			f = -f
		}
		return cim.NewReal(cim.Real64, f), nil
	}
	return integerValue(text, neg)
}

func integerValue(text string, neg bool) (cim.Value, error) {
	digits, base := text, 10
	if strings.HasPrefix(strings.ToLower(text), "0x") {
		digits, base = text[2:], 16
	}
	u, err := strconv.ParseUint(digits, base, 64)
	switch {
	case err != nil:
		return cim.Value{}, fmt.Errorf("integer %s is not valid or out of range", text)
	case !neg:
		return cim.MustUint64(u), nil
	case u > 1<<63:
		return cim.Value{}, fmt.Errorf("integer -%s is out of range", text)
	}
	return cim.MustSint64(int64(-u)), nil
}
