package mof

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lexAll returns the kinds and texts of every token of src up to EOF.
func lexAll(src string) (kinds []tokKind, texts []string) {
	l := newLexer([]byte(src))
	for {
		t := l.next()
		if t.kind == tEOF {
			return kinds, texts
		}
		kinds = append(kinds, t.kind)
		texts = append(texts, src[t.off:t.end])
	}
}

func TestLexerTokens(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		kinds []tokKind
		texts []string
	}{
		{"punctuation", "{}[](),;:=#-+", []tokKind{tLBrace, tRBrace, tLBrack, tRBrack, tLParen, tRParen, tComma, tSemi, tColon, tEquals, tHash, tMinus, tPlus},
			[]string{"{", "}", "[", "]", "(", ")", ",", ";", ":", "=", "#", "-", "+"}},
		{"identifiers and alias", "class CIM_X $a1 _u", []tokKind{tIdent, tIdent, tAlias, tIdent}, []string{"class", "CIM_X", "$a1", "_u"}},
		{"comments", "a // line\n/* block\n */ b", []tokKind{tIdent, tIdent}, []string{"a", "b"}},
		{"integers", "0 42 0x1F 017 101b", []tokKind{tInt, tInt, tInt, tInt, tInt}, []string{"0", "42", "0x1F", "017", "101b"}},
		{"reals", "1.5 .5 2.0e-3 1e6", []tokKind{tReal, tReal, tReal, tReal}, []string{"1.5", ".5", "2.0e-3", "1e6"}},
		{"strings and chars", `"a\"b" 'c' '\n'`, []tokKind{tString, tChar, tChar}, []string{`"a\"b"`, "'c'", `'\n'`}},
		{"byte order mark", "\xEF\xBB\xBFclass", []tokKind{tIdent}, []string{"class"}},
		{"unterminated string", "\"abc\nx", []tokKind{tIllegal, tIdent}, []string{`"abc`, "x"}},
		{"unterminated comment", "a /* b", []tokKind{tIdent, tIllegal}, []string{"a", "/* b"}},
		{"bad octal", "019", []tokKind{tIllegal}, []string{"019"}},
		{"bad hex", "0x", []tokKind{tIllegal}, []string{"0x"}},
		{"number glued to name", "12ab", []tokKind{tIllegal}, []string{"12ab"}},
		{"stray character", "a @ b", []tokKind{tIdent, tIllegal, tIdent}, []string{"a", "@", "b"}},
		{"lone dollar", "$ 1", []tokKind{tIllegal, tInt}, []string{"$", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kinds, texts := lexAll(tt.src)
			if d := cmp.Diff(tt.kinds, kinds); d != "" {
				t.Errorf("kinds (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.texts, texts); d != "" {
				t.Errorf("texts (-want +got):\n%s", d)
			}
		})
	}
}

func TestLexerPositions(t *testing.T) {
	src := "a\n  /* x\n y */ bb\n\tc"
	want := []struct{ line, col int }{{1, 1}, {3, 7}, {4, 2}}
	p := newParser("f", []byte(src), &ErrorList{}, nil)
	for i, w := range want {
		got := p.pos(p.tok)
		if got.Line != w.line || got.Col != w.col {
			t.Errorf("token %d: got %d:%d, want %d:%d", i, got.Line, got.Col, w.line, w.col)
		}
		p.next()
	}
}

func TestLexerIntegerBases(t *testing.T) {
	tests := []struct {
		src  string
		want uint64
	}{
		{"0", 0}, {"42", 42}, {"0x1f", 31}, {"0XFF", 255}, {"017", 15}, {"101b", 5}, {"0B", 0},
		{"18446744073709551615", 1<<64 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tok := newLexer([]byte(tt.src)).next()
			got, ok := parseUint([]byte(tt.src), tok.base)
			if tok.kind != tInt || !ok || got != tt.want {
				t.Errorf("got kind %v value %d ok %v, want integer %d", tok.kind, got, ok, tt.want)
			}
		})
	}
}
