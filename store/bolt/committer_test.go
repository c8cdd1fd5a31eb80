package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/store"
)

// gate is an OnBatch hook that records batch sizes and holds the committer
// inside the first batch until released, so tests can queue requests
// behind it deterministically.
type gate struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once

	mu    sync.Mutex
	sizes []int
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) onBatch(n int) {
	g.mu.Lock()
	g.sizes = append(g.sizes, n)
	g.mu.Unlock()
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
}

func (g *gate) batchSizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.sizes...)
}

// hold commits one transaction and returns once the committer is held
// inside its batch; the returned channel yields that commit's error.
func (g *gate) hold(t *testing.T, s *Store) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := s.Commit(context.Background(), store.Txn{Ops: []store.Op{put("first", "v")}})
		done <- err
	}()
	<-g.entered
	return done
}

// waitUntil polls cond until it holds or a deadline passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// commitAll runs txns concurrently and returns their results in order.
func commitAll(s *Store, txns []store.Txn) ([]int64, []error) {
	revs, errs := make([]int64, len(txns)), make([]error, len(txns))
	var wg sync.WaitGroup
	for i, txn := range txns {
		wg.Go(func() { revs[i], errs[i] = s.Commit(context.Background(), txn) })
	}
	wg.Wait()
	return revs, errs
}

func TestGroupCommitGroups(t *testing.T) {
	const n = 1000
	g := newGate()
	s := openTest(t, Options{OnBatch: g.onBatch, WatchBuffer: 2 * n})
	w := s.Watch(t.Context(), "k/")
	first := g.hold(t, s)
	txns := make([]store.Txn, n-1)
	for i := range txns {
		txns[i] = store.Txn{Ops: []store.Op{put(fmt.Sprintf("k/%04d", i), "v")}}
	}
	var errs []error
	done := make(chan struct{})
	go func() { _, errs = commitAll(s, txns); close(done) }()
	waitUntil(t, "all commits are queued", func() bool { return s.committer.pending() == n-1 })
	close(g.release)
	<-done
	if err := <-first; err != nil {
		t.Fatalf("first Commit() error = %v", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Commit(%d) error = %v", i, err)
		}
	}
	if got, want := g.batchSizes(), []int{1, n - 1}; !cmp.Equal(got, want) {
		t.Errorf("batch sizes = %v, want %v (%d commits in %d fsyncs)", got, want, n, len(want))
	}
	wantRevisionsInOrder(t, w, 2, n)
}

// wantRevisionsInOrder reads the events of revisions from..to and checks
// they arrive in order, one per revision. Events are published before
// Commit returns, so they must already be buffered.
func wantRevisionsInOrder(t *testing.T, w store.Watcher, from, to int64) {
	t.Helper()
	for want := from; want <= to; want++ {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("watch closed at revision %d, Err() = %v", want, w.Err())
			}
			if ev.KV.ModRevision != want {
				t.Fatalf("event revision = %d, want %d", ev.KV.ModRevision, want)
			}
		default:
			t.Fatalf("no event buffered for revision %d", want)
		}
	}
}

// TestEventsBeforeAck: a commit's events are in its watchers' buffers by
// the time Commit returns, so a watcher started after Commit returned
// cannot see that commit.
func TestEventsBeforeAck(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	w := s.Watch(t.Context(), "")
	for i := range 50 {
		rev := mustCommit(t, s, put(fmt.Sprint(i), "v"))
		wantRevisionsInOrder(t, w, rev, rev)
	}
}

func TestMaxBatchCapsBatches(t *testing.T) {
	const n, maxBatch = 100, 10
	g := newGate()
	s := openTest(t, Options{NoSync: true, MaxBatch: maxBatch, OnBatch: g.onBatch})
	first := g.hold(t, s)
	txns := make([]store.Txn, n)
	for i := range txns {
		txns[i] = store.Txn{Ops: []store.Op{put(fmt.Sprint(i), "v")}}
	}
	done := make(chan []error)
	go func() { _, errs := commitAll(s, txns); done <- errs }()
	waitUntil(t, "all commits are queued", func() bool { return s.committer.pending() == n })
	close(g.release)
	for i, err := range append(<-done, <-first) {
		if err != nil {
			t.Fatalf("Commit(%d) error = %v", i, err)
		}
	}
	sizes := g.batchSizes()
	total := 0
	for _, size := range sizes {
		if size > maxBatch {
			t.Errorf("batch of %d transactions, want at most %d", size, maxBatch)
		}
		total += size
	}
	if total != n+1 || len(sizes) != 1+n/maxBatch {
		t.Errorf("batch sizes = %v, want %d batches of at most %d holding %d transactions", sizes, 1+n/maxBatch, maxBatch, n+1)
	}
}

