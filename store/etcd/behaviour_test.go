package etcd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/redset/redset/store"
	"github.com/redset/redset/store/etcd"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// waitTimeout bounds every wait for an event, a closed watcher or a
// recovered cluster.
const waitTimeout = 20 * time.Second

func put(key, value string) store.Op { return store.Op{Key: key, Value: []byte(value)} }

func commit(t testing.TB, s store.Store, o ...store.Op) int64 {
	t.Helper()
	rev, err := s.Commit(context.Background(), store.Txn{Ops: o})
	if err != nil {
		t.Fatalf("Commit error = %v", err)
	}
	return rev
}

// commitEventually retries a put until it succeeds or the deadline passes.
func commitEventually(t testing.TB, s store.Store, key, value string) int64 {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		rev, err := s.Commit(context.Background(), store.Txn{Ops: []store.Op{put(key, value)}})
		if err == nil {
			return rev
		}
		if time.Now().After(deadline) {
			t.Fatalf("Commit of %s still failing after %v: %v", key, waitTimeout, err)
		}
	}
}

// recv reads n events, failing on a close or the deadline.
func recv(t testing.TB, w store.Watcher, n int) []store.Event {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	var got []store.Event
	for len(got) < n {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("watcher closed after %d of %d events, Err() = %v", len(got), n, w.Err())
			}
			got = append(got, ev)
		case <-timer.C:
			t.Fatalf("got %d of %d events before the deadline", len(got), n)
		}
	}
	return got
}

// closed waits for w to close and returns the events it still delivered.
func closed(t testing.TB, w store.Watcher) []store.Event {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	var got []store.Event
	for {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-timer.C:
			t.Fatalf("watcher not closed before the deadline (%d events)", len(got))
		}
	}
}

func ev(key, value string, rev int64) store.Event {
	return store.Event{KV: store.KV{Key: key, Value: []byte(value), ModRevision: rev}}
}

// rawClient is a plain etcd client for what the store does not do
// (compaction, users); closed when the test ends.
func rawClient(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func compact(t testing.TB, cli *clientv3.Client, rev int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("Compact(%d) error = %v", rev, err)
	}
}

// TestPrefixesIsolated: two stores under "/iso/a" and "/iso/ab" (made
// "/iso/a/" and "/iso/ab/") share one etcd without seeing each other.
func TestPrefixesIsolated(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	a := open(t, c.Endpoints(), "/iso/a")
	b := open(t, c.Endpoints(), "/iso/ab")
	wa := a.Watch(t.Context(), "")
	ra := commit(t, a, put("k", "A"))
	commit(t, b, put("k", "B"), put("x", "B"))
	end := commit(t, a, put("end", ""))

	if got, err := a.Get(context.Background(), "k"); err != nil || string(got.Value) != "A" {
		t.Errorf("a.Get(k) = %+v, %v; want A", got, err)
	}
	if _, err := a.Get(context.Background(), "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a.Get(x) error = %v, want ErrNotFound", err)
	}
	kvs, _, err := b.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(kvs), 2; got != want || kvs[0].Key != "k" || string(kvs[0].Value) != "B" {
		t.Errorf("b.List = %+v, want k=B and x=B", kvs)
	}
	want := []store.Event{ev("k", "A", ra), ev("end", "", end)}
	if diff := cmp.Diff(want, recv(t, wa, 2), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("a's watcher (-want +got):\n%s", diff)
	}
	raw, err := rawClient(t, c.Endpoints()).Get(context.Background(), "/iso/a/k")
	if err != nil || len(raw.Kvs) != 1 || string(raw.Kvs[0].Value) != "A" {
		t.Errorf("etcd key /iso/a/k = %v, %v; want A", raw, err)
	}
}

// TestWatchSurvivesCompaction: a watcher that keeps up is not disturbed
// by a compaction of the revisions it has already received.
func TestWatchSurvivesCompaction(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	s := open(t, c.Endpoints(), freshPrefix())
	w := s.Watch(t.Context(), "")
	r1 := commit(t, s, put("one", "1"))
	recv(t, w, 1)
	compact(t, rawClient(t, c.Endpoints()), r1)
	r2 := commit(t, s, put("two", "2"))
	if diff := cmp.Diff([]store.Event{ev("two", "2", r2)}, recv(t, w, 1)); diff != "" {
		t.Errorf("event after the compaction (-want +got):\n%s", diff)
	}
	if err := w.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
}

