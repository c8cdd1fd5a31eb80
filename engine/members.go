package engine

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// PutMember creates a member or replaces its definition (display name,
// labels, probe settings). New rise/fall/TTL settings apply from the next
// report. The member's roles and health are not touched.
func (e *Engine) PutMember(ctx context.Context, in Member) (_ MemberInfo, err error) {
	defer e.auditRefusal(ctx, "member updated", "", in.Name, &err)
	if err := e.checkWrite(); err != nil {
		return MemberInfo{}, err
	}
	m := cloneMember(in)
	if err := e.validateMember(&m); err != nil {
		return MemberInfo{}, err
	}
	ms, created, err := e.holdForPut(m.Name)
	if err != nil {
		return MemberInfo{}, err
	}
	h := &hold{exclusive: ms}
	defer h.release()
	rev, rec, err := e.commitMember(ctx, ms, &m, created)
	if err != nil {
		if created {
			e.unreserveMember(ms)
		}
		return MemberInfo{}, err
	}
	ms.mu.Lock()
	ms.member, ms.rev, ms.pending = m, rev, false
	ms.mu.Unlock()
	// Published once the member is in place: a subscriber that looks it up
	// on the record (the probe scheduler) finds it.
	e.publish(rec)
	return e.memberInfo(ms), nil
}

// validateMember applies ValidateMember, then Options.ValidateProbe.
func (e *Engine) validateMember(m *Member) error {
	if err := ValidateMember(m); err != nil || e.opts.ValidateProbe == nil {
		return err
	}
	err := e.opts.ValidateProbe(m.Probe)
	var ve *ValidationError
	if err == nil || errors.As(err, &ve) {
		return err
	}
	return invalid("probe", err.Error(), nil)
}

// holdForPut takes an existing member exclusively, or enters a pending
// placeholder for a new one.
func (e *Engine) holdForPut(name string) (*memberState, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ms := e.members[name]; ms != nil {
		if _, err := holdMember(ms); err != nil {
			return nil, false, busy("member", name) // pending (being created) or busy
		}
		return ms, false, nil
	}
	ms := &memberState{name: name, pending: true, exclusive: true}
	ms.health.ext = e.mode.observer.Load() != nil // in a cluster, reports are observations
	e.members[name] = ms
	return ms, true, nil
}

func (e *Engine) unreserveMember(ms *memberState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.members[ms.name] == ms {
		delete(e.members, ms.name)
	}
}

// commitMember writes a member and its record; the caller publishes the
// record once the member is in place.
func (e *Engine) commitMember(ctx context.Context, ms *memberState, m *Member, created bool) (int64, *event.Record, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return 0, nil, err
	}
	ms.mu.Lock()
	rev := ms.rev
	ms.mu.Unlock()
	action := "member updated"
	if created {
		action = "member created"
	}
	rec := e.configRecord(ctx, "", m.Name, action, m.DisplayName)
	txn := store.Txn{
		Compares: []store.Compare{{Key: memberKey(m.Name), ModRevision: rev}},
		Ops:      []store.Op{{Key: memberKey(m.Name), Value: data}},
	}
	newRev, err := e.commit(ctx, txn, rec)
	if errors.Is(err, ErrOutcomeUnknown) {
		if landed, ok := e.settled(ctx, memberKey(m.Name), data, rev, []*event.Record{rec}); ok {
			newRev, err = landed, nil
			e.landed(rec)
		}
	}
	if err != nil {
		if created && isConflict(err) {
			return 0, nil, newError(KindExists, "member %q already exists", m.Name)
		}
		return 0, nil, err
	}
	return newRev, rec, nil
}

// DeleteMember removes a member that belongs to no set (else ErrInUse:
// remove it from its sets first).
func (e *Engine) DeleteMember(ctx context.Context, name string) (err error) {
	defer e.auditRefusal(ctx, "member deleted", "", name, &err)
	if err := e.checkWrite(); err != nil {
		return err
	}
	ms, err := e.lookupMember(name)
	if err != nil {
		return err
	}
	h, err := holdMember(ms)
	if err != nil {
		return err
	}
	defer h.release()
	if sets := e.setIDsOf(ms); len(sets) > 0 {
		return newError(KindInUse, "member %q still belongs to %s", name, strings.Join(sets, ", "))
	}
	ms.mu.Lock()
	rev := ms.rev
	ms.mu.Unlock()
	rec := e.configRecord(ctx, "", name, "member deleted", "")
	if err := e.commitDelete(ctx, memberKey(name), rev, nil, rec); err != nil {
		return err
	}
	e.dropMember(ms)
	e.publish(rec)
	return nil
}

func (e *Engine) dropMember(ms *memberState) {
	e.mu.Lock()
	delete(e.members, ms.name)
	ms.mu.Lock()
	ms.gone = true
	ms.mu.Unlock()
	e.mu.Unlock()
	ms.health.mu.Lock()
	ms.health.gen++
	if ms.health.timer != nil {
		ms.health.timer.Stop()
		ms.health.timer = nil
	}
	ms.health.mu.Unlock()
	if f := e.mode.gone.Load(); f != nil {
		(*f)(ms.name)
	}
}

// GetMember returns a member with its health and sets.
func (e *Engine) GetMember(name string) (MemberInfo, error) {
	if err := e.checkOpen(); err != nil {
		return MemberInfo{}, err
	}
	ms, err := e.lookupMember(name)
	if err != nil {
		return MemberInfo{}, err
	}
	return e.memberInfo(ms), nil
}

// ListMembers returns every member in name order.
func (e *Engine) ListMembers() ([]MemberInfo, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	e.mu.RLock()
	all := slices.Collect(maps.Values(e.members))
	e.mu.RUnlock()
	slices.SortFunc(all, func(a, b *memberState) int { return strings.Compare(a.name, b.name) })
	out := make([]MemberInfo, 0, len(all))
	for _, ms := range all {
		ms.mu.Lock()
		live := !ms.pending && !ms.gone
		ms.mu.Unlock()
		if live {
			out = append(out, e.memberInfo(ms))
		}
	}
	return out, nil
}

// SetsOfMember returns the InstanceIDs of the sets the member belongs to, in
// order.
func (e *Engine) SetsOfMember(name string) ([]string, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	ms, err := e.lookupMember(name)
	if err != nil {
		return nil, err
	}
	return e.setIDsOf(ms), nil
}

func (e *Engine) setIDsOf(ms *memberState) []string {
	sets := e.setsOf(ms)
	ids := make([]string, len(sets))
	for i, s := range sets {
		ids[i] = s.id
	}
	slices.Sort(ids)
	return ids
}

func (e *Engine) memberInfo(ms *memberState) MemberInfo {
	ms.mu.Lock()
	info := MemberInfo{Member: cloneMember(ms.member), Revision: ms.rev}
	ms.mu.Unlock()
	info.Health = ms.health.snapshot()
	info.Sets = e.setIDsOf(ms)
	return info
}

func cloneMember(m Member) Member {
	m.Labels = maps.Clone(m.Labels)
	m.Probe = cloneProbe(m.Probe)
	return m
}
