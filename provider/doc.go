// Package provider is the only bridge between CIM and the redundancy
// domain: it serves redset's CIM classes from the engine through the
// object manager's provider interfaces. Register wires every provider
// into a cimom.Dispatcher; nothing else is exported.
//
// In the redundancy namespace (root/hypervcluster/v2):
//
//   - Msvm_RedundancySet: one instance per set with all twelve properties,
//     RedundancyStatus computed by the engine at the moment of the
//     request. Clients may change LoadBalanceAlgorithm and
//     OtherLoadBalanceAlgorithm (ModifyInstance); every other change is
//     refused with CIM_ERR_INVALID_PARAMETER. Failover(FailoverFrom,
//     FailoverTo) maps its two references to member names and returns the
//     engine's code. Sets are created and deleted through redset's own API
//     only, so CreateInstance and DeleteInstance are not supported.
//   - Msvm_ComputerSystem: one instance per member, keyed by
//     CreationClassName "Msvm_ComputerSystem" and Name (the member's
//     name); OperationalStatus, StatusDescriptions, HealthState and
//     PrimaryStatus show its health, EnabledState its most active role.
//   - Msvm_MemberOfCollection links each set to its in-service and
//     drained members; CIM_IsSpare links each spare to its set with the
//     spare's SpareStatus and FailoverSupported. Both are derived from the
//     same engine roles as the instances above, so associations and
//     instance enumeration agree in both directions.
//
// In the interop namespace (root/interop): the CIM_ObjectManager,
// a CIM_Namespace per served namespace, CIM_NamespaceInManager between
// them, and the CIM_RegisteredProfile of redset's Redundancy Set profile.
//
// docs/semantics.md ("CIM mapping") records the value mappings.
//
// # Schema
//
// Providers read their classes from the dispatcher's schema once, at
// registration, and check that each property they fill is declared with
// the type they produce; instances then carry the class's spelling of
// every name and are built without further lookups.
//
// # Concurrency
//
// Providers hold no mutable state of their own: every call reads the
// engine, which is safe for concurrent use, and the interop instances are
// immutable (callers receive copies). Enumerations read the engine when
// the consumer starts pulling and build each instance as it is pulled; an
// enumeration is a snapshot of the engine at its start, not a live view.
package provider
