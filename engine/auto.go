package engine

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/redset/redset/event"
)

// autoAction is what a health change asks of a set.
type autoAction uint8

const (
	actNone     autoAction = iota
	actFailover            // evaluate automatic failover / failback
	actReturn              // bring the changed member back from drained
)

// autoState is a set's automatic-failover bookkeeping (runtime only; it
// starts afresh after a restart). Guarded by setState.mu.
type autoState struct {
	queued  bool        // a job for the set is queued or running
	dirty   bool        // something changed since the job last looked
	retries int         // consecutive busy answers
	times   []time.Time // automatic failovers inside the flap guard period
	tripped bool        // flap guard tripped: no automatic failover
}

// actionFor decides what a counted health change of a member with role
// kind calls for; s.mu must be held.
func (s *setState) actionFor(kind RoleKind, ch healthChange) autoAction {
	b, p := behaviourOf(s.set.TypeOfSet), s.set.Policy
	switch {
	case b.sparing() && !p.DisableAutoFailover && !s.auto.tripped:
		if kind == RoleInService && ch.to == HealthFailed {
			return actFailover
		}
		if kind == RoleSpare && ch.to.Operational() && (s.hasFailedActive() || p.Failback) {
			return actFailover
		}
	case b == behaveNPlus1 && p.AutoReturn:
		if kind == RoleDrained && ch.from == HealthFailed && ch.to == HealthOK {
			return actReturn
		}
	}
	return actNone
}

func (s *setState) hasFailedActive() bool {
	for _, r := range s.roles {
		if r.role.Kind == RoleInService && r.m.health.state() == HealthFailed {
			return true
		}
	}
	return false
}

func (s *setState) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.roles)
}

func (s *setState) roleOf(m *memberState) (Role, bool) {
	i := roleIndex(s.roles, m.name)
	if i < 0 {
		return Role{}, false
	}
	return s.roles[i].role, true
}

// schedule queues the automatic action for s.
func (e *Engine) schedule(s *setState, m *memberState, act autoAction) {
	switch act {
	case actFailover:
		e.scheduleAuto(s)
	case actReturn:
		e.pool.submit(func() { e.autoReturn(s, m, 0) })
	}
}

// scheduleAuto makes sure one job looks at s after this call. At most one
// job per set is queued or running.
func (e *Engine) scheduleAuto(s *setState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auto.dirty = true
	if s.auto.queued {
		return
	}
	if e.pool.submit(func() { e.runAuto(s) }) {
		s.auto.queued = true
	}
}

// runAuto performs automatic failovers of s until none is called for.
func (e *Engine) runAuto(s *setState) {
	for e.takeDirty(s) {
		for range s.size() + 1 { // bounded: each step fixes one in-service slot
			req, ok := e.nextAuto(s)
			if !ok {
				break
			}
			res := e.failover(e.ctx, req)
			if !e.afterAuto(s, res) {
				break
			}
		}
	}
}

// takeDirty reports whether s needs another look, and ends the job if not.
func (e *Engine) takeDirty(s *setState) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.auto.dirty || e.closed.Load() {
		s.auto.queued = false
		return false
	}
	s.auto.dirty = false
	return true
}

// afterAuto books an automatic failover's outcome and reports whether to
// continue. A busy set is retried later, a bounded number of times.
func (e *Engine) afterAuto(s *setState, res FailoverResult) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch res.Code {
	case CodeCompleted:
		s.auto.retries = 0
		s.auto.times = append(s.auto.times, e.clock.Now())
		return true
	case CodeBusy:
		e.retryAuto(s)
	}
	return false
}

// retryAuto schedules another attempt after a growing delay; s.mu is held.
func (e *Engine) retryAuto(s *setState) {
	s.auto.retries++
	if s.auto.retries > e.opts.AutoRetries {
		e.log.Warn("automatic failover gave up: set stayed busy", "set", s.id, "attempts", s.auto.retries)
		s.auto.retries = 0
		return
	}
	if !e.pool.hold() {
		return
	}
	delay := time.Duration(1<<min(s.auto.retries, 10)) * 5 * time.Millisecond
	e.clock.AfterFunc(delay, func() {
		defer e.pool.unhold()
		e.scheduleAuto(s)
	})
}

// nextAuto picks the next automatic failover of s: first a Failed
// in-service member to the best spare, else (with Failback) a move to a
// spare of higher priority. The flap guard is applied here.
func (e *Engine) nextAuto(s *setState) (FailoverRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, p := behaviourOf(s.set.TypeOfSet), s.set.Policy
	if s.gone || !b.sparing() || p.DisableAutoFailover || s.auto.tripped || e.automaticStopped(s) {
		return FailoverRequest{}, false
	}
	snaps := s.snapshots()
	from, to, ok := pickAutoFailover(snaps)
	if !ok && p.Failback {
		from, to, ok = pickFailback(snaps)
	}
	if !ok || !e.flapAllows(s) {
		return FailoverRequest{}, false
	}
	return FailoverRequest{SetID: s.id, From: from, To: to, Planned: false}, true
}

