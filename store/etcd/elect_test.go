package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/redset/redset/store"
	"github.com/redset/redset/store/etcd"
	"github.com/redset/redset/store/etcd/etcdtest"
)

func session(t *testing.T, s *etcd.Store, ttl time.Duration) store.Session {
	t.Helper()
	ss, err := s.OpenSession(context.Background(), ttl)
	if err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	return ss
}

type won struct {
	l   store.Leadership
	err error
}

func campaign(ss store.Session, value string) <-chan won {
	ch := make(chan won, 1)
	go func() {
		l, err := ss.Campaign(context.Background(), []byte(value))
		ch <- won{l, err}
	}()
	return ch
}

// waitLeader waits for an observer to report want.
func waitLeader(t *testing.T, obs <-chan []byte, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case v, ok := <-obs:
			if !ok {
				t.Fatalf("observer closed before it saw leader %q", want)
			}
			if string(v) == want {
				return
			}
		case <-deadline:
			t.Fatalf("observer did not see leader %q in time", want)
		}
	}
}

// TestElection: of two campaigners one leads; the other takes over when the
// leader's session closes, and observers follow.
func TestElection(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	prefix := freshPrefix()
	a, b := open(t, c.Endpoints(), prefix), open(t, c.Endpoints(), prefix)
	sa, sb := session(t, a, time.Second), session(t, b, time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := sb.Observe(ctx)
	if v := <-obs; len(v) != 0 {
		t.Fatalf("first observation = %q, want no leader", v)
	}
	wa := <-campaign(sa, "a")
	if wa.err != nil {
		t.Fatalf("campaign a: %v", wa.err)
	}
	waitLeader(t, obs, "a")
	cb := campaign(sb, "b")
	select {
	case w := <-cb:
		t.Fatalf("b won (%v) while a leads", w.err)
	case <-time.After(300 * time.Millisecond): // b must still be waiting after a while
	}
	if err := sa.Close(); err != nil {
		t.Fatalf("close a's session: %v", err)
	}
	select {
	case w := <-cb:
		if w.err != nil {
			t.Fatalf("campaign b: %v", w.err)
		}
		if _, err := w.l.Store().Commit(context.Background(), store.Txn{Ops: []store.Op{{Key: "k", Value: []byte("b")}}}); err != nil {
			t.Fatalf("b's fenced commit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b did not take over after a's session closed")
	}
	waitLeader(t, obs, "b")
	// a's fenced store can no longer commit.
	_, err := wa.l.Store().Commit(context.Background(), store.Txn{Ops: []store.Op{{Key: "k", Value: []byte("a")}}})
	if !errors.Is(err, store.ErrFenced) {
		t.Fatalf("deposed leader's commit error = %v, want ErrFenced", err)
	}
	if kv, _ := a.Get(context.Background(), "k"); string(kv.Value) != "b" {
		t.Fatalf("k = %q after the deposed leader's commit, want %q", kv.Value, "b")
	}
}

// TestElectionExpiry: a leader whose lease expires (it stopped renewing it,
// like a frozen process) is replaced, and its fenced store writes nothing.
func TestElectionExpiry(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	prefix := freshPrefix()
	a, b := open(t, c.Endpoints(), prefix), open(t, c.Endpoints(), prefix)
	sa, sb := session(t, a, time.Second), session(t, b, time.Second)
	wa := <-campaign(sa, "a")
	if wa.err != nil {
		t.Fatal(wa.err)
	}
	cb := campaign(sb, "b")
	// Revoke a's lease behind its back: a still believes it leads.
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	leases, err := cli.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cli.Get(context.Background(), prefix+"cluster/election/", clientv3.WithFirstCreate()...)
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("election keys: %v, %d", err, len(resp.Kvs))
	}
	lead := clientv3.LeaseID(resp.Kvs[0].Lease)
	if len(leases.Leases) < 2 {
		t.Fatalf("%d leases, want 2", len(leases.Leases))
	}
	if _, err := cli.Revoke(context.Background(), lead); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-cb:
		if w.err != nil {
			t.Fatalf("campaign b: %v", w.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b did not take over after a's lease ended")
	}
	before, _ := a.Revision(context.Background())
	_, err = wa.l.Store().Commit(context.Background(), store.Txn{Ops: []store.Op{{Key: "x", Value: []byte("a")}}})
	if !errors.Is(err, store.ErrFenced) {
		t.Fatalf("commit after the lease ended: error = %v, want ErrFenced", err)
	}
	if _, err := a.Get(context.Background(), "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the fenced commit wrote x: Get error = %v", err)
	}
	if after, _ := a.Revision(context.Background()); after != before {
		t.Fatalf("revision moved from %d to %d on a fenced commit", before, after)
	}
}

// TestFencedConflict: with the fence holding, a failed compare is an
// ordinary conflict, and leased keys go with their session.
func TestFencedConflict(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	s := open(t, c.Endpoints(), freshPrefix())
	ss := session(t, s, time.Second)
	w := <-campaign(ss, "a")
	if w.err != nil {
		t.Fatal(w.err)
	}
	fs := w.l.Store()
	rev, err := fs.Commit(context.Background(), store.Txn{Ops: []store.Op{{Key: "k", Value: []byte("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fs.Commit(context.Background(), store.Txn{Compares: []store.Compare{{Key: "k", ModRevision: rev - 1}}, Ops: []store.Op{{Key: "k", Value: []byte("2")}}})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale compare: error = %v, want ErrConflict", err)
	}
	if _, err := ss.PutLeased(context.Background(), "servers/a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "servers/a"); err != nil {
		t.Fatalf("leased key: %v", err)
	}
	if err := w.l.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Commit(context.Background(), store.Txn{Ops: []store.Op{{Key: "k", Value: []byte("3")}}}); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("commit after Resign: error = %v, want ErrFenced", err)
	}
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "servers/a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("leased key after the session closed: error = %v, want ErrNotFound", err)
	}
}

// TestCampaignEndsOnClose: a campaign waiting its turn ends with ErrClosed
// when its store closes, and the close does not wait for it.
func TestCampaignEndsOnClose(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	prefix := freshPrefix()
	a, b := open(t, c.Endpoints(), prefix), open(t, c.Endpoints(), prefix)
	if w := <-campaign(session(t, a, time.Second), "a"); w.err != nil {
		t.Fatal(w.err)
	}
	cb := campaign(session(t, b, time.Second), "b")
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a campaign")
	}
	select {
	case w := <-cb:
		if !errors.Is(w.err, store.ErrClosed) {
			t.Fatalf("campaign after Close: error = %v, want ErrClosed", w.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the campaign did not end when its store closed")
	}
}

// TestFencedLargeCommit: etcd counts a fenced commit's nested ops against
// the same --max-txn-ops budget (128) as the fence itself, so the largest
// commit the engine makes (a history batch of 100 ops) must pass, and one
// of 128 ops is refused whole as too large.
func TestFencedLargeCommit(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	s := open(t, c.Endpoints(), freshPrefix())
	w := <-campaign(session(t, s, time.Second), "a")
	if w.err != nil {
		t.Fatal(w.err)
	}
	ops := func(n int) store.Txn {
		var txn store.Txn
		for i := range n {
			txn.Ops = append(txn.Ops, store.Op{Key: fmt.Sprintf("h/%03d", i), Value: []byte("r")})
		}
		return txn
	}
	if _, err := w.l.Store().Commit(context.Background(), ops(100)); err != nil {
		t.Fatalf("fenced commit of 100 ops: %v", err)
	}
	if _, err := w.l.Store().Commit(context.Background(), ops(128)); !errors.Is(err, etcd.ErrTooLarge) {
		t.Fatalf("fenced commit of 128 ops: error = %v, want ErrTooLarge", err)
	}
}
