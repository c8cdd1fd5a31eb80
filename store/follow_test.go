package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
)

// TestFollow: a failed reload is reported and tried again; after a reload
// that succeeds, a change committed later reaches Apply; Follow returns
// when its context ends.
func TestFollow(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "f.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	reloads, failed := 0, 0
	reloaded := make(chan struct{}, 1)
	applied := make(chan string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.Follow(ctx, st, "p/", store.Follower{
			Reload: func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				reloads++
				if reloads == 1 {
					return errors.New("not yet")
				}
				reloaded <- struct{}{}
				return nil
			},
			Apply:  func(ev store.Event) { applied <- ev.KV.Key },
			Failed: func(error) { mu.Lock(); failed++; mu.Unlock() },
		})
	}()
	select {
	case <-reloaded:
	case <-time.After(10 * time.Second):
		t.Fatal("no second reload")
	}
	if _, err := st.Commit(ctx, store.Txn{Ops: []store.Op{{Key: "p/a", Value: []byte("1")}, {Key: "q/b", Value: []byte("2")}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case key := <-applied:
		if key != "p/a" {
			t.Errorf("applied %q, want p/a", key)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the change did not reach Apply")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return after its context ended")
	}
	mu.Lock()
	defer mu.Unlock()
	if failed != 1 || reloads != 2 {
		t.Errorf("failed %d, reloads %d; want 1 and 2", failed, reloads)
	}
}
