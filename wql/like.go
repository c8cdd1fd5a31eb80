package wql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// likeKind classifies one element of a LIKE pattern.
type likeKind uint8

const (
	likeRune likeKind = iota // one given character
	likeOne                  // _ : any one character
	likeAny                  // % : any run of characters, possibly empty
	likeSet                  // [...] : one character in (or, with ^, not in) a set
)

// likeElem is one element of a compiled pattern.
type likeElem struct {
	kind   likeKind
	r      rune
	neg    bool
	ranges [][2]rune // for likeSet: inclusive ranges; a single character is [c, c]
}

// likePattern is a compiled WQL LIKE pattern.
type likePattern []likeElem

// compileLike reads a WQL LIKE pattern: % matches any run of characters, _
// any one character, [abc] one of a set, [a-f] or [a=f] one of a range,
// and [^...] one character outside the set. A ] right after [ or [^ is a
// member of the set, so [%] and [_] match the literal characters.
func compileLike(s string) (likePattern, *syntaxError) {
	var pat likePattern
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '%':
			pat = append(pat, likeElem{kind: likeAny})
		case '_':
			pat = append(pat, likeElem{kind: likeOne})
		case '[':
			e, n, err := compileSet(s[i+1:])
			if err != nil {
				return nil, err
			}
			pat, size = append(pat, e), n+1
		default:
			pat = append(pat, likeElem{kind: likeRune, r: r})
		}
		i += size
	}
	return pat, nil
}

// compileSet reads the inside of [...] (s starts after the '[') and returns
// the element and the number of bytes consumed including the closing ']'.
func compileSet(s string) (likeElem, int, *syntaxError) {
	e := likeElem{kind: likeSet}
	i := 0
	if strings.HasPrefix(s, "^") {
		e.neg, i = true, 1
	}
	for first := true; i < len(s); first = false {
		lo, size := utf8.DecodeRuneInString(s[i:])
		if lo == ']' && !first {
			return e, i + 1, nil
		}
		i += size
		hi := lo
		if i < len(s) && (s[i] == '-' || s[i] == '=') && i+1 < len(s) && s[i+1] != ']' {
			hi, size = utf8.DecodeRuneInString(s[i+1:])
			i += 1 + size
		}
		e.ranges = append(e.ranges, [2]rune{min(lo, hi), max(lo, hi)})
	}
	return e, 0, &syntaxError{msg: "unterminated [ set"}
}

// matchOne reports whether the element (not likeAny) matches r.
func (e *likeElem) matchOne(r rune, fold bool) bool {
	switch e.kind {
	case likeOne:
		return true
	case likeRune:
		return r == e.r || fold && unicode.ToLower(r) == unicode.ToLower(e.r)
	}
	in := e.inSet(r) || fold && (e.inSet(unicode.ToLower(r)) || e.inSet(unicode.ToUpper(r)))
	return in != e.neg
}

func (e *likeElem) inSet(r rune) bool {
	for _, rg := range e.ranges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

// match reports whether the whole of s matches the pattern. It backtracks
// only to the most recent %, so it runs in O(len(s) * len(pattern)).
func (p likePattern) match(s string, fold bool) bool {
	rs := []rune(s)
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(rs) {
		switch {
		case pi < len(p) && p[pi].kind == likeAny:
			starP, starS = pi, si
			pi++
		case pi < len(p) && p[pi].matchOne(rs[si], fold):
			pi++
			si++
		case starP >= 0:
			starS++
			pi, si = starP+1, starS
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].kind == likeAny {
		pi++
	}
	return pi == len(p)
}
