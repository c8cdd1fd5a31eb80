package store

import (
	"context"
	"time"
)

// Follower is what Follow keeps current: how to read every key under the
// prefix afresh (Reload), how to take one change (Apply), and who hears
// of a failed reload (Failed) and of a watch that ended before ctx did
// (Ended, with the watch's Err). Failed and Ended may be nil.
type Follower struct {
	Reload func(ctx context.Context) error
	Apply  func(Event)
	Failed func(err error)
	Ended  func(err error)
}

// The waits of Follow between two tries: the first, and the longest it
// grows to while tries keep failing.
const (
	followFirstWait = 100 * time.Millisecond
	followMaxWait   = 5 * time.Second
)

// Follow keeps f current with the keys under prefix until ctx ends: it
// starts a watch, then reloads (so no change between the two is missed),
// then applies each change the watch delivers. A reload that fails, or a
// watch that ends (it lagged, or the store closed), starts it over after a
// wait that doubles from 100 ms to 5 s while tries fail and is reset by a
// reload that succeeds.
func Follow(ctx context.Context, st Store, prefix string, f Follower) {
	wait := followFirstWait
	for ctx.Err() == nil {
		if followOnce(ctx, st, prefix, f) {
			wait = followFirstWait
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		wait = min(2*wait, followMaxWait)
	}
}

// followOnce watches, reloads and applies until the watch ends; it
// reports whether the reload succeeded.
func followOnce(ctx context.Context, st Store, prefix string, f Follower) bool {
	wctx, cancel := context.WithCancel(ctx) // a failed reload ends its watch
	defer cancel()
	w := st.Watch(wctx, prefix)
	if err := f.Reload(ctx); err != nil {
		if f.Failed != nil && ctx.Err() == nil {
			f.Failed(err)
		}
		return false
	}
	for ev := range w.Events() {
		f.Apply(ev)
	}
	if f.Ended != nil && ctx.Err() == nil {
		f.Ended(w.Err())
	}
	return true
}
