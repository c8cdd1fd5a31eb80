package engine

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/event"
	"pgregory.net/rapid"
)

// The model is an independent, simple restatement of the rules: it predicts
// the outcome of every operation and is compared with the engine after each
// step. Members use rise = fall = 1, so counted health is the last report.

type modelSet struct {
	set   Set
	roles map[string]Role
}

type model struct {
	health map[string]Health // members that exist
	sets   map[string]*modelSet
	acked  map[uint64]string // history seq of every acknowledged failover -> set
}

var (
	propMembers = []string{"m0", "m1", "m2", "m3", "m4"}
	propSets    = []string{"redset:s0", "redset:s1", "redset:s2"}
	propTypes   = [][]uint16{{TypeNPlus1}, {TypeLoadBalanced}, {TypeSparing}, {TypeSparing}, {TypeLimitedSparing},
		{TypeLimitedSparing}, {TypeOther}, {TypeLoadBalanced, TypeSparing}, nil}
)

func TestPropertyEngine(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := newPropRun(t, rt)
		defer p.h.close()
		p.seed(rt)
		rt.Repeat(p.actions())
	})
}

type propRun struct {
	h   *harness
	m   *model
	sub *event.Subscription
}

func newPropRun(t *testing.T, rt *rapid.T) *propRun {
	h := newHarness(t)
	p := &propRun{h: h, m: &model{health: map[string]Health{}, sets: map[string]*modelSet{}, acked: map[uint64]string{}}}
	p.sub = h.bus.Subscribe(1<<16, nil)
	return p
}

// seed starts every run with all members and a drawn set for each InstanceID
// (some creations fail validation), so that the random steps mostly work
// on things that exist.
func (p *propRun) seed(rt *rapid.T) {
	for _, name := range propMembers {
		p.m.health[name] = HealthUnknown
		if _, err := p.h.e.PutMember(context.Background(), Member{Name: name, Probe: Probe{Rise: 1, Fall: 1}}); err != nil {
			rt.Fatal(err)
		}
	}
	for range propSets {
		p.createSet(rt)
	}
	for range 8 {
		p.addToSet(rt)
	}
	for _, name := range propMembers {
		p.reportOne(rt, name)
	}
}

// actions weights the steps that make failovers possible (roles, healthy
// members, targeted failovers) by listing them more than once.
func (p *propRun) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"putMember":     p.putMember,
		"deleteMember":  p.deleteMember,
		"createSet":     p.createSet,
		"deleteSet":     p.deleteSet,
		"addToSet":      p.addToSet,
		"addToSet2":     p.addToSet,
		"addToSet3":     p.addToSet,
		"removeFromSet": p.removeFromSet,
		"report":        p.report,
		"report2":       p.report,
		"report3":       p.report,
		"failActive":    p.failActive,
		"failActive2":   p.failActive,
		"failover":      p.failover,
		"failoverRole":  p.failoverByRole,
		"failoverRole2": p.failoverByRole,
		"failoverRole3": p.failoverByRole,
		"enable":        p.enable,
		"setLB":         p.setLB,
		"restart":       p.restart,
		"":              p.check,
	}
}

func draw[V any](rt *rapid.T, from []V, label string) V {
	return rapid.SampledFrom(from).Draw(rt, label)
}

func (p *propRun) putMember(rt *rapid.T) {
	name := draw(rt, propMembers, "member")
	_, err := p.h.e.PutMember(context.Background(), Member{Name: name, Probe: Probe{Rise: 1, Fall: 1}})
	if err != nil {
		rt.Fatalf("PutMember(%s): %v", name, err)
	}
	if _, ok := p.m.health[name]; !ok {
		p.m.health[name] = HealthUnknown
	}
}

func (p *propRun) deleteMember(rt *rapid.T) {
	name := draw(rt, propMembers, "member")
	err := p.h.e.DeleteMember(context.Background(), name)
	_, exists := p.m.health[name]
	want := error(nil)
	switch {
	case !exists:
		want = ErrNotFound
	case p.m.inAnySet(name):
		want = ErrInUse
	}
	expectErr(rt, "DeleteMember", err, want)
	if want == nil {
		delete(p.m.health, name)
	}
}

func (m *model) inAnySet(name string) bool {
	for _, s := range m.sets {
		if _, ok := s.roles[name]; ok {
			return true
		}
	}
	return false
}

