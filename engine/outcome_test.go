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
