package cim

import (
	"slices"
	"strings"
)

// checkValueMap applies ValueMap (or, without it, Values) to one value.
func checkValueMap(p *Property, v Value, what string) *Error {
	if q, ok := p.Qualifiers.Get("ValueMap"); ok && q.Value.array {
		entries := stringElems(q.Value)
		if !valueMapAllows(entries, v) {
			return violation(p, "%s %s not in ValueMap", what, v)
		}
		return nil
	}
	q, ok := p.Qualifiers.Get("Values")
	if !ok || !q.Value.array || !v.typ.IsInteger() {
		return nil
	}
	if compareBound(v, 0) < 0 || compareBound(v, int64(q.Value.Len())) >= 0 {
		return violation(p, "%s %s is not one of the %d Values", what, v, q.Value.Len())
	}
	return nil
}

func stringElems(v Value) []string {
	out := make([]string, 0, v.Len())
	for _, e := range v.elems {
		out = append(out, e.scalarText())
	}
	return out
}

// valueMapAllows reports whether v matches an entry of a ValueMap. String
// values match entries exactly; integer values match numbers and ranges.
func valueMapAllows(entries []string, v Value) bool {
	if !v.typ.IsInteger() {
		return slices.Contains(entries, v.scalarText())
	}
	key := orderKey(v)
	for _, s := range valueMapSpans(entries, v.typ) {
		if key >= s.lo && key <= s.hi {
			return true
		}
	}
	return false
}

// span is an inclusive range of order keys (see orderKey).
type span struct {
	lo, hi uint64
	gap    bool // written ".."; bounds come from the neighbours
	ok     bool // the entry parsed for this type
}

// orderKey maps an integer value to a uint64 whose order matches the
// value's: unsigned values as they are, signed ones with the sign bit
// flipped.
func orderKey(v Value) uint64 {
	if v.typ.IsSigned() {
		return v.bits ^ 1<<63
	}
	return v.bits
}

// typeSpan is the whole range of an integer type as order keys.
func typeSpan(t Type) span {
	if t.IsSigned() {
		lo, hi := t.sintRange()
		return span{lo: uint64(lo) ^ 1<<63, hi: uint64(hi) ^ 1<<63, ok: true}
	}
	return span{lo: 0, hi: t.uintMax(), ok: true}
}

// valueMapSpans parses ValueMap entries for integer type t, then fills in
// the ".." gaps from their neighbours. Unparsable entries match nothing.
func valueMapSpans(entries []string, t Type) []span {
	spans := make([]span, len(entries))
	for i, e := range entries {
		spans[i] = parseSpan(strings.TrimSpace(e), t)
	}
	all := typeSpan(t)
	for i := range spans {
		if !spans[i].gap {
			continue
		}
		spans[i].lo, spans[i].hi, spans[i].ok = all.lo, all.hi, true
		if i > 0 && spans[i-1].ok && !spans[i-1].gap {
			spans[i].lo = spans[i-1].hi + 1
			spans[i].ok = spans[i-1].hi < all.hi
		}
		if i+1 < len(spans) && spans[i+1].ok && !spans[i+1].gap {
			spans[i].hi = spans[i+1].lo - 1
			spans[i].ok = spans[i].ok && spans[i+1].lo > all.lo
		}
	}
	return slices.DeleteFunc(spans, func(s span) bool { return !s.ok || s.lo > s.hi })
}

// parseSpan reads "n", "a..b", "..b", "a.." or "..".
func parseSpan(e string, t Type) span {
	if e == ".." {
		return span{gap: true}
	}
	lo, hi, isRange := strings.Cut(e, "..")
	if !isRange {
		hi = lo
	}
	s := typeSpan(t)
	var okLo, okHi = true, true
	if lo != "" {
		s.lo, okLo = parseOrderKey(lo, t)
	}
	if hi != "" {
		s.hi, okHi = parseOrderKey(hi, t)
	}
	s.ok = okLo && okHi && (lo != "" || hi != "")
	return s
}

func parseOrderKey(s string, t Type) (uint64, bool) {
	v, err := ParseValue(t, s)
	if err != nil {
		return 0, false
	}
	return orderKey(v), true
}
