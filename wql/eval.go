package wql

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/redset/redset/cim"
)

// tri is a truth value of SQL's three-valued logic.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func truth(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func (t tri) not() tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

// expr is a node of the WHERE clause. eval computes it for one instance;
// check verifies it against the class named after FROM.
type expr interface {
	eval(ev *evaluator) (tri, error)
	check(c *checker) *syntaxError
}

// evaluator carries what eval needs for one instance.
type evaluator struct {
	src      string
	inst     cim.Instance
	embedded func(property string) (cim.Instance, bool) // nil: nothing is embedded
	isa      IsaFunc
	fold     bool
}

// embeddedUnder returns the instance embedded under the property, if any.
func (ev *evaluator) embeddedUnder(property string) (cim.Instance, bool) {
	if ev.embedded == nil {
		return cim.Instance{}, false
	}
	return ev.embedded(property)
}

func (ev *evaluator) errorf(pos int, format string, args ...any) error {
	return toCIMError(ev.src, &syntaxError{pos: pos, msg: fmt.Sprintf(format, args...)})
}

// checker carries what check needs.
type checker struct {
	class         *cim.Class
	embeddedClass func(property string) *cim.Class // nil, or nil results: classes unknown
	fold          bool
}

// logical is AND (or false) or OR (or true).
type logical struct {
	or   bool
	l, r expr
}

func (n *logical) eval(ev *evaluator) (tri, error) {
	l, err := n.l.eval(ev)
	if err != nil || (n.or && l == triTrue) || (!n.or && l == triFalse) {
		return l, err
	}
	r, err := n.r.eval(ev)
	if err != nil {
		return triUnknown, err
	}
	return combine(n.or, l, r), nil
}

// combine joins two truth values that did not short-circuit.
func combine(or bool, l, r tri) tri {
	decisive := truth(or)
	switch {
	case r == decisive:
		return decisive
	case l == triUnknown || r == triUnknown:
		return triUnknown
	}
	return decisive.not()
}

func (n *logical) check(c *checker) *syntaxError {
	if err := n.l.check(c); err != nil {
		return err
	}
	return n.r.check(c)
}

// not negates its operand.
type not struct{ x expr }

func (n *not) eval(ev *evaluator) (tri, error) {
	r, err := n.x.eval(ev)
	return r.not(), err
}

func (n *not) check(c *checker) *syntaxError { return n.x.check(c) }

// isNull is "x IS NULL" or, with not, "x IS NOT NULL".
type isNull struct {
	x   operand
	not bool
}

func (n *isNull) eval(ev *evaluator) (tri, error) {
	null := n.x.value(ev).IsNull()
	if n.x.kind == opndProp && null {
		_, found := ev.embeddedUnder(n.x.name)
		null = !found
	}
	return truth(null != n.not), nil
}

func (n *isNull) check(c *checker) *syntaxError {
	_, err := n.x.sample(c)
	return err
}

// isa is "x ISA class": x names an embedded instance (its class is
// tested), or is a reference (the referenced class), a string holding a
// class name, or __CLASS.
type isa struct {
	x     operand
	class string
	pos   int
}

func (n *isa) eval(ev *evaluator) (tri, error) {
	if n.x.kind == opndProp {
		if in, ok := ev.embeddedUnder(n.x.name); ok {
			return truth(ev.isa(in.ClassName, n.class)), nil
		}
	}
	return anyOf(n.x.value(ev), func(v cim.Value) (tri, error) {
		switch v.Type() {
		case cim.String:
			return truth(ev.isa(v.Str(), n.class)), nil
		case cim.Reference:
			return truth(ev.isa(v.Ref().ClassName, n.class)), nil
		}
		return triUnknown, ev.errorf(n.pos, "ISA needs a reference or __CLASS, not %s", n.x.describe(v))
	})
}

func (n *isa) check(c *checker) *syntaxError {
	v, err := n.x.sample(c)
	if err == nil && v.Type() != cim.String && v.Type() != cim.Reference {
		err = &syntaxError{pos: n.pos, msg: "ISA needs a reference or __CLASS, not " + n.x.describe(v)}
	}
	return err
}

// like is "x [NOT] LIKE pattern" on strings and char16 values.
type like struct {
	x       operand
	pattern likePattern
	not     bool
	pos     int
}