func (s *setState) snapshots() []memberSnap {
	out := make([]memberSnap, len(s.roles))
	for i, r := range s.roles {
		out[i] = memberSnap{name: r.m.name, role: r.role, health: r.m.health.state()}
	}
	return out
}

// pickAutoFailover: the first Failed in-service member (name order) and
// the best automatic spare.
func pickAutoFailover(snaps []memberSnap) (from, to string, ok bool) {
	spare, found := bestSpare(snaps, false)
	if !found {
		return "", "", false
	}
	for _, m := range snaps {
		if m.role.Kind == RoleInService && m.health == HealthFailed {
			return m.name, spare.name, true
		}
	}
	return "", "", false
}

// pickFailback: the best OK automatic spare replaces the in-service member
// with the lowest (remembered) priority when its own priority is higher.
func pickFailback(snaps []memberSnap) (from, to string, ok bool) {
	spare, found := bestSpare(snaps, true)
	if !found {
		return "", "", false
	}
	var low *memberSnap
	for i, m := range snaps {
		if m.role.Kind == RoleInService && (low == nil || m.role.Spare.Priority < low.role.Spare.Priority) {
			low = &snaps[i]
		}
	}
	if low == nil || spare.role.Spare.Priority <= low.role.Spare.Priority {
		return "", "", false
	}
	return low.name, spare.name, true
}

// bestSpare picks the best of the operational spares that allow automatic
// failover, ranked by compareTargets; okOnly keeps only OK ones.
func bestSpare(snaps []memberSnap, okOnly bool) (memberSnap, bool) {
	var c []memberSnap
	for _, m := range snaps {
		fs := m.role.Spare.FailoverSupported
		auto := fs == FailoverAutomatic || fs == FailoverBoth
		if m.role.Kind == RoleSpare && auto && m.health.Operational() && (!okOnly || m.health == HealthOK) {
			c = append(c, m)
		}
	}
	if len(c) == 0 {
		return memberSnap{}, false
	}
	return slices.MinFunc(c, compareTargets), true
}

// flapAllows applies the flap guard before an automatic failover; s.mu is
// held. Tripping stops automatic failover of the set and raises an alert.
func (e *Engine) flapAllows(s *setState) bool {
	p := s.set.Policy
	limit, period := cmp.Or(p.MaxFailovers, DefaultMaxFailovers), cmp.Or(p.Period, DefaultFlapPeriod)
	cutoff := e.clock.Now().Add(-period)
	s.auto.times = slices.DeleteFunc(s.auto.times, func(t time.Time) bool { return !t.After(cutoff) })
	if len(s.auto.times) < limit {
		return true
	}
	s.auto.tripped = true
	r := e.newRecord(context.Background(), event.KindFlapGuardTripped, s.id, "")
	r.Flap = &event.FlapGuardTripped{MaxFailovers: limit, Period: period}
	e.emit(r)
	e.log.Warn("flap guard tripped: automatic failover stopped", "set", s.id, "max", limit, "period", period)
	return false
}

// ResetFlapGuard re-enables automatic failover of a set whose flap guard
// tripped and forgets its recent automatic failovers. The reset is recorded
// (ConfigChanged "flap guard reset"; the guard is runtime state, so the
// record is written asynchronously like health records).
func (e *Engine) ResetFlapGuard(ctx context.Context, setID string) (err error) {
	defer e.auditRefusal(ctx, "flap guard reset", setID, "", &err)
	if err := e.checkWrite(); err != nil {
		return err
	}
	s, err := e.lookupSet(setID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	tripped := s.auto.tripped
	s.auto.tripped, s.auto.times = false, nil
	detail := "the guard had not tripped"
	if tripped {
		detail = "automatic failover re-enabled"
	}
	e.emit(e.configRecord(ctx, setID, "", "flap guard reset", detail))
	s.mu.Unlock()
	e.scheduleAuto(s)
	return nil
}

// autoReturn brings a recovered drained member back into service when the
// set's policy asks for it; a busy set is retried a bounded number of times.
func (e *Engine) autoReturn(s *setState, m *memberState, attempt int) {
	err := e.returnMember(e.ctx, s.id, m.name, false)
	if err == nil || !isBusy(err) || attempt >= e.opts.AutoRetries || !e.pool.hold() {
		return
	}
	delay := time.Duration(1<<min(attempt+1, 10)) * 5 * time.Millisecond
	e.clock.AfterFunc(delay, func() {
		defer e.pool.unhold()
		e.pool.submit(func() { e.autoReturn(s, m, attempt+1) })
	})
}

func isBusy(err error) bool { return errors.Is(err, ErrBusy) }