func expectErr(rt *rapid.T, op string, got, want error) {
	if (want == nil) != (got == nil) || (want != nil && !errors.Is(got, want)) {
		rt.Fatalf("%s: err = %v, want %v", op, got, want)
	}
}

func (p *propRun) createSet(rt *rapid.T) {
	s := Set{InstanceID: draw(rt, propSets, "set"), TypeOfSet: draw(rt, propTypes, "type")}
	for _, typ := range s.TypeOfSet {
		s.OtherTypeOfSet = append(s.OtherTypeOfSet, map[bool]string{true: "other"}[typ == TypeOther])
	}
	s.MinNumberNeeded = uint32(rapid.IntRange(0, 2).Draw(rt, "n"))
	s.MaxNumberSupported = uint32(rapid.IntRange(0, 4).Draw(rt, "max"))
	s.Policy = Policy{
		DisableAutoFailover: rapid.IntRange(0, 3).Draw(rt, "noauto") == 0, AutoReturn: rapid.Bool().Draw(rt, "return"),
		Failback: rapid.Bool().Draw(rt, "failback"), MaxFailovers: rapid.IntRange(1, 3).Draw(rt, "flap"),
	}
	_, err := p.h.e.CreateSet(context.Background(), s)
	var want error
	switch {
	case behaviourOf(s.TypeOfSet) == behaveLimitedSparing && s.MinNumberNeeded != 0,
		s.MaxNumberSupported != 0 && s.MinNumberNeeded > s.MaxNumberSupported:
		want = ErrInvalid // validation comes first
	case p.m.sets[s.InstanceID] != nil:
		want = ErrExists
	}
	expectErr(rt, "CreateSet", err, want)
	if want == nil {
		s.LoadBalanceAlgorithm = LBNone
		normalizePolicy(&s.Policy)
		p.m.sets[s.InstanceID] = &modelSet{set: s, roles: map[string]Role{}}
	}
}

func (p *propRun) deleteSet(rt *rapid.T) {
	id := draw(rt, propSets, "set")
	err := p.h.e.DeleteSet(context.Background(), id)
	want := error(nil)
	if p.m.sets[id] == nil {
		want = ErrNotFound
	}
	expectErr(rt, "DeleteSet", err, want)
	delete(p.m.sets, id)
}

func (p *propRun) addToSet(rt *rapid.T) {
	id, name := draw(rt, propSets, "set"), draw(rt, propMembers, "member")
	role := Role{Kind: RoleKind(rapid.IntRange(1, 3).Draw(rt, "role"))}
	if role.Kind == RoleSpare || rapid.Bool().Draw(rt, "remember") {
		role.Spare = SpareSettings{
			SpareStatus:       uint16(rapid.IntRange(2, 3).Draw(rt, "status")),
			FailoverSupported: draw(rt, []uint16{FailoverAutomatic, FailoverManual, FailoverBoth, FailoverBoth}, "supported"),
			Priority:          rapid.IntRange(0, 3).Draw(rt, "priority"),
		}
	}
	_, err := p.h.e.AddToSet(context.Background(), id, name, role)
	s, want := p.m.sets[id], error(nil)
	_, known := p.m.health[name]
	switch {
	case s == nil || !known:
		want = ErrNotFound
	case hasRole(s, name):
		want = ErrExists
	case s.set.MaxNumberSupported != 0 && len(s.roles) >= int(s.set.MaxNumberSupported):
		want = ErrInvalid
	}
	expectErr(rt, "AddToSet", err, want)
	if want == nil {
		s.roles[name] = role
	}
}

func hasRole(s *modelSet, name string) bool { _, ok := s.roles[name]; return ok }

func (p *propRun) removeFromSet(rt *rapid.T) {
	id, name := draw(rt, propSets, "set"), draw(rt, propMembers, "member")
	_, err := p.h.e.RemoveFromSet(context.Background(), id, name)
	s, want := p.m.sets[id], error(nil)
	if s == nil || !hasRole(s, name) {
		want = ErrNotFound
	}
	expectErr(rt, "RemoveFromSet", err, want)
	if want == nil {
		delete(s.roles, name)
	}
}

func (p *propRun) report(rt *rapid.T) { p.reportOne(rt, draw(rt, propMembers, "member")) }