func (n *like) eval(ev *evaluator) (tri, error) {
	r, err := anyOf(n.x.value(ev), func(v cim.Value) (tri, error) {
		if !isText(v.Type()) {
			return triUnknown, ev.errorf(n.pos, "LIKE needs a string, not %s", n.x.describe(v))
		}
		return truth(n.pattern.match(v.String(), ev.fold)), nil
	})
	if n.not {
		r = r.not()
	}
	return r, err
}

func (n *like) check(c *checker) *syntaxError {
	v, err := n.x.sample(c)
	if err == nil && !isText(v.Type()) {
		err = &syntaxError{pos: n.pos, msg: "LIKE needs a string, not " + n.x.describe(v)}
	}
	return err
}

// compare is "l op r".
type compare struct {
	op   cmpOp
	l, r operand
	pos  int
}

func (n *compare) eval(ev *evaluator) (tri, error) {
	a, b := n.l.value(ev), n.r.value(ev)
	r, why := compareValues(n.op, a, b, ev.fold)
	if why != "" {
		return triUnknown, ev.errorf(n.pos, "cannot compare %s with %s: %s", n.l.describe(a), n.r.describe(b), why)
	}
	return r, nil
}

func (n *compare) check(c *checker) *syntaxError {
	a, err := n.l.sample(c)
	if err != nil {
		return err
	}
	b, err := n.r.sample(c)
	if err != nil {
		return err
	}
	if why := checkCompare(n.op, n.l, a, n.r, b, c.fold); why != "" {
		return &syntaxError{pos: n.pos, msg: fmt.Sprintf("cannot compare %s with %s: %s", n.l.describe(a), n.r.describe(b), why)}
	}
	return nil
}

// checkCompare tries the comparison on sample values. A datetime property
// may hold timestamps or intervals, so against one only the other side's
// form is checked.
func checkCompare(op cmpOp, l operand, a cim.Value, r operand, b cim.Value, fold bool) string {
	switch {
	case l.isProperty() && a.Type() == cim.Datetime:
		return datetimeLike(b)
	case r.isProperty() && b.Type() == cim.Datetime:
		return datetimeLike(a)
	}
	_, why := compareValues(op, a, b, fold)
	return why
}

func datetimeLike(v cim.Value) string {
	if v.Type() == cim.Datetime {
		return ""
	}
	if v.Type() == cim.String {
		if _, err := cim.ParseDateTime(v.Str()); err == nil {
			return ""
		}
	}
	return "not a datetime"
}

// anyOf applies f to a scalar, or to each element of an array until one
// gives true (an array matches when any element does). NULL is unknown.
func anyOf(v cim.Value, f func(cim.Value) (tri, error)) (tri, error) {
	switch {
	case v.IsNull():
		return triUnknown, nil
	case !v.IsArray():
		return f(v)
	}
	for i := range v.Len() {
		r, err := f(v.Index(i))
		if err != nil || r == triTrue {
			return r, err
		}
	}
	return triFalse, nil
}

// operand kinds.
const (
	opndProp  = iota // a property of the instance
	opndLit          // a literal value
	opndNull         // the NULL literal (only in IS NULL rewrites)
	opndClass        // __CLASS or the FROM class name: the instance's class
	opndPath         // Head.Prop: a property of the instance embedded under Head
)

// operand is one side of a predicate.
type operand struct {
	kind       int
	name       string // as written; Head.Prop for a path
	head, prop string // a path's two names
	lit        cim.Value
	pos        int
}

func (o operand) isProperty() bool { return o.kind == opndProp || o.kind == opndPath }

func literal(v cim.Value, pos int) operand { return operand{kind: opndLit, lit: v, pos: pos} }

func (o operand) isNull() bool { return o.kind == opndNull }

// value evaluates the operand for one instance; absent properties are NULL.
func (o operand) value(ev *evaluator) cim.Value {
	switch o.kind {
	case opndProp:
		v, _ := ev.inst.Get(o.name)
		return v
	case opndClass:
		return cim.NewString(ev.inst.ClassName)
	case opndPath:
		in, ok := ev.embeddedUnder(o.head)
		if !ok {
			return cim.Null(cim.String, false)
		}
		v, _ := in.Get(o.prop)
		return v
	}
	return o.lit
}

