package health

import "time"

// Clock is the source of time for Run and the Scheduler. Implementations
// must be safe for concurrent use.
//
// AfterFunc arranges for f to be called in its own goroutine once d has
// elapsed, like time.AfterFunc. The returned Timer's Stop reports whether it
// prevented the call; Reset re-arms it (also after it fired).
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call. *time.Timer satisfies it.
type Timer interface {
	Stop() bool
	Reset(d time.Duration) bool
}

// SystemClock is the Clock of the time package. Inside a testing/synctest
// bubble it follows the bubble's fake time, which is how the tests of this
// package drive the Scheduler deterministically.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc calls time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
