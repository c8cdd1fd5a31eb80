package engine

import (
	"fmt"
	"maps"
	"slices"
)

// predictFailover restates checks 1-5.
func (m *model) predictFailover(id, from, to string) uint32 {
	s := m.sets[id]
	_, fromKnown := m.health[from]
	_, toKnown := m.health[to]
	if s == nil || from == "" || to == "" || !fromKnown || !toKnown || from == to {
		return 4
	}
	fr, fok := s.roles[from]
	tr, tok := s.roles[to]
	kind := behaviourOf(s.set.TypeOfSet)
	if !fok || fr.Kind != RoleInService || !tok || (tr.Kind == RoleInService && kind != behaveNPlus1) {
		return 4
	}
	if kind == behaveOther || (tr.Kind == RoleSpare && tr.Spare.FailoverSupported == FailoverAutomatic) {
		return 1
	}
	if !m.health[to].Operational() {
		return 4
	}
	before, after := m.activeOperational(s, "", ""), m.activeOperational(s, from, to)
	if after < m.needed(s) && after < before {
		return 4
	}
	return 0
}

func (m *model) activeOperational(s *modelSet, without, with string) int {
	n := 0
	for name, r := range s.roles {
		in := (r.Kind == RoleInService && name != without) || name == with
		if in && m.health[name].Operational() {
			n++
		}
	}
	return n
}

func (m *model) needed(s *modelSet) int {
	if behaviourOf(s.set.TypeOfSet) != behaveLimitedSparing {
		return int(s.set.MinNumberNeeded)
	}
	n := 0
	for _, r := range s.roles {
		if r.Kind == RoleInService {
			n++
		}
	}
	return n
}

func (m *model) applyFailover(id, from, to string) {
	s := m.sets[id]
	fr, tr := s.roles[from], s.roles[to]
	s.roles[to] = Role{Kind: RoleInService, Spare: tr.Spare}
	switch {
	case !behaviourOf(s.set.TypeOfSet).sparing():
		s.roles[from] = Role{Kind: RoleDrained, Spare: fr.Spare}
	case fr.Spare.SpareStatus != 0:
		s.roles[from] = Role{Kind: RoleSpare, Spare: fr.Spare}
	case tr.Spare.SpareStatus != 0:
		s.roles[from] = Role{Kind: RoleSpare, Spare: tr.Spare}
	default:
		s.roles[from] = Role{Kind: RoleSpare, Spare: DefaultSpare}
	}
}

func autoSpare(r Role) bool {
	return r.Kind == RoleSpare && (r.Spare.FailoverSupported == FailoverAutomatic || r.Spare.FailoverSupported == FailoverBoth)
}

// allowsAuto tells whether an automatic failover was allowed: a Failed
// in-service member to the best automatic spare, or a failback.
func (m *model) allowsAuto(id, from, to string) error {
	s := m.sets[id]
	if s == nil || !behaviourOf(s.set.TypeOfSet).sparing() || s.set.Policy.DisableAutoFailover {
		return fmt.Errorf("set does not allow automatic failover")
	}
	if s.roles[from].Kind != RoleInService || !autoSpare(s.roles[to]) || !m.health[to].Operational() {
		return fmt.Errorf("roles %+v %+v / health %s do not allow it", s.roles[from], s.roles[to], m.health[to])
	}
	if m.health[from] == HealthFailed {
		if best := m.bestSpare(s); best != to {
			return fmt.Errorf("picked %s, best spare is %s", to, best)
		}
		return nil
	}
	if !s.set.Policy.Failback || m.health[to] != HealthOK || s.roles[to].Spare.Priority <= s.roles[from].Spare.Priority {
		return fmt.Errorf("not a failed member and not a failback")
	}
	return nil
}

func (m *model) bestSpare(s *modelSet) string {
	names := slices.Sorted(maps.Keys(s.roles))
	best := ""
	for _, n := range names {
		if autoSpare(s.roles[n]) && m.health[n].Operational() && (best == "" || m.betterSpare(s, n, best)) {
			best = n
		}
	}
	return best
}

func (m *model) betterSpare(s *modelSet, a, b string) bool {
	ra, rb := s.roles[a].Spare, s.roles[b].Spare
	if ra.Priority != rb.Priority {
		return ra.Priority > rb.Priority
	}
	if ra.SpareStatus != rb.SpareStatus {
		return ra.SpareStatus == SpareHot
	}
	if m.health[a] != m.health[b] {
		return m.health[a] == HealthOK
	}
	return a < b
}

// needsAuto: a Sparing set with automatic failover on still has a Failed
// member in service and an operational automatic spare, or (with Failback)
// an OK automatic spare outranking an in-service member.
func (m *model) needsAuto(s *modelSet) bool {
	if !behaviourOf(s.set.TypeOfSet).sparing() || s.set.Policy.DisableAutoFailover {
		return false
	}
	best := m.bestSpare(s)
	if best == "" {
		return false
	}
	for name, r := range s.roles {
		if r.Kind != RoleInService {
			continue
		}
		if m.health[name] == HealthFailed {
			return true
		}
		if s.set.Policy.Failback && m.outranks(s, name) {
			return true
		}
	}
	return false
}

// outranks: some OK automatic spare has a higher priority than in-service
// member name.
func (m *model) outranks(s *modelSet, name string) bool {
	for n, r := range s.roles {
		if autoSpare(r) && m.health[n] == HealthOK && r.Spare.Priority > s.roles[name].Spare.Priority {
			return true
		}
	}
	return false
}

// refStatus restates the RedundancyStatus rule.
func refStatus(s *modelSet, health map[string]Health) uint16 {
	n := 0
	if behaviourOf(s.set.TypeOfSet) == behaveLimitedSparing {
		for _, r := range s.roles {
			if r.Kind == RoleInService {
				n++
			}
		}
	} else {
		n = int(s.set.MinNumberNeeded)
	}
	if len(s.roles) == 0 {
		return map[bool]uint16{true: 5, false: 0}[n > 0]
	}
	hi, lo := refOnce(s, health, n, HealthOK), refOnce(s, health, n, HealthFailed)
	if hi != lo {
		return 0
	}
	return hi
}

func refOnce(s *modelSet, health map[string]Health, need int, unknown Health) uint16 {
	a, ops, allOK := 0, 0, true
	for name, r := range s.roles {
		h := health[name]
		if h == HealthUnknown {
			h = unknown
		}
		allOK = allOK && h == HealthOK
		if h == HealthOK || h == HealthDegraded {
			ops++
			if r.Kind == RoleInService {
				a++
			}
		}
	}
	switch {
	case a < need || ops == 0:
		return 5
	case ops == need:
		return 4
	case !allOK:
		return 3
	}
	return 2
}
