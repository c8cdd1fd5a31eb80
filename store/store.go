// Package store is redset's durable key-value store contract.
//
// A Store holds byte values under string keys. Every committed change
// advances one store-wide revision counter; each key remembers the revision
// at which it was last written (its ModRevision). Transactions are
// compare-then-apply: all Compares must hold against the committed state, or
// the transaction changes nothing and fails with ErrConflict.
//
// Two backends implement it: store/bolt (embedded, the default) and
// store/etcd (several redset servers sharing one state). Both must pass the
// conformance suite in store/storetest.
//
// Durability: a Txn that returns without error has been made durable (fsynced
// to disk, or acknowledged by an etcd quorum) before it returns. Backends may
// group concurrent transactions into one durable write (group commit), but
// each transaction keeps its own all-or-nothing outcome.
//
// Revisions: a transaction that writes something gets the next revision; one
// that changes nothing (no ops, or only deletes of missing keys) returns the
// current revision, as etcd does. A malformed transaction (empty key, the
// same key written twice, a negative compare revision) is refused with an
// error that is not ErrConflict.
//
// Concurrency: every method is safe for concurrent use. After Close every
// method, Close included, returns ErrClosed.
//
// Watch ordering: a watcher receives every change under its prefix committed
// after it started, in revision order. A watcher that does not keep up is
// dropped: its channel is closed and Err reports ErrWatchLagged, so a slow
// reader never blocks writers.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors shared by all backends. Callers compare with errors.Is.
var (
	// ErrNotFound: Get of a key that does not exist.
	ErrNotFound = errors.New("store: key not found")
	// ErrConflict: a Txn compare did not hold; nothing was written.
	ErrConflict = errors.New("store: revision conflict")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrWatchLagged: a watcher fell too far behind and was dropped.
	ErrWatchLagged = errors.New("store: watcher lagged behind and was dropped")
	// ErrUnavailable: a shared store could not be reached in time; a
	// Commit that fails with it alone was not applied.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrOutcomeUnknown: a Commit was sent but no answer came back (a
	// shared store lost its quorum or its connection while the commit was
	// in flight). The transaction may or may not have been applied, and
	// may still be applied later: the caller must read back what it wrote
	// before trying again. Backends that know the outcome of every commit
	// (store/bolt) never return it.
	ErrOutcomeUnknown = errors.New("store: the commit's outcome is unknown (it may or may not have been applied)")
)

// KV is one stored key with its value and the revision that last wrote it.
type KV struct {
	Key         string
	Value       []byte
	ModRevision int64
}

// Compare is a condition on one key's ModRevision. ModRevision 0 means the
// key must not exist; any other value means the key must exist and have been
// last written at exactly that revision.
type Compare struct {
	Key         string
	ModRevision int64
}

// Op is one write of a transaction: Put Value under Key, or Delete Key
// (deleting a missing key is not an error).
type Op struct {
	Key    string
	Value  []byte
	Delete bool
}

// Txn is an atomic compare-then-apply transaction.
type Txn struct {
	Compares []Compare
	Ops      []Op
}

// Event is one change seen by a watcher.
type Event struct {
	KV     KV   // for a delete, Value is nil and ModRevision is the deleting revision
	Delete bool // true when the key was deleted
}

// Store is the contract both backends implement.
type Store interface {
	// Get returns the key's current value, or ErrNotFound.
	Get(ctx context.Context, key string) (KV, error)
	// List returns every key with the given prefix in key order, and the
	// store revision the listing reflects.
	List(ctx context.Context, prefix string) ([]KV, int64, error)
	// Commit applies txn atomically and durably and returns the new store
	// revision. When a compare fails it returns ErrConflict and writes
	// nothing. An error matching ErrOutcomeUnknown says the transaction
	// may have been applied (read back before retrying); any other error
	// says it was not.
	Commit(ctx context.Context, txn Txn) (int64, error)
	// Watch streams changes under prefix committed after the call. The
	// channel is closed when ctx ends, the store closes, or the watcher lags.
	Watch(ctx context.Context, prefix string) Watcher
	// Revision returns the current store revision.
	Revision(ctx context.Context) (int64, error)
	// Close releases the store; further calls return ErrClosed.
	Close() error
}