// TestWatchNeedsCompactedRevisions: a watcher whose start revision was
// compacted away is dropped with ErrWatchLagged; listing again and
// watching anew works.
func TestWatchNeedsCompactedRevisions(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	prefix := freshPrefix()
	stale := open(t, c.Endpoints(), prefix) // has seen only the revision at its start
	other := open(t, c.Endpoints(), prefix)
	commit(t, other, put("a", "1"))
	commit(t, other, put("b", "2"))
	last := commit(t, other, put("c", "3"))
	compact(t, rawClient(t, c.Endpoints()), last)

	w := stale.Watch(t.Context(), "")
	if got := closed(t, w); len(got) != 0 {
		t.Errorf("dropped watcher delivered %+v, want nothing", got)
	}
	if err := w.Err(); !errors.Is(err, store.ErrWatchLagged) {
		t.Fatalf("Err() = %v, want ErrWatchLagged", err)
	}

	kvs, rev, err := stale.List(context.Background(), "")
	if err != nil || len(kvs) != 3 || rev != last {
		t.Fatalf("List = %d keys at %d, %v; want 3 at %d", len(kvs), rev, err, last)
	}
	again := stale.Watch(t.Context(), "")
	next := commit(t, other, put("d", "4"))
	if diff := cmp.Diff([]store.Event{ev("d", "4", next)}, recv(t, again, 1)); diff != "" {
		t.Errorf("new watcher (-want +got):\n%s", diff)
	}
}

// TestClientReconnects: with the only member down, calls fail with
// ErrUnavailable (a commit caught in the stop: ErrOutcomeUnknown) within
// the request timeout; once it is back the same
// Store works again and its watcher resumes without losing an event.
func TestClientReconnects(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	s := open(t, c.Endpoints(), freshPrefix(), func(o *etcd.Options) { o.RequestTimeout = 500 * time.Millisecond })
	w := s.Watch(t.Context(), "")
	r1 := commit(t, s, put("before", "1"))
	recv(t, w, 1)

	c.Members[0].Stop()
	start := time.Now()
	// A commit sent on the connection the stopping member was closing has
	// an unknown outcome; one that finds no member is refused unsent.
	if _, err := s.Commit(context.Background(), store.Txn{Ops: []store.Op{put("down", "x")}}); !errors.Is(err, etcd.ErrUnavailable) && !errors.Is(err, store.ErrOutcomeUnknown) {
		t.Errorf("Commit with etcd down: error = %v, want ErrUnavailable or ErrOutcomeUnknown", err)
	}
	if _, err := s.Get(context.Background(), "before"); !errors.Is(err, etcd.ErrUnavailable) {
		t.Errorf("Get with etcd down: error = %v, want ErrUnavailable", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("two calls with etcd down took %v, want about twice the 500ms request timeout", took)
	}

	c.Members[0].Restart(t)
	r2 := commitEventually(t, s, "after", "2")
	got := recv(t, w, 1)
	// The write made while etcd was down may have landed before the stop;
	// then its event comes first.
	if got[0].KV.Key == "down" {
		got = recv(t, w, 1)
	}
	if diff := cmp.Diff([]store.Event{ev("after", "2", r2)}, got); diff != "" {
		t.Errorf("event after the reconnect (-want +got):\n%s", diff)
	}
	if kv, err := s.Get(context.Background(), "before"); err != nil || kv.ModRevision != r1 {
		t.Errorf("Get(before) = %+v, %v; want revision %d", kv, err, r1)
	}
}

// TestMemberStopped: in a three-member cluster, stopping the leader
// leaves the store working (after an election), its watcher following,
// and the member catches up when it comes back.
func TestMemberStopped(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 3, etcdtest.Options{})
	s := open(t, c.Endpoints(), freshPrefix(), func(o *etcd.Options) { o.RequestTimeout = 2 * time.Second })
	w := s.Watch(t.Context(), "")
	commit(t, s, put("before", "1"))
	recv(t, w, 1)

	leader := c.Leader()
	if leader == nil {
		t.Fatal("no member leads the cluster")
	}
	leader.Stop()
	first := commitEventually(t, s, "k/0", "v")
	want := []store.Event{ev("k/0", "v", first)}
	for i := 1; i < 20; i++ {
		rev := commit(t, s, put(fmt.Sprintf("k/%d", i), "v"))
		want = append(want, ev(fmt.Sprintf("k/%d", i), "v", rev))
	}
	got := recv(t, w, len(want))
	for len(got) > 0 && got[0].KV.Key != "k/0" { // tries that landed before failing
		got = append(got[1:], recv(t, w, 1)...)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("watcher across the leader's stop (-want +got):\n%s", diff)
	}

	leader.Restart(t)
	back := open(t, []string{leader.Endpoint()}, s.Prefix())
	last := want[len(want)-1]
	if kv, err := back.Get(context.Background(), last.KV.Key); err != nil || kv.ModRevision != last.KV.ModRevision {
		t.Errorf("restarted member: Get(%s) = %+v, %v; want revision %d", last.KV.Key, kv, err, last.KV.ModRevision)
	}
}

