// Package engine is redset's redundancy domain: redundancy sets and their
// members, each member's role per set (in service, spare or drained), member
// health with dampening and time-to-live, the computed RedundancyStatus,
// Failover with its ordered checks and return codes (also as a dry run, or
// scheduled for later), automatic failover with a flap guard and
// maintenance pauses, and the event history, each record naming its actor
// (who, from where, by which protocol) with an audit stream beside it. It
// knows nothing of CIM wire formats, HTTP or XML; providers translate.
//
// # State and durability
//
// Every acknowledged change (sets, members, roles, failovers) is committed
// through store.Store before the call returns, with a compare on the
// revision of the key it replaces. New rebuilds exactly the acknowledged
// state. Health, the flap guard's memory and the Balancer's counters are
// runtime state: after a restart every member's health is Unknown until
// reports arrive. The engine must be the only writer of its store keys.
//
// Store layout (values are JSON):
//
//	sets/<InstanceID>      the set's properties, policy, member roles and pause
//	members/<name>         the member's definition (older probe form read too, see legacy.go)
//	history/<seq, 20 digits> one event.Record
//	meta/seq               no event Seq above it was handed out
//	meta/paused            the server-wide pause of automatic failover, if any
//	scheduled/<id, 20 digits> a pending ScheduledFailover
//
// A failover writes its set's key and its history record in one
// transaction. When the store took a commit but did not say whether it
// stored it (store.ErrOutcomeUnknown) and reading the key back does not
// settle it, the engine changes nothing in its own state: a failover
// answers code 2 with OutcomeUnknownReason, any other change fails with
// ErrOutcomeUnknown, and an engine that leads a cluster steps down, so that
// the state is loaded from the store again.
//
// # Errors
//
// Every error the engine returns for a caller's request is an *Error (or a
// *ValidationError, of KindInvalid) with a Kind and a plain Message; KindOf
// and MessageOf read them through any wrapping, and errors.Is(err, ErrX)
// holds for every error of ErrX's kind. The edges choose their answer from
// the kind and show the message. A refused failover is logged once, here.
//
// # Events
//
// Changes are published on an event.Bus (see its ordering and backpressure
// rules) and kept in a history trimmed to Options.HistoryLimit records. The
// records of changes are stored in the change's own transaction; health,
// status, refusal and flap-guard records are written asynchronously in
// batches, so a crash may lose the newest of those. History reads them back,
// also after a restart.
//
// # Concurrency
//
// A change takes its set (and shares its members) with try-locks: a second
// change of the same set, or a change of a member while another change uses
// it, does not wait but gets Busy (Failover code 3, ErrBusy elsewhere).
// Failovers of different sets that share a member run in parallel, so when
// one member fails in thousands of sets, their automatic failovers commit
// concurrently and share few durable writes: bbolt's group commit merges
// concurrent commits, and on a store.Batcher (etcd) the engine sends the
// automatic failovers under way as one batch (see group.go), each still
// its own all-or-nothing transaction.
//
// The rules are summarised, with every decision the specification leaves
// open, in docs/semantics.md.
package engine
