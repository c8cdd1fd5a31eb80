package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/store/etcd"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// TestEngineHistoryBurst: the engine on etcd keeps every record of a burst
// of events larger than one etcd transaction may hold (128 ops).
func TestEngineHistoryBurst(t *testing.T) {
	const members = 400
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	log := &warnings{}
	e, err := engine.New(context.Background(), engine.Options{Store: open(t, c.Endpoints(), freshPrefix()), Logger: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := range members {
		if _, err := e.PutMember(context.Background(), engine.Member{Name: fmt.Sprintf("m%03d", i), Probe: engine.Probe{Rise: 1, Fall: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range members {
		if err := e.ReportHealth(fmt.Sprintf("m%03d", i), engine.Report{State: engine.HealthOK}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := e.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	health := map[string]bool{}
	for _, r := range recs {
		if r.Kind == event.KindHealthChanged {
			health[r.Member] = true
		}
	}
	if len(health) != members {
		t.Errorf("history holds health records of %d members, want %d", len(health), members)
	}
	if n := log.count("event history write failed"); n != 0 {
		t.Errorf("%d history writes failed, want none", n)
	}
}

// TestEngineMassFailoverGrouped: a leading engine fails over every set of
// a failed member, each exactly once with its own history record, and the
// failovers share etcd transactions (far fewer revisions than sets).
func TestEngineMassFailoverGrouped(t *testing.T) {
	const sets = 300
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	e := leadingEngine(t, c, freshPrefix(), nil)
	createPairs(t, e, sets)
	sub := e.Bus().Subscribe(4*sets, func(r event.Record) bool { return r.Kind == event.KindFailoverSucceeded })
	if err := e.ReportHealth("shared", engine.Report{State: engine.HealthFailed}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(time.Minute)
	for i := range sets {
		select {
		case <-sub.C():
		case <-deadline:
			t.Fatalf("%d of %d sets failed over in time", i, sets)
		}
	}
	checkFailedOver(t, e, sets)
	recs, err := e.QueryHistory(context.Background(), engine.HistoryFilter{Kinds: []event.Kind{event.KindFailoverSucceeded}})
	if err != nil {
		t.Fatal(err)
	}
	perSet := map[string]int{}
	for _, r := range recs {
		perSet[r.SetID]++
	}
	revs := map[int64]bool{}
	views, err := e.ListSets()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if perSet[v.InstanceID] != 1 {
			t.Errorf("set %s has %d failover records, want 1", v.InstanceID, perSet[v.InstanceID])
		}
		revs[v.Revision] = true
	}
	if len(revs) > sets/2 {
		t.Errorf("the %d failovers took %d store revisions, want them grouped (at most %d)", sets, len(revs), sets/2)
	}
	t.Logf("%d failovers in %d etcd transactions", sets, len(revs))
}

// TestEngineQuorumLost: a failover whose commit reaches the etcd leader
// just as its two followers stop has an unknown outcome: the engine
// answers code 2 with the reason that says so, matching
// engine.ErrOutcomeUnknown, and keeps the roles it had. Once the quorum is
// back, an engine that reads the store finds the failover either wholly
// applied (roles swapped and its history record) or not at all.
func TestEngineQuorumLost(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 3, etcdtest.Options{})
	leader := c.Leader()
	if leader == nil {
		t.Fatal("no member leads the cluster")
	}
	const timeout = 2 * time.Second
	prefix := freshPrefix()
	s := open(t, []string{leader.Endpoint()}, prefix, func(o *etcd.Options) { o.RequestTimeout = timeout })
	e, err := engine.New(context.Background(), engine.Options{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sparingPair(t, e, "redset:web", "a", "b")

	for _, m := range c.Members {
		if m != leader {
			m.Stop()
		}
	}
	res := e.Failover(context.Background(), "redset:web", "a", "b")
	if res.Code != engine.CodeError || !errors.Is(res.Err, engine.ErrOutcomeUnknown) || res.Reason != engine.OutcomeUnknownReason {
		t.Errorf("Failover as the quorum was lost = code %d %q (%v), want code 2 with the outcome-unknown reason", res.Code, res.Reason, res.Err)
	}
	if got := inService(t, e, "redset:web"); got != "a" {
		t.Errorf("in service after the unknown outcome: %s, want a (nothing changed in the engine)", got)
	}

	for _, m := range c.Members {
		if m != leader {
			m.Restart(t)
		}
	}
	commitEventually(t, s, "probe-write", "x")
	fresh, err := engine.New(context.Background(), engine.Options{Store: open(t, c.Endpoints(), prefix), Standby: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	active := inService(t, fresh, "redset:web")
	recs, err := fresh.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	recorded := false
	for _, r := range recs {
		recorded = recorded || r.Kind == event.KindFailoverSucceeded && r.SetID == "redset:web"
	}
	if (active == "b") != recorded {
		t.Errorf("after the quorum returned: %s in service, success recorded %v; want both or neither", active, recorded)
	}
	t.Logf("the failover whose outcome was unknown was applied: %v", recorded)
}

// inService is the one member in service in set id.
func inService(t *testing.T, e *engine.Engine, id string) string {
	t.Helper()
	v, err := e.GetSet(id)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range v.Members {
		if m.Role.Kind == engine.RoleInService {
			names = append(names, m.Name)
		}
	}
	if len(names) != 1 {
		t.Fatalf("set %s has %v in service, want one member", id, names)
	}
	return names[0]
}
