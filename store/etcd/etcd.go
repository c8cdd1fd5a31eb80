// Package etcd is redset's shared store: a store.Store kept in an etcd
// cluster, so that several redset servers can work on one state.
//
// Keys: every key lives under a prefix (Options.Prefix, default
// "/redset/"), so several redset clusters can share one etcd. The prefix
// always ends in "/", so that one prefix is never the start of another's
// keys ("/a/" and "/ab/" stay apart).
//
// Revisions are etcd's own: a key's ModRevision is its etcd mod revision and
// the store revision is the etcd cluster's revision. etcd has one revision
// counter for all its keys, so when other clients (another redset cluster
// under another prefix, say) write to the same etcd, the revision advances
// by their writes too: revisions keep increasing, with gaps. With nobody
// else writing, a transaction that changes something advances the revision
// by exactly one, as the store contract says.
//
// Commit is one etcd transaction (compares, then ops), so it is
// all-or-nothing and acknowledged by an etcd quorum. etcd caps one
// transaction (by default 128 compares and 128 ops, --max-txn-ops, and 1.5
// MiB, --max-request-bytes); a Commit beyond that fails with ErrTooLarge and
// writes nothing. A transaction cannot be split without losing its
// atomicity, so the store does not try.
//
// CommitBatch (store.Batcher) applies many independent transactions with
// few etcd transactions: each becomes a nested transaction, a branch, of
// one etcd transaction, applied when its own compares hold. etcd counts the
// branches and the largest branch together against --max-txn-ops, so a
// batch is sent as several etcd transactions at once when it does not fit
// in one, and split further when a member with lower limits refuses it.
// The branches of one etcd transaction share its revision.
//
// Reads (Get, List, Revision, and a Commit without ops) are linearizable:
// whichever member answers, they see every commit acknowledged before they
// started.
//
// Every call waits at most Options.RequestTimeout for etcd. A Commit whose
// request reached a connection to etcd but got no answer (it timed out, the
// connection broke, etcd lost its quorum meanwhile) fails with
// store.ErrOutcomeUnknown: the write may or may not have happened, and etcd
// may still apply it later (read the key back). A Commit that provably
// never reached etcd (no connection took it before the time ran out) fails
// with ErrUnavailable alone, and one etcd refused (too large, no leader
// known to its member, not permitted) with that refusal: nothing was
// written.
// Close waits for the calls in flight, so nothing a closed Store sent can
// land afterwards.
//
// Watch follows an etcd watch on the prefix. The etcd client reconnects by
// itself and resumes after the last revision delivered; when the watch has
// to be made again (its member lost the leader, say), the store makes it
// from that revision too. When the revisions the watcher still needs were
// compacted away, the watcher is dropped with store.ErrWatchLagged: the
// reader has to list again, as after any lag.
package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/redset/redset/store"
)

// Errors specific to this backend. Callers compare with errors.Is.
var (
	// ErrInvalidTxn: the transaction is malformed (an empty key, the same
	// key written twice, a negative compare revision).
	ErrInvalidTxn = errors.New("etcd: invalid transaction")
	// ErrTooLarge: etcd refused the request for its size: too many compares
	// or ops in one transaction (--max-txn-ops, default 128 of each) or too
	// many bytes (--max-request-bytes, default 1.5 MiB).
	ErrTooLarge = errors.New("etcd: request too large")
	// ErrUnavailable: etcd did not answer in time. A Commit that may have
	// reached etcd also matches store.ErrOutcomeUnknown.
	// It matches store.ErrUnavailable.
	ErrUnavailable = fmt.Errorf("etcd: no answer in time (%w)", store.ErrUnavailable)
	// ErrBadOptions: the options cannot work (no endpoints, unreadable TLS
	// files).
	ErrBadOptions = errors.New("etcd: bad options")
)

// Defaults for zero Options fields.
const (
	DefaultPrefix         = "/redset/"
	DefaultDialTimeout    = 5 * time.Second
	DefaultRequestTimeout = 10 * time.Second
	DefaultWatchBuffer    = 1 << 15
	DefaultPageSize       = 1000
)

