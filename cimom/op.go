package cimom

import (
	"context"
	"iter"

	"github.com/redset/redset/cim"
)

// Operation names one CIM operation. The names are those of DSP0200's
// intrinsic methods, plus InvokeMethod for extrinsic method calls.
type Operation uint8

// The operations the object manager understands.
const (
	OpInvalid Operation = iota
	GetClass
	EnumerateClasses
	EnumerateClassNames
	GetInstance
	EnumerateInstances
	EnumerateInstanceNames
	ModifyInstance
	CreateInstance
	DeleteInstance
	Associators
	AssociatorNames
	References
	ReferenceNames
	InvokeMethod
	ExecQuery
	GetQualifier
	EnumerateQualifiers
	OpenEnumerateInstances
	OpenEnumerateInstancePaths
	OpenAssociatorInstances
	OpenAssociatorInstancePaths
	OpenReferenceInstances
	OpenReferenceInstancePaths
	OpenQueryInstances
	PullInstancesWithPath
	PullInstancePaths
	PullInstances
	CloseEnumeration
	EnumerationCount
	opCount // keep last
)

var opNames = [...]string{
	OpInvalid: "", GetClass: "GetClass", EnumerateClasses: "EnumerateClasses",
	EnumerateClassNames: "EnumerateClassNames", GetInstance: "GetInstance",
	EnumerateInstances: "EnumerateInstances", EnumerateInstanceNames: "EnumerateInstanceNames",
	ModifyInstance: "ModifyInstance", CreateInstance: "CreateInstance", DeleteInstance: "DeleteInstance",
	Associators: "Associators", AssociatorNames: "AssociatorNames", References: "References",
	ReferenceNames: "ReferenceNames", InvokeMethod: "InvokeMethod", ExecQuery: "ExecQuery",
	GetQualifier: "GetQualifier", EnumerateQualifiers: "EnumerateQualifiers",
	OpenEnumerateInstances: "OpenEnumerateInstances", OpenEnumerateInstancePaths: "OpenEnumerateInstancePaths",
	OpenAssociatorInstances: "OpenAssociatorInstances", OpenAssociatorInstancePaths: "OpenAssociatorInstancePaths",
	OpenReferenceInstances: "OpenReferenceInstances", OpenReferenceInstancePaths: "OpenReferenceInstancePaths",
	OpenQueryInstances: "OpenQueryInstances", PullInstancesWithPath: "PullInstancesWithPath",
	PullInstancePaths: "PullInstancePaths", PullInstances: "PullInstances",
	CloseEnumeration: "CloseEnumeration", EnumerationCount: "EnumerationCount",
}

// String returns the DSP0200 name of the operation ("GetInstance").
func (o Operation) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return ""
}

// ParseOperation finds an operation by its DSP0200 name (exact case, as on
// the wire).
func ParseOperation(name string) (Operation, bool) {
	for i := OpInvalid + 1; i < opCount; i++ {
		if opNames[i] == name {
			return i, true
		}
	}
	return OpInvalid, false
}

// IsWrite reports whether the operation may change state (a follower
// passes such requests on to the leader).
func (o Operation) IsWrite() bool {
	switch o {
	case ModifyInstance, CreateInstance, DeleteInstance, InvokeMethod:
		return true
	}
	return false
}

// Param is a named method parameter value (IN or OUT).
type Param struct {
	Name  string
	Value cim.Value
}

// Request is one operation with its arguments, decoded by a protocol.
// Fields an operation does not use stay zero. Names of classes, properties,
// methods and parameters are matched case-insensitively by the dispatcher.
type Request struct {
	Op        Operation
	Namespace string // normalized with cim.NormalizeNamespace

	// ClassName is the target class of class operations, EnumerateInstances
	// (and its names/Open forms), CreateInstance, and a static InvokeMethod.
	ClassName string
	// ObjectName is the target instance of GetInstance, DeleteInstance,
	// InvokeMethod, and the source object of association operations.
	ObjectName cim.ObjectPath
	// Instance is the new or modified instance of CreateInstance and
	// ModifyInstance (ModifiedInstance's path goes into ObjectName).
	Instance *cim.Instance

	// PropertyList limits the properties returned (or modified); nil means
	// all, an empty non-nil slice means none.
	PropertyList       []string
	LocalOnly          bool
	DeepInheritance    bool
	IncludeQualifiers  bool
	IncludeClassOrigin bool

	// Association filters.
	AssocClass, ResultClass, Role, ResultRole string

	// InvokeMethod.
	Method string
	Params []Param

	// ExecQuery, OpenQueryInstances, and the filter of the Open operations.
	QueryLanguage, Query string

	// QualifierName for GetQualifier.
	QualifierName string

	// Pull operations.
	OperationTimeout   *uint32 // seconds; nil means the server's default
	ContinueOnError    bool
	MaxObjectCount     uint32
	EnumerationContext string
}

// Object is one element of an enumeration result: an instance with its
// path, a path alone (the *Names operations), or a class.
type Object struct {
	Path     cim.ObjectPath // namespace, class and keys; for classes only the class name
	Instance *cim.Instance  // nil for name-only results
	Class    *cim.Class     // set for class results

	// Encodings, when set, keeps the object's wire encodings for reuse by
	// later requests (see Encodings); encoders use it only when
	// Encodings.For(&object) holds.
	Encodings *Encodings
}

// WithOwnInstance returns o with a copy of its instance, so that a
// consumer changing it cannot change the provider's. A name-only object is
// returned as it is.
func (o Object) WithOwnInstance() Object {
	if o.Instance != nil {
		in := o.Instance.Clone()
		o.Instance = &in
	}
	return o
}

// Objects is a lazily produced sequence of result objects. A non-nil error
// ends the sequence; the consumer stops at the first one. Producers must stop
// when yield returns false.
type Objects = iter.Seq2[Object, error]

// Response is the result of one operation. Which fields are set depends on
// the operation:
//
//   - GetClass: Class. GetInstance: Instance (Object with Path and Instance).
//   - Enumerations, associations, ExecQuery: Objects, streamed to the wire.
//   - CreateInstance: Instance.Path of the new instance.
//   - InvokeMethod: ReturnValue and Out.
//   - Open* and Pull*: Objects for this chunk, EnumerationContext and
//     EndOfSequence. EnumerationCount: Count.
//   - GetQualifier, EnumerateQualifiers: Qualifiers.
type Response struct {
	Class              *cim.Class
	Instance           *Object
	Objects            Objects
	ReturnValue        cim.Value
	Out                []Param
	Qualifiers         []cim.QualifierDecl
	EnumerationContext string
	EndOfSequence      bool
	Count              *uint64
}

// Handler serves one operation. Errors are *cim.Error values (any other
// error is reported as CIM_ERR_FAILED). Handlers are safe for concurrent use.
type Handler interface {
	Handle(ctx context.Context, req *Request) (*Response, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *Request) (*Response, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, req *Request) (*Response, error) {
	return f(ctx, req)
}

// Middleware wraps a Handler with a cross-cutting concern (authorization,
// audit, metrics). It must call next at most once.
type Middleware func(next Handler) Handler

// Chain wraps h in the middlewares; the first one runs outermost.
func Chain(h Handler, mw ...Middleware) Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// Principal is the authenticated caller, attached to the request context by
// the protocol that authenticated it.
type Principal struct {
	User     string
	Role     string // as the auth package names roles ("admin", "operator", "reader")
	Address  string // where the request came from: the remote host:port
	Protocol string // the protocol it came by: "cimxml" or "wsman"
}

type principalKey struct{}

// WithPrincipal returns a context carrying the caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller attached to ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
