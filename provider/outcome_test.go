package provider

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/store"
)

// unknownStore is a store whose commits, while lost is set, are not
// applied and fail with store.ErrOutcomeUnknown, as a shared store's do
// when its quorum is lost while they are in flight.
type unknownStore struct {
	store.Store
	lost *atomic.Bool
}

func (s unknownStore) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	if s.lost.Load() {
		return 0, fmt.Errorf("%w (no answer from the test's store)", store.ErrOutcomeUnknown)
	}
	return s.Store.Commit(ctx, txn)
}

// TestOutcomeUnknown: when the store does not say whether a change was
// stored, Failover returns its own answer, 2, and ModifyInstance fails
// with CIM_ERR_FAILED saying the outcome is unknown; neither changes the
// set.
func TestOutcomeUnknown(t *testing.T) {
	s := newFixture(t)
	lost := new(atomic.Bool)
	s.wrap = func(st store.Store) store.Store { return unknownStore{Store: st, lost: lost} }
	s.reopen()
	s.report("web-a", engine.HealthOK)
	s.report("web-b", engine.HealthOK)
	before := s.getSet("redset:web")
	lost.Store(true)

	got, err := s.failover("redset:web", memberValue("web-a"), memberValue("web-b"))
	if err != nil || got != engine.CodeError {
		t.Errorf("Failover = %d, %v; want ReturnValue 2", got, err)
	}
	err = s.modify("redset:web", nil, pv("LoadBalanceAlgorithm", cim.MustUint16(3)))
	if statusOf(err) != cim.StatusFailed || !strings.Contains(err.Error(), "outcome is unknown") || strings.Contains(err.Error(), "engine:") {
		t.Errorf("ModifyInstance = %v, want CIM_ERR_FAILED saying the outcome is unknown", err)
	}
	if diff := cmp.Diff(before, s.getSet("redset:web")); diff != "" {
		t.Errorf("the set changed (-before +after):\n%s", diff)
	}
}
