package wsman

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redset/redset/cimom"
)

// openOps are the two Open operations of one kind of enumeration: the one
// that returns instances and the one that returns paths only.
type openOps struct{ objects, paths cimom.Operation }

var (
	plainOps = openOps{cimom.OpenEnumerateInstances, cimom.OpenEnumerateInstancePaths}
	assocOps = openOps{cimom.OpenAssociatorInstances, cimom.OpenAssociatorInstancePaths}
	refOps   = openOps{cimom.OpenReferenceInstances, cimom.OpenReferenceInstancePaths}
	queryOps = openOps{cimom.OpenQueryInstances, cimom.OpenQueryInstances}
)

// pullFor names the DSP0200 pull operation that continues an Open
// operation.
func pullFor(open cimom.Operation) cimom.Operation {
	switch open {
	case cimom.OpenEnumerateInstancePaths, cimom.OpenAssociatorInstancePaths, cimom.OpenReferenceInstancePaths:
		return cimom.PullInstancePaths
	case cimom.OpenQueryInstances:
		return cimom.PullInstances
	}
	return cimom.PullInstancesWithPath
}

// enumerateBody holds the children of wsen:Enumerate that redset reads.
type enumerateBody struct {
	optimize    bool
	maxElements uint32
	mode        EnumerationMode
	expires     *uint32
	filter      *element
}

// buildEnumerate maps Enumerate (DSP0226 clause 8.2) to an Open operation
// of DSP0200: plain enumerations to OpenEnumerateInstances (or
// OpenEnumerateInstancePaths for EnumerateEPR), query filters to
// OpenQueryInstances, association filters to OpenAssociatorInstances or
// OpenReferenceInstances. Subclass instances are included
// (DeepInheritance), as WMI does whatever wsmb:PolymorphismMode says.
func (e *Envelope) buildEnumerate(c *Call, sels []Selector) error {
	c.Kind = KindEnumerate
	if !e.body.is(nsWSEN, "Enumerate") {
		return newFault(FaultSchemaValidationError, "", "an Enumerate request needs a wsen:Enumerate body")
	}
	if err := noSelectors(sels); err != nil {
		return err
	}
	b, err := readEnumerate(e.body)
	if err != nil {
		return err
	}
	c.Mode, c.Optimize = b.mode, b.optimize
	req := &cimom.Request{Namespace: c.Resource.Namespace, DeepInheritance: true, OperationTimeout: b.expires}
	if b.optimize {
		c.MaxElements, req.MaxObjectCount = b.maxElements, b.maxElements
	}
	ops, err := c.applyFilter(req, b.filter)
	if err != nil {
		return err
	}
	req.Op = ops.objects
	if c.Mode == EnumerateEPR {
		req.Op = ops.paths
	}
	c.Request, c.pull = req, pullFor(req.Op)
	return nil
}

