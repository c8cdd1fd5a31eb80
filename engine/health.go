package engine

import (
	"context"
	"sync"
	"time"

	"github.com/redset/redset/event"
)

// healthState is a member's runtime health: never stored, Unknown after a
// restart until the first report.
//
// Dampening: the first report of an Unknown member counts at once. After
// that a change between operational (OK, Degraded) and Failed counts only
// after rise consecutive successes or fall consecutive failures; a report
// of the current side resets the streak. OK and Degraded switch at once,
// since both are operational. A TTL expiry counts at once (the TTL is its
// own dampening).
type healthState struct {
	mu    sync.Mutex
	info  HealthInfo
	timer Timer
	gen   uint64 // invalidates TTL timers that are replaced or stopped
	// In a cluster (ext), info is this server's own observation and dec
	// the health the cluster decided, which statuses and views use.
	ext bool
	dec HealthInfo
}

// healthChange is one counted change of a member's health.
type healthChange struct {
	from, to Health
}

func (h *healthState) state() Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ext {
		return h.dec.State
	}
	return h.info.State
}

func (h *healthState) snapshot() HealthInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.current()
}

// current is the health statuses and views use; h.mu must be held.
func (h *healthState) current() HealthInfo {
	if !h.ext {
		return h.info
	}
	info := h.info
	info.State, info.Since, info.Source, info.Detail = h.dec.State, h.dec.Since, h.dec.Source, h.dec.Detail
	return info
}

// apply counts one report; h.mu must be held.
func (h *healthState) apply(r Report, now time.Time, rise, fall int) (healthChange, bool) {
	h.info.LastReport, h.info.Latency = now, r.Latency
	h.info.Source, h.info.Detail = r.Source, r.Detail
	cur := h.info.State
	switch {
	case cur == HealthUnknown, cur.Operational() && r.State.Operational():
		return h.set(r.State, now)
	case cur == r.State:
		h.info.Pending = 0
		return healthChange{}, false
	}
	h.info.Pending++
	need := rise
	if r.State == HealthFailed {
		need = fall
	}
	if h.info.Pending < need {
		return healthChange{}, false
	}
	return h.set(r.State, now)
}

func (h *healthState) set(to Health, now time.Time) (healthChange, bool) {
	h.info.Pending = 0
	from := h.info.State
	if from == to {
		return healthChange{}, false
	}
	h.info.State, h.info.Since = to, now
	return healthChange{from: from, to: to}, true
}

// ReportHealth counts one health observation of a member. A counted change
// is published (HealthChanged), the status of every set of the member is
// recomputed (only those sets), and automatic actions are scheduled. A
// report with a TTL (or a member whose Probe.TTL is set) expires to Failed
// when no newer report arrives in time.
func (e *Engine) ReportHealth(name string, r Report) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := validateReport(r); err != nil {
		return err
	}
	m, err := e.lookupMember(name)
	if err != nil {
		return err
	}
	rise, fall, ttl := e.dampening(m, r)
	h := &m.health
	h.mu.Lock()
	if !h.ext && !e.Leading() { // a follower takes the leader's decided health
		h.mu.Unlock()
		return nil
	}
	ch, changed := h.apply(r, e.clock.Now(), rise, fall)
	e.armTTL(m, ttl)
	e.counted(m, ch, changed)
	return nil
}

// counted acts on a counted change of a member's health; it is called with
// m.health.mu held and releases it. In a cluster the change is this
// server's observation, handed to the cluster; otherwise it is published,
// stored (cluster leader) and acted on.
func (e *Engine) counted(m *memberState, ch healthChange, changed bool) {
	h := &m.health
	if !changed {
		h.mu.Unlock()
		return
	}
	if h.ext {
		h.mu.Unlock()
		e.observed(m, ch.to)
		return
	}
	e.emitHealth(m, ch)
	sh := storedHealth{State: h.info.State, Since: h.info.Since, Source: h.info.Source, Detail: h.info.Detail}
	h.mu.Unlock()
	e.storeHealth(m.name, sh)
	e.healthChanged(m, ch)
}

func (e *Engine) dampening(m *memberState, r Report) (rise, fall int, ttl time.Duration) {
	m.mu.Lock()
	p := m.member.Probe
	m.mu.Unlock()
	rise, fall, ttl = p.Rise, p.Fall, r.TTL
	if rise <= 0 {
		rise = e.opts.DefaultRise
	}
	if fall <= 0 {
		fall = e.opts.DefaultFall
	}
	if ttl <= 0 {
		ttl = p.TTL.D()
	}
	return rise, fall, ttl
}

// armTTL replaces the member's expiry timer; m.health.mu must be held.
func (e *Engine) armTTL(m *memberState, ttl time.Duration) {
	h := &m.health
	h.gen++
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	h.info.Expires = time.Time{}
	if ttl <= 0 || e.closed.Load() {
		return
	}
	gen := h.gen
	h.info.Expires = e.clock.Now().Add(ttl)
	h.timer = e.clock.AfterFunc(ttl, func() { e.expire(m, gen) })
}

// expire turns a member Failed when its last report outlived its TTL.
func (e *Engine) expire(m *memberState, gen uint64) {
	h := &m.health
	h.mu.Lock()
	if gen != h.gen || e.closed.Load() || (!h.ext && !e.Leading()) {
		h.mu.Unlock()
		return
	}
	h.timer, h.info.Expires = nil, time.Time{}
	h.info.Source, h.info.Detail = "ttl", "no report within its time to live"
	ch, changed := h.set(HealthFailed, e.clock.Now())
	e.counted(m, ch, changed)
}

// emitHealth publishes a HealthChanged record; m.health.mu is held so a
// member's records keep their order.
func (e *Engine) emitHealth(m *memberState, ch healthChange) {
	r := e.newRecord(context.Background(), event.KindHealthChanged, "", m.name)
	cur := m.health.current()
	r.Health = &event.HealthChanged{
		From: ch.from.String(), To: ch.to.String(),
		Source: cur.Source, Detail: cur.Detail,
	}
	e.emit(r)
}

// healthChanged recomputes the member's sets and schedules what the sets'
// policies ask for.
func (e *Engine) healthChanged(m *memberState, ch healthChange) {
	for _, s := range e.setsOf(m) {
		act := e.refreshAfterHealth(s, m, ch)
		e.schedule(s, m, act)
	}
}

// refreshAfterHealth recomputes s's status and decides the automatic
// action a member's health change calls for.
func (e *Engine) refreshAfterHealth(s *setState, m *memberState, ch healthChange) autoAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || s.pending {
		return actNone
	}
	e.refreshStatus(s)
	role, ok := s.roleOf(m)
	if !ok || e.automaticStopped(s) {
		return actNone
	}
	return s.actionFor(role.Kind, ch)
}

// stopTimers cancels every TTL timer (at Close).
func (e *Engine) stopTimers() {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, m := range e.members {
		m.health.mu.Lock()
		m.health.gen++
		if m.health.timer != nil {
			m.health.timer.Stop()
			m.health.timer = nil
		}
		m.health.mu.Unlock()
	}
}
