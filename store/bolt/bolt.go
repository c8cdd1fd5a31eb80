// Package bolt is redset's embedded store: a store.Store kept in one bbolt
// file on local disk.
//
// Layout: bucket "kv" maps each key to its value prefixed with the 8-byte
// big-endian revision that last wrote it; bucket "meta" holds the store
// revision under "rev".
//
// Writes go through a single committer goroutine that groups every
// transaction waiting at that moment into one bbolt read-write transaction
// and one fsync (group commit). A lone Commit is written at once, so its
// latency is one fsync; under load, thousands of concurrent commits share a
// handful of fsyncs. Within a batch each transaction is checked against the
// state left by the transactions before it, so conflicting transactions in
// the same batch resolve exactly as if they had been committed one by one.
//
// Revisions: a transaction that changes at least one key (a put, or a delete
// of an existing key) advances the store revision by exactly one, and all its
// writes carry that revision. A transaction that changes nothing (no ops, or
// only deletes of missing keys) leaves the revision alone and Commit returns
// the current revision.
//
// Reads (Get, List, Revision) run in bbolt read transactions and never wait
// for the committer.
package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/redset/redset/store"
)

// Errors specific to this backend. Callers compare with errors.Is.
var (
	// ErrLocked: another process (or another Store in this process) holds
	// the database file open.
	ErrLocked = errors.New("bolt: database file is in use by another process")
	// ErrInvalidTxn: the transaction is malformed (empty or oversized key or
	// value, the same key written twice, a negative compare revision).
	ErrInvalidTxn = errors.New("bolt: invalid transaction")
	// ErrCorrupt: the file holds data this package did not write.
	ErrCorrupt = errors.New("bolt: corrupt database")
)

// Defaults for zero Options fields.
const (
	DefaultWatchBuffer = 1024
	DefaultLockTimeout = 2 * time.Second
	DefaultMaxBatch    = 1000
)

var (
	bucketKV   = []byte("kv")
	bucketMeta = []byte("meta")
	keyRev     = []byte("rev")
)

// Options tunes a Store. The zero value is the production setting.
type Options struct {
	// NoSync skips fsync on commit. Only for tests: an acknowledged commit
	// may be lost if the machine crashes.
	NoSync bool
	// WatchBuffer is the number of events a watcher may have unread before
	// it is dropped with store.ErrWatchLagged. Default DefaultWatchBuffer.
	WatchBuffer int
	// LockTimeout bounds how long Open waits for the file lock held by
	// another process. Default DefaultLockTimeout.
	LockTimeout time.Duration
	// MaxBatch caps the number of transactions in one group commit.
	// Default DefaultMaxBatch.
	MaxBatch int
	// Logger receives commit failures and dropped watchers. Default: discard.
	Logger *slog.Logger
	// OnBatch, when set, is called by the committer after each batch with
	// the number of transactions it held, before they are acknowledged.
	// It must return quickly; it suits metrics.
	OnBatch func(txns int)

	// maxSize caps the file size (bbolt MaxSize); tests use it to make a
	// commit fail.
	maxSize int
	// freelistSync writes bbolt's freelist on every commit instead of
	// rebuilding it on open; benchmarks compare the two.
	freelistSync bool
}

func (o Options) withDefaults() Options {
	if o.WatchBuffer <= 0 {
		o.WatchBuffer = DefaultWatchBuffer
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Store is a store.Store over one bbolt file. Safe for concurrent use.
type Store struct {
	db        *bbolt.DB
	log       *slog.Logger
	committer *committer
	hub       *hub
	closed    atomic.Bool
	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store file at path. If another
// process holds the file, Open fails with ErrLocked after opts.LockTimeout.
func Open(path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:        opts.LockTimeout,
		NoSync:         opts.NoSync,
		NoFreelistSync: !opts.freelistSync,
		FreelistType:   bbolt.FreelistMapType,
		MaxSize:        opts.maxSize,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %v)", ErrLocked, path, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	if err := db.Update(initBuckets); err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	s := &Store{db: db, log: opts.Logger, hub: newHub(opts.WatchBuffer, opts.Logger)}
	s.committer = startCommitter(db, s.hub, opts)
	return s, nil
}

// initBuckets creates the buckets of a new file and checks an old one.
func initBuckets(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketKV); err != nil {
		return err
	}
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if v := meta.Get(keyRev); v != nil {
		_, err := decodeRev(v)
		return err
	}
	return meta.Put(keyRev, encodeRev(0))
}

// Get returns the key's current value, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	var kv store.KV
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketKV).Get([]byte(key))
		if raw == nil {
			return store.ErrNotFound
		}
		var err error
		kv, err = decodeKV(key, raw)
		return err
	})
	return kv, err
}

