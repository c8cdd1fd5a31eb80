package cluster

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/store/etcd/etcdtest"
)

const frontSet = "redset:web"

func failedFront() event.FrontendChanged {
	return event.FrontendChanged{Listen: "127.0.0.1:15432", State: event.FrontendFailed, Error: "address already in use"}
}

func listeningFront() event.FrontendChanged {
	return event.FrontendChanged{Listen: "127.0.0.1:15432", Address: "127.0.0.1:15432", State: event.FrontendListening}
}

// frontRecords lists the FrontendChanged records of s's history as
// "server state" strings, oldest first.
func frontRecords(t *testing.T, s *server) []string {
	t.Helper()
	recs, err := s.eng.QueryHistory(context.Background(), engine.HistoryFilter{Kinds: []event.Kind{event.KindFrontend}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		if r.SetID != frontSet {
			t.Errorf("a frontend record of set %q, want %s", r.SetID, frontSet)
		}
		out = append(out, r.Frontend.Server+" "+r.Frontend.State)
	}
	return out
}

// awaitRecords waits until s's history holds exactly want.
func awaitRecords(t *testing.T, s *server, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := frontRecords(t, s)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("frontend records %q, want %q", got, want)
		}
		time.Sleep(20 * time.Millisecond) // polling the leader's recording
	}
}

// TestFrontendsRecordedByTheLeader: a follower's frontend that cannot
// listen, and then listens, is recorded by the leader naming the follower;
// the leader's own changes name the leader. A new leader records nothing
// the history already says, records once a change made while no one led,
// and a server that comes back with its frontend as before adds nothing.
func TestFrontendsRecordedByTheLeader(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	all := startCluster(t, c, "/cluster-fronts/", 3, QuorumMajority)
	lead := leaderOf(t, 10*time.Second, all)
	rest := others(all, lead)
	follower, third := rest[0], rest[1]

	follower.node.RecordFrontend(frontSet, failedFront())
	awaitRecords(t, lead, follower.name+" failed")
	follower.node.RecordFrontend(frontSet, listeningFront())
	lead.node.RecordFrontend(frontSet, listeningFront())
	third.node.RecordFrontend(frontSet, listeningFront())
	want := []string{follower.name + " failed", follower.name + " listening", lead.name + " listening", third.name + " listening"}
	deadline := time.Now().Add(10 * time.Second)
	for got := frontRecords(t, lead); !sameRecords(got, want); got = frontRecords(t, lead) {
		if time.Now().After(deadline) {
			t.Fatalf("frontend records %q, want %q in some order after the first", got, want)
		}
		time.Sleep(20 * time.Millisecond) // polling the leader's recording
	}
	recs, err := lead.eng.QueryHistory(context.Background(), engine.HistoryFilter{Kinds: []event.Kind{event.KindFrontend}, Limit: 1})
	if err != nil || len(recs) != 1 || recs[0].Origin != lead.name {
		t.Fatalf("the last frontend record %+v (%v), want one made by the leader %s", recs, err, lead.name)
	}
	before := frontRecords(t, lead)

	// The leader goes (its keys with it: nothing is recorded for that);
	// meanwhile the follower's frontend fails again.
	if err := lead.node.Close(); err != nil {
		t.Fatal(err)
	}
	follower.node.RecordFrontend(frontSet, failedFront())
	next := leaderOf(t, 10*time.Second, rest)
	awaitRecords(t, next, append(before, follower.name+" failed")...)

	// The old leader's server comes back with its frontend as before: no
	// record. A change on another server after it shows the new leader has
	// seen the comeback.
	back := startServer(t, c, "/cluster-fronts/", lead.name, QuorumMajority)
	back.node.RecordFrontend(frontSet, listeningFront())
	eventually(t, 10*time.Second, "the returned server published its frontend", func() bool {
		_, err := next.st.Get(context.Background(), frontendKey(lead.name, frontSet))
		return err == nil
	})
	follower.node.RecordFrontend(frontSet, listeningFront())
	awaitRecords(t, next, append(before, follower.name+" failed", follower.name+" listening")...)
}

// sameRecords: got holds want's first record first, then the others in
// any order (three servers publish at once).
func sameRecords(got, want []string) bool {
	if len(got) != len(want) || len(got) == 0 || got[0] != want[0] {
		return false
	}
	a, b := slices.Clone(got[1:]), slices.Clone(want[1:])
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestFrontendKeysLeaveWithTheServer: a server's published frontend
// states are leased: they go when the server leaves the cluster.
func TestFrontendKeysLeaveWithTheServer(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	all := startCluster(t, c, "/cluster-fronts-gone/", 2, QuorumMajority)
	lead := leaderOf(t, 10*time.Second, all)
	follower := others(all, lead)[0]
	follower.node.RecordFrontend("redset:a/b", listeningFront())
	key := frontendKey(follower.name, "redset:a/b")
	eventually(t, 10*time.Second, "the follower's state published", func() bool {
		_, err := lead.st.Get(context.Background(), key)
		return err == nil
	})
	awaitRecordsOf(t, lead, "redset:a/b", follower.name+" listening")
	if err := follower.node.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := lead.st.Get(context.Background(), key); err == nil {
		t.Errorf("%s is still there after its server left", key)
	}
}

func awaitRecordsOf(t *testing.T, s *server, set string, want ...string) {
	t.Helper()
	eventually(t, 10*time.Second, fmt.Sprintf("records %q of %s", want, set), func() bool {
		recs, err := s.eng.QueryHistory(context.Background(), engine.HistoryFilter{SetID: set, Kinds: []event.Kind{event.KindFrontend}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.Frontend.Server+" "+r.Frontend.State)
		}
		return slices.Equal(got, want)
	})
}

// TestFrontendsSingleMode: a single server records its frontends' changes
// itself, at once and without naming a server, as it always did.
func TestFrontendsSingleMode(t *testing.T) {
	st, eng, n := startSingle(t)
	sub := eng.Bus().Subscribe(8, nil)
	defer sub.Close()
	n.RecordFrontend(frontSet, failedFront())
	got := <-sub.C()
	if got.Frontend == nil || *got.Frontend != failedFront() || got.SetID != frontSet {
		t.Fatalf("published %+v, want the frontend's record as given", got)
	}
	kvs, _, err := st.List(context.Background(), "cluster/")
	if err != nil || len(kvs) != 0 {
		t.Errorf("cluster keys on a single server: %v (%v), want none", kvs, err)
	}
}
