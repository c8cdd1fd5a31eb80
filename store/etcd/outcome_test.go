package etcd_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redset/redset/store"
	"github.com/redset/redset/store/etcd"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// TestQuorumLostOutcome: in a three-member cluster whose two followers
// stop, a commit sent to the leader left alone cannot be acknowledged: it
// fails, within the request timeout, with store.ErrOutcomeUnknown (the
// leader took it into its log, and a later leader may apply it). Once that
// member knows it leads nobody, a commit is refused (it is asked again
// until the request timeout) and is never applied: it fails with ErrUnavailable alone. With the members back, the refused write is absent and the
// store works again.
func TestQuorumLostOutcome(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 3, etcdtest.Options{})
	leader := c.Leader()
	if leader == nil {
		t.Fatal("no member leads the cluster")
	}
	const timeout = 2 * time.Second
	s := open(t, []string{leader.Endpoint()}, freshPrefix(), func(o *etcd.Options) { o.RequestTimeout = timeout })
	commit(t, s, put("before", "1"))

	var others []*etcdtest.Member
	for _, m := range c.Members {
		if m != leader {
			others = append(others, m)
			m.Stop()
		}
	}
	start := time.Now()
	_, inflight := s.Commit(context.Background(), store.Txn{Ops: []store.Op{put("inflight", "x")}})
	took := time.Since(start)
	if !errors.Is(inflight, store.ErrOutcomeUnknown) {
		t.Errorf("commit sent as the quorum was lost: error = %v, want ErrOutcomeUnknown", inflight)
	}
	if took > timeout+time.Second {
		t.Errorf("commit sent as the quorum was lost answered after %v, want within the %v request timeout", took, timeout)
	}

	waitNoLeader(t, c)
	_, refused := s.Commit(context.Background(), store.Txn{Ops: []store.Op{put("refused", "x")}})
	if !errors.Is(refused, etcd.ErrUnavailable) || errors.Is(refused, store.ErrOutcomeUnknown) {
		t.Errorf("commit to a member that knows no leader: error = %v, want ErrUnavailable and not ErrOutcomeUnknown", refused)
	}

	for _, m := range others {
		m.Restart(t)
	}
	commitEventually(t, s, "after", "2")
	if _, err := s.Get(context.Background(), "refused"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(refused) after the quorum returned: error = %v, want ErrNotFound (it was refused)", err)
	}
	if kv, err := s.Get(context.Background(), "inflight"); err == nil {
		t.Logf("the commit whose outcome was unknown was applied later, at revision %d", kv.ModRevision)
	} else if errors.Is(err, store.ErrNotFound) {
		t.Log("the commit whose outcome was unknown was not applied")
	} else {
		t.Errorf("Get(inflight) after the quorum returned: %v", err)
	}
}

// waitNoLeader polls until no running member of c leads. The member left
// was the leader: once it stepped down it knows no leader, since no other
// member runs to tell it of one.
func waitNoLeader(t *testing.T, c *etcdtest.Cluster) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for c.Leader() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("a member still leads %v after the quorum was lost", waitTimeout)
		}
		time.Sleep(20 * time.Millisecond) // polling the member's own view; there is nothing to wait on
	}
}
