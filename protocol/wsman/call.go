package wsman

import (
	"strings"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// Kind is the WS-Management operation of a request.
type Kind uint8

// The operations served.
const (
	KindInvalid     Kind = iota
	KindIdentify         // wsmid:Identify (DSP0226 clause 11)
	KindGet              // WS-Transfer Get (DSP0226 clause 7.3)
	KindPut              // WS-Transfer Put (clause 7.4)
	KindCreate           // WS-Transfer Create (clause 7.5)
	KindDelete           // WS-Transfer Delete (clause 7.6)
	KindEnumerate        // WS-Enumeration Enumerate (clause 8.2)
	KindPull             // WS-Enumeration Pull (clause 8.4)
	KindRelease          // WS-Enumeration Release (clause 8.5)
	KindInvoke           // a custom action: a CIM method (clause 9, DSP0227 clause 11)
	KindSubscribe        // WS-Eventing Subscribe (clause 10.2)
	KindRenew            // WS-Eventing Renew (clause 10.3)
	KindGetStatus        // WS-Eventing GetStatus (clause 10.4)
	KindUnsubscribe      // WS-Eventing Unsubscribe (clause 10.5)
	KindEventPull        // WS-Enumeration Pull of a pull-mode subscription's events (clause 10.2.9.4)
)

var kindNames = [...]string{"", "Identify", "Get", "Put", "Create", "Delete", "Enumerate", "Pull", "Release", "Invoke",
	"Subscribe", "Renew", "GetStatus", "Unsubscribe", "EventPull"}

// String names the operation.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return ""
}

// EnumerationMode says what the items of an enumeration are (DSP0226
// clause 8.7, w:EnumerationMode).
type EnumerationMode uint8

// The enumeration modes.
const (
	EnumerateObjects      EnumerationMode = iota // the resources themselves (the default)
	EnumerateEPR                                 // endpoint references only
	EnumerateObjectAndEPR                        // both, in w:Item elements
)

// Call is a decoded request ready for the object manager: the operation, the
// cimom request it becomes, and how the answer must be written.
type Call struct {
	Kind     Kind
	Request  *cimom.Request // nil for Identify and for finished enumerations
	Resource Resource       // the addressed class (or all classes) and namespace

	Mode        EnumerationMode // Enumerate and Pull
	Optimize    bool            // Enumerate: items in the EnumerateResponse
	MaxElements uint32          // items wanted in this answer (Pull, optimized Enumerate)
	Timeout     time.Duration   // OperationTimeout, or a shorter Pull MaxTime; 0 when none
	Ended       bool            // Pull or Release of an enumeration that already ended

	pull cimom.Operation // the pull operation that continues this enumeration

	Subscribe  *SubscribeRequest // Subscribe
	Identifier string            // Renew, GetStatus, Unsubscribe, EventPull: the subscription
	Expires    Expires           // Renew: the expiry asked for
}

// Call turns the envelope into an operation. defaultNamespace is the
// namespace of DMTF resource URIs without a __cimnamespace selector.
// Errors are *Fault values.
func (e *Envelope) Call(defaultNamespace string) (*Call, error) {
	if e.isIdentify() {
		return &Call{Kind: KindIdentify}, nil
	}
	if c, ok, err := e.eventCall(defaultNamespace); ok {
		return c, err
	}
	if err := e.checkAddressing(); err != nil {
		return nil, err
	}
	res, sels, err := ParseResourceURI(e.ResourceURI, e.Selectors, defaultNamespace)
	if err != nil {
		return nil, err
	}
	c := &Call{Resource: res, Timeout: e.OperationTimeout}
	return c, e.build(c, sels)
}

// isIdentify reports whether the body is wsmid:Identify; Identify carries
// no addressing headers at all.
func (e *Envelope) isIdentify() bool { return e.body.is(nsWSMID, "Identify") }

// checkAddressing applies DSP0226 clause 5.4: an Action and a MessageID are
// required, replies and faults go back on the same connection only, and a
// ResourceURI names what is addressed.
func (e *Envelope) checkAddressing() error {
	if err := e.checkReplies(); err != nil {
		return err
	}
	if e.ResourceURI == "" {
		return newFault(FaultDestinationUnreachable, DetailInvalidResourceURI, "the request has no w:ResourceURI")
	}
	return nil
}

// checkReplies is checkAddressing without the ResourceURI, which the
// requests to a subscription manager need not carry.
func (e *Envelope) checkReplies() error {
	switch {
	case e.Action == "":
		return newFault(FaultMessageInformationHeaderRequired, "", "the request has no wsa:Action")
	case e.MessageID == "":
		return newFault(FaultInvalidMessageInformationHeader, "", "the request has no wsa:MessageID")
	case !anonymous(e.ReplyTo):
		return newFault(FaultUnsupportedFeature, DetailAddressingMode, "only the anonymous wsa:ReplyTo is served")
	case !anonymous(e.FaultTo):
		return newFault(FaultUnsupportedFeature, DetailAddressingMode, "only the anonymous wsa:FaultTo is served")
	}
	return nil
}

// anonymous reports whether a reply address is absent or anonymous (with or
// without the trailing slash MS-WSMV 3.1.4.1.4 writes).
func anonymous(addr string) bool {
	return addr == "" || strings.TrimSuffix(addr, "/") == addrAnonymous
}

