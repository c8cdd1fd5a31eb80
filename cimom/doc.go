// Package cimom is redset's CIM object manager: the operation types every
// protocol decodes into (Request, Response, Object), the Handler and
// Middleware chain, the provider capability interfaces, and the
// Dispatcher that checks each operation against the schema and routes it
// to a provider.
//
// # Dispatch path
//
// A protocol decodes a request into a *Request and calls a Handler: the
// middleware chain (the server puts authorization and metrics there; see
// Chain) and at its
// end a *Dispatcher. Dispatcher.Handle then:
//
//  1. resolves the namespace (CIM_ERR_INVALID_NAMESPACE);
//  2. finds the target class in the Repository: an unknown class is
//     CIM_ERR_NOT_FOUND for GetClass, CIM_ERR_INVALID_PARAMETER for the
//     source of association operations (as DSP0200 lists), and
//     CIM_ERR_INVALID_CLASS elsewhere;
//  3. checks an instance path's keys: exactly the class's keys, converted
//     from the wire's untyped values to the declared types
//     (CIM_ERR_INVALID_PARAMETER);
//  4. checks instance properties (CIM_ERR_NO_SUCH_PROPERTY, type errors),
//     methods (CIM_ERR_METHOD_NOT_FOUND) and parameters
//     (CIM_ERR_INVALID_PARAMETER), converting untyped values;
//     PropertyList names the class lacks are ignored, as DSP0200 asks;
//  5. finds the provider registered for the class or, failing that, for
//     its nearest superclass, and calls the capability the operation needs
//     (CIM_ERR_NOT_SUPPORTED when the provider lacks it).
//
// ModifyInstance fetches the current instance from the provider and checks
// the change with cim.ValidateModification first: changing a key or a
// property without Write is refused with a message naming the property,
// and the provider is not called. EnumerateInstances visits the class (via
// its nearest provider) and every subclass that has a provider of its own.
// Association operations are built from AssociationProvider.References
// and InstanceProvider.GetInstance of the far classes. ExecQuery and the
// Open* filters run WQL (package wql) over instance enumeration.
//
// Every error a Handler returns is a *cim.Error; provider errors of other
// types become CIM_ERR_FAILED and are logged.
//
// # Streaming and pull operations
//
// Enumerations stay lazy: Response.Objects is an iterator that runs the
// providers while the protocol writes the answer, and filters (property
// lists, queries) wrap it. The Open* and Pull* operations keep such an
// iterator in an enumeration context (see Enumerations) named by an
// opaque random ID, bound to its namespace and to the kind of results,
// and expiring after its OperationTimeout of inactivity (by the injected
// Clock). A pull resumes the context's iterator once for all the objects
// it asks for (and the one read ahead that tells the end), not once per
// object. WS-Management's Enumerate, Pull and Release map onto
// OpenEnumerateInstances (or OpenEnumerateInstancePaths, or the
// association forms), PullInstancesWithPath (PullInstancePaths) and
// CloseEnumeration.
//
// A provider that yields the same unchanged object to many enumerations
// may give it an Encodings: the protocols keep the bytes they wrote for it
// there and copy them into later answers. A filter that replaces the
// instance (a property list, a query) leaves the Encodings behind, since
// Encodings.For no longer holds. Every Encodings together keeps at most
// 8 KiB for each live Encodings on average (at least 64 MiB in all, at most
// 1 GiB); past that, objects are encoded for each answer.
//
// # Concurrency
//
// A Dispatcher serves requests concurrently and providers may be
// registered at any time. Providers are called from many goroutines at
// once and must be safe for that; the iterator of one enumeration is
// driven by one goroutine at a time (possibly a different one for each
// pull). The iterator of a plain enumeration runs under the request's
// context; that of an enumeration context under a context that keeps the
// opening request's values and is cancelled when the enumeration context
// ends.
//
// # Provider contract
//
// A provider implements only the capabilities it has (InstanceProvider,
// InstanceModifier, InstanceCreator, InstanceDeleter, AssociationProvider,
// MethodProvider) and is registered explicitly with Dispatcher.Register
// for one class of one namespace. The dispatcher has already checked what
// the schema can check when a provider is called; the provider answers
// for what only it knows (an instance that does not exist is
// CIM_ERR_NOT_FOUND) and returns *cim.Error values. Instances it yields
// may omit their path (the dispatcher builds it from the keys) and their
// class name (the class served is assumed).
package cimom
