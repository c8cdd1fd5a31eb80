package indication

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/internal/clock"
	"github.com/redset/redset/store"
	"github.com/redset/redset/wql"
)

// Defaults of HubOptions.
const (
	DefaultQueueSize      = 1000
	DefaultRetryInterval  = 20 * time.Second
	DefaultRecordInterval = time.Minute
)

// EndReason says why the Hub ended a subscription.
type EndReason int

// The reasons (HubOptions.Ended).
const (
	EndDisabled EndReason = iota + 1 // its OnFatalErrorPolicy is Disable and its destination kept failing
	EndRemoved                       // its OnFatalErrorPolicy is Remove and its destination kept failing
	EndExpired                       // its Expires passed
)

func (r EndReason) String() string {
	switch r {
	case EndDisabled:
		return "disabled"
	case EndRemoved:
		return "removed"
	case EndExpired:
		return "expired"
	}
	return "unknown"
}

// HubOptions configure a Hub. Only Source and Senders are needed to
// deliver anything; the zero values of the others are usable.
type HubOptions struct {
	Source Source // the indications of each record; nil: nothing is indicated
	// Observe, when set, is given instead of Source each record the Hub
	// reads but no subscription could see (it has none, or it does not
	// deliver), in the same order, so that a Source that remembers what
	// it saw between records (a set's former load balancing, the name of
	// a deleted member) stays current while nobody listens. It must be
	// cheap.
	Observe func(ctx context.Context, r event.Record)
	Senders map[string]Sender // by Destination.Protocol
	// Store keeps the sequence numbers (under indication/seq/); nil
	// keeps them in memory only.
	Store store.Store
	Isa   wql.IsaFunc // class ancestry for FROM and ISA; nil: a class is only itself
	// Active reports whether this server delivers (in a cluster, the
	// leader alone does); nil: always. While inactive the Hub queues
	// nothing and takes no sequence numbers.
	Active func() bool
	// RetryAttempts is DeliveryRetryAttempts: how many times a failed
	// delivery is tried again, RetryInterval apart (0: the default),
	// before the subscription's OnFatalErrorPolicy acts.
	RetryAttempts int
	RetryInterval time.Duration
	QueueSize     int // deliveries queued per destination; 0: DefaultQueueSize
	// Ended is told when the Hub disabled, removed or expired a
	// subscription, so its maker updates what it stores (SubscriptionState
	// Disabled, or deleted) or tells the subscriber. Only an active Hub
	// tells it (an inactive one expires subscriptions silently and
	// delivers nothing, so it disables nothing). It is called on one of
	// the Hub's goroutines, without the Hub's locks: it may call Put and
	// Remove.
	Ended func(id string, why EndReason)
	// Record keeps a delivery failure, drop or ended subscription in the
	// history. Failures and drops of one subscription are recorded (and
	// logged) at most once per RecordInterval; the others of the interval
	// are counted in the next record.
	Record         func(event.IndicationDelivery)
	RecordInterval time.Duration // 0: DefaultRecordInterval
	SeqBlock       int64         // sequence numbers reserved per store write; 0: DefaultSeqBlock
	Logger         *slog.Logger
	Clock          Clock // nil: the wall clock
}