// TestWatchAcrossCompactionWhileDisconnected: a watcher whose only member
// is down while the others write and compact either gets the missed
// changes when it reconnects, or is dropped with ErrWatchLagged; it never
// skips a change silently.
func TestWatchAcrossCompactionWhileDisconnected(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 3, etcdtest.Options{})
	prefix := freshPrefix()
	m0 := c.Members[0]
	a := open(t, []string{m0.Endpoint()}, prefix)
	wa := a.Watch(t.Context(), "")
	commit(t, a, put("k0", "0"))
	recv(t, wa, 1)

	m0.Stop()
	others := []string{c.Members[1].Endpoint(), c.Members[2].Endpoint()}
	b := open(t, others, prefix)
	r1 := commitEventually(t, b, "k1", "1")
	r2 := commit(t, b, put("k2", "2"))
	compact(t, rawClient(t, others), r2)
	m0.Restart(t)
	r3 := commit(t, b, put("k3", "3"))

	first, ok := nextEvent(t, wa)
	if !ok {
		if err := wa.Err(); !errors.Is(err, store.ErrWatchLagged) {
			t.Fatalf("watcher closed with Err() = %v, want ErrWatchLagged", err)
		}
		t.Log("the watcher was dropped: the revisions it needed were compacted")
		return
	}
	want := []store.Event{ev("k1", "1", r1), ev("k2", "2", r2), ev("k3", "3", r3)}
	got := append([]store.Event{first}, recv(t, wa, 2)...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resumed watcher (-want +got):\n%s", diff)
	}
	t.Log("the watcher resumed before the member applied the compaction")
}

// nextEvent reads one event; false when the watcher closed.
func nextEvent(t testing.TB, w store.Watcher) (store.Event, bool) {
	t.Helper()
	select {
	case ev, ok := <-w.Events():
		return ev, ok
	case <-time.After(waitTimeout):
		t.Fatalf("no event and no close before the deadline")
	}
	return store.Event{}, false
}

