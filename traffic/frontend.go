package traffic

import (
	"context"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

// frontend is one set's listener and the connections it proxies.
type frontend struct {
	m      *Manager
	setID  string
	bal    *engine.Balancer
	ctx    context.Context // ends when the frontend stops: dials under way give up
	cancel context.CancelFunc

	settings atomic.Pointer[settings]
	open     atomic.Int64 // client connections accepted and not yet ended
	refused  atomic.Uint64
	atLimit  burst // refusing at MaxConnections
	noMember burst // refusing for want of a member
	io       frontIO

	mu       sync.Mutex
	cfg      engine.Frontend
	ln       io.Closer   // nil when not listening
	addr     string      // where ln listens
	err      string      // why it does not listen
	failed   bool        // the last bind failed (its event is recorded)
	retry    *time.Timer // the next bind attempt
	retryGen uint64      // names the current retry timer
	backoff  time.Duration
	members  map[string]*member
	rev      int64 // revision of the set's view last applied
	retired  bool  // the set or its frontend is gone
	down     bool  // shut down: every connection closed, none accepted
}

// settings are what the connection path reads of the configuration.
type settings struct {
	limit   int64
	timeout time.Duration
	proxyV2 bool
	passive int64
}

// member is one member's traffic through a frontend. Counters are atomic;
// the rest is guarded by frontend.mu.
type member struct {
	name       string
	total      atomic.Uint64
	dialErrors atomic.Uint64
	bytesIn    atomic.Uint64
	bytesOut   atomic.Uint64
	streak     atomic.Int64 // failed dials in a row

	address   string
	inSet     bool
	inService bool
	conns     map[*proxied]struct{}
	draining  int64       // connections the pending drain will close
	drain     *time.Timer // the pending drain
	drainGen  uint64      // invalidates a drain timer that was called off
	closedOut bool        // out of service and drained: new connections close at once
}

func newFrontend(m *Manager, setID string) *frontend {
	ctx, cancel := context.WithCancel(context.Background())
	f := &frontend{m: m, setID: setID, bal: engine.NewBalancer(), ctx: ctx, cancel: cancel,
		members: map[string]*member{}, io: newFrontIO()}
	f.atLimit = burst{log: m.log, set: setID}
	f.noMember = burst{log: m.log, set: setID}
	return f
}

// apply takes the set's current frontend settings and members; m.recMu is
// held.
func (f *frontend) apply(cfg engine.Frontend, v engine.SetView, addrs map[string]string) {
	f.mu.Lock()
	if f.down || f.retired || v.Revision < f.rev {
		f.mu.Unlock()
		return
	}
	f.rev = v.Revision
	rebind := f.cfg.Listen != cfg.Listen
	f.cfg = cfg
	f.settings.Store(&settings{limit: int64(cfg.Limit()), timeout: cfg.Timeout(),
		proxyV2: cfg.ProxyProtocol == engine.ProxyProtocolV2, passive: int64(cfg.PassiveFailures)})
	f.updateMembers(v.Members, addrs)
	var rec *event.FrontendChanged
	if rebind || (f.ln == nil && f.retry == nil) {
		_ = f.closeListener() // another address: no need to wait
		f.backoff, f.failed = 0, false
		rec = f.bind()
	}
	f.mu.Unlock()
	f.record(rec)
}

func (f *frontend) record(rec *event.FrontendChanged) {
	if rec != nil {
		f.m.eng.RecordFrontend(f.setID, *rec)
	}
}

// closeListener stops listening and any bind retry; f.mu is held. The
// listening socket may be closed a moment later: the returned wait, called
// without f.mu, returns once it is.
func (f *frontend) closeListener() (wait func()) {
	if f.retry != nil {
		f.retry.Stop()
		f.retry = nil
	}
	wait = func() {}
	if f.ln != nil {
		_ = f.ln.Close()
		if w, ok := f.ln.(interface{ wait() }); ok {
			wait = w.wait
		}
		f.ln, f.addr = nil, ""
	}
	return wait
}

// bind listens on the configured address and starts accepting, or
// schedules another try; it returns the event to record, if any. f.mu is
// held.
func (f *frontend) bind() *event.FrontendChanged {
	listen := f.cfg.Listen
	lc := net.ListenConfig{KeepAlive: -1} // accepted connections without TCP keep-alive, as haproxy by default
	ln, err := lc.Listen(f.ctx, "tcp", listen)
	if err != nil {
		f.err = err.Error()
		f.scheduleRetry()
		if f.failed {
			f.m.log.Debug("frontend still cannot listen", "set", f.setID, "listen", listen, "err", err, "retry", f.backoff)
			return nil
		}
		f.failed = true
		f.m.log.Warn("frontend cannot listen; it will try again", "set", f.setID, "listen", listen, "err", err,
			"retry", f.backoff)
		return &event.FrontendChanged{Listen: listen, State: event.FrontendFailed, Error: f.err}
	}
	addr := ln.Addr().String()
	served, err := f.serveListener(ln)
	if err != nil {
		_ = ln.Close()
		f.err = err.Error()
		f.scheduleRetry()
		f.failed = true
		f.m.log.Warn("frontend cannot serve its listener; it will try again", "set", f.setID, "listen", listen, "err", err,
			"retry", f.backoff)
		return &event.FrontendChanged{Listen: listen, State: event.FrontendFailed, Error: f.err}
	}
	f.ln, f.addr, f.err, f.failed = served, addr, "", false
	f.m.log.Info("frontend listening", "set", f.setID, "listen", listen, "address", f.addr)
	return &event.FrontendChanged{Listen: listen, Address: f.addr, State: event.FrontendListening}
}

// scheduleRetry arms the next bind attempt, the wait doubling up to the
// maximum; f.mu is held.
func (f *frontend) scheduleRetry() {
	o := f.m.opts
	f.backoff = min(max(f.backoff*2, o.BindRetry), o.BindRetryMax)
	f.retryGen++
	gen := f.retryGen
	f.retry = time.AfterFunc(f.backoff, func() { f.retryBind(gen) })
}

func (f *frontend) retryBind(gen uint64) {
	f.m.recMu.Lock()
	defer f.m.recMu.Unlock()
	f.mu.Lock()
	if f.retry == nil || gen != f.retryGen || f.down || f.retired {
		f.mu.Unlock()
		return
	}
	f.retry = nil
	rec := f.bind()
	f.mu.Unlock()
	f.record(rec)
}

// updateMembers follows the set's members: their addresses and who is in
// service; f.mu is held.
func (f *frontend) updateMembers(members []engine.MemberView, addrs map[string]string) {
	inSet := make(map[string]bool, len(members))
	for _, mv := range members {
		inSet[mv.Name] = true
		m := f.memberLocked(mv.Name)
		m.inSet = true
		if a, ok := addrs[mv.Name]; ok {
			m.address = a
		}
		f.setService(m, mv.Role.Kind == engine.RoleInService)
	}
	for name, m := range f.members {
		if !inSet[name] {
			m.inSet = false
			f.setService(m, false)
			f.prune(m)
		}
	}
}

func (f *frontend) memberLocked(name string) *member {
	m := f.members[name]
	if m == nil {
		m = &member{name: name, conns: map[*proxied]struct{}{}}
		f.members[name] = m
	}
	return m
}

// prune forgets a member that left the set once its connections ended.
func (f *frontend) prune(m *member) {
	if !m.inSet && len(m.conns) == 0 && f.members[m.name] == m {
		delete(f.members, m.name)
	}
}

// setService records whether m is in service and starts or calls off the
// drain of its connections; f.mu is held.
func (f *frontend) setService(m *member, in bool) {
	if in {
		if !m.inService {
			m.inService, m.closedOut = true, false
			f.callOffDrain(m)
		}
		return
	}
	if !m.inService && (m.closedOut || m.drain != nil) {
		return // already leaving
	}
	m.inService = false
	switch d := f.cfg.Drain; {
	case d == nil: // left open
	case d.D() == 0 || len(m.conns) == 0:
		f.drained(m)
	default:
		m.drainGen++
		gen := m.drainGen
		m.drain = time.AfterFunc(d.D(), func() { f.drainEnded(m, gen) })
		m.draining = int64(len(m.conns))
		for p := range m.conns {
			p.draining = true
		}
	}
}

func (f *frontend) callOffDrain(m *member) {
	m.drainGen++
	if m.drain != nil {
		m.drain.Stop()
		m.drain = nil
	}
	m.draining = 0
	for p := range m.conns {
		p.draining = false
	}
}

func (f *frontend) drainEnded(m *member, gen uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if gen != m.drainGen || f.down {
		return
	}
	m.drain = nil
	f.drained(m)
}

// drained closes m's connections; later ones are closed as they come,
// until m returns to service. f.mu is held.
func (f *frontend) drained(m *member) {
	m.closedOut = true
	m.draining = 0
	for p := range m.conns {
		p.draining = false
		p.abort()
	}
	if len(m.conns) > 0 {
		f.m.log.Info("frontend closed the connections of a member out of service", "set", f.setID,
			"member", m.name, "connections", len(m.conns))
	}
}

// retire stops listening after the set or its frontend was deleted; open
// connections are left to the drain, as if every member left service.
func (f *frontend) retire() {
	f.mu.Lock()
	if f.retired || f.down {
		f.mu.Unlock()
		return
	}
	f.retired = true
	wait := f.closeListener()
	f.cancel()
	for _, m := range f.members {
		m.inSet = false
		f.setService(m, false)
		f.prune(m)
	}
	listen := f.cfg.Listen
	empty := len(f.members) == 0
	f.mu.Unlock()
	wait()
	f.m.log.Info("frontend stopped", "set", f.setID, "listen", listen)
	f.record(&event.FrontendChanged{Listen: listen, State: event.FrontendStopped})
	if empty {
		f.m.forget(f)
	}
}

// shutdown closes the listener and every connection at once.
func (f *frontend) shutdown() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = true
	_ = f.closeListener()
	f.cancel()
	for _, m := range f.members {
		f.callOffDrain(m)
		for p := range m.conns {
			p.abort()
		}
	}
}

func (f *frontend) hasMember(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.members[name] != nil
}

// status reads the frontend's state and counters.
func (f *frontend) status() engine.FrontendStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := engine.FrontendStatus{Listen: f.cfg.Listen, Address: f.addr, Error: f.err, Open: f.open.Load(),
		Refused: f.refused.Load(), Members: make([]engine.MemberTraffic, 0, len(f.members))}
	for _, m := range f.members {
		st.Members = append(st.Members, engine.MemberTraffic{Name: m.name, Address: m.address,
			Open: int64(len(m.conns)), Total: m.total.Load(), DialErrors: m.dialErrors.Load(),
			BytesIn: m.bytesIn.Load(), BytesOut: m.bytesOut.Load(), Draining: m.draining})
	}
	slices.SortFunc(st.Members, func(a, b engine.MemberTraffic) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return st
}
