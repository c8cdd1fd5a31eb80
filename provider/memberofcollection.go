package provider

import (
	"github.com/redset/redset/cim"
	"github.com/redset/redset/engine"
)

// The properties of Msvm_MemberOfCollection: its two keys.
const (
	mocCollection = iota
	mocMember
	mocFieldCount
)

var memberFields = [mocFieldCount]field{
	mocCollection: {"Collection", cim.Reference, false},
	mocMember:     {"Member", cim.Reference, false},
}

// newMemberOfCollection returns the provider of Msvm_MemberOfCollection:
// one instance per member that is in service or drained in a set,
// Collection referring to the Msvm_RedundancySet and Member to the
// Msvm_ComputerSystem. Spares are linked by CIM_IsSpare instead, so after
// a failover a member moves from one association to the other.
func newMemberOfCollection(dom *domain, eng *engine.Engine) *linkProvider {
	return &linkProvider{dom: dom, eng: eng, spec: linkSpec{
		lay:        &dom.member,
		keep:       inCollection,
		setRef:     mocCollection,
		memberRef:  mocMember,
		fieldCount: mocFieldCount,
	}}
}

// inCollection reports whether a role is linked by MemberOfCollection.
func inCollection(k engine.RoleKind) bool {
	return k == engine.RoleInService || k == engine.RoleDrained
}
