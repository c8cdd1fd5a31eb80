package clock

import (
	"slices"
	"testing"
	"time"
)

// TestManual: calls run inside the Advance that passes their time, in due
// order; a stopped one never runs; Next and PendingAt see what is pending.
func TestManual(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewManual(start)
	var ran []string
	c.AfterFunc(3*time.Second, func() { ran = append(ran, "3s") })
	c.AfterFunc(time.Second, func() { ran = append(ran, "1s") })
	stopped := c.AfterFunc(2*time.Second, func() { ran = append(ran, "2s") })
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop: want true once, then false")
	}
	if d, ok := c.Next(); !ok || d != time.Second {
		t.Errorf("Next = %v, %v; want 1s, true", d, ok)
	}
	if !c.PendingAt(3*time.Second) || c.PendingAt(2*time.Second) {
		t.Error("PendingAt: want a call at 3s and none at 2s (stopped)")
	}
	c.Advance(500 * time.Millisecond)
	if len(ran) != 0 {
		t.Fatalf("ran %q before their time", ran)
	}
	c.Advance(5 * time.Second)
	if want := []string{"1s", "3s"}; !slices.Equal(ran, want) {
		t.Errorf("ran %q, want %q", ran, want)
	}
	if _, ok := c.Next(); ok {
		t.Error("Next: a call is still pending after all ran")
	}
	if got := c.Now(); !got.Equal(start.Add(5500 * time.Millisecond)) {
		t.Errorf("Now = %v, want start + 5.5s", got)
	}
}
