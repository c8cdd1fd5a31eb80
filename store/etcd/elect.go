package etcd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/redset/redset/store"
)

// electionPrefix is where, under the store's prefix, the campaigners' keys
// live (one per session, named by its lease).
const electionPrefix = "cluster/election"

var _ store.Elector = (*Store)(nil)

// session is a store.Session over an etcd concurrency session.
type session struct {
	s    *Store
	cs   *concurrency.Session
	ttl  time.Duration
	once sync.Once
	err  error
}

// OpenSession grants a lease of ttl (whole seconds, at least one) and keeps
// it alive until Close or until etcd stops hearing from this process.
func (s *Store) OpenSession(ctx context.Context, ttl time.Duration) (store.Session, error) {
	secs := max(1, int(math.Ceil(ttl.Seconds())))
	var grant *clientv3.LeaseGrantResponse
	err := s.call(ctx, "lease grant", func(ctx context.Context) (err error) {
		grant, err = s.cli.Grant(ctx, int64(secs))
		return err
	})
	if err != nil {
		return nil, err
	}
	cs, err := concurrency.NewSession(s.cli, concurrency.WithLease(grant.ID), concurrency.WithTTL(secs))
	if err != nil {
		return nil, s.mapErr(ctx, "session", err)
	}
	return &session{s: s, cs: cs, ttl: time.Duration(secs) * time.Second}, nil
}

func (ss *session) Done() <-chan struct{} { return ss.cs.Done() }

// Close stops renewing the lease and revokes it, waiting at most the TTL.
func (ss *session) Close() error {
	ss.once.Do(func() {
		ss.cs.Orphan()
		ctx, cancel := context.WithTimeout(context.Background(), ss.ttl)
		defer cancel()
		ss.err = ss.s.call(ctx, "revoke", func(ctx context.Context) error {
			_, err := ss.s.cli.Revoke(ctx, ss.cs.Lease())
			return err
		})
		if errors.Is(ss.err, store.ErrClosed) {
			ss.err = nil // the store's close ended the lease's client anyway
		}
	})
	return ss.err
}

// PutLeased writes key with the session's lease.
func (ss *session) PutLeased(ctx context.Context, key string, value []byte) (int64, error) {
	if key == "" {
		return 0, fmt.Errorf("%w: leased put with an empty key", ErrInvalidTxn)
	}
	var rev int64
	err := ss.s.call(ctx, "leased put", func(ctx context.Context) error {
		resp, err := ss.s.cli.Put(ctx, ss.s.key(key), string(value), clientv3.WithLease(ss.cs.Lease()))
		if err == nil {
			rev = resp.Header.Revision
			ss.s.observe(rev)
		}
		return err
	})
	return rev, err
}

// Campaign waits until this session's key is the oldest of the election.
func (ss *session) Campaign(ctx context.Context, value []byte) (store.Leadership, error) {
	if !ss.s.enter() {
		return nil, store.ErrClosed
	}
	defer ss.s.inflight.Done()
	// Close waits for the calls in flight: a campaign, which may wait
	// long, ends when the store closes.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-ss.s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	el := concurrency.NewElection(ss.cs, ss.s.key(electionPrefix))
	if err := el.Campaign(ctx, string(value)); err != nil {
		return nil, ss.s.mapErr(ctx, "campaign", err)
	}
	l := &leadership{ss: ss, el: el, key: el.Key(), rev: el.Rev()}
	// The campaign ends when every older key is gone, even when the lease
	// (and this key with it) ended meanwhile: check the key still stands.
	if err := l.check(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Observe reports the value of the oldest election key after each change.
func (ss *session) Observe(ctx context.Context) <-chan []byte {
	ch := make(chan []byte, 1)
	if !ss.s.enter() {
		close(ch)
		return ch
	}
	go func() {
		defer ss.s.inflight.Done()
		defer close(ch)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-ss.s.done:
			case <-ss.cs.Done():
			case <-ctx.Done():
			}
			cancel()
		}()
		ss.observe(ctx, ch)
	}()
	return ch
}

