package engine

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/internal/clock"
	"github.com/redset/redset/store"
)

// Options configure an Engine. Only Store is required.
type Options struct {
	Store  store.Store  // durable state; the engine must be its only writer
	Clock  Clock        // default: the wall clock
	Logger *slog.Logger // default: discard
	// Audit receives the audit stream (see publish): one "audit" entry per
	// change or refused change, naming its actor and outcome. Default:
	// Logger.
	Audit *slog.Logger
	Bus   *event.Bus // where events are published; default: a bus of its own, closed by Close
	OrgID string     // OrgID of InstanceIDs made by InstanceIDFor; default "redset"

	// HistoryLimit is how many event records the store keeps; default 10000.
	HistoryLimit int
	// PreFailover, when set, is asked before every failover commit (planned
	// and automatic, after the busy check); an error refuses the failover
	// with code 2 and the error's text as reason.
	PreFailover func(ctx context.Context, req FailoverRequest) error

	// ValidateProbe, when set, checks a member's probe as the health
	// checker will run it, on every PutMember (not on load: a stored probe
	// that no longer passes stays, and whoever runs probes reports it). A
	// *ValidationError it returns is passed on as is (its Field a path such
	// as "probe.url"); any other error refuses the member as invalid.
	ValidateProbe func(Probe) error

	DefaultRise int // successes that count a recovery when a member sets none; default 2
	DefaultFall int // failures that count a failure when a member sets none; default 3
	AutoWorkers int // goroutines running automatic actions; default 256
	AutoRetries int // attempts of an automatic failover that found the set busy; default 8
	// ScheduleGrace is how late a scheduled failover may still run after a
	// restart; one missed by more is recorded as refused. Default 10 minutes.
	ScheduleGrace time.Duration
	// ScheduleSettle is how long after a start scheduled failovers wait at
	// least, so that the members' health, Unknown after a restart, is known
	// when they run. Default 30 seconds.
	ScheduleSettle time.Duration

	// Standby starts the engine following (see Follow): it loads the
	// state but writes nothing and acts on nothing until Lead. A server
	// of a cluster sets it, so that starting does not write to the shared
	// store while another server leads.
	Standby bool
}

func (o *Options) fill() error {
	if o.Store == nil {
		return newError(KindInvalid, "Options.Store is required")
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Audit == nil {
		o.Audit = o.Logger
	}
	if o.OrgID == "" {
		o.OrgID = "redset"
	}
	defaultInt(&o.HistoryLimit, 10000)
	defaultInt(&o.DefaultRise, 2)
	defaultInt(&o.DefaultFall, 3)
	defaultInt(&o.AutoWorkers, 256)
	defaultInt(&o.AutoRetries, 8)
	if o.ScheduleGrace <= 0 {
		o.ScheduleGrace = 10 * time.Minute
	}
	if o.ScheduleSettle <= 0 {
		o.ScheduleSettle = 30 * time.Second
	}
	if _, _, err := ParseInstanceID(o.OrgID + ":x"); err != nil || strings.Contains(o.OrgID, ":") || len(o.OrgID) > 64 {
		return newError(KindInvalid, "Options.OrgID %q must be non-empty text without a colon", o.OrgID)
	}
	return nil
}

func defaultInt(v *int, def int) {
	if *v <= 0 {
		*v = def
	}
}

// Engine is the redundancy domain: sets, members, roles, health, status,
// failover and events, kept durable in a store.Store.
//
// Concurrency: all methods are safe for concurrent use. At most one change
// of a set is under way at a time, and a change of a member itself
// (PutMember, DeleteMember) excludes every change that involves it. A change
// that finds its set or member taken does not wait: Failover answers 3 Busy,
// other methods ErrBusy. Reads never wait for a change's store commit.
//
// Locking order (deadlock freedom): Engine.mu, then a setState.mu, then a
// memberState.mu, then a member's health.mu. Busy flags are try-locks and
// never block.
type Engine struct {
	pubs   pubGate // the order of the records this engine publishes
	opts   Options
	st     store.Store
	clock  Clock
	log    *slog.Logger
	audit  *slog.Logger
	bus    *event.Bus
	ownBus bool // bus made by New, closed by Close

	mu       sync.RWMutex
	sets     map[string]*setState
	members  map[string]*memberState
	setsGen  atomic.Uint64            // bumped, under mu, whenever a set enters or leaves sets
	shownGen atomic.Uint64            // bumped with setsGen and whenever a set's properties or status change (SetsVersion)
	changes  changeLog                // what moved shownGen lately
	order    atomic.Pointer[setOrder] // the sets in InstanceID order, as sortedSets last saw them

	seq     atomic.Pointer[seqGen]
	ss      *switchStore // e.st: shared reads, commits by the writer of the moment
	mode    modeState
	pause   pauseState // server-wide pause of automatic failover
	sched   schedules  // pending scheduled failovers
	hist    *history
	decoded decodedRecords // the newest history records, decoded
	group   *group         // group commit of automatic failovers
	pool    *pool
	ctx     context.Context // ends at Close; automatic actions run under it
	cancel  context.CancelFunc
	closed  atomic.Bool
}

// setState is one set in memory. mu guards every field.
type setState struct {
	id      string
	mu      sync.Mutex
	busy    bool // a change of the set is under way
	pending bool // being created: invisible until committed
	gone    bool // deleted
	set     Set
	roles   []roleEntry // sorted by member name
	rev     int64       // ModRevision of the set's key
	status  uint16      // last computed status, to detect changes
	paused  *Pause      // automatic failover of the set paused (stored)
	auto    autoState
}

type roleEntry struct {
	m    *memberState
	role Role
}

// memberState is one member in memory. mu guards member, rev and the hold
// fields; sets is guarded by Engine.mu; health has its own lock.
type memberState struct {
	name      string
	mu        sync.Mutex
	member    Member
	rev       int64
	shared    int  // changes of sets involving the member
	exclusive bool // a change of the member itself
	pending   bool // being created
	gone      bool // deleted
	sets      []*setState
	health    healthState
}

// New opens an engine on opts.Store and loads every set and member from it.
// Health starts Unknown for every member until reports arrive.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	e := &Engine{
		opts: opts, clock: opts.Clock, log: opts.Logger, audit: opts.Audit, bus: opts.Bus,
		sets: make(map[string]*setState), members: make(map[string]*memberState),
	}
	if e.bus == nil {
		e.bus, e.ownBus = event.NewBus(), true
	}
	e.ss = &switchStore{Store: opts.Store, stepDown: e.onStepDown}
	e.ss.writer.Store(&writerBox{st: opts.Store})
	e.st = e.ss
	e.group = &group{ss: e.ss}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.hist = newHistory(e.st, opts.HistoryLimit, e.log)
	if opts.Standby {
		e.ss.writer.Store(nil)
		e.mode.following.Store(true)
		e.seq.Store(&seqGen{st: e.st, log: e.log})
	}
	if err := e.load(ctx); err != nil {
		e.cancel()
		return nil, err
	}
	e.pool = newPool(opts.AutoWorkers)
	go e.hist.run()
	if opts.Standby {
		e.Follow()
		return e, nil
	}
	e.armLoaded()
	return e, nil
}

