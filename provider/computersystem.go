package provider

import (
	"context"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// The properties of Msvm_ComputerSystem a member fills, in order.
const (
	sysCreationClassName = iota
	sysName
	sysElementName
	sysOperationalStatus
	sysStatusDescriptions
	sysHealthState
	sysPrimaryStatus
	sysEnabledState
	sysRequestedState
	sysFieldCount
)

var systemFields = [sysFieldCount]field{
	sysCreationClassName:  {"CreationClassName", cim.String, false},
	sysName:               {"Name", cim.String, false},
	sysElementName:        {"ElementName", cim.String, false},
	sysOperationalStatus:  {"OperationalStatus", cim.Uint16, true},
	sysStatusDescriptions: {"StatusDescriptions", cim.String, true},
	sysHealthState:        {"HealthState", cim.Uint16, false},
	sysPrimaryStatus:      {"PrimaryStatus", cim.Uint16, false},
	sysEnabledState:       {"EnabledState", cim.Uint16, false},
	sysRequestedState:     {"RequestedState", cim.Uint16, false},
}

// healthValues are the CIM state properties of one health state.
type healthValues struct {
	operational uint16 // OperationalStatus[0]
	health      uint16 // HealthState
	primary     uint16 // PrimaryStatus
}

// healthMap maps the engine's health to DMTF values (the ValueMaps of
// CIM_ManagedSystemElement): OK is 2 OK / 5 OK / 1 OK; Degraded is
// 3 Degraded / 10 Degraded/Warning / 2 Degraded; Failed is 6 Error /
// 25 Critical failure (the member does no work; it may recover, so not
// 30 Non-recoverable error) / 3 Error; Unknown (no report yet) is 0
// everywhere.
var healthMap = [...]healthValues{
	engine.HealthUnknown:  {0, 0, 0},
	engine.HealthOK:       {2, 5, 1},
	engine.HealthDegraded: {3, 10, 2},
	engine.HealthFailed:   {6, 25, 3},
}

func healthOf(h engine.Health) healthValues {
	if int(h) < len(healthMap) {
		return healthMap[h]
	}
	return healthMap[engine.HealthUnknown]
}

// EnabledState values (CIM_EnabledLogicalElement).
const (
	enabledEnabled       uint16 = 2
	enabledDisabled      uint16 = 3
	enabledNotApplicable uint16 = 5
	enabledOffline       uint16 = 6 // Enabled but Offline
	requestedNotApplic   uint16 = 12
)

// roleRank orders roles for EnabledState: a member takes the state of
// its most active role over all its sets.
func roleRank(k engine.RoleKind) uint8 {
	switch k {
	case engine.RoleInService:
		return 3
	case engine.RoleSpare:
		return 2
	case engine.RoleDrained:
		return 1
	}
	return 0
}

// enabledStates maps roleRank to EnabledState: in service in some set is
// 2 Enabled; otherwise a spare somewhere (hot or cold; CIM_IsSpare says
// which) is 6 Enabled but Offline; otherwise drained is 3 Disabled (it gets
// no work until an operator returns it); in no set is 5 Not Applicable.
var enabledStates = [...]uint16{enabledNotApplicable, enabledDisabled, enabledOffline, enabledEnabled}

// computerSystem serves Msvm_ComputerSystem: every member of the engine as
// an instance, its state properties from its health and roles.
type computerSystem struct {
	dom *domain
	eng *engine.Engine
}

// EnumerateInstances yields every member, in name order.
func (p *computerSystem) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		if !p.dom.system.serves(class) {
			return
		}
		ranks, err := p.ranks()
		var members []engine.MemberInfo
		if err == nil {
			members, err = p.eng.ListMembers()
		}
		if err != nil {
			yield(cimom.Object{}, engineError(err))
			return
		}
		a := newAlloc(len(members))
		yieldEach(ctx, members, yield, func(m *engine.MemberInfo) bool {
			return yield(p.object(a, ns, m, ranks[m.Name]), nil)
		})
	}
}

