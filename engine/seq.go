package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redset/redset/store"
)

// Sizes of the blocks of sequence numbers one durable reservation covers.
// After a crash, or when another server takes the lead, the numbering
// continues above the last reservation, so it skips at most one block;
// after a clean Close it continues exactly. Blocks start small, so that the
// skip is small, and double while they are used up fast (the next
// reservation within seqBurst of the last), up to seqBlockMax, so that a
// burst of records (thousands of sets failing over) needs few reservations.
const (
	seqBlockMin = 64
	seqBlockMax = 1 << 14
	seqBurst    = time.Second
)

// seqGen hands out the Seq of event records: 1, 2, 3 … unique and
// increasing, also across restarts. The store key meta/seq holds a
// ceiling: no number above it was ever handed out. New reserves a block
// above the last ceiling; a number beyond the reservation first writes a
// new one (a store commit once per block: see seqBlockMin); Close writes
// the exact last number, so that the next start continues without a gap.
//
// take is safe for concurrent use and never waits except for such a
// reservation. If the store refuses a reservation the number is handed out
// anyway (nothing can then be durable) and the failure is logged.
type seqGen struct {
	st       store.Store
	log      *slog.Logger
	last     atomic.Uint64 // the last number handed out
	ceiling  atomic.Uint64 // the durable reservation
	mu       sync.Mutex    // serializes reservations
	rev      int64         // ModRevision of meta/seq
	block    uint64        // the size of the next reservation
	reserved time.Time     // when the last block was reserved
}

// openSeq reads where the numbering stands and reserves the first block.
// highest is the largest Seq found in the stored history.
//
// Servers sharing a store may reserve at the same moment (started together):
// one that finds meta/seq written meanwhile reads it again, a few times.
func openSeq(ctx context.Context, st store.Store, log *slog.Logger, highest uint64) (*seqGen, error) {
	const attempts = 8
	for i := 1; ; i++ {
		g := &seqGen{st: st, log: log, block: seqBlockMin, reserved: time.Now()}
		start, legacy, err := g.readStart(ctx)
		if err != nil {
			return nil, err
		}
		start = max(start, highest)
		g.last.Store(start)
		err = g.reserve(ctx, start+g.block, legacy)
		if err == nil {
			return g, nil
		}
		if !errors.Is(err, store.ErrConflict) || i == attempts {
			return nil, err
		}
	}
}

// readStart reads meta/seq, or, in a store numbered by the former scheme
// (meta/epoch, Seq = epoch<<40 + counter), the first number of the epoch
// after the stored one, which no record can have used.
func (g *seqGen) readStart(ctx context.Context) (start uint64, legacy bool, err error) {
	n, rev, found, err := readCounter(ctx, g.st, keySeq)
	if err != nil || found {
		g.rev = rev
		return n, false, err
	}
	epoch, _, found, err := readCounter(ctx, g.st, keyEpoch)
	if err != nil || !found {
		return 0, false, err
	}
	return (epoch+1)<<legacyEpochShift - 1, true, nil
}

func readCounter(ctx context.Context, st store.Store, key string) (n uint64, rev int64, found bool, err error) {
	kv, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("engine: read %s: %w", key, err)
	}
	n, err = strconv.ParseUint(string(kv.Value), 10, 64)
	if err != nil {
		return 0, 0, false, fmt.Errorf("engine: bad %s: %w", key, err)
	}
	return n, kv.ModRevision, true, nil
}

// reserve makes ceiling durable; with dropLegacy it also deletes the
// former scheme's meta/epoch. g.mu must be held, or g not yet shared.
func (g *seqGen) reserve(ctx context.Context, ceiling uint64, dropLegacy bool) error {
	txn := store.Txn{
		Compares: []store.Compare{{Key: keySeq, ModRevision: g.rev}},
		Ops:      []store.Op{{Key: keySeq, Value: []byte(strconv.FormatUint(ceiling, 10))}},
	}
	if dropLegacy {
		txn.Ops = append(txn.Ops, store.Op{Key: keyEpoch, Delete: true})
	}
	rev, err := g.st.Commit(context.WithoutCancel(ctx), txn)
	if err != nil {
		return fmt.Errorf("engine: write %s: %w", keySeq, err)
	}
	g.rev = rev
	g.ceiling.Store(ceiling)
	return nil
}

// take returns the next number.
func (g *seqGen) take() uint64 {
	n := g.last.Add(1)
	if n > g.ceiling.Load() {
		n = g.extend(n)
	}
	return n
}

// extend reserves a block above n unless another caller already did, and
// returns the number to use: n, or a number above the stored counter when
// another writer had already used n.
func (g *seqGen) extend(n uint64) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n <= g.ceiling.Load() {
		return n
	}
	g.grow()
	err := g.reserve(context.Background(), n+g.block, false)
	if errors.Is(err, store.ErrConflict) {
		// Another server wrote meta/seq (it led meanwhile, or started):
		// continue above both.
		var stored uint64
		if stored, g.rev, _, err = readCounter(context.Background(), g.st, keySeq); err == nil {
			if stored >= n {
				g.last.Store(max(g.last.Load(), stored))
				n = g.last.Add(1)
			}
			err = g.reserve(context.Background(), max(stored, n)+g.block, false)
		}
	}
	if err != nil {
		g.log.Error("event numbers could not be reserved; numbers may repeat after a restart", "err", err)
	}
	return n
}

// grow sizes the next block: twice the last when that was used up within
// seqBurst, else the smallest. g.mu must be held.
func (g *seqGen) grow() {
	now := time.Now()
	if now.Sub(g.reserved) < seqBurst {
		g.block = max(min(2*g.block, seqBlockMax), seqBlockMin)
	} else {
		g.block = seqBlockMin
	}
	g.reserved = now
}

// close records the exact last number, so that the next start continues
// from it. Numbers taken later reserve again.
func (g *seqGen) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.reserve(context.Background(), g.last.Load(), false); err != nil {
		g.log.Warn("the last event number could not be stored; the next start skips ahead", "err", err)
	}
}
