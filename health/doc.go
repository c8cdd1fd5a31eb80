// Package health watches members with probes and reports what it sees.
//
// A Probe checks a member once: TCPProbe opens a connection, HTTPProbe
// sends a GET and checks the status (and optionally the body), ExecProbe
// runs a command and reads its exit code. A Spec is the configuration form
// of a probe; Spec.Validate names the field that is wrong. Its rules cover
// heartbeats too (pushed reports, which need a TTL) though the Scheduler
// runs only the probes for which Spec.Scheduled holds. Run performs one
// check with a timeout and measures its latency, giving a Result with a
// State: OK, Degraded, Failed, or Unknown when the check was abandoned.
//
// Results are observations, not verdicts: dampening (rise and fall), the
// member's counted health and the time-to-live of heartbeats pushed by
// members or agents belong to the consumer of the results (redset's engine).
// This package neither knows the engine nor imports it; the server adapts a
// Sink to the engine's health input.
//
// # Scheduler timing
//
// A Scheduler runs one Task per member. One timing goroutine keeps the tasks
// in a min-heap ordered by their next due time and sleeps on a single Clock
// timer until the earliest is due; due checks go to a FIFO queue served by a
// fixed pool of workers (Options.Workers). The number of goroutines is
// therefore 1 + Workers, whatever the number of tasks, plus the short-lived
// ones of Clock timers and of the probes themselves.
//
// A new task first runs at a random point within its first interval, so a
// thousand members added at once do not all fire together; the randomness is
// seeded (Options.Seed) and so reproducible. After that the task is due at
// first + k*Interval for k = 1, 2, ...: the next slot is computed from the
// previous slot, never from the time a check started or ended, so the
// schedule does not drift. A slot that comes while the task's previous check
// is still queued, running or being delivered is skipped, as are slots the
// scheduler itself missed: a slow member or a busy pool never causes a burst
// of catch-up checks. Stats counts the skipped slots. Due times are kept as
// offsets on the Clock's monotonic reading, so changes of the wall clock do
// not move them.
//
// Each check runs with a context that ends after Task.Timeout (a check that
// times out is Failed), when its task is removed or replaced, or when the
// scheduler is closed. Results of checks stopped for the last three reasons
// are dropped, never delivered.
//
// # Concurrency
//
// All Scheduler methods are safe for concurrent use. Sink.Observe is called
// from the workers: calls for different members may run at the same time;
// calls for one member never overlap and come in the order of the checks.
// Observe should return quickly, because a worker waits for it. Close
// cancels the checks under way and waits for their probes to return (every
// probe of this package honours its context promptly); after Close returns,
// every goroutine of the scheduler has ended and Observe is no longer
// called. Time comes from a Clock; SystemClock follows the fake clock
// of a testing/synctest bubble, which is how the tests run the scheduler
// deterministically.
package health