// build fills the call for the request's action.
func (e *Envelope) build(c *Call, sels []Selector) error {
	switch e.Action {
	case actionGet:
		return e.buildInstanceOp(c, KindGet, cimom.GetInstance, sels)
	case actionDelete:
		return e.buildInstanceOp(c, KindDelete, cimom.DeleteInstance, sels)
	case actionPut:
		return e.buildPut(c, sels)
	case actionCreate:
		return e.buildCreate(c, sels)
	case actionEnumerate:
		return e.buildEnumerate(c, sels)
	case actionPull:
		return e.buildPull(c)
	case actionRelease:
		return e.buildRelease(c)
	}
	if method, ok := customMethod(e.Action, e.ResourceURI); ok {
		return e.buildInvoke(c, method, sels)
	}
	return newFault(FaultActionNotSupported, "", "the action %q is not supported", e.Action)
}

// customMethod reads a CIM method's action URI: the resource URI, "/", and
// the method name (DSP0230 clause 10.3).
func customMethod(action, resourceURI string) (string, bool) {
	if !hasPrefixFold(action, resourceURI+"/") {
		return "", false
	}
	name := action[len(resourceURI)+1:]
	return name, isClassName(name)
}

// needClass refuses the all-classes URI for operations on one instance or
// class.
func needClass(c *Call) error {
	if c.Resource.ClassName == "" {
		return newFault(FaultDestinationUnreachable, DetailInvalidResourceURI, "the operation needs a class-specific resource URI, not %q", c.Resource.URI)
	}
	return nil
}

// buildInstanceOp maps Get and Delete: the selectors name the instance.
func (e *Envelope) buildInstanceOp(c *Call, k Kind, op cimom.Operation, sels []Selector) error {
	c.Kind = k
	if err := needClass(c); err != nil {
		return err
	}
	p, err := c.Resource.path(sels)
	if err != nil {
		return err
	}
	c.Request = &cimom.Request{Op: op, Namespace: c.Resource.Namespace, ObjectName: p}
	return nil
}

// buildPut maps Put to ModifyInstance. The body is the whole new
// representation; the properties it holds (keys aside) become the
// PropertyList, so properties it leaves out keep their values. Which of them
// may change is the object manager's decision.
func (e *Envelope) buildPut(c *Call, sels []Selector) error {
	if err := e.buildInstanceOp(c, KindPut, cimom.ModifyInstance, sels); err != nil {
		return err
	}
	inst, err := e.bodyInstance(c)
	if err != nil {
		return err
	}
	c.Request.Instance = inst
	c.Request.PropertyList = nonKeyNames(inst, c.Request.ObjectName)
	return nil
}

func nonKeyNames(inst *cim.Instance, path cim.ObjectPath) []string {
	names := []string{}
	for _, p := range inst.Properties {
		if _, isKey := path.Key(p.Name); !isKey {
			names = append(names, p.Name)
		}
	}
	return names
}

// buildCreate maps Create to CreateInstance; the body is the new instance.
func (e *Envelope) buildCreate(c *Call, sels []Selector) error {
	c.Kind = KindCreate
	if err := needClass(c); err != nil {
		return err
	}
	if err := noSelectors(sels); err != nil {
		return err
	}
	inst, err := e.bodyInstance(c)
	if err != nil {
		return err
	}
	c.Request = &cimom.Request{Op: cimom.CreateInstance, Namespace: c.Resource.Namespace,
		ClassName: c.Resource.ClassName, Instance: inst}
	return nil
}

func noSelectors(sels []Selector) error {
	if len(sels) > 0 {
		return newFault(FaultInvalidSelectors, DetailUnexpectedSelectors, "the selector %s is not expected here", sels[0].Name)
	}
	return nil
}

// bodyInstance reads the resource representation of Put and Create: one
// element named after the class (DSP0230 clause 7).
func (e *Envelope) bodyInstance(c *Call) (*cim.Instance, error) {
	if e.body == nil {
		return nil, newFault(FaultInvalidRepresentation, "", "the body holds no %s instance", c.Resource.ClassName)
	}
	if !strings.EqualFold(e.body.name.Local, c.Resource.ClassName) {
		return nil, newFault(FaultInvalidRepresentation, "", "the body holds %s, not %s", e.body.name.Local, c.Resource.ClassName)
	}
	props, err := readValues(e.body, c.Resource.Namespace)
	if err != nil {
		return nil, err
	}
	inst := &cim.Instance{ClassName: c.Resource.ClassName, Properties: make([]cim.PropertyValue, len(props))}
	for i, p := range props {
		inst.Properties[i] = cim.PropertyValue{Name: p.Name, Value: p.Value}
	}
	return inst, nil
}

// buildInvoke maps a custom action to InvokeMethod (DSP0227 clause 11). The
// body is <Method_INPUT> whose children are the IN parameters; with no
// selectors the method is called on the class (a static method).
func (e *Envelope) buildInvoke(c *Call, method string, sels []Selector) error {
	c.Kind = KindInvoke
	if err := needClass(c); err != nil {
		return err
	}
	p, err := c.Resource.path(sels)
	if err != nil {
		return err
	}
	params, err := e.methodInput(method, c.Resource.Namespace)
	if err != nil {
		return err
	}
	c.Request = &cimom.Request{Op: cimom.InvokeMethod, Namespace: c.Resource.Namespace,
		ObjectName: p, Method: method, Params: params}
	if len(p.Keys) == 0 {
		c.Request.ClassName = c.Resource.ClassName
	}
	return nil
}

// methodInput reads the <Method_INPUT> element; an empty body means no
// parameters.
func (e *Envelope) methodInput(method, ns string) ([]cimom.Param, error) {
	if e.body == nil {
		return nil, nil
	}
	if !strings.EqualFold(e.body.name.Local, method+"_INPUT") {
		return nil, newFault(FaultInvalidParameter, "", "the body holds %s, not %s_INPUT", e.body.name.Local, method)
	}
	params, err := readValues(e.body, ns)
	if f, ok := err.(*Fault); ok && f.Kind == FaultInvalidRepresentation {
		f.Kind = FaultInvalidParameter
	}
	return params, err
}
