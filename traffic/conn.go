package traffic

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redset/redset/engine"
)

// chunk is how much a spliced copy moves between two updates of the byte
// counts.
const chunk = 1 << 20

// bufSize is the pooled buffer a direction of a connection holds bytes in
// while it cannot write them on: the most it holds in flight.
const bufSize = 32 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// aborter closes both sides of a proxied connection at once.
type aborter interface{ abort() }

// proxied is one client connection and its member's, as the frontend
// counts it: link closes it from any goroutine.
type proxied struct {
	link     aborter
	member   *member
	draining bool // guarded by frontend.mu
}

func (p *proxied) abort() { p.link.abort() }

// admit counts a new connection as open within MaxConnections; false when
// it must be refused (it is counted and logged as such).
func (f *frontend) admit(s *settings) bool {
	if f.open.Add(1) > s.limit {
		f.open.Add(-1)
		f.refused.Add(1)
		f.atLimit.refuse("frontend at its connection limit: refusing new connections", "maxConnections", s.limit)
		return false
	}
	f.atLimit.end("frontend below its connection limit: accepting connections again")
	return true
}

// refuse counts a connection that no member could take.
func (f *frontend) refuse(err error) {
	f.refused.Add(1)
	f.noMember.refuse("frontend refuses connections: no member could take them", "err", err)
}

// choice is one connection's choice of member, across failed dials.
type choice struct {
	cands    engine.Candidates
	client   string // the client's IP address, for Address Region
	tried    []string
	lastDial error
	rereads  int
}

// newChoice reads the set's candidates for a new connection; client gives
// the client's IP address, asked only when the set's algorithm needs it.
func (f *frontend) newChoice(client func() string) (*choice, error) {
	cands, err := f.m.eng.Candidates(f.setID, nil)
	if err != nil {
		return nil, err
	}
	ch := &choice{cands: cands}
	if cands.Algorithm < engine.LBNone || cands.Algorithm >= engine.LBAddressRegion {
		ch.client = client()
	}
	return ch, nil
}

// next picks the member to dial from the set as it is now, leaving out
// those whose dial failed; it returns the lease, the member and its
// address.
func (f *frontend) next(ch *choice) (engine.Lease, *member, string, error) {
	for {
		lease, err := f.bal.Acquire(ch.cands, ch.client, 0)
		if err != nil && len(ch.tried) > 0 {
			err = fmt.Errorf("the dial of every member in service failed (%s); the last: %w", strings.Join(ch.tried, ", "), ch.lastDial)
		}
		if err != nil {
			return engine.Lease{}, nil, "", err
		}
		m, addr, fresh := f.memberFor(lease.Member, ch.cands.Revision)
		if fresh || ch.rereads >= maxRereads {
			return lease, m, addr, nil
		}
		// The frontend has seen a newer set than these candidates: read
		// them again.
		f.bal.Release(lease)
		ch.rereads++
		if ch.cands, err = f.m.eng.Candidates(f.setID, ch.cands.Names); err != nil {
			return engine.Lease{}, nil, "", err
		}
		ch.cands.Names = without(ch.cands.Names, ch.tried)
	}
}

// dialed records a successful dial of m.
func (f *frontend) dialed(m *member) {
	m.streak.Store(0)
	f.noMember.end("frontend has a member for its connections again")
}

// dialFailed records a failed dial of m, ends its lease and leaves m out
// of the connection's next choice.
func (f *frontend) dialFailed(ch *choice, lease engine.Lease, m *member, s *settings, err error) {
	f.bal.Release(lease)
	m.dialErrors.Add(1)
	f.passive(m, s, err)
	ch.tried, ch.lastDial = append(ch.tried, lease.Member), err
	ch.cands.Names = without(ch.cands.Names, ch.tried)
}

// without removes the names in drop from names, in place.
func without(names, drop []string) []string {
	if len(drop) == 0 {
		return names
	}
	return slices.DeleteFunc(names, func(n string) bool { return slices.Contains(drop, n) })
}

// maxRereads bounds how often one connection reads the set again.
const maxRereads = 3

// memberFor is the traffic state and address of a member that a view of
// the set at revision rev has in service. When that view is at least as new
// as the frontend's, the member is counted in service at once (a failover
// reaches new connections before its event reaches the frontend); false
// when the frontend has seen a newer set than rev.
func (f *frontend) memberFor(name string, rev int64) (*member, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[name]
	if m == nil || !m.inSet {
		f.mu.Unlock()
		addr := ""
		if mi, err := f.m.eng.GetMember(name); err == nil {
			addr = mi.TrafficAddress()
		}
		f.mu.Lock()
		m = f.memberLocked(name)
		if !m.inSet && rev >= f.rev {
			m.inSet, m.address = true, addr
		}
	}
	if rev < f.rev {
		return m, m.address, false
	}
	f.setService(m, true)
	return m, m.address, true
}

// errNoAddress is the dial error of a member without a traffic address.
var errNoAddress = errors.New("the member has no traffic address (no address, and no TCP or HTTP probe)")

// passive reports a member Failed once its failed dials in a row reach
// the frontend's PassiveFailures, and at each failed dial after that. The
// report is made on a goroutine of its own, so that the connection's path
// never waits for the engine.
func (f *frontend) passive(m *member, s *settings, dialErr error) {
	n := m.streak.Add(1)
	if s.passive == 0 || n < s.passive || f.ctx.Err() != nil {
		return
	}
	if n == s.passive {
		f.m.log.Warn("frontend reports a member failed: its connections fail", "set", f.setID, "member", m.name,
			"failures", n, "err", dialErr)
	}
	f.m.wg.Add(1)
	go func() {
		defer f.m.wg.Done()
		err := f.m.eng.ReportHealth(m.name, engine.Report{State: engine.HealthFailed, Source: "traffic",
			Detail: fmt.Sprintf("%d connections in a row failed: %v", n, dialErr)})
		if err != nil && !errors.Is(err, engine.ErrNotFound) {
			f.m.log.Warn("health report refused", "member", m.name, "err", err)
		}
	}()
}

// register counts p as open to its member; false when it must be closed
// at once (the frontend shut down, or its member was drained).
func (f *frontend) register(p *proxied) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := p.member
	if f.down || m.closedOut {
		return false
	}
	m.conns[p] = struct{}{}
	m.total.Add(1)
	if m.drain != nil {
		p.draining = true
		m.draining++
	}
	return true
}

func (f *frontend) unregister(p *proxied) {
	f.mu.Lock()
	m := p.member
	delete(m.conns, p)
	if p.draining {
		m.draining--
	}
	f.prune(m)
	gone := f.retired && len(f.members) == 0
	f.mu.Unlock()
	if gone {
		f.m.forget(f)
	}
}

// burst logs one line when a run of refusals starts and one, with their
// number, when it ends.
type burst struct {
	log *slog.Logger
	set string

	on atomic.Bool
	mu sync.Mutex
	n  uint64
}

func (b *burst) refuse(msg string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	if b.on.CompareAndSwap(false, true) {
		b.log.Warn(msg, append([]any{"set", b.set}, args...)...)
	}
}

func (b *burst) end(msg string) {
	if !b.on.Load() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.on.CompareAndSwap(true, false) {
		b.log.Info(msg, "set", b.set, "refused", b.n)
		b.n = 0
	}
}

// acceptBackoff is the wait after a failed accept (out of descriptors,
// say), as net/http does: doubling from 5ms up to a second.
func acceptBackoff(delay time.Duration) time.Duration {
	return min(max(2*delay, 5*time.Millisecond), time.Second)
}
