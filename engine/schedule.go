package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// ScheduledFailover is a requested failover the engine runs at a set time.
// ID is the Seq of the record that scheduled it. When it runs, it goes
// through the same checks and commit as Failover, as its By actor, and its
// outcome is an ordinary FailoverSucceeded or FailoverRefused record whose
// ScheduleID is ID. Scheduled failovers are stored: they outlast a
// restart. One that a stopped server missed by more than
// Options.ScheduleGrace is not run but recorded as refused (code 2).
type ScheduledFailover struct {
	ID      uint64    `json:"id"`
	SetID   string    `json:"setId"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	At      time.Time `json:"at"`
	Created time.Time `json:"created"`
	By      Actor     `json:"by"`
}

// MaxScheduleAhead is how far ahead a failover may be scheduled.
const MaxScheduleAhead = 366 * 24 * time.Hour

const prefixScheduled = "scheduled/"

func scheduledKey(id uint64) string { return fmt.Sprintf("%s%020d", prefixScheduled, id) }

// schedules holds the pending scheduled failovers. mu guards m and every
// entry.
type schedules struct {
	mu sync.Mutex
	m  map[uint64]*schedEntry
}

type schedEntry struct {
	sf    ScheduledFailover
	timer Timer
	taken bool // running, or being cancelled
}

// ScheduleFailover schedules a requested failover of set setID from one
// member to another at a time in the future (at most MaxScheduleAhead). It
// checks now what cannot change by itself — the set exists (else
// ErrSetNotFound), both members are named, differ and belong to the set —
// and leaves the other checks to the moment it runs. It takes the set like
// any change (ErrBusy while another is under way) and is committed with
// its ScheduleChanged record before the call returns.
func (e *Engine) ScheduleFailover(ctx context.Context, setID, from, to string, at time.Time) (_ ScheduledFailover, err error) {
	defer e.auditRefusal(ctx, "failover scheduled", setID, to, &err)
	if err := e.checkWrite(); err != nil {
		return ScheduledFailover{}, err
	}
	now := e.clock.Now()
	if !at.After(now) || at.Sub(now) > MaxScheduleAhead {
		return ScheduledFailover{}, invalid("At", "must be in the future, at most a year ahead", at.UTC().Format(time.RFC3339))
	}
	s, err := e.lookupSet(setID)
	if err != nil {
		return ScheduledFailover{}, err
	}
	h, err := holdSet(s)
	if err != nil {
		return ScheduledFailover{}, err
	}
	defer h.release()
	if err := checkScheduledMembers(s, from, to); err != nil {
		return ScheduledFailover{}, err
	}
	rec := e.scheduleRecord(ctx, "scheduled", ScheduledFailover{SetID: setID, From: from, To: to, At: at})
	sf := ScheduledFailover{ID: rec.Seq, SetID: setID, From: from, To: to, At: at, Created: now, By: *rec.Actor}
	data, err := json.Marshal(sf)
	if err != nil {
		return ScheduledFailover{}, err
	}
	if _, err := e.commit(ctx, store.Txn{Ops: []store.Op{{Key: scheduledKey(sf.ID), Value: data}}}, rec); err != nil {
		return ScheduledFailover{}, err
	}
	e.arm(sf, at.Sub(now))
	e.publish(rec)
	return sf, nil
}

// checkScheduledMembers checks the members of a failover to schedule.
func checkScheduledMembers(s *setState, from, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case from == "":
		return invalid("From", "is missing", nil)
	case to == "":
		return invalid("To", "is missing", nil)
	case from == to:
		return invalid("To", "must differ from From", to)
	case roleIndex(s.roles, from) < 0:
		return invalid("From", fmt.Sprintf("is not a member of set %q", s.id), from)
	case roleIndex(s.roles, to) < 0:
		return invalid("To", fmt.Sprintf("is not a member of set %q", s.id), to)
	}
	return nil
}

func (e *Engine) scheduleRecord(ctx context.Context, action string, sf ScheduledFailover) *event.Record {
	r := e.newRecord(ctx, event.KindScheduleChanged, sf.SetID, sf.To)
	id := sf.ID
	if id == 0 {
		id = r.Seq // a new schedule is named by its own record
	}
	r.Schedule = &event.ScheduleChanged{ID: id, Action: action, From: sf.From, To: sf.To, At: sf.At}
	return r
}

// arm enters sf and starts its timer.
func (e *Engine) arm(sf ScheduledFailover, delay time.Duration) {
	e.sched.mu.Lock()
	defer e.sched.mu.Unlock()
	if e.sched.m == nil {
		e.sched.m = make(map[uint64]*schedEntry)
	}
	ent := &schedEntry{sf: sf}
	e.sched.m[sf.ID] = ent
	if !e.closed.Load() {
		ent.timer = e.clock.AfterFunc(max(delay, 0), func() {
			e.pool.submit(func() { e.runScheduled(sf.ID, 0) })
		})
	}
}

// take claims a pending entry for running or cancelling; ok is false when
// it is gone or already claimed.
func (sc *schedules) take(id uint64) (ScheduledFailover, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	ent := sc.m[id]
	if ent == nil || ent.taken {
		return ScheduledFailover{}, false
	}
	ent.taken = true
	return ent.sf, true
}

func (sc *schedules) release(id uint64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if ent := sc.m[id]; ent != nil {
		ent.taken = false
	}
}

// drop forgets entries and stops their timers.
func (sc *schedules) drop(ids ...uint64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, id := range ids {
		if ent := sc.m[id]; ent != nil {
			if ent.timer != nil {
				ent.timer.Stop()
			}
			delete(sc.m, id)
		}
	}
}

// ofSet lists the pending entries of a set ("" for all), by time, then ID.
func (sc *schedules) ofSet(setID string) []ScheduledFailover {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	out := []ScheduledFailover{}
	for _, ent := range sc.m {
		if setID == "" || ent.sf.SetID == setID {
			out = append(out, ent.sf)
		}
	}
	slices.SortFunc(out, func(a, b ScheduledFailover) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// runScheduled runs a due scheduled failover as the actor who scheduled
// it. A busy set is tried again with growing delays, like automatic
// failover; any other outcome ends it and removes it from the store.
func (e *Engine) runScheduled(id uint64, attempt int) {
	sf, ok := e.sched.take(id)
	if !ok {
		return
	}
	ctx := WithActor(e.ctx, sf.By)
	req := FailoverRequest{SetID: sf.SetID, From: sf.From, To: sf.To, Planned: true, ScheduleID: id}
	res := e.failover(ctx, req)
	if errors.Is(res.Err, ErrNotLeader) {
		e.sched.release(id) // it stays stored; the new leader runs it
		return
	}
	if res.Code == CodeBusy && attempt < e.opts.AutoRetries && e.pool.hold() {
		e.sched.release(id)
		delay := time.Duration(1<<min(attempt+1, 10)) * 5 * time.Millisecond
		e.clock.AfterFunc(delay, func() {
			defer e.pool.unhold()
			e.pool.submit(func() { e.runScheduled(id, attempt+1) })
		})
		return
	}
	if res.Code != CodeCompleted { // a completed failover deleted the key in its own commit
		e.deleteScheduled(id)
	}
	e.sched.drop(id)
}

// deleteScheduled removes a scheduled failover from the store.
func (e *Engine) deleteScheduled(id uint64) {
	txn := store.Txn{Ops: []store.Op{{Key: scheduledKey(id), Delete: true}}}
	if _, err := e.st.Commit(context.Background(), txn); err != nil {
		e.log.Warn("a scheduled failover that ran could not be removed; it will be refused at the next start", "id", id, "err", err)
	}
}

// ScheduledFailovers lists the pending scheduled failovers of set setID
// (ErrSetNotFound when it does not exist), or of every set when setID is
// empty, by time.
func (e *Engine) ScheduledFailovers(setID string) ([]ScheduledFailover, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if setID != "" {
		if _, err := e.lookupSet(setID); err != nil {
			return nil, err
		}
	}
	return e.sched.ofSet(setID), nil
}

// CancelScheduledFailover cancels a pending scheduled failover of set
// setID: ErrNotFound when there is none with that ID (it may have run),
// ErrBusy while it is running. The cancellation is committed with its
// ScheduleChanged record.
func (e *Engine) CancelScheduledFailover(ctx context.Context, setID string, id uint64) (err error) {
	defer e.auditRefusal(ctx, "scheduled failover cancelled", setID, "", &err)
	if err := e.checkWrite(); err != nil {
		return err
	}
	if _, err := e.lookupSet(setID); err != nil {
		return err
	}
	sf, err := e.claimScheduled(setID, id)
	if err != nil {
		return err
	}
	rec := e.scheduleRecord(ctx, "cancelled", sf)
	if _, err := e.commit(ctx, store.Txn{Ops: []store.Op{{Key: scheduledKey(id), Delete: true}}}, rec); err != nil {
		e.sched.release(id)
		return err
	}
	e.sched.drop(id)
	e.publish(rec)
	return nil
}

func (e *Engine) claimScheduled(setID string, id uint64) (ScheduledFailover, error) {
	e.sched.mu.Lock()
	ent := e.sched.m[id]
	e.sched.mu.Unlock()
	if ent == nil || ent.sf.SetID != setID {
		return ScheduledFailover{}, newError(KindNotFound, "scheduled failover %d of set %q not found (it may have run already)", id, setID)
	}
	sf, ok := e.sched.take(id)
	if !ok {
		return ScheduledFailover{}, newError(KindBusy, "scheduled failover %d is running", id)
	}
	return sf, nil
}

// scheduledOps are the deletions of every scheduled failover of a set, for
// the transaction that deletes the set.
func (e *Engine) scheduledOps(setID string) ([]store.Op, []uint64) {
	var ops []store.Op
	var ids []uint64
	for _, sf := range e.sched.ofSet(setID) {
		ops = append(ops, store.Op{Key: scheduledKey(sf.ID), Delete: true})
		ids = append(ids, sf.ID)
	}
	return ops, ids
}

// loadSchedules reads the stored scheduled failovers; those of sets that
// no longer exist are dropped.
func (e *Engine) loadSchedules(ctx context.Context) error {
	kvs, _, err := e.st.List(ctx, prefixScheduled)
	if err != nil {
		return fmt.Errorf("engine: load scheduled failovers: %w", err)
	}
	m := make(map[uint64]*schedEntry, len(kvs))
	for _, kv := range kvs {
		var sf ScheduledFailover
		if err := json.Unmarshal(kv.Value, &sf); err != nil || scheduledKey(sf.ID) != kv.Key {
			return fmt.Errorf("engine: %s: bad scheduled failover", kv.Key)
		}
		e.mu.RLock()
		_, ok := e.sets[sf.SetID]
		e.mu.RUnlock()
		if !ok {
			if e.Leading() {
				e.deleteScheduled(sf.ID)
			}
			continue
		}
		m[sf.ID] = &schedEntry{sf: sf}
	}
	e.sched.mu.Lock()
	e.sched.m = m
	e.sched.mu.Unlock()
	return nil
}

// armLoaded starts the timers of the loaded scheduled failovers once the
// engine runs. None runs before Options.ScheduleSettle has passed, so that
// health reports have come in. One missed by more than
// Options.ScheduleGrace is recorded as refused and removed.
func (e *Engine) armLoaded() {
	now := e.clock.Now()
	for _, sf := range e.sched.ofSet("") {
		late := now.Sub(sf.At)
		if late <= e.opts.ScheduleGrace {
			e.arm(sf, max(sf.At.Sub(now), e.opts.ScheduleSettle))
			continue
		}
		e.sched.drop(sf.ID)
		req := FailoverRequest{SetID: sf.SetID, From: sf.From, To: sf.To, Planned: true, ScheduleID: sf.ID}
		reason := fmt.Sprintf("the scheduled failover was due at %s and redset was not running then; it missed its time by %s and was not run",
			sf.At.UTC().Format(time.RFC3339), late.Round(time.Second))
		res := FailoverResult{Code: CodeError, Reason: reason, Err: ErrUnavailable, Request: req}
		e.emitRefusal(WithActor(context.Background(), sf.By), req, res)
		e.deleteScheduled(sf.ID)
	}
}

// stopSchedules stops every timer (at Close); the schedules stay stored.
func (e *Engine) stopSchedules() {
	e.sched.mu.Lock()
	defer e.sched.mu.Unlock()
	for _, ent := range e.sched.m {
		if ent.timer != nil {
			ent.timer.Stop()
		}
	}
}