// sample returns a value of the operand's type for checking against the
// class, or an error when the property does not exist.
func (o operand) sample(c *checker) (cim.Value, *syntaxError) {
	switch o.kind {
	case opndClass:
		return cim.NewString(c.class.Name), nil
	case opndProp:
		p, ok := c.class.Property(o.name)
		if !ok {
			return cim.Value{}, &syntaxError{pos: o.pos, msg: fmt.Sprintf("class %s has no property %s", c.class.Name, o.name)}
		}
		return sampleOf(p), nil
	case opndPath:
		return o.pathSample(c)
	}
	return o.lit, nil
}

// pathSample checks Head.Prop: Head must be a string property with the
// EmbeddedInstance or EmbeddedObject qualifier. When the embedded class is
// known, Prop must be one of its properties; otherwise its type is not
// known and the sample is a NULL, which no check refuses.
func (o operand) pathSample(c *checker) (cim.Value, *syntaxError) {
	p, ok := c.class.Property(o.head)
	if !ok {
		return cim.Value{}, &syntaxError{pos: o.pos, msg: fmt.Sprintf("class %s has no property %s", c.class.Name, o.head)}
	}
	if !embeds(p) {
		return cim.Value{}, &syntaxError{pos: o.pos, msg: fmt.Sprintf("%s: property %s of class %s holds no embedded instance", o.name, p.Name, c.class.Name)}
	}
	var ec *cim.Class
	if c.embeddedClass != nil {
		ec = c.embeddedClass(p.Name)
	}
	if ec == nil {
		return cim.Null(cim.String, false), nil
	}
	ep, ok := ec.Property(o.prop)
	if !ok {
		return cim.Value{}, &syntaxError{pos: o.pos, msg: fmt.Sprintf("%s: class %s has no property %s", o.name, ec.Name, o.prop)}
	}
	return sampleOf(ep), nil
}

// embeds reports whether a property carries an embedded instance: a
// scalar string with the EmbeddedInstance or EmbeddedObject qualifier.
func embeds(p *cim.Property) bool {
	if p.Type != cim.String || p.IsArray {
		return false
	}
	_, inst := p.Qualifiers.Get("EmbeddedInstance")
	return inst || p.Qualifiers.Has("EmbeddedObject")
}

// sampleOf returns a non-null value of the property's type; arrays get one
// element so that element-wise checks run.
func sampleOf(p *cim.Property) cim.Value {
	var v cim.Value
	switch t := p.Type; {
	case t.IsInteger() && t.IsSigned():
		v, _ = cim.NewSint(t, 0)
	case t.IsInteger():
		v, _ = cim.NewUint(t, 0)
	case t.IsReal():
		v = cim.NewReal(t, 0)
	default:
		v = sampleOther(p)
	}
	if p.IsArray {
		v, _ = cim.NewArray(v.Type(), []cim.Value{v})
	}
	return v
}

func sampleOther(p *cim.Property) cim.Value {
	switch p.Type {
	case cim.Boolean:
		return cim.NewBool(false)
	case cim.Char16:
		return cim.NewChar16('a')
	case cim.Datetime:
		return cim.NewDateTime(cim.IntervalFromDuration(0))
	case cim.Reference:
		return cim.NewReference(cim.ObjectPath{ClassName: cmp.Or(p.RefClass, "CIM_ManagedElement")})
	}
	return cim.NewString("")
}

// describe names the operand for error messages: a property with its type,
// or a literal as written in MOF.
func (o operand) describe(v cim.Value) string {
	switch o.kind {
	case opndProp, opndClass, opndPath:
		return fmt.Sprintf("%s (%s)", o.name, typeName(v))
	}
	return v.MOF()
}

func typeName(v cim.Value) string {
	s := v.Type().String()
	if v.IsArray() {
		s += "[]"
	}
	if v.IsNull() {
		s = "null " + s
	}
	return s
}

func isText(t cim.Type) bool { return t == cim.String || t == cim.Char16 }

// foldText lower-cases s for ordering when fold is set.
func foldText(s string, fold bool) string {
	if fold {
		return strings.ToLower(s)
	}
	return s
}
