package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConcurrentFailoverOneWinner(t *testing.T) {
	h := newHarness(t)
	s := sparingSet("redset:web", 1)
	s.Policy.DisableAutoFailover = true
	h.set(s)
	h.member("a")
	h.member("b")
	h.add("redset:web", "a", inService)
	h.add("redset:web", "b", spare(SpareHot, FailoverBoth, 0))
	h.report("a", HealthOK)
	h.report("b", HealthOK)

	const callers = 64
	codes := make([]uint32, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			codes[i] = h.e.Failover(context.Background(), "redset:web", "a", "b").Code
		})
	}
	close(start)
	wg.Wait()
	count := map[uint32]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[0] != 1 || count[0]+count[3]+count[4] != callers {
		t.Errorf("codes = %v, want exactly one 0 and the rest 3 or 4", count)
	}
	want := map[string]RoleKind{"a": RoleSpare, "b": RoleInService}
	if diff := cmp.Diff(want, h.roles("redset:web")); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	h.settle()
	hist, _ := h.e.History(context.Background(), 0)
	if n := countKind(hist, "FailoverSucceeded"); n != 1 {
		t.Errorf("history has %d successful failovers, want 1", n)
	}
	if n := countKind(hist, "FailoverRefused"); n != callers-1 {
		t.Errorf("history has %d refusals, want %d", n, callers-1)
	}
}

// TestConcurrentMixedChanges runs failovers back and forth on sets sharing
// a member, together with health reports and member updates, and checks
// that every set ends with exactly one member in service.
func TestConcurrentMixedChanges(t *testing.T) {
	h := newHarness(t)
	const sets = 8
	h.member("shared")
	h.report("shared", HealthOK)
	for i := range sets {
		id := fmt.Sprintf("redset:s%d", i)
		own := fmt.Sprintf("own%d", i)
		h.set(sparingSet(id, 1))
		h.member(own)
		h.report(own, HealthOK)
		h.add(id, "shared", inService)
		h.add(id, own, spare(SpareHot, FailoverBoth, 0))
	}
	var wg sync.WaitGroup
	for i := range sets {
		id, own := fmt.Sprintf("redset:s%d", i), fmt.Sprintf("own%d", i)
		wg.Go(func() {
			for range 20 {
				h.e.Failover(context.Background(), id, "shared", own)
				h.e.Failover(context.Background(), id, own, "shared")
			}
		})
	}
	wg.Go(func() {
		for i := range 40 {
			h.e.PutMember(context.Background(), Member{Name: "shared", DisplayName: fmt.Sprint(i), Probe: Probe{Rise: 1, Fall: 1}})
			h.e.ReportHealth("shared", Report{State: HealthOK})
		}
	})
	wg.Wait()
	h.settle()
	for i := range sets {
		if n := countInService(h, fmt.Sprintf("redset:s%d", i)); n != 1 {
			t.Errorf("set %d has %d members in service, want 1", i, n)
		}
	}
	before, _ := durableState(t, h)
	h.restart()
	after, _ := durableState(t, h)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after restart differs (-before +after):\n%s", diff)
	}
}
