package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// Failover moves set setID's work from the in-service member from to the
// member to, as the CIM method Failover(FailoverFrom, FailoverTo) does. The
// checks run in the order of the specification; the first that fails
// decides the code and nothing changes:
//
//  1. set exists; both names given, existing, different          else 4
//  2. from in service; to spare or drained (or in service in
//     N+1 / Load Balanced sets)                                  else 4
//  3. to is not an Automatic-only spare; set type known          else 1
//  4. to is operational (OK or Degraded)                         else 4
//  5. enough operational members stay in service                 else 4
//  6. no other change of the set or either member under way      else 3
//  7. pre-failover hook agrees, durable commit succeeds          else 2
//
// Code 0 is returned only after the role swap and its history record are
// committed durably in one store transaction. Every outcome is published
// as an event; refusals carry their reason. The one exception is a set
// that does not exist: the result is code 4 with Err matching
// ErrSetNotFound, nothing is published or recorded, and callers should
// answer "not found" rather than a return value.
func (e *Engine) Failover(ctx context.Context, setID, from, to string) FailoverResult {
	return e.failover(ctx, FailoverRequest{SetID: setID, From: from, To: to, Planned: true})
}

// failover is the one code path of planned and automatic failovers.
func (e *Engine) failover(ctx context.Context, req FailoverRequest) FailoverResult {
	start := e.clock.Now()
	res := e.tryFailover(ctx, req, start)
	res.Request = req
	res.Duration = e.clock.Now().Sub(start)
	if missingSet(res) { // not a refusal of the method: there is no set to call it on
		e.auditRefusal(ctx, "failover", req.SetID, "", &res.Err)
		return res
	}
	if res.Code != CodeCompleted && !errors.Is(res.Err, ErrNotLeader) { // a server that does not lead records nothing
		res.Seq = e.emitRefusal(ctx, req, res)
		e.logRefusal(req, res)
	}
	return res
}

// OutcomeUnknownReason is the reason of a failover whose commit the store
// took without saying whether it was stored (Code 2, Err matching
// ErrOutcomeUnknown).
const OutcomeUnknownReason = "the outcome is unknown: the store did not answer whether the failover was stored, " +
	"and may still store it; read the set's roles back before failing over again"

// logRefusal logs a failover that did not complete beyond its audit entry
// (written when the refusal record is published, see publish): a warning
// when the outcome is unknown, else a debug line, so that with the audit
// stream in the main log a refusal is one line. The edges that asked for
// the failover log nothing more.
func (e *Engine) logRefusal(req FailoverRequest, res FailoverResult) {
	attrs := []any{"set", req.SetID, "from", req.From, "to", req.To, "planned", req.Planned, "code", res.Code, "reason", res.Reason}
	if errors.Is(res.Err, ErrOutcomeUnknown) {
		e.log.Warn("failover outcome unknown", append(attrs, "err", res.Err)...)
		return
	}
	e.log.Debug("failover refused", attrs...)
}

func (e *Engine) tryFailover(ctx context.Context, req FailoverRequest, start time.Time) FailoverResult {
	if err := e.checkOpen(); err != nil {
		return refused(CodeError, "redset is shutting down", err)
	}
	if err := e.notLeader(); err != nil {
		return refused(CodeBusy, "this server does not lead the cluster", err)
	}
	if r := e.checkFailover(req); r != nil {
		return *r
	}
	h, err := e.holdFailover(req)
	if err != nil && !isBusy(err) {
		if r := e.checkFailover(req); r != nil { // it vanished meanwhile
			return *r
		}
	}
	if err != nil {
		return busyResult(err)
	}
	defer h.release()
	if r := e.checkFailover(req); r != nil { // the state may have changed before the hold
		return *r
	}
	if hook := e.opts.PreFailover; hook != nil {
		if err := hook(ctx, req); err != nil {
			return refused(CodeError, "pre-failover hook refused: "+err.Error(), err)
		}
	}
	return e.commitFailover(ctx, h.set, req, start)
}

// missingSet reports whether a failover was refused because its set does
// not exist. Such a call never reached the method: it is neither published
// nor kept in the history, and callers answer "not found" (HTTP 404,
// CIM_ERR_NOT_FOUND) instead of a return value.
func missingSet(res FailoverResult) bool {
	return res.Code != CodeCompleted && errors.Is(res.Err, ErrSetNotFound)
}

func busyResult(err error) FailoverResult {
	return refused(CodeBusy, MessageOf(err), err)
}