// TestBatchConflictsResolveInOrder: two creates of one key in the same
// batch: exactly one wins, the other sees its write and conflicts.
func TestBatchConflictsResolveInOrder(t *testing.T) {
	g := newGate()
	s := openTest(t, Options{NoSync: true, OnBatch: g.onBatch})
	first := g.hold(t, s)
	create := func(v string) store.Txn {
		return store.Txn{Compares: []store.Compare{{Key: "k"}}, Ops: []store.Op{put("k", v)}}
	}
	done := make(chan []error)
	go func() { _, errs := commitAll(s, []store.Txn{create("a"), create("b")}); done <- errs }()
	waitUntil(t, "both creates are queued", func() bool { return s.committer.pending() == 2 })
	close(g.release)
	errs := <-done
	if err := <-first; err != nil {
		t.Fatalf("first Commit() error = %v", err)
	}
	if got, want := g.batchSizes(), []int{1, 2}; !cmp.Equal(got, want) {
		t.Fatalf("batch sizes = %v, want %v", got, want)
	}
	wins, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, store.ErrConflict):
			conflicts++
		default:
			t.Errorf("Commit() error = %v, want nil or ErrConflict", err)
		}
	}
	if wins != 1 || conflicts != 1 {
		t.Errorf("wins = %d, conflicts = %d; want 1 and 1", wins, conflicts)
	}
	kv, err := s.Get(context.Background(), "k")
	if err != nil || kv.ModRevision != 2 {
		t.Errorf("Get(k) = %+v, %v; want ModRevision 2", kv, err)
	}
}

// TestFailedWriteFailsWholeBatch: when the bbolt commit fails, every
// transaction of the batch fails, nothing is written or published, and the
// store keeps working.
func TestFailedWriteFailsWholeBatch(t *testing.T) {
	g := newGate()
	opts := Options{NoSync: true, OnBatch: g.onBatch}
	opts.maxSize = 1 << 20
	s := openTest(t, opts)
	w := s.Watch(t.Context(), "")
	first := g.hold(t, s)
	txns := []store.Txn{
		{Ops: []store.Op{put("small", "v")}},
		{Ops: []store.Op{{Key: "huge", Value: bytes.Repeat([]byte("x"), 4<<20)}}},
	}
	done := make(chan []error)
	go func() { _, errs := commitAll(s, txns); done <- errs }()
	waitUntil(t, "both commits are queued", func() bool { return s.committer.pending() == 2 })
	close(g.release)
	errs := <-done
	if err := <-first; err != nil {
		t.Fatalf("first Commit() error = %v", err)
	}
	for i, err := range errs {
		if err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("Commit(%d) of the failed batch error = %v, want the write error", i, err)
		}
	}
	for _, key := range []string{"small", "huge"} {
		if _, err := s.Get(context.Background(), key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
		}
	}
	if rev := mustCommit(t, s, put("after", "v")); rev != 2 {
		t.Errorf("revision of the next commit = %d, want 2", rev)
	}
	wantRevisionsInOrder(t, w, 1, 2)
}

// TestCanceledWhileQueued: a commit whose context ends while it waits in
// the queue returns the context error and is never applied.
func TestCanceledWhileQueued(t *testing.T) {
	g := newGate()
	s := openTest(t, Options{NoSync: true, OnBatch: g.onBatch})
	first := g.hold(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := s.Commit(ctx, store.Txn{Ops: []store.Op{put("canceled", "v")}})
		done <- err
	}()
	waitUntil(t, "the commit is queued", func() bool { return s.committer.pending() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Commit() error = %v, want context.Canceled", err)
	}
	close(g.release)
	if err := <-first; err != nil {
		t.Fatalf("first Commit() error = %v", err)
	}
	if rev := mustCommit(t, s, put("after", "v")); rev != 2 {
		t.Errorf("revision of the next commit = %d, want 2", rev)
	}
	if _, err := s.Get(context.Background(), "canceled"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(canceled) error = %v, want ErrNotFound", err)
	}
}

// TestCloseFailsQueued: Close lets the batch being written finish and fails
// the queued commits with ErrClosed.
func TestCloseFailsQueued(t *testing.T) {
	const queued = 5
	g := newGate()
	s := openTest(t, Options{NoSync: true, OnBatch: g.onBatch})
	first := g.hold(t, s)
	txns := make([]store.Txn, queued)
	for i := range txns {
		txns[i] = store.Txn{Ops: []store.Op{put(fmt.Sprint(i), "v")}}
	}
	done := make(chan []error)
	go func() { _, errs := commitAll(s, txns); done <- errs }()
	waitUntil(t, "the commits are queued", func() bool { return s.committer.pending() == queued })
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	waitUntil(t, "Close has stopped the committer", s.committer.isStopped)
	close(g.release)
	if err := <-first; err != nil {
		t.Errorf("Commit() of the batch being written error = %v, want nil", err)
	}
	for i, err := range <-done {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("queued Commit(%d) error = %v, want ErrClosed", i, err)
		}
	}
	if err := <-closed; err != nil {
		t.Errorf("Close() error = %v, want nil", err)
	}
}
