package mof

import (
	"strings"
	"unicode/utf8"

	"github.com/redset/redset/cim"
)

// qualifierList writes "[q1, q2]" on its own line, one qualifier per line
// when they do not fit on one.
func (p *printer) qualifierList(qs cim.Qualifiers, indent string) {
	var items []string
	for _, q := range qs {
		if !p.skip(q.Propagated) {
			items = append(items, p.qualifier(q, indent+" "))
		}
	}
	if len(items) == 0 {
		return
	}
	one := "[" + strings.Join(items, ", ") + "]"
	if len(indent)+len(one) <= lineWidth && !strings.Contains(one, "\n") {
		p.b.WriteString(indent + one + "\n")
		return
	}
	p.b.WriteString(indent + "[" + strings.Join(items, ",\n"+indent+" ") + "]\n")
}

// qualifier writes one qualifier: Name, Name(value) or Name {values},
// followed by ": flavors" when there are flavors to say.
func (p *printer) qualifier(q cim.Qualifier, indent string) string {
	var b strings.Builder
	b.WriteString(q.Name)
	v := q.Value
	switch {
	case v.Type() == cim.Boolean && !v.IsArray() && v.Bool():
	case v.IsArray() && !v.IsNull():
		b.WriteString(" " + arrayText(v, indent+"   "))
	default:
		b.WriteString("(" + literalText(v, indent+"   ", len(indent)+len(q.Name)+1) + ")")
	}
	if f := p.flavorsToWrite(q); f != 0 {
		b.WriteString(": " + strings.ReplaceAll(f.String(), ",", ""))
	}
	return b.String()
}

// flavorsToWrite returns the flavors of q worth writing: with declarations,
// those that differ from the declared ones; without, all it holds.
func (p *printer) flavorsToWrite(q cim.Qualifier) cim.Flavor {
	if p.opts.Decl == nil {
		return q.Flavor
	}
	d, ok := p.opts.Decl(q.Name)
	if !ok {
		return q.Flavor
	}
	def := d.Flavor.Resolve(0)
	f := q.Flavor.Resolve(def)
	var out cim.Flavor
	for _, pair := range [][2]cim.Flavor{{cim.EnableOverride, cim.DisableOverride}, {cim.ToSubclass, cim.Restricted}} {
		if f&(pair[0]|pair[1]) != def&(pair[0]|pair[1]) {
			out |= f & (pair[0] | pair[1])
		}
	}
	return out | (f &^ def & cim.Translatable)
}

// arrayText writes {a, b, ...}, wrapping lines at lineWidth.
func arrayText(v cim.Value, indent string) string {
	var b strings.Builder
	b.WriteByte('{')
	col := len(indent) + 1
	for i := 0; i < v.Len(); i++ {
		s := literalText(v.Index(i), indent, col)
		if i > 0 {
			b.WriteString(",")
			if col+len(s)+2 > lineWidth {
				b.WriteString("\n" + indent)
				col = len(indent)
			} else {
				b.WriteString(" ")
				col++
			}
		}
		b.WriteString(s)
		col += len(s) + 1
		if j := strings.LastIndexByte(s, '\n'); j >= 0 {
			col = len(s) - j
		}
	}
	b.WriteByte('}')
	return b.String()
}

// literalText writes a scalar as MOF; long strings become several adjacent
// literals, one per line, the first starting at column col and the others
// after indent.
func literalText(v cim.Value, indent string, col int) string {
	if v.Type() != cim.String || v.IsNull() || v.IsArray() {
		return v.MOF()
	}
	pieces := splitText(v.Str(), lineWidth-col-4, lineWidth-len(indent)-4)
	for i, s := range pieces {
		pieces[i] = quoteString(s)
	}
	return strings.Join(pieces, "\n"+indent)
}

// valueMOF writes a value as a MOF literal on one line.
func valueMOF(v cim.Value) string {
	switch {
	case v.IsNull() || v.Type() != cim.String:
		return v.MOF()
	case !v.IsArray():
		return quoteString(v.Str())
	}
	parts := make([]string, v.Len())
	for i := range parts {
		parts[i] = quoteString(v.Index(i).Str())
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// quoteString writes s as a MOF string literal. Control characters other
// than the named escapes use four hex digits, so a following hex digit
// cannot join the escape.
func quoteString(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < 0x20 || r == 0x7f:
			const hex = "0123456789ABCDEF"
			b = append(b, '\\', 'x', '0', '0', hex[r>>4], hex[r&15])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(append(b, '"'))
}

// splitText cuts s into pieces of at most about max bytes (first for the
// first piece), after line breaks and at spaces where possible, never
// inside a UTF-8 sequence.
func splitText(s string, first, max int) []string {
	if s == "" {
		return []string{""}
	}
	var pieces []string
	for limit := first; s != ""; limit = max {
		n := cutPoint(s, limit)
		pieces = append(pieces, s[:n])
		s = s[n:]
	}
	return pieces
}

func cutPoint(s string, max int) int {
	if max < 20 {
		max = 20
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < max {
		return i + 1
	}
	if len(s) <= max {
		return len(s)
	}
	if i := strings.LastIndexByte(s[:max], ' '); i > 0 {
		return i + 1
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	if n == 0 {
		_, n = utf8.DecodeRuneInString(s)
	}
	return n
}