// TestTooLarge: a transaction beyond etcd's limits fails with ErrTooLarge
// and writes nothing; one at the limit commits.
func TestTooLarge(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	s := open(t, c.Endpoints(), freshPrefix())
	before := commit(t, s, put("k", "v"))
	many := func(n int) store.Txn {
		var txn store.Txn
		for i := range n {
			txn.Ops = append(txn.Ops, put(fmt.Sprintf("many/%d", i), "v"))
		}
		return txn
	}
	big := func(size int) store.Txn {
		return store.Txn{Ops: []store.Op{{Key: "big", Value: bytes.Repeat([]byte("x"), size)}}}
	}
	tests := []struct {
		name string
		txn  store.Txn
	}{
		{"129 ops", many(int(embed.DefaultMaxTxnOps) + 1)},
		{"129 compares", store.Txn{Compares: make([]store.Compare, embed.DefaultMaxTxnOps+1), Ops: []store.Op{put("c", "v")}}},
		{"1.6 MiB value (over etcd's request limit)", big(1600 << 10)},
		{"3 MiB value (over the client's send limit)", big(3 << 20)},
	}
	for i := range tests[1].txn.Compares {
		tests[1].txn.Compares[i] = store.Compare{Key: fmt.Sprintf("c/%d", i)}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Commit(context.Background(), tc.txn)
			if !errors.Is(err, etcd.ErrTooLarge) {
				t.Fatalf("Commit error = %v, want ErrTooLarge", err)
			}
			if rev, err := s.Revision(context.Background()); err != nil || rev != before {
				t.Errorf("Revision() = %d, %v; want unchanged %d", rev, err, before)
			}
		})
	}
	if _, err := s.Commit(context.Background(), many(int(embed.DefaultMaxTxnOps))); err != nil {
		t.Errorf("Commit of 128 ops error = %v, want nil", err)
	}
}

// TestListPages: a listing longer than a page is one snapshot in key order.
func TestListPages(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	s := open(t, c.Endpoints(), freshPrefix(), func(o *etcd.Options) { o.PageSize = 7 })
	var want []string
	for i := range 5 {
		var ops []store.Op
		for j := range 10 {
			key := fmt.Sprintf("p/%d%d", i, j)
			ops = append(ops, put(key, "v"))
			want = append(want, key)
		}
		commit(t, s, ops...)
	}
	last := commit(t, s, put("q", "outside"))
	kvs, rev, err := s.List(context.Background(), "p/")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, kv := range kvs {
		got = append(got, kv.Key)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List keys (-want +got):\n%s", diff)
	}
	if rev != last {
		t.Errorf("List revision = %d, want %d", rev, last)
	}
}

// TestAuth: with etcd's authentication on, Open needs the right
// credentials.
func TestAuth(t *testing.T) {
	c := etcdtest.Start(t, 1, etcdtest.Options{Configure: func(cfg *embed.Config) { cfg.BcryptCost = 4 }}) // bcrypt's least cost: etcd hashes passwords
	cli := rawClient(t, c.Endpoints())
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for _, step := range []func() error{
		func() error { _, err := cli.UserAdd(ctx, "root", "root-pw"); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := cli.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatalf("setting up authentication: %v", err)
		}
	}
	tests := []struct {
		name, user, password string
		ok                   bool
	}{
		{"no credentials", "", "", false},
		{"wrong password", "root", "nope", false},
		{"right password", "root", "root-pw", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := etcd.Open(context.Background(), etcd.Options{Endpoints: c.Endpoints(), Username: tc.user, Password: tc.password, DialTimeout: 5 * time.Second})
			if !tc.ok {
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Open error = %v", err)
			}
			defer s.Close()
			commit(t, s, put("k", "v"))
		})
	}
}

// TestOpenUnreachable: Open gives up after the dial timeout.
func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	s, err := etcd.Open(context.Background(), etcd.Options{Endpoints: []string{addr}, DialTimeout: 300 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open of a closed port succeeded")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Open took %v, want about the 300ms dial timeout", took)
	}
}

func TestBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts etcd.Options
	}{
		{"no endpoints", etcd.Options{}},
		{"username without password", etcd.Options{Endpoints: []string{"127.0.0.1:1"}, Username: "u"}},
		{"cert without key", etcd.Options{Endpoints: []string{"127.0.0.1:1"}, TLS: etcd.TLSFiles{Cert: "c.pem"}}},
		{"missing CA file", etcd.Options{Endpoints: []string{"127.0.0.1:1"}, TLS: etcd.TLSFiles{CA: t.TempDir() + "/none.pem"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := etcd.Open(context.Background(), tc.opts); !errors.Is(err, etcd.ErrBadOptions) {
				t.Errorf("Open error = %v, want ErrBadOptions", err)
			}
		})
	}
}
