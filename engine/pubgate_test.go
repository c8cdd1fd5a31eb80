package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// heldStore is a store whose commits wait, while hold is set, until the
// test lets them go.
type heldStore struct {
	store.Store
	mu      sync.Mutex
	hold    bool
	entered chan struct{}
	release chan struct{}
}

func (s *heldStore) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold {
		s.entered <- struct{}{}
		<-s.release
	}
	return s.Store.Commit(ctx, txn)
}

// TestPublishedInSeqOrder: while a change's commit is under way, records
// numbered after its record (a hook delivery, here) wait for it, so the
// bus carries them in Seq order; a client resuming after the last Seq it
// saw misses none. A commit that fails lets them go at once.
func TestPublishedInSeqOrder(t *testing.T) {
	h := newHarness(t)
	st := &heldStore{entered: make(chan struct{}), release: make(chan struct{})}
	h.wrap = func(s store.Store) store.Store { st.Store = s; return st }
	h.restart()
	sub := h.bus.Subscribe(100, nil)
	defer sub.Close()

	st.mu.Lock()
	st.hold = true
	st.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := h.e.PutMember(context.Background(), Member{Name: "slow", Probe: Probe{Rise: 1, Fall: 1}})
		done <- err
	}()
	<-st.entered // the member's record has its Seq and is under commit
	st.mu.Lock()
	st.hold = false
	st.mu.Unlock()
	h.e.RecordHookDelivery("", event.HookDelivered{Hook: "later", Outcome: "ok"})
	select {
	case r := <-sub.C():
		t.Fatalf("record %d (%s) published while a lower Seq was under commit", r.Seq, r.Kind)
	default:
	}
	close(st.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var got []event.Record
	for len(got) < 2 {
		select {
		case r := <-sub.C():
			got = append(got, r)
		case <-time.After(10 * time.Second):
			t.Fatalf("published %d records, want 2", len(got))
		}
	}
	if got[0].Kind != event.KindConfigChanged || got[1].Kind != event.KindHookDelivered || got[0].Seq >= got[1].Seq {
		t.Fatalf("published %s %d then %s %d; want the member's record first, in Seq order",
			got[0].Kind, got[0].Seq, got[1].Kind, got[1].Seq)
	}
}

// TestPubGate: held records go out in Seq order when what they wait for is
// published or abandoned.
func TestPubGate(t *testing.T) {
	var g pubGate
	var out []uint64
	pub := func(r event.Record) { out = append(out, r.Seq) }
	rec := func(seq uint64) *event.Record { return &event.Record{Seq: seq} }
	g.committing([]*event.Record{rec(10)})
	g.committing([]*event.Record{rec(12)})
	g.publish(*rec(13), pub)
	g.publish(*rec(11), pub)
	if len(out) != 0 {
		t.Fatalf("published %v while 10 is under commit", out)
	}
	g.abandon([]*event.Record{rec(10)}, pub) // 10's commit failed
	if want := []uint64{11}; !equalSeqs(out, want) {
		t.Fatalf("after 10 failed: %v, want %v (13 still waits for 12)", out, want)
	}
	g.publish(*rec(12), pub)
	if want := []uint64{11, 12, 13}; !equalSeqs(out, want) {
		t.Fatalf("after 12: %v, want %v", out, want)
	}
	g.publish(*rec(9), pub) // nothing under commit: at once
	if want := []uint64{11, 12, 13, 9}; !equalSeqs(out, want) {
		t.Fatalf("a record with nothing under commit: %v, want %v", out, want)
	}
}