func readEnumerate(body *element) (enumerateBody, error) {
	b := enumerateBody{maxElements: 1}
	var err error
	for _, k := range body.kids {
		switch {
		case k.is(nsWSMan, "OptimizeEnumeration"):
			b.optimize = true
		case k.is(nsWSMan, "MaxElements"):
			b.maxElements, err = readCount(k)
		case k.is(nsWSMan, "EnumerationMode"):
			b.mode, err = readMode(k.value())
		case k.is(nsWSMan, "Filter") || k.is(nsWSEN, "Filter"):
			b.filter = k
		case k.is(nsWSEN, "Expires"):
			b.expires, err = readExpires(k.value())
		case k.is(nsWSEN, "EndTo"):
			err = newFault(FaultUnsupportedFeature, DetailAddressingMode, "wsen:EndTo is not supported")
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// readCount reads a MaxElements value: an xs:positiveInteger.
func readCount(k *element) (uint32, error) {
	n, err := strconv.ParseUint(k.value(), 10, 32)
	if err != nil || n == 0 {
		return 0, newFault(FaultSchemaValidationError, "", "%s %q is not a positive integer", k.name.Local, k.value())
	}
	return uint32(n), nil
}

func readMode(s string) (EnumerationMode, error) {
	switch s {
	case "EnumerateEPR":
		return EnumerateEPR, nil
	case "EnumerateObjectAndEPR":
		return EnumerateObjectAndEPR, nil
	}
	return 0, newFault(FaultUnsupportedFeature, DetailEnumerationMode, "the enumeration mode %q is not supported", s)
}

// readExpires reads wsen:Expires as the enumeration context's inactivity
// timeout in seconds (DSP0200's OperationTimeout of the Open operations).
// Only the xs:duration form is accepted.
func readExpires(s string) (*uint32, error) {
	d, err := parseDuration(s)
	if err != nil || d <= 0 {
		return nil, newFault(FaultInvalidExpirationTime, "", "Expires %q is not a positive xs:duration", s)
	}
	secs := uint32(math.Min(math.Ceil(d.Seconds()), math.MaxUint32))
	return &secs, nil
}

// applyFilter reads the enumeration filter (DSP0226 clause 8.3) into req and
// returns the Open operations that serve it. Without a filter the resource
// must name a class.
func (c *Call) applyFilter(req *cimom.Request, f *element) (openOps, error) {
	if f == nil {
		req.ClassName = c.Resource.ClassName
		if req.ClassName == "" {
			return plainOps, newFault(FaultUnsupportedFeature, DetailFilteringRequired, "enumerating all classes needs a filter")
		}
		return plainOps, nil
	}
	dialect, _ := f.attr("", "Dialect")
	switch strings.TrimSpace(dialect) {
	case dialectWQL:
		return c.queryFilter(req, "WQL", f.value())
	case dialectCQL:
		return c.queryFilter(req, "DMTF:CQL", f.value())
	case dialectSelector:
		return c.selectorFilter(req, f)
	case dialectAssoc:
		return c.associationFilter(req, f)
	}
	return queryOps, newFault(FaultFilterDialectRequestedUnavailable, "", "the filter dialect %q is not supported", dialect)
}

// queryFilter serves the WQL dialect (MS-WSMV 3.1.4.1.13) and CQL (DSP0227
// clause 8.1) with OpenQueryInstances.
func (c *Call) queryFilter(req *cimom.Request, lang, query string) (openOps, error) {
	if query == "" {
		return queryOps, newFault(FaultCannotProcessFilter, "", "the %s filter is empty", lang)
	}
	req.ClassName, req.QueryLanguage, req.Query = c.Resource.ClassName, lang, query
	return queryOps, nil
}

// selectorFilter serves the selector dialect (DSP0226 annex E) as WMI does:
// a WQL query whose WHERE clause ANDs "name = 'value'" for each selector.
// Like WMI it needs a class-specific URI and refuses quote characters and
// reference values; a backslash is escaped as WQL strings require.
func (c *Call) selectorFilter(req *cimom.Request, f *element) (openOps, error) {
	set := f.child(nsWSMan, "SelectorSet")
	if c.Resource.ClassName == "" || set == nil {
		return queryOps, newFault(FaultCannotProcessFilter, "", "a selector filter needs a class-specific resource URI and a w:SelectorSet")
	}
	sels, err := readSelectors(set)
	if err != nil {
		return queryOps, newFault(FaultCannotProcessFilter, "", "%s", reasonOf(err))
	}
	var where []string
	for _, s := range sels {
		if strings.EqualFold(s.Name, selNamespace) {
			continue
		}
		if s.EPR != nil || strings.ContainsAny(s.Value, `'"`) || !isClassName(s.Name) {
			return queryOps, newFault(FaultCannotProcessFilter, "", "the selector %s cannot be filtered on", s.Name)
		}
		where = append(where, s.Name+" = '"+strings.ReplaceAll(s.Value, `\`, `\\`)+"'")
	}
	query := "SELECT * FROM " + c.Resource.ClassName
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return c.queryFilter(req, "WQL", query)
}

// associationFilter serves the CIM binding's association dialect (DSP0227
// clause 8.2): wsmb:AssociatedInstances becomes an associators
// enumeration, wsmb:AssociationInstances a references enumeration, of the
// instance named by wsmb:Object. A class-specific resource URI further
// limits the results to that class when the filter gives no
// ResultClassName.
func (c *Call) associationFilter(req *cimom.Request, f *element) (openOps, error) {
	ops, q := assocOps, f.child(nsWSMB, "AssociatedInstances")
	if q == nil {
		ops, q = refOps, f.child(nsWSMB, "AssociationInstances")
	}
	if q == nil {
		return ops, newFault(FaultCannotProcessFilter, "", "the association filter holds neither AssociatedInstances nor AssociationInstances")
	}
	if err := c.assocObject(req, q); err != nil {
		return ops, err
	}
	req.Role, _ = q.childText(nsWSMB, "Role")
	req.ResultClass, _ = q.childText(nsWSMB, "ResultClassName")
	if ops == assocOps {
		req.AssocClass, _ = q.childText(nsWSMB, "AssociationClassName")
		req.ResultRole, _ = q.childText(nsWSMB, "ResultRole")
	}
	if req.ResultClass == "" {
		req.ResultClass = c.Resource.ClassName
	}
	req.PropertyList = includedProperties(q)
	return ops, nil
}

// assocObject reads wsmb:Object, the endpoint reference of the source
// instance.
func (c *Call) assocObject(req *cimom.Request, q *element) error {
	obj := q.child(nsWSMB, "Object")
	ref := eprElement(obj)
	if obj == nil || ref == nil {
		return newFault(FaultCannotProcessFilter, "", "the association filter has no wsmb:Object endpoint reference")
	}
	epr, err := readEPR(ref)
	if err == nil {
		req.ObjectName, err = epr.path(c.Resource.Namespace)
	}
	if err != nil {
		return newFault(FaultCannotProcessFilter, "", "wsmb:Object: %s", reasonOf(err))
	}
	return nil
}

// includedProperties reads wsmb:IncludeResultProperty elements into a
// property list; nil (all properties) when there are none.
func includedProperties(q *element) []string {
	var names []string
	for _, k := range q.kids {
		if k.is(nsWSMB, "IncludeResultProperty") {
			names = append(names, k.value())
		}
	}
	return names
}

// buildPull maps Pull (DSP0226 clause 8.4) to the pull operation recorded
// in the enumeration context. MaxElements defaults to 1 (WS-Enumeration);
// MaxTime shortens the operation timeout; MaxCharacters is not honoured
// (answers are limited by MaxEnvelopeSize instead).
func (e *Envelope) buildPull(c *Call) error {
	c.Kind = KindPull
	if !e.body.is(nsWSEN, "Pull") {
		return newFault(FaultSchemaValidationError, "", "a Pull request needs a wsen:Pull body")
	}
	id, st, err := e.bodyContext()
	if err != nil {
		return err
	}
	c.Mode, c.pull, c.Ended, c.MaxElements = st.mode, st.pull, st.ended, 1
	if k := e.body.child(nsWSEN, "MaxElements"); k != nil {
		if c.MaxElements, err = readCount(k); err != nil {
			return err
		}
	}
	if err := c.readMaxTime(e.body); err != nil {
		return err
	}
	if !c.Ended {
		c.Request = &cimom.Request{Op: c.pull, Namespace: c.Resource.Namespace, EnumerationContext: id,
			MaxObjectCount: c.MaxElements}
	}
	return nil
}

func (c *Call) readMaxTime(pull *element) error {
	s, ok := pull.childText(nsWSEN, "MaxTime")
	if !ok {
		return nil
	}
	d, err := parseDuration(s)
	if err != nil || d <= 0 {
		return newFault(FaultSchemaValidationError, "", "MaxTime %q is not a positive xs:duration", s)
	}
	c.Timeout = shorter(c.Timeout, d)
	return nil
}

func shorter(a, b time.Duration) time.Duration {
	if a == 0 || b < a {
		return b
	}
	return a
}

// buildRelease maps Release (DSP0226 clause 8.5) to CloseEnumeration.
func (e *Envelope) buildRelease(c *Call) error {
	c.Kind = KindRelease
	if !e.body.is(nsWSEN, "Release") {
		return newFault(FaultSchemaValidationError, "", "a Release request needs a wsen:Release body")
	}
	id, st, err := e.bodyContext()
	if err != nil {
		return err
	}
	c.Ended = st.ended
	if !c.Ended {
		c.Request = &cimom.Request{Op: cimom.CloseEnumeration, Namespace: c.Resource.Namespace, EnumerationContext: id}
	}
	return nil
}

func (e *Envelope) bodyContext() (string, contextState, error) {
	text, _ := e.body.childText(nsWSEN, "EnumerationContext")
	if text == "" {
		return "", contextState{}, newFault(FaultInvalidEnumerationContext, "", "the request carries no enumeration context")
	}
	id, st := parseWireContext(text)
	return id, st, nil
}

// contextState is what the wire form of an enumeration context remembers
// beside the object manager's context: what the items are and which pull
// operation continues the enumeration.
type contextState struct {
	mode  EnumerationMode
	pull  cimom.Operation
	ended bool
}

// contextTags name the states. The object manager's context is sent with
// "#" and the tag appended (nothing for plain object enumerations), so
// that Pull, which carries only the context, is served like the Enumerate
// that opened it. An enumeration that ended before its first Pull is sent as
// a context tagged "End", answered without asking the object manager.
var contextTags = []struct {
	tag string
	st  contextState
}{
	{"", contextState{EnumerateObjects, cimom.PullInstancesWithPath, false}},
	{"EPR", contextState{EnumerateEPR, cimom.PullInstancePaths, false}},
	{"ObjectAndEPR", contextState{EnumerateObjectAndEPR, cimom.PullInstancesWithPath, false}},
	{"Query", contextState{EnumerateObjects, cimom.PullInstances, false}},
	{"QueryEPR", contextState{EnumerateEPR, cimom.PullInstances, false}},
	{"QueryObjectAndEPR", contextState{EnumerateObjectAndEPR, cimom.PullInstances, false}},
	{"End", contextState{EnumerateObjects, cimom.PullInstancesWithPath, true}},
}

// wireContext writes the enumeration context sent to the client.
func wireContext(id string, st contextState) string {
	for _, t := range contextTags {
		if t.st == st && t.tag != "" {
			return id + "#" + t.tag
		}
	}
	return id
}

// endedContext is the context of an enumeration that has no more items.
func endedContext(id string) string {
	if id == "" {
		id = "ended"
	}
	return wireContext(id, contextState{EnumerateObjects, cimom.PullInstancesWithPath, true})
}

// parseWireContext splits a context read from a request; a context without
// a known tag is a plain object enumeration.
func parseWireContext(s string) (string, contextState) {
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		for _, t := range contextTags[1:] {
			if s[i+1:] == t.tag {
				return s[:i], t.st
			}
		}
	}
	return s, contextTags[0].st
}
