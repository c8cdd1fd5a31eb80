package wql

import (
	"cmp"
	"strings"

	"github.com/redset/redset/cim"
)

// cmpOp is a comparison operator.
type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

func parseOp(s string) cmpOp {
	switch s {
	case "<>", "!=":
		return opNe
	case "<":
		return opLt
	case "<=":
		return opLe
	case ">":
		return opGt
	case ">=":
		return opGe
	}
	return opEq
}

func (op cmpOp) ordering() bool { return op >= opLt }

// apply turns a three-way comparison result into the operator's answer.
func (op cmpOp) apply(c int) bool {
	switch op {
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	}
	return c == 0
}

// compareValues compares a and b with op. NULL on either side gives
// unknown; arrays match when any element does. A non-empty reason means
// the values cannot be compared.
func compareValues(op cmpOp, a, b cim.Value, fold bool) (tri, string) {
	var why string
	r, _ := anyOf(a, func(x cim.Value) (tri, error) {
		return anyOf(b, func(y cim.Value) (tri, error) {
			c, ordered, reason := compareScalars(x, y, fold)
			switch {
			case reason != "":
				why = reason
			case !ordered && op.ordering():
				why = "these values have no order; use = or <>"
			default:
				return truth(op.apply(c)), nil
			}
			return triUnknown, errStop
		})
	})
	if why != "" {
		return triUnknown, why
	}
	return r, ""
}

// errStop ends anyOf early once a reason has been recorded.
var errStop = cim.Errorf(cim.StatusInvalidQuery, "stop")

// compareScalars compares two non-null scalars. It returns the three-way
// result, whether the types are ordered (equality-only types are not), or a
// reason why they cannot be compared. Numbers compare by value across
// widths and signedness; a string compared with a number, boolean or
// datetime is read as one; strings compare ignoring case when fold is set.
func compareScalars(a, b cim.Value, fold bool) (int, bool, string) {
	ta, tb := a.Type(), b.Type()
	switch {
	case ta.IsNumeric() || tb.IsNumeric():
		return compareNumbers(a, b)
	case isText(ta) && isText(tb):
		return compareText(a.String(), b.String(), fold), true, ""
	case ta == cim.Datetime || tb == cim.Datetime:
		return compareDatetimes(a, b)
	case ta == cim.Boolean || tb == cim.Boolean:
		return compareBools(a, b)
	case ta == cim.Reference || tb == cim.Reference:
		return compareRefs(a, b)
	}
	return 0, false, "incompatible types"
}

func compareText(a, b string, fold bool) int {
	if fold && strings.EqualFold(a, b) {
		return 0
	}
	return strings.Compare(foldText(a, fold), foldText(b, fold))
}

func compareNumbers(a, b cim.Value) (int, bool, string) {
	a, okA := asNumber(a)
	b, okB := asNumber(b)
	if !okA || !okB {
		return 0, false, "not a number"
	}
	if a.Type().IsReal() || b.Type().IsReal() {
		return cmp.Compare(a.Real(), b.Real()), true, ""
	}
	return compareIntegers(a, b), true, ""
}

// asNumber returns v if it is numeric, or the number a string spells.
func asNumber(v cim.Value) (cim.Value, bool) {
	switch {
	case v.Type().IsNumeric():
		return v, true
	case v.Type() != cim.String:
		return v, false
	}
	s := strings.TrimSpace(v.Str())
	t := cim.Uint64
	if strings.HasPrefix(s, "-") {
		t = cim.Sint64
	}
	if n, err := cim.ParseValue(t, s); err == nil {
		return n, true
	}
	n, err := cim.ParseValue(cim.Real64, s)
	return n, err == nil
}

func compareIntegers(a, b cim.Value) int {
	negA := a.Type().IsSigned() && a.Sint() < 0
	negB := b.Type().IsSigned() && b.Sint() < 0
	switch {
	case negA && negB:
		return cmp.Compare(a.Sint(), b.Sint())
	case negA:
		return -1
	case negB:
		return 1
	}
	return cmp.Compare(a.Uint(), b.Uint())
}

// compareDatetimes orders two timestamps or two intervals; datetimes with
// wildcards only compare for equality of their text.
func compareDatetimes(a, b cim.Value) (int, bool, string) {
	da, okA := asDatetime(a)
	db, okB := asDatetime(b)
	switch {
	case !okA || !okB:
		return 0, false, "not a datetime"
	case da.IsInterval() != db.IsInterval():
		return 0, false, "a timestamp cannot be compared with an interval"
	}
	if x, ok := da.Duration(); ok {
		if y, ok := db.Duration(); ok {
			return cmp.Compare(x, y), true, ""
		}
	}
	if x, ok := da.Time(); ok {
		if y, ok := db.Time(); ok {
			return x.Compare(y), true, ""
		}
	}
	return compareText(da.String(), db.String(), false), false, ""
}

func asDatetime(v cim.Value) (cim.DateTime, bool) {
	switch v.Type() {
	case cim.Datetime:
		return v.Time(), true
	case cim.String:
		d, err := cim.ParseDateTime(strings.TrimSpace(v.Str()))
		return d, err == nil
	}
	return cim.DateTime{}, false
}

func compareBools(a, b cim.Value) (int, bool, string) {
	a, errA := cim.Convert(a, cim.Boolean)
	b, errB := cim.Convert(b, cim.Boolean)
	if errA != nil || errB != nil {
		return 0, false, "not a boolean"
	}
	if a.Bool() == b.Bool() {
		return 0, false, ""
	}
	return 1, false, ""
}

// compareRefs compares a reference with a reference or with a string
// holding an object path. A side without host or namespace matches any.
func compareRefs(a, b cim.Value) (int, bool, string) {
	pa, okA := asPath(a)
	pb, okB := asPath(b)
	switch {
	case !okA || !okB:
		return 1, false, ""
	case pa.Host == "" || pb.Host == "":
		pa.Host, pb.Host = "", ""
	}
	if pa.Namespace == "" || pb.Namespace == "" {
		pa.Namespace, pb.Namespace = "", ""
	}
	if pa.Equal(pb) {
		return 0, false, ""
	}
	return 1, false, ""
}

func asPath(v cim.Value) (cim.ObjectPath, bool) {
	switch v.Type() {
	case cim.Reference:
		return v.Ref(), true
	case cim.String:
		p, err := cim.ParseObjectPath(v.Str())
		return p, err == nil
	}
	return cim.ObjectPath{}, false
}