// List returns every key with the given prefix in key (byte) order and the
// store revision of the same snapshot.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	var (
		kvs []store.KV
		rev int64
	)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		if rev, err = readRev(tx); err != nil {
			return err
		}
		kvs, err = listPrefix(tx, prefix)
		return err
	})
	return kvs, rev, err
}

func listPrefix(tx *bbolt.Tx, prefix string) ([]store.KV, error) {
	var kvs []store.KV
	c := tx.Bucket(bucketKV).Cursor()
	for k, v := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, v = c.Next() {
		kv, err := decodeKV(string(k), v)
		if err != nil {
			return nil, err
		}
		kvs = append(kvs, kv)
	}
	return kvs, nil
}

// Revision returns the revision of the last committed transaction.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		rev, err = readRev(tx)
		return err
	})
	return rev, err
}

// view runs fn in a read transaction, mapping a closed database to
// store.ErrClosed.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	err := s.db.View(fn)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return store.ErrClosed
	}
	return err
}

// Commit applies txn atomically and durably; see the package comment for
// revisions and store.Store for the contract.
//
// Context: Commit returns ctx.Err() only when txn was not applied. If ctx
// ends while txn waits in the queue, Commit returns at once; once the
// committer has taken txn into a batch, Commit waits for that batch (one
// fsync) and reports its real outcome.
//
// Close: a txn still queued when Close is called fails with
// store.ErrClosed and is not applied; a batch already being written
// completes and is acknowledged normally.
func (s *Store) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	owned, err := prepareTxn(txn)
	if err != nil {
		return 0, err
	}
	return s.committer.submit(ctx, owned)
}

// Watch streams changes under prefix committed after the call; see the
// hub type for buffering. When ctx ends the channel is closed and Err stays
// nil; when the store closes Err is store.ErrClosed; when the watcher lags
// Err is store.ErrWatchLagged. Event values are shared between watchers and
// must not be modified.
func (s *Store) Watch(ctx context.Context, prefix string) store.Watcher {
	return s.hub.watch(ctx, prefix)
}

// Close stops the committer (queued commits fail with store.ErrClosed; a
// batch being written completes), closes every watcher with
// store.ErrClosed, and closes the file. A second Close returns
// store.ErrClosed.
func (s *Store) Close() error {
	err := store.ErrClosed
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.committer.stop()
		s.hub.close()
		err = s.db.Close()
	})
	return err
}

// encodeRev is the 8-byte big-endian form of a revision.
func encodeRev(rev int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(rev))
}

func decodeRev(raw []byte) (int64, error) {
	if len(raw) != 8 {
		return 0, fmt.Errorf("%w: revision of %d bytes", ErrCorrupt, len(raw))
	}
	return int64(binary.BigEndian.Uint64(raw)), nil
}

func readRev(tx *bbolt.Tx) (int64, error) {
	return decodeRev(tx.Bucket(bucketMeta).Get(keyRev))
}

// encodeValue stores value behind the revision that wrote it.
func encodeValue(rev int64, value []byte) []byte {
	raw := make([]byte, 8, 8+len(value))
	binary.BigEndian.PutUint64(raw, uint64(rev))
	return append(raw, value...)
}

// decodeKV copies a stored value out of bbolt's memory map.
func decodeKV(key string, raw []byte) (store.KV, error) {
	if len(raw) < 8 {
		return store.KV{}, fmt.Errorf("%w: value of key %q has %d bytes", ErrCorrupt, key, len(raw))
	}
	return store.KV{
		Key:         key,
		Value:       append([]byte(nil), raw[8:]...),
		ModRevision: int64(binary.BigEndian.Uint64(raw)),
	}, nil
}
