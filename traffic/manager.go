package traffic

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

// Engine is what the frontends need of the engine; *engine.Engine has it.
type Engine interface {
	GetSet(id string) (engine.SetView, error)
	Candidates(id string, buf []string) (engine.Candidates, error)
	ListSets() ([]engine.SetView, error)
	GetMember(name string) (engine.MemberInfo, error)
	ReportHealth(name string, r engine.Report) error
	RecordFrontend(setID string, f event.FrontendChanged)
	Bus() *event.Bus
}

// Options tune a Manager; the zero value is usable.
type Options struct {
	Log *slog.Logger // default: discard
	// BindRetry is how long a frontend that could not bind waits before it
	// tries again; the wait doubles after each failure up to BindRetryMax.
	// Defaults: 500ms and 30s.
	BindRetry    time.Duration
	BindRetryMax time.Duration
}

// Default bind retry waits.
const (
	DefaultBindRetry    = 500 * time.Millisecond
	DefaultBindRetryMax = 30 * time.Second
)

// busBuffer is how many records the manager may fall behind before the bus
// drops it.
const busBuffer = 4096

// Manager runs the frontends of every set that has one.
type Manager struct {
	eng  Engine
	opts Options
	log  *slog.Logger
	wg   sync.WaitGroup // accept loops, event loops and connections
	poll pollers        // the event loops of the connections, where there are

	recMu sync.Mutex // one reconciliation (or bind retry) at a time

	mu       sync.Mutex
	fronts   map[string]*frontend   // by set InstanceID
	retired  map[*frontend]struct{} // stopped, with connections left
	sub      *event.Subscription
	closed   bool
	feedDone chan struct{}
}

// New returns a manager of eng's frontends; Start opens them.
func New(eng Engine, opts Options) *Manager {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.BindRetry <= 0 {
		opts.BindRetry = DefaultBindRetry
	}
	if opts.BindRetryMax < opts.BindRetry {
		opts.BindRetryMax = max(DefaultBindRetryMax, opts.BindRetry)
	}
	return &Manager{eng: eng, opts: opts, log: opts.Log, fronts: map[string]*frontend{},
		retired: map[*frontend]struct{}{}, feedDone: make(chan struct{})}
}

// Start follows the engine's events and opens the frontends of every set.
// A frontend that cannot bind does not fail Start: it is retried (see the
// package doc). Start fails only when the sets cannot be read.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	if m.closed || m.sub != nil {
		m.mu.Unlock()
		return errors.New("traffic: Start called twice or after Close")
	}
	m.sub = m.eng.Bus().Subscribe(busBuffer, relevant)
	sub := m.sub
	m.mu.Unlock()
	go m.follow(sub)
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.resync()
}

// relevant selects the records that can change a frontend: anything about
// a set but the frontends' own records and hook deliveries, and changes of
// member definitions (their traffic address).
func relevant(r event.Record) bool {
	switch {
	case r.Kind == event.KindFrontend, r.Kind == event.KindHookDelivered:
		return false
	case r.SetID != "":
		return true
	}
	return r.Kind == event.KindConfigChanged && r.Member != ""
}

// follow handles records until the subscription ends for good.
func (m *Manager) follow(sub *event.Subscription) {
	defer close(m.feedDone)
	for sub != nil {
		for r := range sub.C() {
			m.handle(r)
		}
		sub = m.resubscribe(sub)
	}
}

// resubscribe replaces a subscription the bus dropped for lagging and reads
// every set again; nil once the manager is closing.
func (m *Manager) resubscribe(old *event.Subscription) *event.Subscription {
	m.mu.Lock()
	if m.closed || !old.Lagged() {
		m.mu.Unlock()
		return nil
	}
	m.sub = m.eng.Bus().Subscribe(busBuffer, relevant)
	sub := m.sub
	m.mu.Unlock()
	m.log.Warn("an event subscriber fell behind and was dropped; it has subscribed again and reads every set afresh",
		"subscriber", "traffic frontends")
	if err := m.resync(); err != nil {
		m.log.Warn("frontends not brought up to date", "err", err)
	}
	return sub
}

func (m *Manager) handle(r event.Record) {
	if r.SetID != "" {
		// Only a change of its definition can give a set a frontend: the
		// other records of a set without one (failovers, status, a mass
		// failure's thousands of them) need no reading.
		if r.Kind == event.KindConfigChanged || m.has(r.SetID) {
			m.reconcile(r.SetID)
		}
		return
	}
	for _, id := range m.setsWith(r.Member) {
		m.reconcile(id)
	}
}

// has reports whether the set has a frontend here.
func (m *Manager) has(setID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fronts[setID] != nil
}

// setsWith lists the frontends' sets that have (or had) the member.
func (m *Manager) setsWith(member string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, f := range m.fronts {
		if f.hasMember(member) {
			ids = append(ids, id)
		}
	}
	return ids
}

// resync brings every frontend in line with the sets.
func (m *Manager) resync() error {
	sets, err := m.eng.ListSets()
	if err != nil {
		return err
	}
	m.recMu.Lock()
	defer m.recMu.Unlock()
	seen := map[string]bool{}
	for _, v := range sets {
		seen[v.InstanceID] = true
		m.apply(v)
	}
	for _, id := range m.frontIDs() {
		if !seen[id] {
			m.stop(id)
		}
	}
	return nil
}

