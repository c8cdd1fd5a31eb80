package engine

import (
	"context"

	"github.com/redset/redset/event"
)

// behaviour is how the engine treats a set, derived from TypeOfSet.
type behaviour uint8

const (
	behaveOther          behaviour = iota // Unknown, Other or vendor types only: no failover
	behaveNPlus1                          // N+1 or Load Balanced: a failed-over member is drained
	behaveSparing                         // Sparing: a failed-over member becomes a spare
	behaveLimitedSparing                  // Limited Sparing: as Sparing, N = in-service slots
)

// behaviourOf picks the behaviour of a TypeOfSet array. When entries
// disagree, Limited Sparing wins over Sparing, which wins over N+1 / Load
// Balanced; a set with none of the four is Unknown/Other.
func behaviourOf(types []uint16) behaviour {
	b := behaveOther
	for _, t := range types {
		switch t {
		case TypeLimitedSparing:
			return behaveLimitedSparing
		case TypeSparing:
			b = behaveSparing
		case TypeNPlus1, TypeLoadBalanced:
			if b == behaveOther {
				b = behaveNPlus1
			}
		}
	}
	return b
}

func (b behaviour) sparing() bool { return b == behaveSparing || b == behaveLimitedSparing }

// MemberState is one member's role and counted health as the status rule
// sees it.
type MemberState struct {
	Role   RoleKind
	Health Health
}

// ComputeStatus is the RedundancyStatus rule, a pure function.
//
// N is minNumberNeeded, except for Limited Sparing where N is the number of
// in-service members (slots). With a = operational in-service members and
// n = operational members of any role:
//
//	a < N or n = 0            -> 5 Overall Failure
//	n = N                     -> 4 Redundancy Lost
//	some member not OK        -> 3 Degraded Redundancy
//	otherwise                 -> 2 Fully Redundant
//
// Unknown health is resolved by computing twice, with every Unknown member
// OK and with every Unknown member Failed: equal results stand, different
// results give 0 Unknown. A set without members is 5 when N > 0, else 0.
func ComputeStatus(typeOfSet []uint16, minNumberNeeded uint32, members []MemberState) uint16 {
	n := neededOf(typeOfSet, minNumberNeeded, members)
	if len(members) == 0 {
		if n > 0 {
			return StatusOverallFailure
		}
		return StatusUnknown
	}
	optimistic := statusAssuming(n, members, HealthOK)
	pessimistic := statusAssuming(n, members, HealthFailed)
	if optimistic != pessimistic {
		return StatusUnknown
	}
	return optimistic
}

func neededOf(typeOfSet []uint16, minNumberNeeded uint32, members []MemberState) int {
	if behaviourOf(typeOfSet) != behaveLimitedSparing {
		return int(minNumberNeeded)
	}
	slots := 0
	for _, m := range members {
		if m.Role == RoleInService {
			slots++
		}
	}
	return slots
}

// statusAssuming applies the rule with Unknown members taken as unknownAs.
func statusAssuming(needed int, members []MemberState, unknownAs Health) uint16 {
	active, operational, notOK := 0, 0, false
	for _, m := range members {
		h := m.Health
		if h == HealthUnknown {
			h = unknownAs
		}
		notOK = notOK || h != HealthOK
		if !h.Operational() {
			continue
		}
		operational++
		if m.Role == RoleInService {
			active++
		}
	}
	switch {
	case active < needed || operational == 0:
		return StatusOverallFailure
	case operational == needed:
		return StatusRedundancyLost
	case notOK:
		return StatusDegraded
	}
	return StatusFullyRedundant
}

// memberStates captures roles and health for the rule; s.mu must be held.
func (s *setState) memberStates() []MemberState {
	out := make([]MemberState, len(s.roles))
	for i, r := range s.roles {
		out[i] = MemberState{Role: r.role.Kind, Health: r.m.health.state()}
	}
	return out
}

// computeStatus evaluates the rule on the current state; s.mu must be held.
func (s *setState) computeStatus() uint16 {
	return ComputeStatus(s.set.TypeOfSet, s.set.MinNumberNeeded, s.memberStates())
}

// refreshStatus recomputes s's status and publishes a change; s.mu must be
// held, so status changes of a set are published in order.
func (e *Engine) refreshStatus(s *setState) {
	now := s.computeStatus()
	if now == s.status {
		return
	}
	r := e.newRecord(context.Background(), event.KindStatusChanged, s.id, "")
	r.Status = &event.StatusChanged{From: s.status, To: now}
	s.status = now
	e.setShownChanged(s)
	e.emit(r)
}
