// Package redset is the root of the redset module: a server that makes the
// CIM class Msvm_RedundancySet real. Redundancy sets of members are watched,
// their RedundancyStatus computed, and failover performed on request or by
// itself, served over CIM-XML, WS-Management, a JSON API, a CLI, a dashboard
// and Prometheus metrics.
//
// The code lives in the sub-packages; docs/architecture.md is the map. This
// package holds only the tests that keep that map true (arch_test.go).
package redset
