package engine

import (
	"context"
	"fmt"

	"github.com/redset/redset/store"
)

// DrainMember takes an in-service member of an N+1 or Load Balanced set out
// of service, as an operator's action (maintenance, say): the member stays
// in the set, drained, until EnableMember returns it. Sparing sets have no
// drained role: there an operator fails over to a spare instead
// (ErrUnsupported). Like Failover's check 5, draining is refused when it
// would leave fewer operational in-service members than the set needs; a
// member that is not operational can always be drained.
func (e *Engine) DrainMember(ctx context.Context, setID, member string) (_ SetView, err error) {
	defer e.auditRefusal(ctx, "member drained", setID, member, &err)
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
	if err := checkDrain(w, i, member); err != nil {
		return SetView{}, err
	}
	w.roles[i].role.Kind = RoleDrained
	w.compares = []store.Compare{{Key: memberKey(member), ModRevision: ms.revision()}}
	rec := e.configRecord(ctx, setID, member, "member drained", "taken out of service by an operator")
	return e.applySetWrite(ctx, s, w, rec)
}

// checkDrain decides whether the member at index i of w may be drained.
func checkDrain(w setWrite, i int, member string) error {
	switch {
	case i < 0:
		return newError(KindNotFound, "member %q is not in set %q", member, w.id)
	case behaviourOf(w.set.TypeOfSet) != behaveNPlus1:
		return newError(KindUnsupported, "only N+1 and Load Balanced sets drain members; in set %q fail over to a spare instead", w.id)
	case w.roles[i].role.Kind != RoleInService:
		return invalid("Role", fmt.Sprintf("member %q is not in service in set %q", member, w.id), w.roles[i].role.Kind.String())
	}
	before := 0
	for _, r := range w.roles {
		if r.role.Kind == RoleInService && r.m.health.state().Operational() {
			before++
		}
	}
	after := before
	if w.roles[i].m.health.state().Operational() {
		after--
	}
	if needed := int(w.set.MinNumberNeeded); after < needed && after < before {
		return invalid("MinNumberNeeded", fmt.Sprintf("draining %q would leave %d operational in-service members in set %q, fewer than the %d needed",
			member, after, w.id, needed), w.set.MinNumberNeeded)
	}
	return nil
}

// RecordConfig writes a configuration change that belongs to no set or
// member (a user added, a password changed) to the history, durably, and
// publishes it as a ConfigChanged event. It returns the record's Seq.
//
// The record names the actor of ctx, and the change goes to the audit
// stream like every other; a failure to record it is audited as refused.
func (e *Engine) RecordConfig(ctx context.Context, action, detail string) (_ uint64, err error) {
	defer e.auditRefusal(ctx, action, "", "", &err)
	if err := e.checkWrite(); err != nil {
		return 0, err
	}
	rec := e.configRecord(ctx, "", "", action, detail)
	if _, err := e.commit(ctx, store.Txn{}, rec); err != nil {
		return 0, err
	}
	e.publish(rec)
	return rec.Seq, nil
}
