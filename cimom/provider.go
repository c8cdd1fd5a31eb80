package cimom

import (
	"context"

	"github.com/redset/redset/cim"
)

// Repository is the class store the dispatcher validates against. It holds
// the effective (derived) classes of each namespace, as compiled from MOF.
// Implementations are safe for concurrent reads.
type Repository interface {
	// Namespaces lists the namespaces served.
	Namespaces() []string
	// Class returns the effective class (inherited members included).
	Class(ns, name string) (*cim.Class, bool)
	// SubclassNames lists the names of the subclasses of super (all classes
	// when super is ""), direct ones only unless deep is set.
	SubclassNames(ns, super string, deep bool) []string
	// QualifierDecls lists the namespace's qualifier declarations.
	QualifierDecls(ns string) []cim.QualifierDecl
}

// Providers implement only the capabilities they have; the dispatcher
// answers CIM_ERR_NOT_SUPPORTED for the rest. A provider is registered for
// one class of one namespace and serves instances of exactly that class; the
// dispatcher walks subclasses for enumerations (DeepInheritance) and
// superclasses to find the provider of a class that has none of its own.
// Provider methods are called concurrently and must be safe for that.

// InstanceProvider serves the instances of a class.
type InstanceProvider interface {
	// EnumerateInstances yields every instance of class, each with its full
	// path. The dispatcher applies PropertyList and query filters.
	EnumerateInstances(ctx context.Context, ns string, class *cim.Class) Objects
	// GetInstance returns the instance at path, or CIM_ERR_NOT_FOUND.
	GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error)
}

// InstanceModifier changes instances. The dispatcher has already checked the
// modified instance against the class (types, qualifiers, read-only
// properties); the provider applies the change atomically or not at all.
type InstanceModifier interface {
	ModifyInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath, inst cim.Instance, propertyList []string) error
}

// InstanceCreator creates instances and returns the new instance's path.
type InstanceCreator interface {
	CreateInstance(ctx context.Context, ns string, class *cim.Class, inst cim.Instance) (cim.ObjectPath, error)
}

// InstanceCompleter fills in what a client may leave out of a new
// instance (keys the server chooses, such as SystemName or a generated
// Name) before the dispatcher checks the instance against its class. The
// dispatcher calls it, when the provider of the class offers it, on
// CreateInstance only; the provider returns the completed instance or an
// error that answers the request.
type InstanceCompleter interface {
	CompleteInstance(ctx context.Context, ns string, class *cim.Class, inst cim.Instance) (cim.Instance, error)
}

// InstanceDeleter deletes instances.
type InstanceDeleter interface {
	DeleteInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) error
}

// AssociationProvider serves an association class. References yields the
// association instances (with paths) that refer to target, through the
// reference property named role when role is not empty. The dispatcher
// builds Associators, AssociatorNames, References and ReferenceNames from it
// and applies ResultClass and ResultRole.
type AssociationProvider interface {
	InstanceProvider
	References(ctx context.Context, ns string, assoc *cim.Class, target cim.ObjectPath, role string) Objects
}

// MethodProvider serves extrinsic methods. The dispatcher has checked that
// the method exists and that every IN parameter is declared and typed as
// declared (reference parameters are cim.Reference values).
type MethodProvider interface {
	InvokeMethod(ctx context.Context, ns string, class *cim.Class, target cim.ObjectPath, method *cim.Method, in []Param) (cim.Value, []Param, error)
}
