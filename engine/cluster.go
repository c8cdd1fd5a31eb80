package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/internal/pause"
	"github.com/redset/redset/store"
)

// Cluster modes. An engine made by New leads: it acts and writes on its
// store, the single-server case. In a cluster of servers sharing one store
// only the elected leader's engine leads; the others follow:
//
//   - Follow stops every automatic action (automatic failover, scheduled
//     failovers, flap guard, automatic return, TTL expiries) and refuses
//     every write with ErrNotLeader (a Failover answers 3 Busy). The
//     engine keeps its state current by watching the store: sets,
//     members, roles, decided health, pauses, scheduled failovers, and the
//     history, whose records it republishes on its bus with the leader's
//     Seq, so that every server streams the cluster's events.
//   - Lead(st) makes the engine write through st (the leader's fenced
//     store), reloads the state from the store, numbers its records above
//     every number used before, and then acts: scheduled failovers are
//     armed and every set is looked at by automatic failover.
//
// A commit that st refuses with store.ErrFenced (another server leads now)
// makes the engine follow again by itself; the caller gets ErrNotLeader and
// Deposed's channel is closed. A commit whose outcome is unknown
// (store.ErrOutcomeUnknown) does the same, since the engine's memory may no
// longer be what the store holds; the caller gets ErrOutcomeUnknown.
//
// Health in a cluster is decided by the cluster (ExternalHealth): reports
// are counted as before, but the count is this server's observation only.
// The leader decides each member's health from the observations of the
// servers (DecideHealth), publishes it and stores it under health/<name>,
// where the followers read it; statuses are computed from the decided
// health on every server by the same code.

const prefixHealth = "health/"

func healthKey(name string) string { return prefixHealth + name }

