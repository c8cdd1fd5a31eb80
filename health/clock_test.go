package health

import (
	"sync"
	"testing"
	"time"
)

// manualClock is a Clock whose time moves only when the test sets it.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*manualTimer]bool // the armed timers
}

type manualTimer struct {
	clock *manualClock
	at    time.Time
	f     func()
}

func newManualClock(now time.Time) *manualClock {
	return &manualClock{now: now, timers: map[*manualTimer]bool{}}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &manualTimer{clock: c, at: c.now.Add(d), f: f}
	c.timers[t] = true
	return t
}

func (t *manualTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	armed := t.clock.timers[t]
	delete(t.clock.timers, t)
	return armed
}

func (t *manualTimer) Reset(d time.Duration) bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	armed := t.clock.timers[t]
	t.at = t.clock.now.Add(d)
	t.clock.timers[t] = true
	return armed
}

// set moves the clock to now and calls the functions of the timers due, in
// the caller's goroutine.
func (c *manualClock) set(now time.Time) {
	c.mu.Lock()
	c.now = now
	var due []func()
	for t := range c.timers {
		if !t.at.After(now) {
			delete(c.timers, t)
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

func TestManualClock(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newManualClock(start)
	var fired []string
	a := c.AfterFunc(time.Second, func() { fired = append(fired, "a") })
	b := c.AfterFunc(2*time.Second, func() { fired = append(fired, "b") })
	c.set(start.Add(time.Second))
	if len(fired) != 1 || fired[0] != "a" || a.Stop() {
		t.Fatalf("after 1s fired %v (a still armed: %v), want [a] and a spent", fired, a.Stop())
	}
	if !b.Stop() {
		t.Errorf("b.Stop() = false, want true (it had not fired)")
	}
	b.Reset(time.Second)
	c.set(start.Add(2 * time.Second))
	if len(fired) != 2 || fired[1] != "b" || !c.Now().Equal(start.Add(2*time.Second)) {
		t.Errorf("after reset and 1s more fired %v at %v, want [a b] at +2s", fired, c.Now())
	}
}
