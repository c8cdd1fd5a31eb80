package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redset/redset/store"
)

func lifecycleCases() []testCase {
	return []testCase{
		{"ConcurrentCompareAndSwap", testConcurrentCAS},
		{"CanceledContext", testCanceledContext},
		{"Close", testClose},
		{"CloseEndsWatchers", testCloseEndsWatchers},
		{"CloseDuringCommits", testCloseDuringCommits},
	}
}

// testConcurrentCAS: many goroutines increment one counter with
// compare-and-swap, retrying on conflict; no increment may be lost.
func testConcurrentCAS(t *testing.T, s store.Store) {
	const workers, each = 100, 3
	var (
		mu   sync.Mutex
		revs = map[int64]bool{}
		wg   sync.WaitGroup
		errs = make(chan error, workers)
	)
	for range workers {
		wg.Go(func() {
			for range each {
				rev, err := increment(s, "counter")
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				revs[rev] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("increment error = %v", err)
	}
	got, err := s.Get(context.Background(), "counter")
	if err != nil {
		t.Fatalf("Get(counter) error = %v", err)
	}
	if want := strconv.Itoa(workers * each); string(got.Value) != want {
		t.Errorf("counter = %s, want %s", got.Value, want)
	}
	if len(revs) != workers*each {
		t.Errorf("distinct revisions of successful increments = %d, want %d", len(revs), workers*each)
	}
}

// increment adds one to the decimal counter at key, retrying on conflict.
func increment(s store.Store, key string) (int64, error) {
	ctx := context.Background()
	for {
		n, rev := 0, int64(0)
		kv, err := s.Get(ctx, key)
		switch {
		case err == nil:
			if n, err = strconv.Atoi(string(kv.Value)); err != nil {
				return 0, err
			}
			rev = kv.ModRevision
		case !errors.Is(err, store.ErrNotFound):
			return 0, err
		}
		txn := store.Txn{
			Compares: []store.Compare{{Key: key, ModRevision: rev}},
			Ops:      []store.Op{put(key, strconv.Itoa(n+1))},
		}
		newRev, err := s.Commit(ctx, txn)
		if !errors.Is(err, store.ErrConflict) {
			return newRev, err
		}
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	commit(t, s, ops(put("k", "v")))
	before := revision(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"Get":      func() error { _, err := s.Get(ctx, "k"); return err },
		"List":     func() error { _, _, err := s.List(ctx, ""); return err },
		"Revision": func() error { _, err := s.Revision(ctx); return err },
		"Commit":   func() error { _, err := s.Commit(ctx, ops(put("new", "v"))); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled context: error = %v, want context.Canceled", name, err)
			}
		})
	}
	wantMissing(t, s, "new")
	if got := revision(t, s); got != before {
		t.Errorf("Revision() = %d, want unchanged %d", got, before)
	}
}

func testClose(t *testing.T, s store.Store) {
	commit(t, s, ops(put("k", "v")))
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	ctx := context.Background()
	calls := map[string]func() error{
		"Get":      func() error { _, err := s.Get(ctx, "k"); return err },
		"List":     func() error { _, _, err := s.List(ctx, ""); return err },
		"Revision": func() error { _, err := s.Revision(ctx); return err },
		"Commit":   func() error { _, err := s.Commit(ctx, ops(put("new", "v"))); return err },
		"Close":    s.Close,
		"Watch": func() error {
			w := s.Watch(ctx, "")
			waitClosed(t, w)
			return w.Err()
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, store.ErrClosed) {
				t.Errorf("%s after Close: error = %v, want ErrClosed", name, err)
			}
		})
	}
}

func testCloseEndsWatchers(t *testing.T, s store.Store) {
	w := s.Watch(t.Context(), "")
	rev := commit(t, s, ops(put("k", "v")))
	if got := recvEvents(t, w, 1); got[0].KV.ModRevision != rev {
		t.Fatalf("event revision = %d, want %d", got[0].KV.ModRevision, rev)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	waitClosed(t, w)
	if err := w.Err(); !errors.Is(err, store.ErrClosed) {
		t.Errorf("watcher Err() after Close = %v, want ErrClosed", err)
	}
}

// testCloseDuringCommits: commits racing with Close either succeed or fail
// with ErrClosed; once one has failed with ErrClosed, all later ones do.
func testCloseDuringCommits(t *testing.T, s store.Store) {
	const workers = 8
	var (
		ok   atomic.Int64
		wg   sync.WaitGroup
		errs = make(chan error, workers)
	)
	for w := range workers {
		wg.Go(func() { errs <- commitUntilClosed(s, w, &ok) })
	}
	waitFor(t, func() bool { return ok.Load() >= 20 })
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v, want nil", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// commitUntilClosed commits until the store refuses; it returns an error
// unless that refusal is ErrClosed and stays so.
func commitUntilClosed(s store.Store, worker int, ok *atomic.Int64) error {
	ctx := context.Background()
	for i := 0; ; i++ {
		_, err := s.Commit(ctx, ops(put(fmt.Sprintf("w%d/%d", worker, i), "v")))
		if err == nil {
			ok.Add(1)
			continue
		}
		if !errors.Is(err, store.ErrClosed) {
			return fmt.Errorf("worker %d commit %d: error = %v, want nil or ErrClosed", worker, i, err)
		}
		if _, err := s.Commit(ctx, ops(put("again", "v"))); !errors.Is(err, store.ErrClosed) {
			return fmt.Errorf("worker %d commit after ErrClosed: error = %v, want ErrClosed", worker, err)
		}
		return nil
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(eventTimeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("condition not reached before the deadline")
		}
	}
}
