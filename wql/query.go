package wql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/redset/redset/cim"
)

// Dialect selects the comparison rules that differ between the query
// languages this package reads.
type Dialect uint8

const (
	// WQL compares strings ignoring case, as WMI does.
	WQL Dialect = iota
	// CQL (DMTF:CQL, DSP0202) compares strings case-sensitively.
	CQL
)

// String names the dialect as a query language ("WQL", "DMTF:CQL").
func (d Dialect) String() string {
	if d == CQL {
		return "DMTF:CQL"
	}
	return "WQL"
}

// Query is a parsed SELECT statement. It is immutable and safe for
// concurrent use.
type Query struct {
	text    string
	dialect Dialect
	class   string
	props   []selected // nil for SELECT *
	where   expr       // nil without WHERE
}

// selected is one name of the select list and where it was written.
type selected struct {
	name string
	pos  int
}

// String returns the query text as parsed.
func (q *Query) String() string { return q.text }

// Dialect returns the dialect the query was parsed in.
func (q *Query) Dialect() Dialect { return q.dialect }

// ClassName returns the class named after FROM, as written.
func (q *Query) ClassName() string { return q.class }

// Properties returns the selected property names as written, or nil for
// SELECT *.
func (q *Query) Properties() []string {
	if q.props == nil {
		return nil
	}
	names := make([]string, len(q.props))
	for i, s := range q.props {
		names[i] = s.name
	}
	return names
}

// IsaFunc reports whether the class named className is target or one of
// its subclasses. Names compare ignoring case.
type IsaFunc func(className, target string) bool

// Match evaluates the WHERE clause against inst. A query without WHERE
// matches everything. isa answers ISA tests; when nil, a class is only
// taken to be itself. Properties absent from inst are NULL, and so are
// property paths (Head.Prop), for Match knows of no embedded instance:
// MatchEmbedded does.
//
// Comparisons follow SQL's three-valued logic: a comparison with a NULL
// property is unknown, NOT unknown is unknown, and only a true result
// matches. Errors (values that cannot be compared, such as a string
// property against a number that is not one) are *cim.Error with
// cim.StatusInvalidQuery.
func (q *Query) Match(inst cim.Instance, isa IsaFunc) (bool, error) {
	return q.MatchEmbedded(inst, nil, isa)
}

// MatchEmbedded is Match for an instance that embeds others (an
// indication's SourceInstance and PreviousInstance): embedded returns the
// instance embedded under a property, if any (nil: none is). Then
//
//   - Head.Prop reads property Prop of the instance embedded under Head
//     (NULL when nothing is embedded there or it has no Prop);
//   - Head ISA Class tests the embedded instance's class through isa;
//   - Head IS NULL is true when nothing is embedded under Head and inst
//     has no value for it.
func (q *Query) MatchEmbedded(inst cim.Instance, embedded func(property string) (cim.Instance, bool), isa IsaFunc) (bool, error) {
	if q.where == nil {
		return true, nil
	}
	if isa == nil {
		isa = strings.EqualFold
	}
	ev := &evaluator{src: q.text, inst: inst, embedded: embedded, isa: isa, fold: q.dialect == WQL}
	r, err := q.where.eval(ev)
	return r == triTrue, err
}

// Project returns a copy of inst that keeps only the selected properties
// (all of them for SELECT *), in inst's order. Selected properties inst
// does not have stay absent; __CLASS selects nothing.
func (q *Query) Project(inst cim.Instance) cim.Instance {
	if q.props == nil {
		return inst.Clone()
	}
	out := cim.Instance{ClassName: inst.ClassName}
	for _, pv := range inst.Properties {
		if q.selects(pv.Name) {
			out.Properties = append(out.Properties, pv)
		}
	}
	return out
}

func (q *Query) selects(name string) bool {
	return slices.ContainsFunc(q.props, func(s selected) bool { return strings.EqualFold(s.name, name) })
}

// Check verifies the query against the class named after FROM: every
// selected and compared property exists, and each comparison, LIKE and ISA
// suits the property's type. Errors are *cim.Error with
// cim.StatusInvalidQuery naming the column.
//
// A property path Head.Prop is accepted when Head is a string property
// of the class with the EmbeddedInstance or EmbeddedObject qualifier;
// Prop is not checked, for the embedded class is not known here
// (CheckEmbedded checks it when it is).
func (q *Query) Check(class *cim.Class) error {
	return q.CheckEmbedded(class, nil)
}

// CheckEmbedded is Check knowing the classes of embedded instances:
// embeddedClass returns the class of the instance embedded under a
// property (nil when not known, then Prop is not checked), and in
// Head.Prop, Prop must be a property of that class, of a type that suits
// its comparison.
func (q *Query) CheckEmbedded(class *cim.Class, embeddedClass func(property string) *cim.Class) error {
	for _, s := range q.props {
		if _, ok := class.Property(s.name); !ok && !strings.EqualFold(s.name, "__class") {
			return q.errorAt(s.pos, "class %s has no property %s", class.Name, s.name)
		}
	}
	if q.where == nil {
		return nil
	}
	c := &checker{class: class, embeddedClass: embeddedClass, fold: q.dialect == WQL}
	if err := q.where.check(c); err != nil {
		return toCIMError(q.text, err)
	}
	return nil
}

func (q *Query) errorAt(pos int, format string, args ...any) error {
	return toCIMError(q.text, &syntaxError{pos: pos, msg: fmt.Sprintf(format, args...)})
}
