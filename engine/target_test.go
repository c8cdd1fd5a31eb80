package engine

import "testing"

// TestFailoverTarget: the proposed target of a planned failover from the
// first in-service member is the best member the checks accept — out of
// service before in service, highest priority, hot before cold, OK before
// Degraded, then name — and none when no member would be accepted.
func TestFailoverTarget(t *testing.T) {
	mv := func(name string, kind RoleKind, h Health) MemberView {
		return MemberView{Name: name, Role: Role{Kind: kind}, Health: HealthInfo{State: h}}
	}
	spare := func(name string, status uint16, priority int, h Health) MemberView {
		return MemberView{Name: name, Role: Role{Kind: RoleSpare, Spare: SpareSettings{SpareStatus: status,
			FailoverSupported: FailoverBoth, Priority: priority}}, Health: HealthInfo{State: h}}
	}
	view := func(typ uint16, needed uint32, members ...MemberView) SetView {
		return SetView{Set: Set{InstanceID: "x:set", TypeOfSet: []uint16{typ}, MinNumberNeeded: needed}, Members: members}
	}
	tests := []struct {
		name string
		v    SetView
		want string
	}{
		{"the only spare has failed", view(TypeSparing, 1, mv("web-a", RoleInService, HealthOK),
			spare("web-b", SpareHot, 0, HealthFailed)), ""},
		{"ranked spares", view(TypeSparing, 1, mv("a", RoleInService, HealthFailed),
			spare("s1-cold", SpareCold, 5, HealthOK), spare("s2-degraded", SpareHot, 5, HealthDegraded),
			spare("s3-best", SpareHot, 5, HealthOK), spare("s4-low", SpareHot, 1, HealthOK),
			spare("s5-failed", SpareHot, 9, HealthFailed), spare("s6-unknown", SpareHot, 10, HealthUnknown)), "s3-best"},
		{"hot before an unknown standby", view(TypeSparing, 1, mv("a", RoleInService, HealthOK),
			spare("b-unset", 0, 0, HealthOK), spare("c-hot", SpareHot, 0, HealthOK)), "c-hot"},
		{"N+1 may move to an in-service member", view(TypeNPlus1, 1, mv("a", RoleInService, HealthOK),
			mv("b", RoleInService, HealthOK), mv("c", RoleDrained, HealthFailed)), "b"},
		{"a drained member before an in-service one", view(TypeNPlus1, 1, mv("a", RoleInService, HealthOK),
			mv("b", RoleInService, HealthOK), mv("c", RoleDrained, HealthDegraded)), "c"},
		{"sparing never moves to an in-service member", view(TypeSparing, 1, mv("a", RoleInService, HealthOK),
			mv("b", RoleInService, HealthOK)), ""},
		{"a spare for automatic failover only", view(TypeSparing, 1, mv("a", RoleInService, HealthOK),
			MemberView{Name: "b", Role: Role{Kind: RoleSpare, Spare: SpareSettings{FailoverSupported: FailoverAutomatic}},
				Health: HealthInfo{State: HealthOK}}), ""},
		{"nothing in service", view(TypeSparing, 1, spare("b", SpareHot, 0, HealthOK)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.FailoverTarget(); got != tt.want {
				t.Errorf("FailoverTarget() = %q, want %q", got, tt.want)
			}
		})
	}
}