// CheckFailover answers what Failover(setID, from, to) would answer now,
// without changing anything: checks 1 to 6 run on the current state (the
// busy check looks without taking anything), nothing is published or
// recorded, and no hook is asked. Code 0 means the checks pass; the real
// call could still be refused by a pre-failover hook (2) or the state may
// change before it is made. A set that does not exist gives ErrSetNotFound
// as Failover does.
func (e *Engine) CheckFailover(ctx context.Context, setID, from, to string) FailoverResult {
	req := FailoverRequest{SetID: setID, From: from, To: to, Planned: true}
	res := e.dryRun(req)
	res.Request = req
	return res
}

func (e *Engine) dryRun(req FailoverRequest) FailoverResult {
	if err := e.checkOpen(); err != nil {
		return refused(CodeError, "redset is shutting down", err)
	}
	if r := e.checkFailover(req); r != nil {
		return *r
	}
	if err := e.peekBusy(req); err != nil {
		return busyResult(err)
	}
	return FailoverResult{Code: CodeCompleted}
}

// peekBusy reports, without taking anything, what holdFailover would find
// busy.
func (e *Engine) peekBusy(req FailoverRequest) error {
	s, err := e.lookupSet(req.SetID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	setBusy := s.busy
	s.mu.Unlock()
	if setBusy {
		return busy("set", s.id)
	}
	for _, name := range []string{req.From, req.To} {
		m, err := e.lookupMember(name)
		if err != nil {
			return err
		}
		m.mu.Lock()
		excl := m.exclusive
		m.mu.Unlock()
		if excl {
			return busy("member", name)
		}
	}
	return nil
}

func refused(code uint32, reason string, err error) FailoverResult {
	return FailoverResult{Code: code, Reason: reason, Err: err}
}

// checkFailover runs checks 1 to 5 on a consistent view of the set.
func (e *Engine) checkFailover(req FailoverRequest) *FailoverResult {
	v := e.failoverView(req)
	for _, check := range failoverChecks {
		if r := check(v); r != nil {
			return r
		}
	}
	return nil
}

func (e *Engine) holdFailover(req FailoverRequest) (*hold, error) {
	s, err := e.lookupSet(req.SetID)
	if err != nil {
		return nil, err
	}
	from, err := e.lookupMember(req.From)
	if err != nil {
		return nil, err
	}
	to, err := e.lookupMember(req.To)
	if err != nil {
		return nil, err
	}
	return holdSet(s, from, to)
}

// memberSnap is one member of a set as the checks see it.
type memberSnap struct {
	name   string
	role   Role
	health Health
}

// failoverView is what checks 1 to 5 decide on, captured at one moment.
type failoverView struct {
	req                FailoverRequest
	setFound           bool
	set                Set
	fromKnown, toKnown bool
	members            []memberSnap
}

func (e *Engine) failoverView(req FailoverRequest) *failoverView {
	v := &failoverView{req: req}
	_, err := e.lookupMember(req.From)
	v.fromKnown = err == nil
	_, err = e.lookupMember(req.To)
	v.toKnown = err == nil
	s, err := e.lookupSet(req.SetID)
	if err != nil {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v.setFound, v.set = !s.gone, s.set
	v.members = make([]memberSnap, len(s.roles))
	for i, r := range s.roles {
		v.members[i] = memberSnap{name: r.m.name, role: r.role, health: r.m.health.state()}
	}
	return v
}

func (v *failoverView) find(name string) (memberSnap, bool) {
	for _, m := range v.members {
		if m.name == name {
			return m, true
		}
	}
	return memberSnap{}, false
}

var failoverChecks = []func(*failoverView) *FailoverResult{
	checkReferences, checkRoles, checkSupported, checkTargetHealth, checkRemaining,
}

func param(err error, format string, args ...any) *FailoverResult {
	r := refused(CodeParameter, fmt.Sprintf(format, args...), err)
	return &r
}

// checkReferences is check 1.
func checkReferences(v *failoverView) *FailoverResult {
	q := v.req
	switch {
	case !v.setFound:
		return param(ErrSetNotFound, "redundancy set %q does not exist", q.SetID)
	case q.From == "":
		return param(ErrInvalid, "FailoverFrom is missing")
	case q.To == "":
		return param(ErrInvalid, "FailoverTo is missing")
	case !v.fromKnown:
		return param(ErrNotFound, "FailoverFrom %q is not a known member", q.From)
	case !v.toKnown:
		return param(ErrNotFound, "FailoverTo %q is not a known member", q.To)
	case q.From == q.To:
		return param(ErrInvalid, "FailoverFrom and FailoverTo are the same member %q", q.From)
	}
	return nil
}

// checkRoles is check 2.
func checkRoles(v *failoverView) *FailoverResult {
	q := v.req
	from, ok := v.find(q.From)
	if !ok {
		return param(ErrInvalid, "FailoverFrom %q is not a member of set %q", q.From, q.SetID)
	}
	if from.role.Kind != RoleInService {
		return param(ErrInvalid, "FailoverFrom %q is not in service in set %q (it is %s)", q.From, q.SetID, from.role.Kind)
	}
	to, ok := v.find(q.To)
	if !ok {
		return param(ErrInvalid, "FailoverTo %q is not a member of set %q", q.To, q.SetID)
	}
	if to.role.Kind == RoleInService && behaviourOf(v.set.TypeOfSet) != behaveNPlus1 {
		return param(ErrInvalid, "FailoverTo %q is already in service; only N+1 and Load Balanced sets move a share to an in-service member", q.To)
	}
	return nil
}

// checkSupported is check 3.
func checkSupported(v *failoverView) *FailoverResult {
	q := v.req
	unsupported := func(format string, args ...any) *FailoverResult {
		r := refused(CodeNotSupported, fmt.Sprintf(format, args...), ErrUnsupported)
		return &r
	}
	if behaviourOf(v.set.TypeOfSet) == behaveOther {
		return unsupported("set %q has type Unknown/Other, which does not support failover", q.SetID)
	}
	to, _ := v.find(q.To)
	if to.role.Kind != RoleSpare {
		return nil
	}
	if q.Planned && to.role.Spare.FailoverSupported == FailoverAutomatic {
		return unsupported("FailoverTo %q is a spare for automatic failover only", q.To)
	}
	if !q.Planned && to.role.Spare.FailoverSupported == FailoverManual {
		return unsupported("FailoverTo %q is a spare for manual failover only", q.To)
	}
	return nil
}

// checkTargetHealth is check 4.
func checkTargetHealth(v *failoverView) *FailoverResult {
	to, _ := v.find(v.req.To)
	if !to.health.Operational() {
		return param(ErrInvalid, "FailoverTo %q is not operational (health %s)", v.req.To, to.health)
	}
	return nil
}

// checkRemaining is check 5: the move must not leave fewer than N
// operational in-service members. A move that does not lower their number
// is allowed even below N, so that recovery is never blocked.
func checkRemaining(v *failoverView) *FailoverResult {
	before, after, slots := 0, 0, 0
	for _, m := range v.members {
		inBefore := m.role.Kind == RoleInService
		inAfter := (inBefore && m.name != v.req.From) || m.name == v.req.To
		if inBefore {
			slots++
		}
		if m.health.Operational() && inBefore {
			before++
		}
		if m.health.Operational() && inAfter {
			after++
		}
	}
	needed := int(v.set.MinNumberNeeded)
	if behaviourOf(v.set.TypeOfSet) == behaveLimitedSparing {
		needed = slots
	}
	if after < needed && after < before {
		return param(ErrInvalid, "the move would leave %d operational in-service members in set %q, fewer than the %d needed",
			after, v.req.SetID, needed)
	}
	return nil
}

// swapRoles gives the roles after a failover: to is in service (keeping its
// spare settings in memory); from becomes a spare (Sparing, Limited Sparing)
// with its remembered spare settings, else those to had, else the defaults;
// or is drained (N+1, Load Balanced).
func swapRoles(b behaviour, from, to Role) (newFrom, newTo Role) {
	newTo = Role{Kind: RoleInService, Spare: to.Spare}
	if !b.sparing() {
		return Role{Kind: RoleDrained, Spare: from.Spare}, newTo
	}
	sp := from.Spare
	if sp.SpareStatus == 0 {
		sp = to.Spare
	}
	if sp.SpareStatus == 0 {
		sp = DefaultSpare
	}
	return Role{Kind: RoleSpare, Spare: sp}, newTo
}

// commitFailover swaps the roles durably; the caller holds the set.
func (e *Engine) commitFailover(ctx context.Context, s *setState, req FailoverRequest, start time.Time) FailoverResult {
	w := s.write()
	roles := w.roles
	fi, ti := roleIndex(roles, req.From), roleIndex(roles, req.To)
	roles[fi].role, roles[ti].role = swapRoles(behaviourOf(w.set.TypeOfSet), roles[fi].role, roles[ti].role)

	rec := e.newRecord(ctx, event.KindFailoverSucceeded, req.SetID, req.To)
	rec.Failover = &event.Failover{Planned: req.Planned, ScheduleID: req.ScheduleID, From: req.From, To: req.To,
		Duration: e.clock.Now().Sub(start)}
	if req.ScheduleID != 0 { // the scheduled failover is done with the same commit
		w.ops = append(w.ops, store.Op{Key: scheduledKey(req.ScheduleID), Delete: true})
	}
	w.grouped = !req.Planned // automatic failovers come in crowds (see group.go)
	newRev, err := e.commitSetRecord(ctx, w, rec)
	switch {
	case errors.Is(err, ErrNotLeader):
		return refused(CodeBusy, "this server no longer leads the cluster", err)
	case errors.Is(err, ErrOutcomeUnknown):
		return refused(CodeError, OutcomeUnknownReason, err)
	case err != nil:
		return refused(CodeError, MessageOf(err), err)
	}
	s.mu.Lock()
	s.roles, s.rev = roles, newRev
	e.publish(rec)
	e.refreshStatus(s)
	s.mu.Unlock()
	// The audit entry of the record is the info line of a completed
	// failover, as of a refused one (see logRefusal).
	e.log.Debug("failover completed", "set", req.SetID, "from", req.From, "to", req.To, "planned", req.Planned)
	if req.Planned && behaviourOf(w.set.TypeOfSet).sparing() {
		e.scheduleAuto(s) // the move may have freed a spare for a failed slot
	}
	return FailoverResult{Code: CodeCompleted, Seq: rec.Seq, Revision: newRev}
}

// commitSetRecord writes a set's record with a compare on its revision
// (and w.compares) plus history records, grouped with other commits when
// w.grouped says so. When the store fails in a way that leaves the outcome
// unknown, it reads the keys back and reports success if this write
// landed (see settled).
func (e *Engine) commitSetRecord(ctx context.Context, w setWrite, recs ...*event.Record) (int64, error) {
	data, err := encodeSet(w)
	if err != nil {
		return 0, err
	}
	txn := store.Txn{
		Compares: append([]store.Compare{{Key: setKey(w.id), ModRevision: w.rev}}, w.compares...),
		Ops:      append([]store.Op{{Key: setKey(w.id), Value: data}}, w.ops...),
	}
	via := e.st.Commit
	if w.grouped {
		via = e.group.commit
	}
	newRev, err := e.commitVia(ctx, via, txn, recs...)
	if !errors.Is(err, ErrOutcomeUnknown) {
		return newRev, err // done, or known not done (a conflict, fenced off)
	}
	if landed, ok := e.settled(ctx, setKey(w.id), data, w.rev, recs); ok {
		e.landed(recs...)
		return landed, nil
	}
	return 0, err
}

// emitRefusal publishes a refused failover and returns its Seq.
func (e *Engine) emitRefusal(ctx context.Context, req FailoverRequest, res FailoverResult) uint64 {
	r := e.newRecord(ctx, event.KindFailoverRefused, req.SetID, req.To)
	r.Failover = &event.Failover{
		Planned: req.Planned, ScheduleID: req.ScheduleID, From: req.From, To: req.To,
		Code: res.Code, Reason: res.Reason, Duration: res.Duration,
	}
	e.emit(r)
	return r.Seq
}

func cloneRoles(roles []roleEntry) []roleEntry { return append([]roleEntry(nil), roles...) }

func roleIndex(roles []roleEntry, name string) int {
	for i, r := range roles {
		if r.m.name == name {
			return i
		}
	}
	return -1
}

// RefuseFailover records a planned failover that a protocol refused before
// the engine could see it (for example a CIM reference that names no member
// of this namespace): the refusal is published and kept in the history like
// the engine's own, with code 4 and the reason given. from and to are the
// caller's descriptions of the references.
func (e *Engine) RefuseFailover(ctx context.Context, setID, from, to, reason string) FailoverResult {
	req := FailoverRequest{SetID: setID, From: from, To: to, Planned: true}
	res := FailoverResult{Code: CodeParameter, Reason: reason, Err: ErrInvalid, Request: req}
	if _, err := e.lookupSet(setID); err != nil {
		res.Reason, res.Err = fmt.Sprintf("redundancy set %q does not exist", setID), err
		return res
	}
	if e.checkWrite() == nil {
		res.Seq = e.emitRefusal(ctx, req, res)
		e.logRefusal(req, res)
	}
	return res
}