func (o *HubOptions) fill() {
	o.QueueSize = cmp.Or(max(o.QueueSize, 0), DefaultQueueSize)
	o.RetryAttempts = max(o.RetryAttempts, 0)
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.RecordInterval <= 0 {
		o.RecordInterval = DefaultRecordInterval
	}
	o.SeqBlock = cmp.Or(max(o.SeqBlock, 0), DefaultSeqBlock)
	if o.Isa == nil {
		o.Isa = strings.EqualFold
	}
	if o.Active == nil {
		o.Active = func() bool { return true }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
}

// Hub matches every indication against the subscriptions it holds and
// delivers it to each matching subscription's destination.
//
// Records come in through Handle (or Start), one at a time in record
// order; the Hub asks the Source for their indications on that
// goroutine, matches them, numbers them per subscription (see
// sequence numbers in seq.go) and puts one Delivery per subscription on
// the queue of the subscription's destination. Each destination has one
// ordered queue bounded by QueueSize, shared by the subscriptions that
// send to it; a full queue drops the new delivery for that destination
// (counted, recorded). A worker goroutine per destination with something
// queued sends in order, several deliveries at once when the Sender takes
// batches (a MaxBatch method); a failed send is tried again RetryAttempts
// times, RetryInterval apart, and then the subscriptions of the failed
// deliveries follow their OnFatalErrorPolicy: Ignore drops them, Disable
// keeps the subscription but stops delivering to it, Remove takes it out
// of the Hub; both end it (Ended). A slow or dead destination holds only
// its own worker: Handle never waits for a send, so the bus, the engine
// and the other destinations go on.
//
// All methods are safe for concurrent use.
type Hub struct {
	o      HubOptions
	ctx    context.Context // ends sends and retry waits at Close
	cancel context.CancelFunc

	// seqMu is held while one record's indications are numbered and
	// queued, and while a subscription is put, removed or its sequence
	// stored: sequence numbers are read and written under it.
	seqMu sync.Mutex

	mu      sync.Mutex
	subs    map[string]*sub
	list    []*sub // subs by ID: the order of matching
	queues  map[string]*queue
	protos  map[string]*ProtocolStats
	gen     uint64
	active  bool // as last seen by Handle
	closed  bool
	workers sync.WaitGroup
	readers sync.WaitGroup

	gmu   sync.Mutex
	gates map[gateKey]*gate
}

// sub is one subscription with its delivery state; guarded by Hub.mu
// (seq also by Hub.seqMu).
type sub struct {
	Subscription
	gen       uint64
	seq       seqState
	queued    uint64
	delivered uint64
	failed    uint64
	dropped   uint64
	retrying  bool
	lastErr   string
	lastErrAt time.Time
	timer     Timer // expiry
}

// NewHub returns a Hub with no subscriptions.
func NewHub(o HubOptions) *Hub {
	o.fill()
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{o: o, ctx: ctx, cancel: cancel, subs: map[string]*sub{}, queues: map[string]*queue{},
		protos: map[string]*ProtocolStats{}, gates: map[gateKey]*gate{}}
}

// Start handles every record of records, in order, on a goroutine of its
// own until records is closed, ctx ends or the Hub is closed.
func (h *Hub) Start(ctx context.Context, records <-chan event.Record) {
	h.readers.Go(func() {
		for {
			select {
			case r, ok := <-records:
				if !ok {
					return
				}
				h.Handle(r)
			case <-ctx.Done():
				return
			case <-h.ctx.Done():
				return
			}
		}
	})
}

// SetRetry changes DeliveryRetryAttempts and DeliveryRetryInterval for the
// deliveries that fail from now on.
func (h *Hub) SetRetry(attempts int, interval time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.o.RetryAttempts = max(attempts, 0)
	if interval > 0 {
		h.o.RetryInterval = interval
	}
}

// Retry returns DeliveryRetryAttempts and DeliveryRetryInterval.
func (h *Hub) Retry() (int, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.o.RetryAttempts, h.o.RetryInterval
}

// Put adds a subscription, or replaces the one with its ID. A replaced
// subscription keeps its place in its sequence (unless its
// SequenceContext changed: then the new sequence starts at 0) and its
// deliveries already queued. A disabled subscription (Disabled) is kept,
// with its sequence, but nothing is delivered to it; Put it again enabled
// to deliver again.
func (h *Hub) Put(s Subscription) {
	h.seqMu.Lock()
	defer h.seqMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	ns := &sub{Subscription: s}
	if old := h.subs[s.ID]; old != nil {
		ns.gen, ns.queued, ns.delivered, ns.failed, ns.dropped = old.gen, old.queued, old.delivered, old.failed, old.dropped
		if old.SequenceContext == s.SequenceContext {
			ns.seq = old.seq
		}
		stopTimer(old.timer)
	} else {
		h.gen++
		ns.gen = h.gen
	}
	h.subs[s.ID] = ns
	h.sortList()
	if !s.Expires.IsZero() {
		gen, at := ns.gen, s.Expires
		ns.timer = h.o.Clock.AfterFunc(at.Sub(h.o.Clock.Now()), func() { h.expire(s.ID, gen, at) })
	}
}

func stopTimer(t Timer) {
	if t != nil {
		t.Stop()
	}
}

func (h *Hub) sortList() {
	h.list = h.list[:0]
	for _, s := range h.subs {
		h.list = append(h.list, s)
	}
	slices.SortFunc(h.list, func(a, b *sub) int { return strings.Compare(a.ID, b.ID) })
}

// Remove takes a subscription out of the Hub and forgets its sequence
// (the stored number is deleted: a subscription put again with the same
// ID and SequenceContext starts at 0). Its queued deliveries are not
// sent. Removing an unknown ID still deletes a stored sequence.
func (h *Hub) Remove(id string) {
	h.removeIf(id, func(*sub) bool { return true })
}

// removeIf removes the subscription id when cond holds for it (or when
// there is none), and reports whether it removed one.
func (h *Hub) removeIf(id string, cond func(*sub) bool) bool {
	h.seqMu.Lock()
	defer h.seqMu.Unlock()
	h.mu.Lock()
	s := h.subs[id]
	if s != nil && !cond(s) {
		h.mu.Unlock()
		return false
	}
	if s != nil {
		stopTimer(s.timer)
		delete(h.subs, id)
		h.sortList()
	}
	h.mu.Unlock()
	h.forgetGates(id)
	h.deleteSeq(id)
	return s != nil
}

func (h *Hub) deleteSeq(id string) {
	if h.o.Store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if _, err := h.o.Store.Commit(ctx, store.Txn{Ops: []store.Op{{Key: seqKey(id), Delete: true}}}); err != nil {
		h.o.Logger.Warn("could not delete the sequence number of a removed subscription", "subscription", id, "err", err)
	}
}

// storeTimeout bounds the Hub's own store writes.
const storeTimeout = 10 * time.Second

// expire ends subscription id of generation gen if it still expires at.
// Every server's Hub takes it out; the one that delivers (Active) records
// it and tells Ended.
func (h *Hub) expire(id string, gen uint64, at time.Time) {
	var dest Destination
	removed := h.removeIf(id, func(s *sub) bool {
		dest = s.Destination
		return s.gen == gen && s.Expires.Equal(at)
	})
	if !removed || !h.o.Active() {
		return
	}
	h.ended(id, EndExpired, event.IndicationDelivery{Subscription: id, Destination: destName(dest),
		Protocol: dest.Protocol, Outcome: event.IndicationExpired, Count: 0})
}

// ended records a subscription the Hub ended and tells HubOptions.Ended.
func (h *Hub) ended(id string, why EndReason, d event.IndicationDelivery) {
	h.note(d)
	if h.o.Ended != nil {
		h.o.Ended(id, why)
	}
}

// Close stops delivering: sends under way are abandoned, queued
// deliveries dropped, and each subscription's exact next sequence number
// is stored, so that a restart continues the sequences without a gap.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	for _, s := range h.subs {
		stopTimer(s.timer)
	}
	h.mu.Unlock()
	h.cancel()
	h.readers.Wait()
	h.workers.Wait()
	h.flushGates()
	return h.storeSeqs()
}

// storeSeqs writes the exact next number of every sequence in use, when
// this server still delivers (another one may be numbering otherwise).
func (h *Hub) storeSeqs() error {
	h.seqMu.Lock()
	defer h.seqMu.Unlock()
	if h.o.Store == nil || !h.o.Active() {
		return nil
	}
	h.mu.Lock()
	var ops []store.Op
	for _, s := range h.list {
		if s.seq.loaded && s.seq.limit > s.seq.next {
			ops = append(ops, seqOp(s.ID, s.SequenceContext, s.seq.next))
		}
	}
	h.mu.Unlock()
	if len(ops) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	_, err := h.o.Store.Commit(ctx, store.Txn{Ops: ops})
	return err
}