// Options says how to reach etcd and where the keys live.
type Options struct {
	// Endpoints are the etcd members' client addresses, host:port or
	// http(s)://host:port.
	Endpoints []string
	// Prefix is put before every key; "/" is added when it does not end in
	// one. Default DefaultPrefix.
	Prefix string
	// DialTimeout bounds how long Open waits to reach etcd. Default
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// RequestTimeout bounds every call to etcd, whatever its context says.
	// Default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// TLS names PEM files; with none set the connection is plain.
	TLS TLSFiles
	// Username and Password log in to etcd when its authentication is on.
	Username string
	Password string
	// WatchBuffer is the number of events a watcher may have unread before
	// it is dropped with store.ErrWatchLagged. Default DefaultWatchBuffer,
	// room for the changes of thousands of sets failing over at once (a
	// follower that is dropped must load the whole state again).
	WatchBuffer int
	// PageSize is how many keys one etcd request of List reads. Default
	// DefaultPageSize.
	PageSize int
	// Logger receives dropped watchers and watch restarts. Default: discard.
	Logger *slog.Logger
}

// TLSFiles names the PEM files of a TLS connection to etcd: CA checks the
// members' certificates (the system's roots when empty); Cert and Key,
// together, are this client's certificate.
type TLSFiles struct {
	CA   string
	Cert string
	Key  string
}

func (f TLSFiles) enabled() bool { return f.CA != "" || f.Cert != "" || f.Key != "" }

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !strings.HasSuffix(o.Prefix, "/") {
		o.Prefix += "/"
	}
	o.DialTimeout = cmpOr(o.DialTimeout, DefaultDialTimeout)
	o.RequestTimeout = cmpOr(o.RequestTimeout, DefaultRequestTimeout)
	o.WatchBuffer = cmpOr(o.WatchBuffer, DefaultWatchBuffer)
	o.PageSize = cmpOr(o.PageSize, DefaultPageSize)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// cmpOr is cmp.Or for numbers that must be positive.
func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Store is a store.Store over an etcd cluster. Safe for concurrent use.
type Store struct {
	cli    *clientv3.Client
	opts   Options
	prefix string
	log    *slog.Logger

	// observed is the newest etcd revision any answer has shown; a new
	// watcher starts after it.
	observed atomic.Int64

	mu       sync.RWMutex // Close holds it to set closed; calls and new watchers share it
	closed   atomic.Bool
	done     chan struct{} // closed by Close
	inflight sync.WaitGroup
	watchers sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

// Open connects to etcd and checks that it answers (and accepts the
// credentials) within the dial timeout.
func Open(ctx context.Context, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	cfg, err := clientConfig(opts)
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd: connecting to %s: %w", strings.Join(opts.Endpoints, ","), err)
	}
	s := &Store{cli: cli, opts: opts, prefix: opts.Prefix, log: opts.Logger, done: make(chan struct{})}
	pctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	if _, err := s.Revision(pctx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("etcd: reaching %s: %w", strings.Join(opts.Endpoints, ","), err)
	}
	return s, nil
}

// reconnect paces the attempts to reach a member that went away: gRPC's
// default lets the pause grow to two minutes, too long for a store that a
// server waits on.
var reconnect = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 3 * time.Second},
	MinConnectTimeout: 5 * time.Second,
}

func clientConfig(opts Options) (clientv3.Config, error) {
	if len(opts.Endpoints) == 0 {
		return clientv3.Config{}, fmt.Errorf("%w: no endpoints", ErrBadOptions)
	}
	if (opts.Username == "") != (opts.Password == "") {
		return clientv3.Config{}, fmt.Errorf("%w: username and password go together", ErrBadOptions)
	}
	cfg := clientv3.Config{
		Endpoints:            opts.Endpoints,
		DialTimeout:          opts.DialTimeout,
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: 5 * time.Second,
		Username:             opts.Username,
		Password:             opts.Password,
		Logger:               zap.NewNop(),
		DialOptions:          []grpc.DialOption{grpc.WithConnectParams(reconnect), grpc.WithStatsHandler(sentTracker{})},
	}
	if opts.TLS.enabled() {
		tc, err := loadTLS(opts.TLS)
		if err != nil {
			return clientv3.Config{}, err
		}
		cfg.TLS = tc
	}
	return cfg, nil
}

