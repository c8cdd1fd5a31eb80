package cimom

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/wql"
)

// Clock tells the time. Enumeration contexts expire by it; tests inject a
// fake one.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options configures a Dispatcher. The zero value gives the defaults.
type Options struct {
	// Logger receives provider failures and enumeration housekeeping at
	// debug and warning level. Nil discards.
	Logger *slog.Logger
	// Clock is the time source of enumeration contexts. Nil means the
	// system clock.
	Clock Clock
	// OperationTimeout is how long an open enumeration context lives
	// between two requests when the client names no timeout (default 60s).
	OperationTimeout time.Duration
	// MaxOperationTimeout is the longest timeout a client may ask for
	// (default 30 minutes); longer requests fail with
	// CIM_ERR_INVALID_OPERATION_TIMEOUT.
	MaxOperationTimeout time.Duration
	// MaxEnumerations caps the enumeration contexts open at once (default
	// 1000); past it Open* operations fail with
	// CIM_ERR_SERVER_LIMITS_EXCEEDED.
	MaxEnumerations int
	// MaxEnumerationsPerUser caps the contexts one user (the Principal's
	// User) has open at once (default: no cap but MaxEnumerations); past
	// it that user's Open* operations fail with
	// CIM_ERR_SERVER_LIMITS_EXCEEDED.
	MaxEnumerationsPerUser int
	// MaxObjectCount caps the objects returned by one Open* or Pull*
	// (default 10000); larger requests get at most this many.
	MaxObjectCount uint32
}

func (o Options) withDefaults() Options {
	o.Logger = cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	o.OperationTimeout = cmp.Or(o.OperationTimeout, 60*time.Second)
	o.MaxOperationTimeout = max(cmp.Or(o.MaxOperationTimeout, 30*time.Minute), o.OperationTimeout)
	o.MaxEnumerations = cmp.Or(o.MaxEnumerations, 1000)
	o.MaxObjectCount = cmp.Or(o.MaxObjectCount, 10000)
	return o
}

// Dispatcher is the object manager's Handler: it checks each request
// against the schema held by a Repository and routes it to the provider
// registered for the class. See the package documentation for the
// dispatch path. A Dispatcher is safe for concurrent use, including
// Register while requests are served.
type Dispatcher struct {
	repo  Repository
	opts  Options
	log   *slog.Logger
	enums *Enumerations

	mu        sync.RWMutex
	providers map[classKey]any
}

// classKey names a class of a namespace, both lower-cased and the
// namespace normalized.
type classKey struct{ ns, class string }

func keyOf(ns, class string) classKey {
	return classKey{strings.ToLower(cim.NormalizeNamespace(ns)), strings.ToLower(class)}
}

// NewDispatcher returns a Dispatcher serving the classes of repo.
func NewDispatcher(repo Repository, opts Options) *Dispatcher {
	opts = opts.withDefaults()
	return &Dispatcher{
		repo:      repo,
		opts:      opts,
		log:       opts.Logger,
		enums:     NewEnumerations(opts.Clock, opts.MaxEnumerations, opts.Logger).LimitPerOwner(opts.MaxEnumerationsPerUser),
		providers: map[classKey]any{},
	}
}

// Enumerations returns the dispatcher's enumeration contexts, shared by
// every protocol.
func (d *Dispatcher) Enumerations() *Enumerations { return d.enums }

// Close ends every open enumeration context. The dispatcher keeps serving
// other operations.
func (d *Dispatcher) Close() { d.enums.CloseAll() }

// Register makes provider serve className in namespace ns. The provider
// must implement at least one of InstanceProvider, InstanceModifier,
// InstanceCreator, InstanceDeleter, AssociationProvider and
// MethodProvider; an AssociationProvider only for an association class.
// A class has at most one provider.
func (d *Dispatcher) Register(ns, className string, provider any) error {
	ns, err := d.namespace(ns)
	if err != nil {
		return err
	}
	class, ok := d.repo.Class(ns, className)
	if !ok {
		return cim.Errorf(cim.StatusInvalidClass, "class %s does not exist in namespace %s", className, ns)
	}
	if err := checkCapabilities(class, provider); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	k := keyOf(ns, className)
	if _, dup := d.providers[k]; dup {
		return cim.Errorf(cim.StatusAlreadyExists, "class %s of namespace %s already has a provider", class.Name, ns)
	}
	d.providers[k] = provider
	return nil
}

func checkCapabilities(class *cim.Class, p any) error {
	_, ap := p.(AssociationProvider)
	if ap && !class.IsAssociation() {
		return cim.Errorf(cim.StatusInvalidParameter, "association provider %T registered for %s, which is not an association", p, class.Name)
	}
	switch p.(type) {
	case InstanceProvider, InstanceModifier, InstanceCreator, InstanceDeleter, MethodProvider:
		return nil
	}
	return cim.Errorf(cim.StatusInvalidParameter, "provider %T for %s implements no provider interface", p, class.Name)
}

