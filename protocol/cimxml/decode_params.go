package cimxml

import (
	"encoding/xml"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// Each operation's IPARAMVALUE names (DSP0200 clause 5.3.2); a leading
// '*' marks a required parameter.
var opParams = map[cimom.Operation]string{
	cimom.GetClass:                    "*ClassName LocalOnly IncludeQualifiers IncludeClassOrigin PropertyList",
	cimom.EnumerateClasses:            "ClassName DeepInheritance LocalOnly IncludeQualifiers IncludeClassOrigin",
	cimom.EnumerateClassNames:         "ClassName DeepInheritance",
	cimom.GetInstance:                 "*InstanceName LocalOnly IncludeQualifiers IncludeClassOrigin PropertyList",
	cimom.EnumerateInstances:          "*ClassName LocalOnly DeepInheritance IncludeQualifiers IncludeClassOrigin PropertyList",
	cimom.EnumerateInstanceNames:      "*ClassName",
	cimom.ModifyInstance:              "*ModifiedInstance IncludeQualifiers PropertyList",
	cimom.CreateInstance:              "*NewInstance",
	cimom.DeleteInstance:              "*InstanceName",
	cimom.Associators:                 "*ObjectName AssocClass ResultClass Role ResultRole IncludeQualifiers IncludeClassOrigin PropertyList",
	cimom.AssociatorNames:             "*ObjectName AssocClass ResultClass Role ResultRole",
	cimom.References:                  "*ObjectName ResultClass Role IncludeQualifiers IncludeClassOrigin PropertyList",
	cimom.ReferenceNames:              "*ObjectName ResultClass Role",
	cimom.ExecQuery:                   "*QueryLanguage *Query",
	cimom.GetQualifier:                "*QualifierName",
	cimom.EnumerateQualifiers:         "",
	cimom.OpenEnumerateInstances:      "*ClassName DeepInheritance IncludeClassOrigin PropertyList" + openParams,
	cimom.OpenEnumerateInstancePaths:  "*ClassName" + openParams,
	cimom.OpenAssociatorInstances:     "*InstanceName AssocClass ResultClass Role ResultRole IncludeClassOrigin PropertyList" + openParams,
	cimom.OpenAssociatorInstancePaths: "*InstanceName AssocClass ResultClass Role ResultRole" + openParams,
	cimom.OpenReferenceInstances:      "*InstanceName ResultClass Role IncludeClassOrigin PropertyList" + openParams,
	cimom.OpenReferenceInstancePaths:  "*InstanceName ResultClass Role" + openParams,
	cimom.OpenQueryInstances:          "*FilterQueryLanguage *FilterQuery ReturnQueryResultClass OperationTimeout ContinueOnError MaxObjectCount",
	cimom.PullInstancesWithPath:       "*EnumerationContext *MaxObjectCount",
	cimom.PullInstancePaths:           "*EnumerationContext *MaxObjectCount",
	cimom.PullInstances:               "*EnumerationContext *MaxObjectCount",
	cimom.CloseEnumeration:            "*EnumerationContext",
	cimom.EnumerationCount:            "*EnumerationContext",
}

// openParams are the parameters every Open operation but
// OpenQueryInstances shares.
const openParams = " FilterQueryLanguage FilterQuery OperationTimeout ContinueOnError MaxObjectCount"

// newRequest returns a request for op holding DSP0200's defaults (see the
// package comment for LocalOnly).
func newRequest(op cimom.Operation) *cimom.Request {
	r := &cimom.Request{Op: op}
	switch op {
	case cimom.GetClass, cimom.EnumerateClasses:
		r.LocalOnly, r.IncludeQualifiers = true, true
	case cimom.EnumerateInstances, cimom.OpenEnumerateInstances, cimom.OpenEnumerateInstancePaths:
		r.DeepInheritance = true
	}
	return r
}

// paramSet tracks which parameters of one call were given.
type paramSet struct {
	op    cimom.Operation
	names []string // canonical spelling, '*' removed
	req   []bool
	seen  []bool
}

func newParamSet(op cimom.Operation) *paramSet {
	ps := &paramSet{op: op}
	for _, f := range strings.Fields(opParams[op]) {
		name, required := strings.CutPrefix(f, "*")
		ps.names = append(ps.names, name)
		ps.req = append(ps.req, required)
	}
	ps.seen = make([]bool, len(ps.names))
	return ps
}

// take marks the parameter name as given and returns its canonical
// spelling.
func (ps *paramSet) take(name string) (string, error) {
	for i, n := range ps.names {
		if strings.EqualFold(n, name) {
			if ps.seen[i] {
				return "", invalidParam("%s: parameter %s given twice", ps.op, n)
			}
			ps.seen[i] = true
			return n, nil
		}
	}
	return "", invalidParam("%s has no parameter %q", ps.op, name)
}

// finish checks that every required parameter was given.
func (ps *paramSet) finish() error {
	for i, n := range ps.names {
		if ps.req[i] && !ps.seen[i] {
			return invalidParam("%s: missing parameter %s", ps.op, n)
		}
	}
	return nil
}

// pvalue is the decoded content of one IPARAMVALUE; kind is the name of
// its child element, "" when it has none (a null).
type pvalue struct {
	kind  string
	text  string         // VALUE
	list  []string       // VALUE.ARRAY
	path  cim.ObjectPath // CLASSNAME, INSTANCENAME, VALUE.REFERENCE, VALUE.NAMEDINSTANCE
	inst  *cim.Instance  // INSTANCE, VALUE.NAMEDINSTANCE
	param string         // canonical parameter name, for messages
}

// iparamValue reads one parameter of an intrinsic call and stores it in
// req.
//
//	<!ELEMENT IPARAMVALUE (VALUE|VALUE.ARRAY|VALUE.REFERENCE|CLASSNAME|INSTANCENAME|
//	                       QUALIFIER.DECLARATION|CLASS|INSTANCE|VALUE.NAMEDINSTANCE)?>
//	NAME required
func (t *tokens) iparamValue(se xml.StartElement, req *cimom.Request, ps *paramSet) error {
	name, err := needAttr(se, "NAME")
	if err != nil {
		return err
	}
	canon, err := ps.take(name)
	if err != nil {
		return err
	}
	v, err := t.iparamContent(canon)
	if err != nil {
		return withContext(canon, err)
	}
	return withContext(canon, paramSetters[canon](req, v))
}

// iparamContent reads the optional child of an IPARAMVALUE and its end.
func (t *tokens) iparamContent(param string) (*pvalue, error) {
	v := &pvalue{param: param}
	se, ok, err := t.child()
	if err != nil || !ok {
		return v, err
	}
	v.kind = se.Name.Local
	if err := t.iparamChild(se, v); err != nil {
		return nil, err
	}
	return v, t.end("IPARAMVALUE")
}

// iparamChild decodes the child element of an IPARAMVALUE into v.
func (t *tokens) iparamChild(se xml.StartElement, v *pvalue) (err error) {
	switch v.kind {
	case "VALUE":
		v.text, err = t.text("VALUE")
	case "VALUE.ARRAY":
		v.list, err = t.stringArray()
	case "VALUE.REFERENCE":
		v.path, err = t.valueReference()
	case "CLASSNAME":
		v.path.ClassName, err = t.className(se)
	case "INSTANCENAME":
		v.path, err = t.instanceName(se)
	case "INSTANCE":
		v.inst, err = t.instance(se)
	case "VALUE.NAMEDINSTANCE":
		v.path, v.inst, err = t.namedInstance()
	default:
		return notSupported("%s is not supported here", v.kind)
	}
	return err
}

// paramSetters store a decoded parameter in the request, by canonical
// name.
var paramSetters = map[string]func(*cimom.Request, *pvalue) error{
	"ClassName":              func(r *cimom.Request, v *pvalue) error { return v.targetClass(r) },
	"AssocClass":             func(r *cimom.Request, v *pvalue) error { return v.className(&r.AssocClass) },
	"ResultClass":            func(r *cimom.Request, v *pvalue) error { return v.className(&r.ResultClass) },
	"Role":                   func(r *cimom.Request, v *pvalue) error { return v.str(&r.Role) },
	"ResultRole":             func(r *cimom.Request, v *pvalue) error { return v.str(&r.ResultRole) },
	"QueryLanguage":          func(r *cimom.Request, v *pvalue) error { return v.str(&r.QueryLanguage) },
	"Query":                  func(r *cimom.Request, v *pvalue) error { return v.str(&r.Query) },
	"FilterQueryLanguage":    func(r *cimom.Request, v *pvalue) error { return v.str(&r.QueryLanguage) },
	"FilterQuery":            func(r *cimom.Request, v *pvalue) error { return v.str(&r.Query) },
	"QualifierName":          func(r *cimom.Request, v *pvalue) error { return v.str(&r.QualifierName) },
	"EnumerationContext":     func(r *cimom.Request, v *pvalue) error { return v.str(&r.EnumerationContext) },
	"LocalOnly":              func(r *cimom.Request, v *pvalue) error { return v.boolean(&r.LocalOnly) },
	"DeepInheritance":        func(r *cimom.Request, v *pvalue) error { return v.boolean(&r.DeepInheritance) },
	"IncludeQualifiers":      func(r *cimom.Request, v *pvalue) error { return v.boolean(&r.IncludeQualifiers) },
	"IncludeClassOrigin":     func(r *cimom.Request, v *pvalue) error { return v.boolean(&r.IncludeClassOrigin) },
	"ContinueOnError":        func(r *cimom.Request, v *pvalue) error { return v.boolean(&r.ContinueOnError) },
	"ReturnQueryResultClass": func(_ *cimom.Request, v *pvalue) error { return v.returnQueryResultClass() },
	"PropertyList":           func(r *cimom.Request, v *pvalue) error { return v.propertyList(&r.PropertyList) },
	"InstanceName":           func(r *cimom.Request, v *pvalue) error { return v.instanceName(r) },
	"ObjectName":             func(r *cimom.Request, v *pvalue) error { return v.objectName(r) },
	"ModifiedInstance":       func(r *cimom.Request, v *pvalue) error { return v.namedInstance(r) },
	"NewInstance":            func(r *cimom.Request, v *pvalue) error { return v.newInstance(r) },
	"OperationTimeout":       func(r *cimom.Request, v *pvalue) error { return v.timeout(&r.OperationTimeout) },
	"MaxObjectCount":         func(r *cimom.Request, v *pvalue) error { return v.uint32(&r.MaxObjectCount) },
}

// want checks the child element kind; a null is accepted when nullOK.
func (v *pvalue) want(kind string, nullOK bool) error {
	switch {
	case v.kind == kind:
		return nil
	case v.kind == "" && nullOK:
		return nil
	case v.kind == "":
		return invalidParam("value must not be NULL")
	}
	return invalidParam("expected %s, got %s", kind, v.kind)
}

func (v *pvalue) str(dst *string) error {
	if err := v.want("VALUE", true); err != nil {
		return err
	}
	*dst = v.text
	return nil
}

func (v *pvalue) className(dst *string) error {
	if err := v.want("CLASSNAME", true); err != nil {
		return err
	}
	*dst = v.path.ClassName
	return nil
}

// targetClass stores the class an operation works on; only the class
// enumerations accept a NULL (meaning the top of the hierarchy).
func (v *pvalue) targetClass(r *cimom.Request) error {
	nullOK := r.Op == cimom.EnumerateClasses || r.Op == cimom.EnumerateClassNames
	if err := v.want("CLASSNAME", nullOK); err != nil {
		return err
	}
	r.ClassName = v.path.ClassName
	return nil
}

func (v *pvalue) boolean(dst *bool) error {
	if err := v.want("VALUE", true); err != nil || v.kind == "" {
		return err
	}
	b, err := cim.ParseValue(cim.Boolean, v.text)
	if err != nil {
		return err
	}
	*dst = b.Bool()
	return nil
}

func (v *pvalue) returnQueryResultClass() error {
	var b bool
	if err := v.boolean(&b); err != nil {
		return err
	}
	if b {
		return notSupported("returning the query result class is not supported")
	}
	return nil
}

func (v *pvalue) uint32(dst *uint32) error {
	if err := v.want("VALUE", false); err != nil {
		return err
	}
	n, err := cim.ParseValue(cim.Uint32, v.text)
	if err != nil {
		return err
	}
	*dst = uint32(n.Uint())
	return nil
}

func (v *pvalue) timeout(dst **uint32) error {
	if v.kind == "" {
		return nil
	}
	var n uint32
	if err := v.uint32(&n); err != nil {
		return err
	}
	*dst = &n
	return nil
}

func (v *pvalue) propertyList(dst *[]string) error {
	if err := v.want("VALUE.ARRAY", true); err != nil || v.kind == "" {
		return err
	}
	*dst = append([]string{}, v.list...)
	return nil
}

// instanceName stores the target instance of an instance operation.
func (v *pvalue) instanceName(r *cimom.Request) error {
	if err := v.want("INSTANCENAME", false); err != nil {
		return err
	}
	r.ObjectName = v.path.WithNamespace(r.Namespace)
	return nil
}

// objectName stores the source object of an association operation: an
// instance or a class.
func (v *pvalue) objectName(r *cimom.Request) error {
	if v.kind == "CLASSNAME" {
		r.ObjectName = cim.ObjectPath{Namespace: r.Namespace, ClassName: v.path.ClassName}
		return nil
	}
	return v.instanceName(r)
}

func (v *pvalue) namedInstance(r *cimom.Request) error {
	if err := v.want("VALUE.NAMEDINSTANCE", false); err != nil {
		return err
	}
	if !strings.EqualFold(v.path.ClassName, v.inst.ClassName) {
		return invalidParam("instance of %s under the name of a %s", v.inst.ClassName, v.path.ClassName)
	}
	r.ObjectName = v.path.WithNamespace(r.Namespace)
	r.Instance = v.inst
	return nil
}

func (v *pvalue) newInstance(r *cimom.Request) error {
	if err := v.want("INSTANCE", false); err != nil {
		return err
	}
	r.Instance = v.inst
	r.ClassName = v.inst.ClassName
	return nil
}