func (m *Manager) frontIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.fronts))
	for id := range m.fronts {
		ids = append(ids, id)
	}
	return ids
}

// reconcile brings one set's frontend in line with the set.
func (m *Manager) reconcile(id string) {
	v, err := m.eng.GetSet(id)
	m.recMu.Lock()
	defer m.recMu.Unlock()
	switch {
	case errors.Is(err, engine.ErrNotFound):
		m.stop(id)
	case err != nil:
		m.log.Warn("frontend not brought up to date", "set", id, "err", err)
	default:
		m.apply(v)
	}
}

// apply starts, changes or stops v's frontend; m.recMu must be held.
func (m *Manager) apply(v engine.SetView) {
	if v.Frontend == nil {
		m.stop(v.InstanceID)
		return
	}
	addrs := m.addresses(v)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	f := m.fronts[v.InstanceID]
	if f == nil {
		f = newFrontend(m, v.InstanceID)
		m.fronts[v.InstanceID] = f
	}
	m.mu.Unlock()
	f.apply(*v.Frontend, v, addrs)
}

// addresses reads the traffic address of each member of v.
func (m *Manager) addresses(v engine.SetView) map[string]string {
	out := make(map[string]string, len(v.Members))
	for _, mv := range v.Members {
		if mi, err := m.eng.GetMember(mv.Name); err == nil {
			out[mv.Name] = mi.TrafficAddress()
		}
	}
	return out
}

// stop ends a set's frontend; its connections are left to its drain.
// m.recMu must be held.
func (m *Manager) stop(id string) {
	m.mu.Lock()
	f := m.fronts[id]
	delete(m.fronts, id)
	if f != nil {
		m.retired[f] = struct{}{}
	}
	m.mu.Unlock()
	if f != nil {
		f.retire()
	}
}

// forget drops a retired frontend whose last connection ended.
func (m *Manager) forget(f *frontend) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.retired, f)
}

// Close stops every listener, closes every proxied connection and waits
// for the manager's goroutines to end.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	sub := m.sub
	m.mu.Unlock()
	if sub != nil {
		sub.Close()
		<-m.feedDone
	}
	m.recMu.Lock()
	m.mu.Lock()
	all := make([]*frontend, 0, len(m.fronts)+len(m.retired))
	for _, f := range m.fronts {
		all = append(all, f)
	}
	for f := range m.retired {
		all = append(all, f)
	}
	m.mu.Unlock()
	for _, f := range all {
		f.shutdown()
	}
	m.poll.close()
	m.recMu.Unlock()
	m.wg.Wait()
	return nil
}

// Status is what the set's frontend is doing; false when the set has none
// here. Connections left open by a frontend that was stopped (the set or
// its frontend removed, with no drain or a drain still running) are
// counted with the set's current frontend, or, when it has none, shown as
// a stopped frontend's (Stopped, and an Error that says why nothing
// listens), until the last one ends.
func (m *Manager) Status(setID string) (engine.FrontendStatus, bool) {
	m.mu.Lock()
	f := m.fronts[setID]
	var retired []*frontend
	for r := range m.retired {
		if r.setID == setID {
			retired = append(retired, r)
		}
	}
	m.mu.Unlock()
	return statusOf(f, retired)
}

// Statuses is the status of every frontend, by set InstanceID, as Status
// gives it.
func (m *Manager) Statuses() map[string]engine.FrontendStatus {
	m.mu.Lock()
	fronts := maps.Clone(m.fronts)
	retired := map[string][]*frontend{}
	for r := range m.retired {
		retired[r.setID] = append(retired[r.setID], r)
	}
	m.mu.Unlock()
	out := make(map[string]engine.FrontendStatus, len(fronts))
	for id, f := range fronts {
		if st, ok := statusOf(f, retired[id]); ok {
			out[id] = st
		}
	}
	for id, rs := range retired {
		if _, ok := fronts[id]; !ok {
			if st, ok := statusOf(nil, rs); ok {
				out[id] = st
			}
		}
	}
	return out
}

// statusOf is one set's status: its frontend's (f, nil when it has none)
// with the open connections of its stopped frontends added; false when
// there is neither a frontend nor such a connection.
func statusOf(f *frontend, retired []*frontend) (engine.FrontendStatus, bool) {
	var st engine.FrontendStatus
	ok := f != nil
	if ok {
		st = f.status()
	}
	for _, r := range retired {
		old := r.status()
		switch {
		case old.Open == 0:
		case ok:
			st = withStopped(st, old)
		default:
			st, ok = old, true
			st.Address, st.Stopped, st.Error = "", true, stoppedError
		}
	}
	return st, ok
}

// stoppedError is the Error of a stopped frontend's status.
const stoppedError = "stopped: the set or its frontend was removed; its open connections are left to end"

// withStopped adds a stopped frontend's connections to cur's, member by
// member.
func withStopped(cur, old engine.FrontendStatus) engine.FrontendStatus {
	cur.Open += old.Open
	members := slices.Clone(cur.Members)
	for _, om := range old.Members {
		i := slices.IndexFunc(members, func(m engine.MemberTraffic) bool { return m.Name == om.Name })
		if i < 0 {
			members = append(members, om)
			continue
		}
		members[i].Open += om.Open
		members[i].Draining += om.Draining
	}
	slices.SortFunc(members, func(a, b engine.MemberTraffic) int { return strings.Compare(a.Name, b.Name) })
	cur.Members = members
	return cur
}