func (p *propRun) reportOne(rt *rapid.T, name string) {
	state := draw(rt, []Health{HealthOK, HealthOK, HealthDegraded, HealthFailed}, "state")
	err := p.h.e.ReportHealth(name, Report{State: state})
	_, known := p.m.health[name]
	expectErr(rt, "ReportHealth", err, map[bool]error{false: ErrNotFound}[known])
	if known {
		p.m.health[name] = state
	}
}

// failActive reports an in-service member of some set Failed, the trigger
// of automatic failover.
func (p *propRun) failActive(rt *rapid.T) {
	var active []string
	for _, id := range slices.Sorted(maps.Keys(p.m.sets)) {
		for _, n := range slices.Sorted(maps.Keys(p.m.sets[id].roles)) {
			if p.m.sets[id].roles[n].Kind == RoleInService {
				active = append(active, n)
			}
		}
	}
	if len(active) == 0 {
		rt.Skip("nothing in service")
	}
	name := draw(rt, active, "member")
	if err := p.h.e.ReportHealth(name, Report{State: HealthFailed}); err != nil {
		rt.Fatal(err)
	}
	p.m.health[name] = HealthFailed
}

func (p *propRun) failover(rt *rapid.T) {
	id := draw(rt, propSets, "set")
	from, to := draw(rt, append(propMembers, ""), "from"), draw(rt, append(propMembers, "", "m9"), "to")
	p.tryFailover(rt, id, from, to)
}

// failoverByRole picks an in-service member of an existing set as from and
// another member of the set as to.
func (p *propRun) failoverByRole(rt *rapid.T) {
	ids := slices.Sorted(maps.Keys(p.m.sets))
	if len(ids) == 0 {
		rt.Skip("no sets")
	}
	id := draw(rt, ids, "set")
	names := slices.Sorted(maps.Keys(p.m.sets[id].roles))
	active := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return p.m.sets[id].roles[n].Kind != RoleInService })
	if len(active) == 0 || len(names) < 2 {
		rt.Skip("no candidates")
	}
	from := draw(rt, active, "from")
	p.tryFailover(rt, id, from, draw(rt, slices.DeleteFunc(names, func(n string) bool { return n == from }), "to"))
}

func (p *propRun) tryFailover(rt *rapid.T, id, from, to string) {
	want := p.m.predictFailover(id, from, to)
	before := p.h.dump()
	res := p.h.e.Failover(context.Background(), id, from, to)
	if res.Code != want {
		rt.Fatalf("Failover(%s, %s, %s) = %d (%s), model says %d", id, from, to, res.Code, res.Reason, want)
	}
	if res.Code != 0 {
		if res.Reason == "" {
			rt.Fatalf("refusal %d without a reason", res.Code)
		}
		p.h.assertUnchanged(before)
		return
	}
	p.m.applyFailover(id, from, to)
	p.m.acked[res.Seq] = id
}

func (p *propRun) enable(rt *rapid.T) {
	id, name := draw(rt, propSets, "set"), draw(rt, propMembers, "member")
	_, err := p.h.e.EnableMember(context.Background(), id, name)
	s, want := p.m.sets[id], error(nil)
	switch {
	case s == nil || !hasRole(s, name):
		want = ErrNotFound
	case s.roles[name].Kind != RoleDrained:
		want = ErrInvalid
	}
	expectErr(rt, "EnableMember", err, want)
	if want == nil {
		r := s.roles[name]
		r.Kind = RoleInService
		s.roles[name] = r
	}
}

func (p *propRun) setLB(rt *rapid.T) {
	id := draw(rt, propSets, "set")
	alg, other := uint16(rapid.IntRange(0, 8).Draw(rt, "alg")), draw(rt, []string{"", "x"}, "other")
	_, err := p.h.e.SetLoadBalance(context.Background(), id, alg, other)
	s, want := p.m.sets[id], error(nil)
	switch {
	case alg > 7 || (alg == LBOther) != (other != ""):
		want = ErrInvalid
	case s == nil:
		want = ErrNotFound
	}
	expectErr(rt, "SetLoadBalance", err, want)
	if want == nil {
		s.set.LoadBalanceAlgorithm, s.set.OtherLoadBalanceAlgorithm = alg, other
	}
}