// observe reads the leader, then watches the election keys and reads it
// again after each change, sending it whenever it differs from the last
// one sent.
func (ss *session) observe(ctx context.Context, ch chan<- []byte) {
	pfx := ss.s.key(electionPrefix) + "/"
	var last []byte
	sent := false
	backoff := rewatchMin
	for ctx.Err() == nil {
		resp, err := ss.s.cli.Get(ctx, pfx, clientv3.WithFirstCreate()...)
		if err != nil {
			if !ss.s.pause(ctx, &backoff) {
				return
			}
			continue
		}
		backoff = rewatchMin
		var v []byte
		if len(resp.Kvs) > 0 {
			v = resp.Kvs[0].Value
		}
		if !sent || string(v) != string(last) {
			select {
			case ch <- v:
			case <-ctx.Done():
				return
			}
			last, sent = v, true
		}
		wctx, wcancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := ss.s.cli.Watch(wctx, pfx, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
		var ok bool
		select {
		case _, ok = <-wch:
		case <-ctx.Done():
		}
		wcancel()
		if !ok && !ss.s.pause(ctx, &backoff) {
			return
		}
	}
}

// leadership is a won election and its fenced store.
type leadership struct {
	ss  *session
	el  *concurrency.Election
	key string // the etcd key of this campaign
	rev int64  // its create revision
}

func (l *leadership) Done() <-chan struct{} { return l.ss.cs.Done() }

func (l *leadership) Store() store.Store { return &fenced{Store: l.ss.s, l: l} }

// Resign deletes the election key (if it is still this leadership's).
func (l *leadership) Resign(ctx context.Context) error {
	return l.ss.s.call(ctx, "resign", func(ctx context.Context) error {
		_, err := l.ss.s.cli.Txn(ctx).If(l.fence()).Then(clientv3.OpDelete(l.key)).Commit()
		return err
	})
}

// fence holds while the election key is the one this leadership made.
func (l *leadership) fence() clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(l.key), "=", l.rev)
}

// check returns store.ErrFenced when the election key no longer stands.
func (l *leadership) check(ctx context.Context) error {
	var resp *clientv3.GetResponse
	err := l.ss.s.call(ctx, "fence check", func(ctx context.Context) (err error) {
		resp, err = l.ss.s.cli.Get(ctx, l.key)
		return err
	})
	if err != nil {
		return err
	}
	if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != l.rev {
		return store.ErrFenced
	}
	return nil
}

// fenced is the leader's store: the shared store whose commits are
// guarded by the election key.
type fenced struct {
	*Store
	l *leadership
}

// Commit runs txn inside a transaction that first checks the fence: when
// the fence fails nothing is written and the answer is store.ErrFenced;
// when the fence holds but a compare of txn fails, store.ErrConflict.
func (f *fenced) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	s := f.Store
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	if err := validate(txn); err != nil {
		return 0, err
	}
	cmps, ops := s.compares(txn.Compares), s.ops(txn.Ops)
	if len(ops) == 0 {
		ops = []clientv3.Op{clientv3.OpGet(s.prefix, clientv3.WithCountOnly())}
	}
	inner := clientv3.OpTxn(cmps, ops, nil)
	var resp *clientv3.TxnResponse
	err := s.callCommit(ctx, func(ctx context.Context) (err error) {
		resp, err = s.cli.Txn(ctx).If(f.l.fence()).Then(inner).Commit()
		return err
	})
	if err != nil {
		return 0, s.describeLarge(err, txn)
	}
	s.observe(resp.Header.Revision)
	if !resp.Succeeded {
		return 0, store.ErrFenced
	}
	if !resp.Responses[0].GetResponseTxn().Succeeded {
		return 0, store.ErrConflict
	}
	return resp.Header.Revision, nil
}

// Close does not close the shared store: the server still reads from it
// after it stops leading.
func (f *fenced) Close() error { return nil }
