package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// unknownStore is a store whose commits, while lost is set, are not
// applied and fail as a shared store's do when its quorum is lost while
// they are in flight: with store.ErrOutcomeUnknown.
type unknownStore struct {
	store.Store
	lost atomic.Bool
}

func (s *unknownStore) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	if s.lost.Load() {
		return 0, fmt.Errorf("%w (no answer from the test's store)", store.ErrOutcomeUnknown)
	}
	return s.Store.Commit(ctx, txn)
}

// TestFailoverOutcomeUnknown: a failover whose commit has an unknown
// outcome answers code 2 with a reason saying so (and that the roles must
// be read back), publishes that reason, and changes nothing in the
// engine. Other writes fail with an error of KindOutcomeUnknown.
func TestFailoverOutcomeUnknown(t *testing.T) {
	h := newHarness(t)
	h.member("a")
	h.member("b")
	h.set(sparingSet("redset:web", 1))
	h.report("a", HealthOK)
	h.report("b", HealthOK)
	h.add("redset:web", "a", inService)
	h.add("redset:web", "b", spare(SpareHot, FailoverBoth, 0))
	h.settle()
	var st *unknownStore
	h.wrap = func(s store.Store) store.Store {
		st = &unknownStore{Store: s}
		return st
	}
	h.restart()
	h.report("a", HealthOK)
	h.report("b", HealthOK)
	h.settle()
	before := h.dump()

	sub := h.bus.Subscribe(10, func(r event.Record) bool { return r.Kind == event.KindFailoverRefused })
	defer sub.Close()
	st.lost.Store(true)
	res := h.e.Failover(context.Background(), "redset:web", "a", "b")
	if res.Code != CodeError || !errors.Is(res.Err, ErrOutcomeUnknown) || KindOf(res.Err) != KindOutcomeUnknown {
		t.Errorf("Failover = code %d, err %v (kind %v); want code 2 with ErrOutcomeUnknown", res.Code, res.Err, KindOf(res.Err))
	}
	if res.Reason != OutcomeUnknownReason || !strings.Contains(res.Reason, "unknown") || !strings.Contains(res.Reason, "read") {
		t.Errorf("reason %q, want OutcomeUnknownReason", res.Reason)
	}
	r := <-sub.C()
	if r.Failover == nil || r.Failover.Code != CodeError || r.Failover.Reason != OutcomeUnknownReason {
		t.Errorf("published record %+v, want code 2 with the outcome-unknown reason", r.Failover)
	}
	h.assertUnchanged(before)

	_, err := h.e.UpdateSet(context.Background(), "redset:web", func(s *Set) error { s.Caption = "changed"; return nil })
	if !errors.Is(err, ErrOutcomeUnknown) || KindOf(err) != KindOutcomeUnknown || !errors.Is(err, store.ErrOutcomeUnknown) {
		t.Errorf("UpdateSet with the outcome unknown: error %v (kind %v), want KindOutcomeUnknown", err, KindOf(err))
	}
	if msg := MessageOf(err); strings.HasPrefix(msg, "engine:") || !strings.Contains(msg, "outcome is unknown") {
		t.Errorf("MessageOf = %q, want the plain message saying the outcome is unknown", msg)
	}
	h.assertUnchanged(before)

	st.lost.Store(false)
	if res := h.e.Failover(context.Background(), "redset:web", "a", "b"); res.Code != CodeCompleted {
		t.Errorf("Failover with the store back = %d %q, want 0", res.Code, res.Reason)
	}
}

// twinStore is a store whose commits, while armed, fail with err after
// either applying the whole transaction (the write landed, and only the
// answer was lost) or only its first write, without compares: the same
// change made meanwhile by another server that leads now, with a history
// record of its own.
type twinStore struct {
	store.Store
	armed atomic.Bool
	whole bool
	err   error
}

func (s *twinStore) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	if !s.armed.Load() {
		return s.Store.Commit(ctx, txn)
	}
	applied := store.Txn{Ops: txn.Ops[:1]}
	if s.whole {
		applied = txn
	}
	if _, err := s.Store.Commit(ctx, applied); err != nil {
		return 0, err
	}
	return 0, s.err
}

// TestFailoverSettledOnlyByItsOwnWrite: after a failed commit, a failover
// is reported completed only when its outcome was unknown and its own
// write (the set and its history record) is found; the same roles
// written by another leader, or a commit that was fenced off, are not
// this failover.
func TestFailoverSettledOnlyByItsOwnWrite(t *testing.T) {
	unknown := fmt.Errorf("%w (no answer from the test's store)", store.ErrOutcomeUnknown)
	tests := []struct {
		name  string
		whole bool
		err   error
		want  uint32
	}{
		{"its own write landed, the answer was lost", true, unknown, CodeCompleted},
		{"another leader made the same change, the answer was lost", false, unknown, CodeError},
		{"fenced off while another leader made the same change", false, store.ErrFenced, CodeBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.member("a")
			h.member("b")
			h.set(sparingSet("redset:web", 1))
			h.add("redset:web", "a", inService)
			h.add("redset:web", "b", spare(SpareHot, FailoverBoth, 0))
			st := &twinStore{whole: tt.whole, err: tt.err}
			h.wrap = func(s store.Store) store.Store {
				st.Store = s
				return st
			}
			h.restart()
			h.report("a", HealthOK)
			h.report("b", HealthOK)
			h.settle()
			st.armed.Store(true)
			res := h.e.Failover(context.Background(), "redset:web", "a", "b")
			if res.Code != tt.want {
				t.Fatalf("Failover = code %d (%q, seq %d), want %d", res.Code, res.Reason, res.Seq, tt.want)
			}
			if tt.want == CodeCompleted {
				kv, err := st.Store.Get(context.Background(), historyKey(res.Seq))
				if err != nil || !strings.Contains(string(kv.Value), `"FailoverSucceeded"`) {
					t.Errorf("history record %d of the completed failover: %q, %v", res.Seq, kv.Value, err)
				}
			}
		})
	}
}
