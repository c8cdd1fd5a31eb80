package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// CreateSet stores a new set. A LoadBalanceAlgorithm of 0 with an empty
// OtherLoadBalanceAlgorithm takes the default 2 (No Load Balancing); zero
// flap guard settings take their defaults. The set starts without members.
func (e *Engine) CreateSet(ctx context.Context, in Set) (_ SetView, err error) {
	defer e.auditRefusal(ctx, "set created", in.InstanceID, "", &err)
	if err := e.checkWrite(); err != nil {
		return SetView{}, err
	}
	set := cloneSet(in)
	if set.LoadBalanceAlgorithm == LBUnknown && set.OtherLoadBalanceAlgorithm == "" {
		set.LoadBalanceAlgorithm = LBNone
	}
	normalizePolicy(&set.Policy)
	if err := ValidateSet(&set); err != nil {
		return SetView{}, err
	}
	if err := e.checkListenFree(&set); err != nil {
		return SetView{}, err
	}
	s, err := e.reserveSet(set.InstanceID)
	if err != nil {
		return SetView{}, err
	}
	rec := e.configRecord(ctx, set.InstanceID, "", "set created", set.ElementName)
	rev, err := e.commitSetRecord(ctx, setWrite{id: s.id, set: &set}, rec)
	if err != nil {
		e.unreserveSet(s)
		if isConflict(err) {
			return SetView{}, newError(KindExists, "set %q already exists", s.id)
		}
		return SetView{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set, s.rev, s.pending, s.busy = set, rev, false, false
	s.status = s.computeStatus()
	e.setShownChanged(s)
	e.publish(rec)
	return e.view(s), nil
}

// reserveSet enters a pending, busy placeholder so that concurrent creates
// of one InstanceID cannot both proceed.
func (e *Engine) reserveSet(id string) (*setState, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if old := e.sets[id]; old != nil {
		old.mu.Lock()
		pending := old.pending
		old.mu.Unlock()
		if pending {
			return nil, busy("set", id)
		}
		return nil, newError(KindExists, "set %q already exists", id)
	}
	s := &setState{id: id, pending: true, busy: true}
	e.sets[id] = s
	e.setListChanged()
	return s, nil
}

func (e *Engine) unreserveSet(s *setState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sets[s.id] == s {
		delete(e.sets, s.id)
		e.setListChanged()
	}
}

// UpdateSet changes a set's administrative properties and policy: change
// gets a copy of the set to modify; the result is validated as a whole.
// InstanceID cannot change, and MaxNumberSupported cannot drop below the
// current number of members. Roles are not touched.
func (e *Engine) UpdateSet(ctx context.Context, id string, change func(*Set) error) (_ SetView, err error) {
	defer e.auditRefusal(ctx, "set updated", id, "", &err)
	return e.changeSet(ctx, id, "set updated", change)
}

// SetLoadBalance sets LoadBalanceAlgorithm and OtherLoadBalanceAlgorithm,
// the only properties clients may write.
func (e *Engine) SetLoadBalance(ctx context.Context, id string, alg uint16, other string) (_ SetView, err error) {
	defer e.auditRefusal(ctx, "load balance algorithm changed", id, "", &err)
	if err := ValidateLoadBalance(alg, other); err != nil {
		return SetView{}, err
	}
	return e.changeSet(ctx, id, "load balance algorithm changed", func(s *Set) error {
		s.LoadBalanceAlgorithm, s.OtherLoadBalanceAlgorithm = alg, other
		return nil
	})
}

func (e *Engine) changeSet(ctx context.Context, id, action string, change func(*Set) error) (SetView, error) {
	if err := e.checkWrite(); err != nil {
		return SetView{}, err
	}
	s, err := e.lookupSet(id)
	if err != nil {
		return SetView{}, err
	}
	h, err := holdSet(s)
	if err != nil {
		return SetView{}, err
	}
	defer h.release()
	w := s.write()
	next := cloneSet(*w.set)
	if err := change(&next); err != nil {
		return SetView{}, err
	}
	if err := checkChangedSet(&next, id, len(w.roles)); err != nil {
		return SetView{}, err
	}
	if err := e.checkListenFree(&next); err != nil {
		return SetView{}, err
	}
	w.set = &next
	return e.applySetWrite(ctx, s, w, e.configRecord(ctx, id, "", action, ""))
}

func checkChangedSet(next *Set, id string, members int) error {
	if next.InstanceID != id {
		return invalid("InstanceID", "cannot change", next.InstanceID)
	}
	normalizePolicy(&next.Policy)
	if err := ValidateSet(next); err != nil {
		return err
	}
	if next.MaxNumberSupported != 0 && int(next.MaxNumberSupported) < members {
		return invalid("MaxNumberSupported", fmt.Sprintf("must not be below the current number of members (%d)", members), next.MaxNumberSupported)
	}
	return nil
}

// applySetWrite commits w and installs it in memory; the caller holds s.
func (e *Engine) applySetWrite(ctx context.Context, s *setState, w setWrite, rec *event.Record) (SetView, error) {
	rev, err := e.commitSetRecord(ctx, w, rec)
	if err != nil {
		return SetView{}, err
	}
	s.mu.Lock()
	s.set, s.roles, s.rev, s.paused = *w.set, w.roles, rev, w.paused
	e.setShownChanged(s)
	e.publish(rec)
	e.refreshStatus(s)
	v := e.view(s)
	s.mu.Unlock()
	if behaviourOf(w.set.TypeOfSet).sparing() {
		e.scheduleAuto(s)
	}
	return v, nil
}

// DeleteSet removes a set and its roles. Its members stay.
func (e *Engine) DeleteSet(ctx context.Context, id string) (err error) {
	defer e.auditRefusal(ctx, "set deleted", id, "", &err)
	if err := e.checkWrite(); err != nil {
		return err
	}
	s, err := e.lookupSet(id)
	if err != nil {
		return err
	}
	h, err := holdSet(s)
	if err != nil {
		return err
	}
	defer h.release()
	rec := e.configRecord(ctx, id, "", "set deleted", "")
	ops, scheduled := e.scheduledOps(id) // its scheduled failovers go with it
	if err := e.commitDelete(ctx, setKey(id), s.write().rev, ops, rec); err != nil {
		return err
	}
	e.sched.drop(scheduled...)
	e.dropSet(s)
	e.publish(rec)
	return nil
}

// commitDelete deletes key with a compare on rev, plus more operations and
// history records.
func (e *Engine) commitDelete(ctx context.Context, key string, rev int64, more []store.Op, recs ...*event.Record) error {
	txn := store.Txn{
		Compares: []store.Compare{{Key: key, ModRevision: rev}},
		Ops:      append([]store.Op{{Key: key, Delete: true}}, more...),
	}
	_, err := e.commit(ctx, txn, recs...)
	if err == nil || isConflict(err) {
		return err
	}
	if _, gerr := e.st.Get(context.WithoutCancel(ctx), key); errors.Is(gerr, store.ErrNotFound) {
		e.landed(recs...)
		return nil // the delete landed
	}
	return err
}

func (e *Engine) dropSet(s *setState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone = true
	delete(e.sets, s.id)
	e.setListChanged()
	for _, r := range s.roles {
		r.m.sets = slices.DeleteFunc(r.m.sets, func(x *setState) bool { return x == s })
	}
}

// GetSet returns a set with its computed RedundancyStatus and its members.
func (e *Engine) GetSet(id string) (SetView, error) {
	if err := e.checkOpen(); err != nil {
		return SetView{}, err
	}
	s, err := e.lookupSet(id)
	if err != nil {
		return SetView{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return SetView{}, notFound("set", id)
	}
	return e.view(s), nil
}

// Candidates is what a new unit of work needs of a set: the names of its
// operational in-service members in name order, its revision and its
// LoadBalanceAlgorithm.
type Candidates struct {
	SetID     string
	Names     []string
	Revision  int64
	Algorithm uint16
}

// Candidates reads a set's candidates, the names appended to buf[:0]: a
// much cheaper read than GetSet for work that needs only these, such as
// each new connection of a frontend.
func (e *Engine) Candidates(id string, buf []string) (Candidates, error) {
	if err := e.checkOpen(); err != nil {
		return Candidates{}, err
	}
	s, err := e.lookupSet(id)
	if err != nil {
		return Candidates{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return Candidates{}, notFound("set", id)
	}
	c := Candidates{SetID: id, Names: buf[:0], Revision: s.rev, Algorithm: s.set.LoadBalanceAlgorithm}
	for _, r := range s.roles {
		if r.role.Kind == RoleInService && r.m.health.state().Operational() {
			c.Names = append(c.Names, r.m.name)
		}
	}
	return c, nil
}

// ListSets returns every set in InstanceID order.
func (e *Engine) ListSets() ([]SetView, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	all := e.sortedSets()
	out := make([]SetView, 0, len(all))
	for _, s := range all {
		s.mu.Lock()
		if !s.pending && !s.gone {
			out = append(out, e.view(s))
		}
		s.mu.Unlock()
	}
	return out, nil
}

// view builds the SetView from one consistent snapshot; s.mu must be held.
func (e *Engine) view(s *setState) SetView {
	v := SetView{Set: cloneSet(s.set), Revision: s.rev, FlapGuardTripped: s.auto.tripped,
		ServerPaused: e.pause.cur.Load() != nil}
	if s.paused != nil {
		p := *s.paused
		v.Paused = &p
	}
	v.Members = make([]MemberView, len(s.roles))
	states := make([]MemberState, len(s.roles))
	for i, r := range s.roles {
		hi := r.m.health.snapshot()
		v.Members[i] = MemberView{Name: r.m.name, Role: r.role, Health: hi}
		states[i] = MemberState{Role: r.role.Kind, Health: hi.State}
	}
	v.RedundancyStatus = ComputeStatus(s.set.TypeOfSet, s.set.MinNumberNeeded, states)
	return v
}

// setWrite is a new version of a set's record to commit.
type setWrite struct {
	id       string
	set      *Set
	roles    []roleEntry
	paused   *Pause          // automatic failover paused
	rev      int64           // the set's current revision (0: create)
	compares []store.Compare // extra conditions, e.g. a member's revision
	ops      []store.Op      // more writes of the same transaction
	grouped  bool            // commit with the group commit (group.go)
}

// write copies s's current record for modification.
func (s *setState) write() setWrite {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := cloneSet(s.set)
	return setWrite{id: s.id, set: &set, roles: cloneRoles(s.roles), rev: s.rev, paused: s.paused}
}

func (e *Engine) configRecord(ctx context.Context, setID, member, action, detail string) *event.Record {
	r := e.newRecord(ctx, event.KindConfigChanged, setID, member)
	r.Config = &event.ConfigChanged{Action: action, Detail: detail}
	return r
}

func normalizePolicy(p *Policy) {
	p.MaxFailovers = cmp.Or(p.MaxFailovers, DefaultMaxFailovers)
	p.Period = cmp.Or(p.Period, DefaultFlapPeriod)
}

func cloneSet(s Set) Set {
	s.TypeOfSet = slices.Clone(s.TypeOfSet)
	s.OtherTypeOfSet = slices.Clone(s.OtherTypeOfSet)
	if len(s.TypeOfSet) == 0 {
		s.TypeOfSet = nil
	}
	if len(s.OtherTypeOfSet) == 0 {
		s.OtherTypeOfSet = nil
	}
	s.Frontend = s.Frontend.Clone()
	return s
}

// SetSummary is a set's stored properties with its RedundancyStatus, for
// listings that need no members. The status is the one the engine keeps
// current on every health and role change (the same value StatusChanged
// events report), so no member is visited.
type SetSummary struct {
	Set
	RedundancyStatus uint16
	Revision         int64
}

// ListSetSummaries returns every set without its members, in InstanceID
// order: much cheaper than ListSets for many sets.
func (e *Engine) ListSetSummaries() ([]SetSummary, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	all := e.sortedSets()
	out := make([]SetSummary, 0, len(all))
	for _, s := range all {
		s.mu.Lock()
		if !s.pending && !s.gone {
			out = append(out, SetSummary{Set: cloneSet(s.set), RedundancyStatus: s.status, Revision: s.rev})
		}
		s.mu.Unlock()
	}
	return out, nil
}

// EachSetSummary calls f with every set's summary, in InstanceID order,
// while that set cannot change. It is ListSetSummaries without the
// copies, for callers that keep little of each set: f must return
// quickly, must not call the engine, and must not keep the summary or
// its slices (it copies what it keeps).
func (e *Engine) EachSetSummary(f func(*SetSummary)) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	var sum SetSummary
	for _, s := range e.sortedSets() {
		s.summarize(&sum, f)
	}
	return nil
}

// summarize hands f the set's summary in sum, unless the set is still
// being made or already gone.
func (s *setState) summarize(sum *SetSummary, f func(*SetSummary)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.pending && !s.gone {
		sum.Set, sum.RedundancyStatus, sum.Revision = s.set, s.status, s.rev
		f(sum)
	}
}

// EachSetSummaryOf is EachSetSummary over the sets named by ids, in that
// order; the ones that do not exist are left out.
func (e *Engine) EachSetSummaryOf(ids []string, f func(*SetSummary)) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	var sum SetSummary
	for _, id := range ids {
		e.mu.RLock()
		s := e.sets[id]
		e.mu.RUnlock()
		if s != nil {
			s.summarize(&sum, f)
		}
	}
	return nil
}

// setOrder is the sets in InstanceID order as they were at generation gen
// of Engine.setsGen.
type setOrder struct {
	gen  uint64
	sets []*setState
}

// sortedSets returns the sets in InstanceID order. The order is kept for
// the next call (e.order), which sorts again only when a set entered or
// left e.sets since (e.setsGen); callers must not change the slice.
func (e *Engine) sortedSets() []*setState {
	e.mu.RLock()
	gen := e.setsGen.Load()
	if kept := e.order.Load(); kept != nil && kept.gen == gen {
		e.mu.RUnlock()
		return kept.sets
	}
	all := make([]*setState, 0, len(e.sets))
	for _, s := range e.sets {
		all = append(all, s)
	}
	e.mu.RUnlock()
	slices.SortFunc(all, func(a, b *setState) int { return strings.Compare(a.id, b.id) })
	e.order.Store(&setOrder{gen: gen, sets: all})
	return all
}