// storedHealth is a member's decided health as stored.
type storedHealth struct {
	State  Health    `json:"state"`
	Since  time.Time `json:"since"`
	Source string    `json:"source,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// switchStore is the engine's store: reads and watches go to the shared
// store; commits go to the writer of the moment, or are refused while the
// engine follows.
type switchStore struct {
	store.Store
	writer   atomic.Pointer[writerBox]
	stepDown func(w *writerBox, why string)
}

// writerBox is one leadership's writer. It is deposed at once when a
// commit through it is fenced off or has an unknown outcome: it commits
// nothing more, and the engine no longer reports that it leads, while the
// step-down itself (following) runs in the background.
type writerBox struct {
	st      store.Store
	deposed atomic.Bool
}

// usable reports whether w may commit.
func (w *writerBox) usable() bool { return w != nil && !w.deposed.Load() }

func (s *switchStore) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	w := s.writer.Load()
	if !w.usable() {
		return 0, newError(KindNotLeader, "this server does not lead the cluster")
	}
	rev, err := w.st.Commit(ctx, txn)
	if errors.Is(err, store.ErrOutcomeUnknown) {
		s.stepDown(w, "a commit's outcome is unknown; following, to take the state from the store")
	}
	if errors.Is(err, store.ErrFenced) {
		s.stepDown(w, "another server leads now: a commit was fenced off; following")
		return 0, &Error{Kind: KindNotLeader, Message: "this server no longer leads the cluster (" + err.Error() + ")", Err: err}
	}
	return rev, err
}

// Close never closes the shared store: its owner does.
func (s *switchStore) Close() error { return nil }

// modeState is the engine's cluster mode.
type modeState struct {
	mu        sync.Mutex // serializes Lead, Follow and step-downs
	following atomic.Bool
	clustered atomic.Bool   // Follow or Lead was called: health is stored
	cancel    func()        // stops the follower's watch loop
	done      chan struct{} // closed when the watch loop ended
	deposed   chan struct{} // closed when the leadership of the last Lead is lost
	live      atomic.Bool   // the follower's watch is applying changes
	applied   atomic.Int64  // store revision the follower has applied
	appliedAt atomic.Int64  // unix nanoseconds of the last applied change

	order reorder // the follower's republished records

	unsettledMu sync.Mutex
	unsettled   []uint64                                      // Seqs of records whose commit had an unknown outcome (see publishSettled)
	observer    atomic.Pointer[func(member string, h Health)] // ExternalHealth's observer
	gone        atomic.Pointer[func(member string)]           // OnMemberGone's function
	origin      atomic.Pointer[string]
}

// SetOrigin names this server in the records it makes (Record.Origin).
func (e *Engine) SetOrigin(name string) { e.mode.origin.Store(&name) }

// Origin is the name SetOrigin gave, or "".
func (e *Engine) Origin() string {
	if p := e.mode.origin.Load(); p != nil {
		return *p
	}
	return ""
}

// Leading reports whether the engine leads (acts and writes): it does
// not follow, and its writer was not deposed by a fenced commit.
func (e *Engine) Leading() bool {
	if e.mode.following.Load() {
		return false
	}
	w := e.ss.writer.Load()
	return w == nil || !w.deposed.Load()
}

// Deposed returns a channel that is closed when the engine, leading since
// the last Lead, stepped down after a fenced commit or a commit whose
// outcome is unknown. While following it returns a closed channel.
func (e *Engine) Deposed() <-chan struct{} {
	e.mode.mu.Lock()
	defer e.mode.mu.Unlock()
	if e.mode.deposed == nil || e.mode.following.Load() {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return e.mode.deposed
}

// Applied reports, for a following engine, whether its watch is live, the
// store revision it has applied, and when it last applied a change. A
// leading engine reports true and zero values.
func (e *Engine) Applied() (live bool, rev int64, at time.Time) {
	if !e.mode.following.Load() {
		return true, 0, time.Time{}
	}
	return e.mode.live.Load(), e.mode.applied.Load(), time.Unix(0, e.mode.appliedAt.Load())
}

// Follow makes the engine a follower (see the cluster modes above). It
// returns at once; the state is brought up to date in the background
// (Applied tells when).
func (e *Engine) Follow() {
	e.mode.mu.Lock()
	defer e.mode.mu.Unlock()
	e.followLocked()
}

func (e *Engine) followLocked() {
	if e.closed.Load() || (e.mode.following.Load() && e.mode.cancel != nil) {
		return
	}
	if g := e.seq.Load(); !e.mode.following.Load() && g != nil {
		// Every record this engine numbered while it led was published
		// (or never stored, or is remembered as unsettled): the watch's
		// reload must not publish them again.
		e.mode.order.reset(g.last.Load())
	}
	e.mode.clustered.Store(true)
	e.mode.following.Store(true)
	e.ss.writer.Store(nil)
	if e.mode.deposed != nil {
		select {
		case <-e.mode.deposed:
		default:
			close(e.mode.deposed)
		}
	}
	e.stopSchedules()
	e.stopTimers()
	e.startFollowing()
}

func (e *Engine) startFollowing() {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	e.mode.cancel, e.mode.done = cancel, done
	go func() {
		defer close(done)
		e.followLoop(ctx)
	}()
}

// stopFollowing ends the watch loop; e.mode.mu must be held.
func (e *Engine) stopFollowing() {
	if e.mode.cancel != nil {
		e.mode.cancel()
		<-e.mode.done
		e.mode.cancel, e.mode.done = nil, nil
	}
	e.mode.live.Store(false)
}

// Lead makes the engine lead, writing through st (the fenced store of a
// won election). It reloads the state from the store first; on an error it
// keeps following.
func (e *Engine) Lead(st store.Store) error {
	e.mode.mu.Lock()
	defer e.mode.mu.Unlock()
	if err := e.checkOpen(); err != nil {
		return err
	}
	e.mode.clustered.Store(true)
	e.mode.following.Store(true)
	e.stopFollowing()
	if err := e.resync(e.ctx); err != nil {
		e.startFollowing()
		return err
	}
	box := &writerBox{st: st}
	e.ss.writer.Store(box)
	var highest uint64
	e.hist.mu.Lock()
	if n := len(e.hist.kept); n > 0 {
		highest = e.hist.kept[n-1]
	}
	e.hist.mu.Unlock()
	g, err := openSeq(e.ctx, e.st, e.log, highest)
	if err != nil {
		e.ss.writer.Store(nil)
		e.startFollowing()
		return err
	}
	e.seq.Store(g)
	e.mode.deposed = make(chan struct{})
	e.mode.following.Store(false)
	e.armLoaded()
	e.mu.RLock()
	sets := make([]*setState, 0, len(e.sets))
	for _, s := range e.sets {
		sets = append(sets, s)
	}
	e.mu.RUnlock()
	for _, s := range sets {
		e.scheduleAuto(s)
	}
	e.log.Info("leading: acting on the shared store")
	return nil
}

// onStepDown makes a leading engine of a cluster follow after its writer
// was fenced off, or after a commit whose outcome is unknown: its memory
// may then differ from the store, which a following engine (or the next
// Lead) loads again. A single server's engine keeps writing.
func (e *Engine) onStepDown(w *writerBox, why string) {
	if !e.mode.clustered.Load() {
		return
	}
	w.deposed.Store(true)
	go func() {
		e.mode.mu.Lock()
		defer e.mode.mu.Unlock()
		if e.ss.writer.Load() != w {
			return
		}
		e.log.Warn(why)
		e.followLocked()
	}()
}

// notLeader refuses a write on a following engine.
func (e *Engine) notLeader() error {
	if e.mode.following.Load() {
		return newError(KindNotLeader, "this server does not lead the cluster; writes go to the leader")
	}
	return nil
}

// checkWrite is checkOpen for changes: a following engine refuses them.
func (e *Engine) checkWrite() error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	return e.notLeader()
}

// followLoop keeps the state current from the store's watch, loading it
// afresh whenever the watch starts (or restarts after a lag).
func (e *Engine) followLoop(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		w := e.ss.Store.Watch(ctx, "")
		from, err := e.ss.Store.Revision(ctx)
		if err == nil {
			err = e.resync(ctx)
		}
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("following: loading the state failed; trying again", "err", err)
			}
			if !pause.Sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		e.mode.applied.Store(from)
		e.mode.appliedAt.Store(e.clock.Now().UnixNano())
		e.mode.live.Store(true)
		e.applyWatch(ctx, w, from)
		e.mode.live.Store(false)
		if ctx.Err() == nil {
			e.log.Warn("following: the store watch ended; loading the state again", "err", w.Err())
		}
	}
}

// applyWatch applies watched changes newer than from until the watch ends.
func (e *Engine) applyWatch(ctx context.Context, w store.Watcher, from int64) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events():
			if !ok {
				return
			}
			if ev.KV.ModRevision <= from {
				continue
			}
			if err := e.applyEvent(ev); err != nil {
				e.log.Warn("following: a stored change could not be applied; loading the state again", "key", ev.KV.Key, "err", err)
				return
			}
			e.mode.applied.Store(ev.KV.ModRevision)
			e.mode.appliedAt.Store(e.clock.Now().UnixNano())
		}
	}
}

// applyEvent applies one stored change to the in-memory state.
func (e *Engine) applyEvent(ev store.Event) error {
	k := ev.KV.Key
	switch {
	case strings.HasPrefix(k, prefixMembers):
		if ev.Delete {
			e.watchedMemberGone(strings.TrimPrefix(k, prefixMembers))
			return nil
		}
		return e.watchedMember(ev.KV)
	case strings.HasPrefix(k, prefixSets):
		if ev.Delete {
			e.watchedSetGone(strings.TrimPrefix(k, prefixSets))
			return nil
		}
		return e.watchedSet(ev.KV)
	case strings.HasPrefix(k, prefixHealth):
		if ev.Delete {
			return nil
		}
		return e.watchedHealth(ev.KV)
	case strings.HasPrefix(k, prefixHistory):
		if ev.Delete {
			e.watchedTrim(k)
			return nil
		}
		return e.watchedRecord(ev.KV)
	case strings.HasPrefix(k, prefixScheduled):
		return e.watchedSchedule(ev)
	case k == keyPaused:
		return e.watchedPause(ev)
	}
	return nil
}

func (e *Engine) watchedMember(kv store.KV) error {
	m, _, err := decodeMember(kv.Value)
	if err != nil {
		return err
	}
	if memberKey(m.Name) != kv.Key {
		return fmt.Errorf("name %q does not match its key", m.Name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ms := e.members[m.Name]
	if ms == nil {
		e.members[m.Name] = e.newMemberState(m, kv.ModRevision)
		return nil
	}
	ms.mu.Lock()
	ms.member, ms.rev = m, kv.ModRevision
	ms.mu.Unlock()
	return nil
}

func (e *Engine) watchedMemberGone(name string) {
	e.mu.RLock()
	ms := e.members[name]
	e.mu.RUnlock()
	if ms != nil {
		e.dropMember(ms)
	}
}

func (e *Engine) watchedSet(kv store.KV) error {
	rec, err := decodeSetRecord(kv.Value)
	if err != nil {
		return err
	}
	if setKey(rec.Set.InstanceID) != kv.Key {
		return fmt.Errorf("InstanceID %q does not match its key", rec.Set.InstanceID)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	roles := make([]roleEntry, len(rec.Roles))
	for i, r := range rec.Roles {
		m := e.members[r.Member]
		if m == nil {
			return fmt.Errorf("set %q: role of unknown member %q", rec.Set.InstanceID, r.Member)
		}
		roles[i] = roleEntry{m: m, role: r.Role}
	}
	s := e.sets[rec.Set.InstanceID]
	if s == nil {
		return e.linkSet(&rec, kv.ModRevision)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	relinkMembers(s, s.roles, roles)
	s.set, s.roles, s.rev, s.paused = rec.Set, roles, kv.ModRevision, rec.Paused
	s.status = s.computeStatus() // the leader's StatusChanged record comes with the history
	e.setShownChanged(s)
	return nil
}

// relinkMembers updates the set index of the members that left s or
// joined it. Members that stay (a failover only swaps roles) are not
// touched: a member of thousands of sets would otherwise have its index
// searched once per changed set. Engine.mu must be held for writing.
func relinkMembers(s *setState, old, roles []roleEntry) {
	for _, r := range old {
		if roleIndex(roles, r.m.name) < 0 {
			r.m.sets = slices.DeleteFunc(r.m.sets, func(x *setState) bool { return x == s })
		}
	}
	for _, r := range roles {
		if roleIndex(old, r.m.name) < 0 {
			r.m.sets = append(r.m.sets, s)
		}
	}
}

func (e *Engine) watchedSetGone(id string) {
	e.mu.RLock()
	s := e.sets[id]
	e.mu.RUnlock()
	if s != nil {
		e.dropSet(s)
	}
}

func (e *Engine) watchedHealth(kv store.KV) error {
	var sh storedHealth
	if err := json.Unmarshal(kv.Value, &sh); err != nil {
		return newError(KindInvalid, "invalid health record: %v", err)
	}
	e.mu.RLock()
	m := e.members[strings.TrimPrefix(kv.Key, prefixHealth)]
	e.mu.RUnlock()
	if m == nil {
		return nil // a member deleted meanwhile
	}
	m.health.mu.Lock()
	m.health.decide(sh)
	m.health.mu.Unlock()
	for _, s := range e.setsOf(m) {
		s.mu.Lock()
		if now := s.computeStatus(); now != s.status {
			s.status = now
			e.setShownChanged(s)
		}
		s.mu.Unlock()
	}
	return nil
}

// watchedRecord republishes a record the leader committed.
func (e *Engine) watchedRecord(kv store.KV) error {
	var r event.Record
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return newError(KindInvalid, "invalid history record: %v", err)
	}
	e.hist.mu.Lock()
	e.hist.insert(r.Seq)
	e.hist.mu.Unlock()
	e.reorderAdd(r)
	return nil
}

// watchedTrim forgets a history record the leader trimmed.
func (e *Engine) watchedTrim(key string) {
	seq, ok := parseHistoryKey(key)
	if !ok {
		return
	}
	e.hist.mu.Lock()
	defer e.hist.mu.Unlock()
	if i, found := slices.BinarySearch(e.hist.kept, seq); found {
		e.hist.kept = slices.Delete(e.hist.kept, i, i+1)
	}
}

func (e *Engine) watchedSchedule(ev store.Event) error {
	e.sched.mu.Lock()
	defer e.sched.mu.Unlock()
	if ev.Delete {
		for id, ent := range e.sched.m {
			if scheduledKey(id) == ev.KV.Key {
				if ent.timer != nil {
					ent.timer.Stop()
				}
				delete(e.sched.m, id)
			}
		}
		return nil
	}
	var sf ScheduledFailover
	if err := json.Unmarshal(ev.KV.Value, &sf); err != nil || scheduledKey(sf.ID) != ev.KV.Key {
		return newError(KindInvalid, "%s: bad scheduled failover", ev.KV.Key)
	}
	if e.sched.m == nil {
		e.sched.m = make(map[uint64]*schedEntry)
	}
	e.sched.m[sf.ID] = &schedEntry{sf: sf}
	return nil
}

func (e *Engine) watchedPause(ev store.Event) error {
	e.pause.mu.Lock()
	defer e.pause.mu.Unlock()
	if ev.Delete {
		e.pause.cur.Store(nil)
		e.pause.rev = 0
		return nil
	}
	var p Pause
	if err := json.Unmarshal(ev.KV.Value, &p); err != nil {
		return newError(KindInvalid, "invalid %s: %v", keyPaused, err)
	}
	e.pause.cur.Store(&p)
	e.pause.rev = ev.KV.ModRevision
	return nil
}

// resync loads the whole state from the store again, replacing the one in
// memory (whose sets and members are marked gone). Statuses are computed
// silently: the leader publishes their changes.
func (e *Engine) resync(ctx context.Context) error {
	// Read first, without holding e.mu, so that reads keep being served
	// while the store is slow or away. Sets are read before the members,
	// so that every member a set names is there.
	var kvs [3][]store.KV
	for i, prefix := range []string{prefixSets, prefixMembers, prefixHealth} {
		var err error
		if kvs[i], _, err = e.st.List(ctx, prefix); err != nil {
			return fmt.Errorf("engine: load %s: %w", prefix, err)
		}
	}
	gapFrom := e.mode.order.expected() // records from here on were not published yet
	e.mu.Lock()
	oldSets, oldMembers := e.sets, e.members
	e.sets, e.members = make(map[string]*setState), make(map[string]*memberState)
	e.setListChanged()
	err := e.installMembers(kvs[1])
	if err == nil {
		err = e.installHealth(kvs[2])
	}
	if err == nil {
		err = e.installSets(kvs[0])
	}
	if err != nil {
		e.sets, e.members = oldSets, oldMembers
		e.setListChanged()
		e.mu.Unlock()
		return err
	}
	e.mu.Unlock()
	e.keepObservations(oldMembers)
	for _, s := range oldSets {
		s.mu.Lock()
		s.gone = true
		s.mu.Unlock()
	}
	for _, m := range oldMembers {
		m.mu.Lock()
		m.gone = true
		m.mu.Unlock()
	}
	e.pause.mu.Lock()
	e.pause.cur.Store(nil)
	e.pause.rev = 0
	e.pause.mu.Unlock()
	steps := []func(context.Context) error{e.loadPause, e.loadSchedules, e.loadHistory}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	e.hist.mu.Lock()
	var last uint64
	if n := len(e.hist.kept); n > 0 {
		last = e.hist.kept[n-1]
	}
	e.hist.mu.Unlock()
	if gapFrom > 0 && gapFrom <= last {
		e.republishGap(ctx, gapFrom)
	}
	e.mode.order.reset(last)
	e.publishSettled(ctx)
	return nil
}

// noteUnsettled remembers records whose commit had an unknown outcome:
// this engine did not publish them, and the store may hold them.
func (e *Engine) noteUnsettled(recs []*event.Record) {
	e.mode.unsettledMu.Lock()
	defer e.mode.unsettledMu.Unlock()
	for _, r := range recs {
		e.mode.unsettled = append(e.mode.unsettled, r.Seq)
	}
}

// landed records that a commit which had failed did store after all (read
// back): they are persisted, and no longer unsettled.
func (e *Engine) landed(recs ...*event.Record) {
	e.mode.unsettledMu.Lock()
	defer e.mode.unsettledMu.Unlock()
	for _, r := range recs {
		e.hist.persisted(r.Seq)
		e.mode.unsettled = slices.DeleteFunc(e.mode.unsettled, func(s uint64) bool { return s == r.Seq })
	}
}

// publishSettled publishes the records of commits whose outcome was
// unknown that the store holds after all (their change happened), once;
// those it does not hold are forgotten, and those it could not be asked
// about are kept for the next load.
func (e *Engine) publishSettled(ctx context.Context) {
	e.mode.unsettledMu.Lock()
	defer e.mode.unsettledMu.Unlock()
	var keep []uint64
	for _, seq := range e.mode.unsettled {
		kv, err := e.st.Get(ctx, historyKey(seq))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		var r event.Record
		if err == nil {
			err = json.Unmarshal(kv.Value, &r)
		}
		if err != nil {
			keep = append(keep, seq)
			continue
		}
		e.log.Info("a change whose outcome was unknown was stored after all; publishing its record", "seq", seq, "kind", r.Kind, "set", r.SetID)
		e.bus.Publish(r)
	}
	e.mode.unsettled = keep
}

// republishGap publishes, in order, the stored records numbered from on
// that this engine has not published: the leader committed them while the
// watch was away (lagged, ended), so the event stream of this server shows
// them as every other server's does. Records already trimmed are lost to
// the stream, as to the history.
func (e *Engine) republishGap(ctx context.Context, from uint64) {
	kvs, _, err := e.st.List(ctx, prefixHistory)
	if err != nil {
		e.log.Warn("following: the records missed while reloading could not be read", "err", err)
		return
	}
	n := 0
	for _, kv := range kvs {
		if seq, ok := parseHistoryKey(kv.Key); !ok || seq < from {
			continue
		}
		var r event.Record
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			e.log.Warn("following: a stored record could not be read", "key", kv.Key, "err", err)
			continue
		}
		e.bus.Publish(r)
		n++
	}
	if n > 0 {
		e.log.Info("following: published the records committed while the watch was away", "records", n, "from", from)
	}
}

// keepObservations carries this server's own count of each member's
// reports from the state replaced by a reload to the new one (the store
// holds only the decided health): its rise/fall progress stays, and its
// TTL deadline moves to the new member's timer. The old timers stop, so a
// replaced member never expires.
func (e *Engine) keepObservations(old map[string]*memberState) {
	now := e.clock.Now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	for name, nm := range e.members {
		om := old[name]
		if om == nil {
			continue
		}
		om.health.mu.Lock()
		info := om.health.info
		om.health.gen++ // its TTL timer, if one fires still, does nothing
		if om.health.timer != nil {
			om.health.timer.Stop()
			om.health.timer = nil
		}
		om.health.mu.Unlock()
		nm.health.mu.Lock()
		if nm.health.ext { // without the cluster's decision, info is the stored health
			nm.health.info = info
			if !info.Expires.IsZero() {
				e.armTTL(nm, max(info.Expires.Sub(now), time.Millisecond))
			}
		}
		nm.health.mu.Unlock()
	}
}

// installHealth sets the decided health of the members (stored by the
// leader in a cluster); e.mu must be held.
func (e *Engine) installHealth(kvs []store.KV) error {
	for _, kv := range kvs {
		var sh storedHealth
		if err := json.Unmarshal(kv.Value, &sh); err != nil {
			return fmt.Errorf("engine: load health: %s: bad record: %w", kv.Key, err)
		}
		if m := e.members[strings.TrimPrefix(kv.Key, prefixHealth)]; m != nil {
			m.health.mu.Lock()
			m.health.decide(sh)
			m.health.mu.Unlock()
		}
	}
	return nil
}

// newMemberState makes the in-memory state of a stored member.
func (e *Engine) newMemberState(m Member, rev int64) *memberState {
	ms := &memberState{name: m.Name, member: m, rev: rev}
	ms.health.ext = e.mode.observer.Load() != nil
	return ms
}

// ExternalHealth hands the decision on members' health to the cluster:
// from now on a counted change of a report is this server's observation,
// given to observe, and statuses follow the health given to DecideHealth
// (on the leader) or stored by the leader (on followers).
func (e *Engine) ExternalHealth(observe func(member string, h Health)) {
	e.mode.observer.Store(&observe)
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, m := range e.members {
		h := &m.health
		h.mu.Lock()
		if !h.ext { // what was decided so far stands until the cluster decides
			h.dec.State, h.dec.Since, h.dec.Source, h.dec.Detail = h.info.State, h.info.Since, h.info.Source, h.info.Detail
			h.ext = true
		}
		h.mu.Unlock()
	}
}

// OnMemberGone calls gone with the name of every member this engine drops
// from now on: deleted through it, or (following) deleted by the leader. A
// cluster forgets this server's observations of the member with it.
func (e *Engine) OnMemberGone(gone func(member string)) {
	e.mode.gone.Store(&gone)
}

// Observations returns this server's counted observation of every member.
func (e *Engine) Observations() map[string]Health {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make(map[string]Health, len(e.members))
	for name, m := range e.members {
		m.health.mu.Lock()
		out[name] = m.health.info.State
		m.health.mu.Unlock()
	}
	return out
}

// DecideHealth sets a member's decided health (leader only): a change is
// published as a HealthChanged record, stored for the followers, and acted
// on like a counted change of a single server.
func (e *Engine) DecideHealth(name string, h Health, source, detail string) error {
	if err := e.checkWrite(); err != nil {
		return err
	}
	m, err := e.lookupMember(name)
	if err != nil {
		return err
	}
	hs := &m.health
	hs.mu.Lock()
	from := hs.dec.State
	if from == h {
		hs.mu.Unlock()
		return nil
	}
	sh := storedHealth{State: h, Since: e.clock.Now(), Source: source, Detail: detail}
	hs.decide(sh)
	ch := healthChange{from: from, to: h}
	e.emitHealth(m, ch)
	hs.mu.Unlock()
	e.storeHealth(m.name, sh)
	e.healthChanged(m, ch)
	return nil
}

// observed passes a counted change of this server's own observation to the
// cluster; false when the engine decides health itself.
func (e *Engine) observed(m *memberState, h Health) bool {
	f := e.mode.observer.Load()
	if f == nil {
		return false
	}
	(*f)(m.name, h)
	return true
}

// storeHealth queues the write of a member's decided health (a cluster
// leader only).
func (e *Engine) storeHealth(name string, sh storedHealth) {
	if !e.mode.clustered.Load() {
		return
	}
	data, err := json.Marshal(sh)
	if err != nil {
		return
	}
	e.hist.putLater(healthKey(name), data)
}

// decide sets the decided health; h.mu must be held.
func (h *healthState) decide(sh storedHealth) {
	h.dec.State, h.dec.Since, h.dec.Source, h.dec.Detail = sh.State, sh.Since, sh.Source, sh.Detail
	if !h.ext {
		h.info.State, h.info.Since, h.info.Source, h.info.Detail = sh.State, sh.Since, sh.Source, sh.Detail
	}
}
