package engine

import (
	"cmp"
	"strings"
)

// FailoverTarget is the member a planned failover from the set's first
// in-service member would best move to, or "" when no member would be
// accepted. Only members that checks 2 to 5 accept for that move are
// candidates; among them compareTargets decides. Forms that propose a
// failover start with it, so they never propose a member the engine
// would refuse.
func (v SetView) FailoverTarget() string {
	snaps := make([]memberSnap, len(v.Members))
	from := ""
	for i, m := range v.Members {
		snaps[i] = memberSnap{name: m.Name, role: m.Role, health: m.Health.State}
		if from == "" && m.Role.Kind == RoleInService {
			from = m.Name
		}
	}
	if from == "" {
		return ""
	}
	var best *memberSnap
	for i := range snaps {
		m := &snaps[i]
		if m.name == from || !acceptsMove(v.Set, snaps, from, m.name) {
			continue
		}
		if best == nil || compareTargets(*m, *best) < 0 {
			best = m
		}
	}
	if best == nil {
		return ""
	}
	return best.name
}

// acceptsMove reports whether checks 2 to 5 accept a planned failover of
// set from one member to another.
func acceptsMove(set Set, members []memberSnap, from, to string) bool {
	v := &failoverView{req: FailoverRequest{SetID: set.InstanceID, From: from, To: to, Planned: true},
		setFound: true, set: set, fromKnown: true, toKnown: true, members: members}
	for _, check := range failoverChecks {
		if check(v) != nil {
			return false
		}
	}
	return true
}

// compareTargets orders the members a failover may move to, best first:
// a member out of service before one in service, then the highest
// Priority, then hot standby before cold before unknown, then OK before
// Degraded, then name. Automatic failover ranks its spares with it too.
func compareTargets(a, b memberSnap) int {
	return cmp.Or(
		cmp.Compare(inServiceRank(a), inServiceRank(b)),
		cmp.Compare(b.role.Spare.Priority, a.role.Spare.Priority),
		cmp.Compare(standbyRank(a.role.Spare.SpareStatus), standbyRank(b.role.Spare.SpareStatus)),
		cmp.Compare(a.health, b.health),
		strings.Compare(a.name, b.name),
	)
}

func inServiceRank(m memberSnap) int {
	if m.role.Kind == RoleInService {
		return 1
	}
	return 0
}

// standbyRank orders spare statuses: hot, then cold, then any other.
func standbyRank(s uint16) int {
	switch s {
	case SpareHot:
		return 0
	case SpareCold:
		return 1
	}
	return 2
}
