// Package hook runs operator-configured actions around failovers and status
// changes: commands (exec hooks) and HTTP POSTs (webhooks).
//
// A Spec is the configuration form of one hook; New checks the specs and
// returns a Runner. The package imports only the standard library and
// redset's event package; the server adapts the engine to it.
//
// # Events
//
// A hook runs on some of these events (Spec.On; empty means the first three):
//
//	failover     a failover completed (code 0)
//	refused      a failover was refused (code 1..4, with a reason)
//	status       a set's RedundancyStatus changed
//	prefailover  a failover is about to commit (Pre hooks only)
//
// # Pre-failover hooks
//
// Runner.PreFailover runs the Pre hooks (always commands) one after another,
// in configuration order, before a planned or automatic failover commits.
// The first that exits non-zero, runs out of its Timeout or cannot be
// started vetoes the failover: PreFailover returns a *VetoError whose text is
// the command's output (trimmed, at most OutputLimit bytes) or, when there is
// no output or the command did not exit by itself, what went wrong. The
// engine turns the veto into Failover code 2 with that text in its reason.
// Keep Pre hooks fast: the set is held busy while they run.
//
// # Post-event hooks
//
// Runner.Start reads a stream of event records (typically a Bus subscription
// filtered with Runner.Wants) and gives each hook the events it wants.
//
// Backpressure: reading never blocks on a hook. Each hook has a bounded queue
// (Options.QueueSize); an event that does not fit is dropped for that hook,
// logged, and recorded as a Delivery with outcome "dropped". The publisher and
// the engine are therefore never slowed by a hook.
//
// Ordering and concurrency: each hook has one worker, so a hook's deliveries
// run one at a time in the order of the events; different hooks run
// concurrently. A failed delivery is retried up to Spec.Retries times, waiting
// Options.BackoffBase before the first retry and doubling up to
// Options.BackoffMax, each wait jittered to between half and all of it. A
// command is retried after a non-zero exit or a timeout, a webhook after a
// transport error, a timeout, or an answer 408, 429 or 5xx; other answers
// outside 2xx are final.
//
// Every delivery, pre or post, is reported once through Options.Record with
// the hook, the event, the number of attempts, the outcome ("ok", "failed",
// "dropped", "vetoed"), the exit code or HTTP status, the duration and the
// error, so the server can keep it in the history. Runner.Close stops reading,
// waits for queued and running deliveries until its context ends, then
// cancels them.
//
// # Commands
//
// Spec.Exec is the program and its arguments; no shell is involved unless
// the program is one (["/bin/sh", "-c", "..."]). The command runs in its own
// process group, which is killed when its Timeout passes; stdin is empty and
// stdout and stderr are captured together (up to OutputLimit bytes). Its
// environment is redset's own, without any inherited variable of the names
// below, plus these (every one is set; empty where it does not apply):
//
//	REDSET_EVENT       failover, refused, status or prefailover
//	REDSET_HOOK        the hook's name
//	REDSET_SEQ         the event's sequence number in the history (empty for prefailover)
//	REDSET_TIME        the event's time, RFC 3339 in UTC (empty for prefailover)
//	REDSET_SET         the InstanceID of the set
//	REDSET_FROM        the member failed over from (failover, refused, prefailover)
//	REDSET_TO          the member failed over to (failover, refused, prefailover)
//	REDSET_PLANNED     true for a requested failover, false for an automatic one
//	REDSET_REASON      why a failover was refused; for prefailover "requested failover" or "automatic failover"
//	REDSET_CODE        the Failover return code: 0 completed, 1 not supported, 2 error, 3 busy, 4 parameter error
//	REDSET_STATUS      the new RedundancyStatus (status)
//	REDSET_OLD_STATUS  the previous RedundancyStatus (status)
//
// RedundancyStatus values are CIM's: 0 Unknown, 2 Fully Redundant,
// 3 Degraded Redundancy, 4 Redundancy Lost, 5 Overall Failure.
//
// # Webhooks
//
// A webhook receives a POST with Content-Type application/json, User-Agent
// redset-hook, X-Redset-Hook (the hook's name) and X-Redset-Attempt (1 for
// the first attempt). Each attempt has the hook's Timeout; an answer 2xx is
// success. The body (type Payload) is the same on every attempt, so a
// receiver can drop duplicates by seq. Its shape is stable (fields may be
// added, never renamed or removed):
//
//	{
//	  "event": "failover",             // failover, refused or status
//	  "hook": "notify",
//	  "seq": 42,                       // the event's sequence number in the history
//	  "time": "2025-01-02T03:04:05.678Z",
//	  "set": "redset:demo-web",
//	  "failover": {                    // for failover and refused only
//	    "planned": false,
//	    "from": "web-a",
//	    "to": "web-b",
//	    "code": 0,
//	    "reason": "",
//	    "durationMs": 12
//	  },
//	  "status": {"from": 2, "to": 4}   // for status only
//	}
//
// Errors recorded for webhooks never contain the URL, which often carries a
// secret token.
package hook
