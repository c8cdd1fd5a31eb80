// Package traffic runs the sets' frontends: for every set with a Frontend
// it listens on the frontend's address and proxies each client connection,
// as plain TCP, to one of the set's members, so that the users' traffic
// follows the set — its LoadBalanceAlgorithm and its failovers.
//
// # Choice
//
// At each new connection the frontend reads the set's current candidates
// from the engine (engine.Candidates: its operational in-service members,
// its revision and its algorithm, much cheaper than the whole view) and
// asks its engine.Balancer (the one place the algorithms live) for one of
// them, giving it the client's IP address (not its port) for Address
// Region. A connection's lease is held
// while it is open, so Least IO counts open connections; Least Blocks
// counts the bytes the frontend has read from one side and not yet written
// to the other. A member whose dial fails is left out and the next choice
// tried, so the client sees no error while another member can take it;
// the failure is counted (DialErrors). With Frontend.PassiveFailures N,
// each failed dial from the N-th in a row on is reported to the engine as
// a Failed observation of the member (source "traffic"), dampened like its
// probe's own (the member's fall); a successful dial only resets the
// count and reports nothing, so recovery is for the member's probe or
// agent to report.
//
// # Following the set
//
// A Manager follows the engine's event bus: a set created, changed or
// deleted starts, changes or stops its frontend; a failover, a member
// drained, returned, added or removed changes which members are in service.
// Connections to a member that left service (or the set) are closed after
// the frontend's Drain (nil: left open until they end; 0: at once); the
// close is called off if the member returns to service before. A frontend
// that cannot bind is shown in its status with the error, logged, recorded
// as a FrontendChanged event (through the Engine's RecordFrontend, which
// the server points at its cluster node: in a cluster the leader records
// every server's changes) and tried again with a
// doubling wait (Options.BindRetry up to BindRetryMax) while everything
// else keeps running. When the bus drops the manager for lagging, it
// subscribes again, logs it and reads every set afresh.
//
// # Data path
//
// On Linux (amd64, arm64, riscv64, loong64) the connections go around the
// net package. The manager runs one event loop per GOMAXPROCS, each a
// goroutine with an epoll set of its own, which waits in Go's network
// poller (its epoll descriptor is one more pollable file) and so holds no
// thread while idle. Every frontend's listening socket is in every loop's
// set, and the kernel wakes one loop for a new connection (EPOLLEXCLUSIVE);
// that loop takes it with accept4, chooses the member, opens a
// non-blocking socket and connects it, and from then on owns both
// descriptors: it reads, writes, splices, shuts down and closes them
// itself, in edge-triggered mode, and asks the kernel nothing it already
// knows (the client's address comes with accept4; the frontend's, for a
// PROXY header, is the listener's, asked of the socket only when the
// frontend listens on every address). A read goes into the loop's one 32 KiB buffer and is
// written on at once; only what the other side does not take waits, in a
// pooled buffer, and the side read from is then left unread until it is
// written. A read that fills the buffer while at least as much again is
// queued (a stream) turns the direction to splicing through a pipe of the
// loop's (1 MiB at most between two updates of the byte counts) until its
// side has nothing queued. So an idle connection holds two descriptors and
// no goroutine, buffer or pipe, and a small exchange costs one read and
// one write. A dial has its deadline on the loop's timers; a member whose
// address is a name is dialed by the net package on a goroutine of its
// own, which hands the socket to the loop. Another goroutine (a drain,
// Close) reaches a connection only by posting to its loop, woken through
// an eventfd, so that only the loop closes a descriptor. Close ends the
// loops, which close their connections, their part of each listener, their
// idle pipes and their own descriptors.
//
// Elsewhere each connection has two goroutines, one per direction, taken
// from the frontend's workers (a goroutine that has run its task waits up
// to a second for the next one), copying through io.CopyN.
//
// Both ways, a connection chosen by Least Blocks is never spliced: each
// chunk counts as in flight from its read until its write. A side that
// ends its writing (EOF) has the other side's writing ended too
// (shutdown), so a client that shuts down writing still gets the whole
// answer; an error on either side closes both. With ProxyProtocol "v2"
// the member first gets a PROXY protocol v2 header naming the client and
// the address it reached. Beyond MaxConnections open at once a new
// connection is closed at once and counted as refused, with one log line
// when refusing starts and one when it ends. Connections have no TCP
// keep-alive (haproxy's default too) and have TCP_NODELAY set, as the net
// package sets it.
package traffic