// Handle serves one operation. Every error is a *cim.Error.
func (d *Dispatcher) Handle(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "no request")
	}
	h := handlerFor(req.Op)
	if h == nil {
		return nil, cim.Errorf(cim.StatusNotSupported, "operation %d is not supported", req.Op)
	}
	if err := ctx.Err(); err != nil {
		return nil, d.cimError(err)
	}
	ns, err := d.namespace(req.Namespace)
	if err != nil {
		return nil, err
	}
	resp, err := h(&call{d: d, ctx: ctx, req: req, ns: ns})
	if err != nil {
		return nil, d.cimError(err)
	}
	return resp, nil
}

// call is one operation in progress: the request and its resolved
// namespace. Handlers are methods of call.
type call struct {
	d   *Dispatcher
	ctx context.Context
	req *Request
	ns  string // the repository's spelling

	// filter is the FilterQuery of an Open* operation, once parsed.
	filter *wql.Query
}

var handlers = [opCount]func(*call) (*Response, error){
	GetClass:                    (*call).getClass,
	EnumerateClasses:            (*call).enumerateClasses,
	EnumerateClassNames:         (*call).enumerateClassNames,
	GetInstance:                 (*call).getInstance,
	EnumerateInstances:          (*call).enumerateInstances,
	EnumerateInstanceNames:      (*call).enumerateInstanceNames,
	ModifyInstance:              (*call).modifyInstance,
	CreateInstance:              (*call).createInstance,
	DeleteInstance:              (*call).deleteInstance,
	Associators:                 (*call).associators,
	AssociatorNames:             (*call).associatorNames,
	References:                  (*call).references,
	ReferenceNames:              (*call).referenceNames,
	InvokeMethod:                (*call).invokeMethod,
	ExecQuery:                   (*call).execQuery,
	GetQualifier:                (*call).getQualifier,
	EnumerateQualifiers:         (*call).enumerateQualifiers,
	OpenEnumerateInstances:      (*call).openEnumerateInstances,
	OpenEnumerateInstancePaths:  (*call).openEnumerateInstancePaths,
	OpenAssociatorInstances:     (*call).openAssociatorInstances,
	OpenAssociatorInstancePaths: (*call).openAssociatorInstancePaths,
	OpenReferenceInstances:      (*call).openReferenceInstances,
	OpenReferenceInstancePaths:  (*call).openReferenceInstancePaths,
	OpenQueryInstances:          (*call).openQueryInstances,
	PullInstancesWithPath:       (*call).pullInstancesWithPath,
	PullInstancePaths:           (*call).pullInstancePaths,
	PullInstances:               (*call).pullInstances,
	CloseEnumeration:            (*call).closeEnumeration,
	EnumerationCount:            (*call).enumerationCount,
}

func handlerFor(op Operation) func(*call) (*Response, error) {
	if op >= opCount {
		return nil
	}
	return handlers[op]
}

// namespace finds ns among the repository's namespaces and returns the
// repository's spelling, or CIM_ERR_INVALID_NAMESPACE.
func (d *Dispatcher) namespace(ns string) (string, error) {
	if cim.NormalizeNamespace(ns) == "" {
		return "", cim.Errorf(cim.StatusInvalidNamespace, "no namespace given")
	}
	for _, n := range d.repo.Namespaces() {
		if cim.SameNamespace(n, ns) {
			return n, nil
		}
	}
	return "", cim.Errorf(cim.StatusInvalidNamespace, "namespace %s does not exist", cim.NormalizeNamespace(ns))
}

// cimError returns err as a *cim.Error: the first one in its chain, or
// CIM_ERR_FAILED carrying its text (logged, since it is a provider bug or
// an outage the client cannot act on).
func (d *Dispatcher) cimError(err error) error {
	var ce *cim.Error
	if errors.As(err, &ce) && ce.Status != cim.StatusOK {
		return ce
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return cim.Errorf(cim.StatusFailed, "operation abandoned: %v", err)
	}
	d.log.Warn("provider failed", "err", err)
	return cim.Errorf(cim.StatusFailed, "%v", err)
}

// provider returns the provider registered for class or the nearest of
// its superclasses, and the name of the class it is registered for.
func (d *Dispatcher) provider(ns string, class *cim.Class) (any, string) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	name := class.Name
	for range maxDepth {
		if p, ok := d.providers[keyOf(ns, name)]; ok {
			return p, name
		}
		c, ok := d.repo.Class(ns, name)
		if !ok || c.SuperClass == "" {
			return nil, ""
		}
		name = c.SuperClass
	}
	return nil, ""
}

// maxDepth bounds walks up the class hierarchy, in case a repository
// holds a cycle.
const maxDepth = 64

// notSupported is the error for a missing provider or capability.
func notSupported(class *cim.Class, what string) error {
	return cim.Errorf(cim.StatusNotSupported, "class %s: %s is not supported", class.Name, what)
}

// capability finds the nearest provider of class and asserts it to T.
func capability[T any](c *call, class *cim.Class, what string) (T, error) {
	p, owner := c.d.provider(c.ns, class)
	t, ok := p.(T)
	switch {
	case p == nil:
		return t, notSupported(class, what+" (no provider serves it)")
	case !ok:
		return t, notSupported(class, fmt.Sprintf("%s (the provider of %s does not offer it)", what, owner))
	}
	return t, nil
}

func (c *call) errorf(s cim.Status, format string, args ...any) error {
	return &cim.Error{Status: s, Message: fmt.Sprintf(format, args...)}
}
