package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// AddToSet gives a member a role in a set: in service, spare (zero spare
// settings take DefaultSpare) or drained. A member has at most one role per
// set; a set with MaxNumberSupported > 0 refuses members beyond it.
func (e *Engine) AddToSet(ctx context.Context, setID, member string, role Role) (_ SetView, err error) {
	defer e.auditRefusal(ctx, "member added", setID, member, &err)
	if err := e.checkWrite(); err != nil {
		return SetView{}, err
	}
	role = withSpareDefaults(role)
	if err := validateRole(role); err != nil {
		return SetView{}, err
	}
	s, ms, h, err := e.holdRole(setID, member)
	if err != nil {
		return SetView{}, err
	}
	defer h.release()
	w := s.write()
	if roleIndex(w.roles, member) >= 0 {
		return SetView{}, newError(KindExists, "member %q is already in set %q", member, setID)
	}
	if limit := w.set.MaxNumberSupported; limit != 0 && len(w.roles) >= int(limit) {
		return SetView{}, invalid("MaxNumberSupported", "the set is full; adding a member would exceed it", limit)
	}
	w.roles = insertRole(w.roles, roleEntry{m: ms, role: role})
	w.compares = []store.Compare{{Key: memberKey(member), ModRevision: ms.revision()}}
	rec := e.configRecord(ctx, setID, member, "member added", role.Kind.String())
	e.link(ms, s) // index first, so a health change from now on reaches s
	v, err := e.applySetWrite(ctx, s, w, rec)
	if err != nil {
		e.unlink(ms, s)
	}
	return v, err
}

// RemoveFromSet takes a member out of a set (any role).
func (e *Engine) RemoveFromSet(ctx context.Context, setID, member string) (_ SetView, err error) {
	defer e.auditRefusal(ctx, "member removed", setID, member, &err)
	if err := e.checkWrite(); err != nil {
		return SetView{}, err
	}
	s, ms, h, err := e.holdRole(setID, member)
	if err != nil {
		return SetView{}, err
	}
	defer h.release()
	w := s.write()
	i := roleIndex(w.roles, member)
	if i < 0 {
		return SetView{}, newError(KindNotFound, "member %q is not in set %q", member, setID)
	}
	w.roles = slices.Delete(w.roles, i, i+1)
	v, err := e.applySetWrite(ctx, s, w, e.configRecord(ctx, setID, member, "member removed", ""))
	if err == nil {
		e.unlink(ms, s)
	}
	return v, err
}

// EnableMember returns a drained member to service: the operator's action
// after a failover drained it.
func (e *Engine) EnableMember(ctx context.Context, setID, member string) (_ SetView, err error) {
	defer e.auditRefusal(ctx, "member returned to service", setID, member, &err)
	if err := e.checkWrite(); err != nil {
		return SetView{}, err
	}
	if err := e.returnMember(ctx, setID, member, true); err != nil {
		return SetView{}, err
	}
	return e.GetSet(setID)
}

// returnMember moves a drained member into service. Without operator, it
// only does so while the set's policy and the member's health call for it.
func (e *Engine) returnMember(ctx context.Context, setID, member string, operator bool) error {
	s, ms, h, err := e.holdRole(setID, member)
	if err != nil {
		return err
	}
	defer h.release()
	w := s.write()
	i := roleIndex(w.roles, member)
	switch {
	case i < 0:
		return newError(KindNotFound, "member %q is not in set %q", member, setID)
	case w.roles[i].role.Kind != RoleDrained:
		return invalid("Role", fmt.Sprintf("member %q is not drained in set %q", member, setID), w.roles[i].role.Kind.String())
	case !operator && (!autoReturnWanted(w.set, ms) || w.paused != nil || e.pause.cur.Load() != nil):
		return nil // not (or no longer) called for, or automatic actions are paused
	}
	w.roles[i].role.Kind = RoleInService
	rec := e.newRecord(ctx, event.KindMemberReturned, setID, member)
	rec.Returned = &event.MemberReturned{Operator: operator}
	_, err = e.applySetWrite(ctx, s, w, rec)
	return err
}

func autoReturnWanted(set *Set, ms *memberState) bool {
	return set.Policy.AutoReturn && behaviourOf(set.TypeOfSet) == behaveNPlus1 && ms.health.state() == HealthOK
}

// holdRole looks up and holds a set and, shared, one member.
func (e *Engine) holdRole(setID, member string) (*setState, *memberState, *hold, error) {
	s, err := e.lookupSet(setID)
	if err != nil {
		return nil, nil, nil, err
	}
	ms, err := e.lookupMember(member)
	if err != nil {
		return nil, nil, nil, err
	}
	h, err := holdSet(s, ms)
	if err != nil {
		return nil, nil, nil, err
	}
	return s, ms, h, nil
}

func insertRole(roles []roleEntry, r roleEntry) []roleEntry {
	i, _ := slices.BinarySearchFunc(roles, r.m.name, func(x roleEntry, name string) int {
		return strings.Compare(x.m.name, name)
	})
	return slices.Insert(roles, i, r)
}

func (e *Engine) link(ms *memberState, s *setState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ms.sets = append(ms.sets, s)
}

func (e *Engine) unlink(ms *memberState, s *setState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ms.sets = slices.DeleteFunc(ms.sets, func(x *setState) bool { return x == s })
}

func (ms *memberState) revision() int64 {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.rev
}