// Watcher is a live stream of changes.
type Watcher interface {
	// Events delivers changes in revision order.
	Events() <-chan Event
	// Err tells why Events was closed: nil while open and after the watch's
	// ctx ended, ErrWatchLagged or ErrClosed otherwise.
	Err() error
}

// Batcher is a store that can apply many independent transactions with
// fewer durable writes than one each (store/etcd: the transactions become
// branches of one etcd transaction, as many as etcd allows in one).
// store/bolt, whose group commit already joins concurrent Commits into one
// fsync, does not implement it.
type Batcher interface {
	Store
	// CommitBatch applies each of txns as Commit would: each transaction
	// holds or fails on its own compares and is all-or-nothing; one whose
	// compares fail does not stop the others. The answer has one Result per
	// transaction, in order. Transactions applied by the same durable write
	// share its revision. No two transactions of a batch may write the same
	// key, and none may compare a key that another writes: such a batch is
	// refused whole, as a malformed transaction is.
	CommitBatch(ctx context.Context, txns []Txn) []Result
}

// Result is the outcome of one transaction of a batch: the revision it was
// applied at, or why not. Err is ErrConflict when its compares failed (and
// nothing of it was written); any other error is what Commit would have
// answered for it (ErrFenced, or an error whose outcome is unknown).
type Result struct {
	Revision int64
	Err      error
}

// ErrFenced: a fenced store's commit found that its writer no longer leads
// (its election key is gone or was made again); nothing was written.
var ErrFenced = errors.New("store: fenced: this server no longer leads")

// Elector is a store shared by several servers that can elect one of them
// leader. store/etcd implements it; store/bolt, which one process owns, does
// not.
type Elector interface {
	Store
	// OpenSession starts a session: a lease the store keeps alive while
	// this process runs and the store hears from it. ttl is rounded up to
	// whole seconds, at least one.
	OpenSession(ctx context.Context, ttl time.Duration) (Session, error)
}

// Session is one server's presence in the store: a lease that ends when the
// server stops renewing it (crash, freeze, cut off) or closes the session.
// Keys put with the lease, and the session's campaign, go with it.
type Session interface {
	// Done is closed when this process stopped renewing the lease: the
	// store said it expired, renewals failed, or the session was closed.
	Done() <-chan struct{}
	// Campaign waits until this session leads the election and returns its
	// leadership. value (the leader's name and URL, say) is what observers
	// see. It returns ctx's error when ctx ends first.
	Campaign(ctx context.Context, value []byte) (Leadership, error)
	// Observe reports the leader's value, again after every change; an
	// empty value means no leader. The channel is closed when ctx ends or
	// the session is done.
	Observe(ctx context.Context) <-chan []byte
	// PutLeased writes key (under the store's key space) with the session's
	// lease: the key is deleted when the lease ends. It returns the store
	// revision of the write.
	PutLeased(ctx context.Context, key string, value []byte) (int64, error)
	// Close revokes the lease at once (deleting its keys and ending a
	// leadership) and stops renewing it.
	Close() error
}

// Leadership is a won election.
type Leadership interface {
	// Store is the fenced store: every Commit is one transaction that also
	// checks that this leadership's election key still stands; when it does
	// not, the Commit writes nothing and returns ErrFenced (so does each
	// transaction of a CommitBatch, when the store is a Batcher). Reads and
	// watches go to the shared store. Closing it does not close the shared
	// store.
	Store() Store
	// Resign gives the leadership up, so that another campaigner wins at
	// once.
	Resign(ctx context.Context) error
	// Done is closed when the session behind the leadership is done. A
	// leadership may be lost before Done says so (a frozen process learns
	// late); the fence catches that.
	Done() <-chan struct{}
}