// ranks returns the highest roleRank of each member over every set.
func (p *computerSystem) ranks() (map[string]uint8, error) {
	sets, err := p.eng.ListSets()
	if err != nil {
		return nil, err
	}
	ranks := make(map[string]uint8)
	for i := range sets {
		for _, m := range sets[i].Members {
			ranks[m.Name] = max(ranks[m.Name], roleRank(m.Role.Kind))
		}
	}
	return ranks, nil
}

// GetInstance returns the member path names.
func (p *computerSystem) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	name, err := p.memberOf(ns, class, path)
	if err != nil {
		return nil, err
	}
	info, err := p.eng.GetMember(name)
	if err != nil {
		return nil, engineError(err)
	}
	rank, err := p.rank(info)
	if err != nil {
		return nil, err
	}
	return p.object(newAlloc(1), ns, &info, rank).Instance, nil
}

// memberOf returns the member name of an instance path of the served class.
func (p *computerSystem) memberOf(ns string, class *cim.Class, path cim.ObjectPath) (string, error) {
	if !p.dom.system.serves(class) {
		return "", cim.Errorf(cim.StatusNotFound, "no instance %s", path)
	}
	name, err := p.dom.memberName(ns, path)
	if err != nil {
		return "", cim.Errorf(cim.StatusNotFound, "no instance %s: %v", path, err)
	}
	return name, nil
}

// rank returns the highest roleRank of a member over its sets. A set
// deleted meanwhile is skipped.
func (p *computerSystem) rank(info engine.MemberInfo) (uint8, error) {
	var rank uint8
	for _, id := range info.Sets {
		v, err := p.eng.GetSet(id)
		if err != nil {
			if cim.StatusOf(engineError(err)) == cim.StatusNotFound {
				continue
			}
			return 0, engineError(err)
		}
		for _, m := range v.Members {
			if m.Name == info.Name {
				rank = max(rank, roleRank(m.Role.Kind))
			}
		}
	}
	return rank, nil
}

// object builds the instance of a member with its path.
func (p *computerSystem) object(a *alloc, ns string, m *engine.MemberInfo, rank uint8) cimom.Object {
	names := p.dom.system.names
	path := p.dom.systemPath(a, ns, m.Name)
	hv := healthOf(m.Health.State)
	in := a.instance(p.dom.system.class, sysFieldCount)
	vals := [sysFieldCount]cim.Value{
		sysCreationClassName:  path.Keys[0].Value,
		sysName:               path.Keys[1].Value,
		sysElementName:        cim.NewString(displayName(m)),
		sysOperationalStatus:  uint16One(hv.operational),
		sysStatusDescriptions: cim.NewStringArray([]string{statusText(m.Health)}),
		sysHealthState:        cim.MustUint16(hv.health),
		sysPrimaryStatus:      cim.MustUint16(hv.primary),
		sysEnabledState:       cim.MustUint16(enabledStates[rank]),
		sysRequestedState:     cim.MustUint16(requestedNotApplic),
	}
	for i := range vals {
		in.Properties[i] = cim.PropertyValue{Name: names[i], Value: vals[i]}
	}
	return cimom.Object{Path: path, Instance: in}
}

// uint16One is the one-element uint16[] {v}.
func uint16One(v uint16) cim.Value { return uint16Array([]uint16{v}) }

// displayName is the member's display name, or its name when it has none.
func displayName(m *engine.MemberInfo) string {
	if strings.TrimSpace(m.DisplayName) != "" {
		return m.DisplayName
	}
	return m.Name
}

// statusText explains OperationalStatus[0]: the health state and, when
// the last report said more, its detail.
func statusText(h engine.HealthInfo) string {
	if h.Detail == "" {
		return h.State.String()
	}
	return h.State.String() + ": " + h.Detail
}