// restart reopens the engine on the same bolt file: every acknowledged
// failover must be in the history, and health starts Unknown.
func (p *propRun) restart(rt *rapid.T) {
	p.h.settle()
	p.applyAutomatic(rt)
	p.h.restart()
	for name := range p.m.health {
		p.m.health[name] = HealthUnknown
	}
	hist, err := p.h.e.History(context.Background(), 0)
	if err != nil {
		rt.Fatal(err)
	}
	seen := map[uint64]bool{}
	for _, r := range hist {
		if r.Kind == event.KindFailoverSucceeded {
			seen[r.Seq] = true
		}
	}
	for seq, id := range p.m.acked {
		if !seen[seq] {
			rt.Fatalf("acknowledged failover %d of %s lost after restart", seq, id)
		}
	}
}

// check runs after every step.
func (p *propRun) check(rt *rapid.T) {
	p.h.settle()
	p.applyAutomatic(rt)
	for _, id := range propSets {
		p.checkSet(rt, id)
	}
}

func (p *propRun) checkSet(rt *rapid.T, id string) {
	v, err := p.h.e.GetSet(id)
	s := p.m.sets[id]
	if s == nil {
		expectErr(rt, "GetSet", err, ErrNotFound)
		return
	}
	if err != nil {
		rt.Fatalf("GetSet(%s): %v", id, err)
	}
	got := map[string]Role{}
	for _, mv := range v.Members {
		if _, dup := got[mv.Name]; dup {
			rt.Fatalf("%s lists %s twice", id, mv.Name)
		}
		got[mv.Name] = mv.Role
	}
	if diff := cmp.Diff(s.roles, got); diff != "" {
		rt.Fatalf("roles of %s (-model +engine):\n%s", id, diff)
	}
	if want := refStatus(s, p.m.health); v.RedundancyStatus != want {
		rt.Fatalf("status of %s = %d, rule says %d", id, v.RedundancyStatus, want)
	}
	if v.LoadBalanceAlgorithm != s.set.LoadBalanceAlgorithm {
		rt.Fatalf("LoadBalanceAlgorithm of %s = %d, want %d", id, v.LoadBalanceAlgorithm, s.set.LoadBalanceAlgorithm)
	}
	p.checkCache(rt, id, v.RedundancyStatus)
	if !v.FlapGuardTripped && p.m.needsAuto(s) {
		rt.Fatalf("%s: an automatic failover is due but did not happen: %+v", id, s.roles)
	}
}

// checkCache: the status the engine last published equals the fresh one.
func (p *propRun) checkCache(rt *rapid.T, id string, fresh uint16) {
	st, _ := p.h.e.lookupSet(id)
	st.mu.Lock()
	cached := st.status
	st.mu.Unlock()
	if cached != fresh {
		rt.Fatalf("%s: published status %d, fresh %d", id, cached, fresh)
	}
}

// applyAutomatic replays the engine's automatic actions into the model,
// checking that each was allowed.
func (p *propRun) applyAutomatic(rt *rapid.T) {
	for {
		select {
		case r, ok := <-p.sub.C():
			if !ok {
				rt.Fatal("event subscription dropped")
			}
			p.applyEvent(rt, r)
		default:
			return
		}
	}
}

func (p *propRun) applyEvent(rt *rapid.T, r event.Record) {
	switch {
	case r.Kind == event.KindFailoverSucceeded && !r.Failover.Planned:
		if err := p.m.allowsAuto(r.SetID, r.Failover.From, r.Failover.To); err != nil {
			rt.Fatalf("automatic failover %s %s->%s: %v", r.SetID, r.Failover.From, r.Failover.To, err)
		}
		p.m.applyFailover(r.SetID, r.Failover.From, r.Failover.To)
		p.m.acked[r.Seq] = r.SetID
	case r.Kind == event.KindMemberReturned && !r.Returned.Operator:
		s := p.m.sets[r.SetID]
		if s == nil || s.roles[r.Member].Kind != RoleDrained || !s.set.Policy.AutoReturn || p.m.health[r.Member] != HealthOK {
			rt.Fatalf("automatic return of %s in %s not allowed", r.Member, r.SetID)
		}
		role := s.roles[r.Member]
		role.Kind = RoleInService
		s.roles[r.Member] = role
	}
}
