package provider

import (
	"github.com/redset/redset/cim"
	"github.com/redset/redset/engine"
)

// The properties of CIM_IsSpare, in order; the first two are its keys.
const (
	spareAntecedent = iota
	spareDependent
	spareSpareStatus
	spareFailoverSupported
	spareFieldCount
)

var spareFields = [spareFieldCount]field{
	spareAntecedent:        {"Antecedent", cim.Reference, false},
	spareDependent:         {"Dependent", cim.Reference, false},
	spareSpareStatus:       {"SpareStatus", cim.Uint16, false},
	spareFailoverSupported: {"FailoverSupported", cim.Uint16, false},
}

// newIsSpare returns the provider of CIM_IsSpare: one instance per spare
// of a set, Antecedent referring to the member (Msvm_ComputerSystem) and
// Dependent to the Msvm_RedundancySet, with the spare's SpareStatus
// (2 Hot Standby, 3 Cold Standby) and FailoverSupported (2 Automatic,
// 3 Manual, 4 Both) as the engine holds them.
func newIsSpare(dom *domain, eng *engine.Engine) *linkProvider {
	return &linkProvider{dom: dom, eng: eng, spec: linkSpec{
		lay:        &dom.spare,
		keep:       isSpare,
		setRef:     spareDependent,
		memberRef:  spareAntecedent,
		fieldCount: spareFieldCount,
		extras:     spareSettings,
	}}
}

func isSpare(k engine.RoleKind) bool { return k == engine.RoleSpare }

func spareSettings(m *engine.MemberView, props []cim.PropertyValue) {
	props[spareSpareStatus].Value = cim.MustUint16(m.Role.Spare.SpareStatus)
	props[spareFailoverSupported].Value = cim.MustUint16(m.Role.Spare.FailoverSupported)
}