// Prefix is the etcd key prefix of every key of this store.
func (s *Store) Prefix() string { return s.prefix }

// key is the etcd key of a store key.
func (s *Store) key(k string) string { return s.prefix + k }

// observe records a revision etcd answered with.
func (s *Store) observe(rev int64) {
	for {
		old := s.observed.Load()
		if rev <= old || s.observed.CompareAndSwap(old, rev) {
			return
		}
	}
}

// call runs one etcd request under the request timeout and turns its error
// into the store's terms. Close waits for the calls in flight.
func (s *Store) call(ctx context.Context, op string, f func(context.Context) error) error {
	if !s.enter() {
		return store.ErrClosed
	}
	defer s.inflight.Done()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("etcd: %s: %w", op, err)
	}
	rctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	return s.mapErr(ctx, op, f(rctx))
}

// enter counts a call in flight; false once the store is closed.
func (s *Store) enter() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return false
	}
	s.inflight.Add(1)
	return true
}

// mapErr gives an etcd client error its kind.
func (s *Store) mapErr(ctx context.Context, op string, err error) error {
	switch {
	case err == nil:
		return nil
	case s.closed.Load():
		return store.ErrClosed
	case ctx.Err() != nil:
		return fmt.Errorf("etcd: %s: %w", op, ctx.Err())
	case tooLarge(err):
		return fmt.Errorf("%w (%s): %w", ErrTooLarge, op, err)
	case errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded:
		return fmt.Errorf("%w (%s, %v): %w", ErrUnavailable, op, s.opts.RequestTimeout, err)
	case noLeader(err):
		return fmt.Errorf("%w (%s, %v: the etcd member knows no leader): %w", ErrUnavailable, op, s.opts.RequestTimeout, err)
	}
	return fmt.Errorf("etcd: %s: %w", op, err)
}

func tooLarge(err error) bool {
	return errors.Is(err, rpctypes.ErrTooManyOps) || errors.Is(err, rpctypes.ErrRequestTooLarge) ||
		status.Code(err) == codes.ResourceExhausted
}

// Get returns the key's current value, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	var resp *clientv3.GetResponse
	err := s.call(ctx, "get", func(ctx context.Context) (err error) {
		resp, err = s.cli.Get(ctx, s.key(key))
		return err
	})
	if err != nil {
		return store.KV{}, err
	}
	s.observe(resp.Header.Revision)
	if len(resp.Kvs) == 0 {
		return store.KV{}, store.ErrNotFound
	}
	return store.KV{Key: key, Value: resp.Kvs[0].Value, ModRevision: resp.Kvs[0].ModRevision}, nil
}

// Revision returns the etcd cluster's current revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var resp *clientv3.GetResponse
	err := s.call(ctx, "revision", func(ctx context.Context) (err error) {
		resp, err = s.cli.Get(ctx, s.prefix, clientv3.WithCountOnly())
		return err
	})
	if err != nil {
		return 0, err
	}
	s.observe(resp.Header.Revision)
	return resp.Header.Revision, nil
}

// Close ends every watcher with store.ErrClosed, waits for the calls in
// flight (at most the request timeout), and disconnects from etcd. Once it
// returns, nothing this Store sent can still change etcd: a call it had
// given up on could otherwise land later.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return store.ErrClosed
	}
	s.closed.Store(true)
	close(s.done)
	s.mu.Unlock()
	s.inflight.Wait()
	s.watchers.Wait()
	if err := s.cli.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("etcd: close: %w", err)
	}
	return nil
}
