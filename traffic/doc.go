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
// as a FrontendChanged event (engine.RecordFrontend) and tried again with a
// doubling wait (Options.BindRetry up to BindRetryMax) while everything
// else keeps running. When the bus drops the manager for lagging, it
// subscribes again, logs it and reads every set afresh.
//
// # Data path
//
// Each connection has two goroutines, one per direction, taken from the
// frontend's workers: a goroutine that has run its task waits up to a
// second for the next one before it ends, so a busy frontend neither
// starts goroutines nor grows their stacks per connection. A direction
// waits until its side has bytes without holding a buffer, reads what
// arrived into a pooled 32 KiB buffer and writes it on; when a read fills the
// buffer (a stream) and more is queued, the queued bytes go through
// io.CopyN between the two *net.TCPConn, which lets the kernel splice them,
// 1 MiB at most between two updates of the byte counts (on Linux; elsewhere
// io.CopyN throughout). So an idle connection holds two descriptors and no
// buffer or splice pipe, a small exchange costs one read and one write,
// and a stream is spliced. A connection chosen by Least Blocks is never
// spliced: each chunk counts as in flight from its read until its write.
// A side that ends its writing (EOF) has the other side's writing ended
// too (CloseWrite), so a client that shuts down writing still gets the
// whole answer; an error on either side closes both. With ProxyProtocol
// "v2" the member first gets a PROXY protocol v2 header naming the client
// and the address it reached. Beyond MaxConnections open at once a new
// connection is closed at once and counted as refused, with one log line
// when refusing starts and one when it ends. Connections have no TCP
// keep-alive (haproxy's default too).
package traffic
