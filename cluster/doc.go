// Package cluster is redset's place among several servers sharing one
// etcd store: which server leads, how the others follow, and what every
// server knows of the others.
//
// One server, the leader, acts: it commits failovers and configuration,
// runs automatic failover, scheduled failovers and hooks. The others
// follow: they keep their engine current from the store's watch and serve
// reads; writes that reach them are forwarded to the leader at the HTTP
// edge (package server). On a store that cannot hold an election (bbolt),
// the server runs in single mode and always leads.
//
// What only each server can see, it publishes under keys of its own, held
// by its lease: its observations of members' health (health.go) and the
// state of its frontends (frontends.go). The leader decides members' health
// from the first and records the changes of the second in the history.
package cluster