// Close stops automatic actions and TTL timers and writes the pending
// history. It closes the bus only if New made it, and never the store.
// Later calls return ErrClosed.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.cancel()
	e.mode.mu.Lock()
	e.stopFollowing()
	leading := !e.mode.following.Load()
	e.mode.mu.Unlock()
	e.stopSchedules()
	e.pool.close()
	e.stopTimers()
	e.hist.close()
	if leading {
		e.seq.Load().close()
	}
	if e.ownBus {
		e.bus.Close()
	}
	return nil
}

// Bus is where the engine publishes its events.
func (e *Engine) Bus() *event.Bus { return e.bus }

// InstanceIDFor makes an InstanceID from the configured OrgID and localID.
func (e *Engine) InstanceIDFor(localID string) string { return e.opts.OrgID + ":" + localID }

func (e *Engine) checkOpen() error {
	if e.closed.Load() {
		return ErrClosed
	}
	return nil
}

func (e *Engine) lookupSet(id string) (*setState, error) {
	e.mu.RLock()
	s := e.sets[id]
	e.mu.RUnlock()
	if s == nil {
		return nil, notFound("set", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending || s.gone {
		return nil, notFound("set", id)
	}
	return s, nil
}

func (e *Engine) lookupMember(name string) (*memberState, error) {
	e.mu.RLock()
	m := e.members[name]
	e.mu.RUnlock()
	if m == nil {
		return nil, notFound("member", name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending || m.gone {
		return nil, notFound("member", name)
	}
	return m, nil
}

// setsOf copies the member's set index.
func (e *Engine) setsOf(m *memberState) []*setState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return append([]*setState(nil), m.sets...)
}

// newRecord numbers and timestamps a record and names its actor (that of
// ctx, else the engine). It is the one place records are made.
func (e *Engine) newRecord(ctx context.Context, kind event.Kind, setID, member string) *event.Record {
	return &event.Record{Seq: e.seq.Load().take(), Time: e.clock.Now(), Kind: kind, SetID: setID, Member: member,
		Actor: actorOf(ctx), Origin: e.Origin()}
}

// emit publishes a record that is not part of a store transaction and
// queues it for the history.
func (e *Engine) emit(r *event.Record) {
	e.publish(r)
	e.hist.enqueue(*r)
}

// commit applies txn plus the history records, durably. The commit is not
// abandoned when ctx ends, so a change is never left half-known.
func (e *Engine) commit(ctx context.Context, txn store.Txn, recs ...*event.Record) (int64, error) {
	return e.commitVia(ctx, e.st.Commit, txn, recs...)
}

// commitVia is commit through via (the store's Commit, or the group
// commit of automatic failovers).
func (e *Engine) commitVia(ctx context.Context, via func(context.Context, store.Txn) (int64, error), txn store.Txn, recs ...*event.Record) (int64, error) {
	for _, r := range recs {
		op, err := historyOp(r)
		if err != nil {
			return 0, err
		}
		txn.Ops = append(txn.Ops, op)
	}
	e.pubs.committing(recs)
	rev, err := via(context.WithoutCancel(ctx), txn)
	if errors.Is(err, store.ErrOutcomeUnknown) {
		e.noteUnsettled(recs)
	}
	if err != nil {
		e.pubs.abandon(recs, e.bus.Publish)
		return 0, storeError(err)
	}
	for _, r := range recs {
		e.hist.persisted(r.Seq)
	}
	return rev, nil
}

// settled tells, after a commit whose outcome is unknown (an I/O error
// after the write), whether that write happened: key holds exactly value
// at a newer revision than oldRev, and the history holds the first of
// recs at that revision. The value alone does not tell: another server
// that leads now may have made the same change meanwhile, with its own
// record.
func (e *Engine) settled(ctx context.Context, key string, value []byte, oldRev int64, recs []*event.Record) (int64, bool) {
	ctx = context.WithoutCancel(ctx)
	kv, err := e.st.Get(ctx, key)
	if err != nil || kv.ModRevision == oldRev || string(kv.Value) != string(value) {
		return 0, false
	}
	if len(recs) > 0 {
		rec, err := e.st.Get(ctx, historyKey(recs[0].Seq))
		if err != nil || rec.ModRevision != kv.ModRevision {
			return 0, false
		}
	}
	return kv.ModRevision, true
}

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
