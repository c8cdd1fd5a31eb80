package engine

import (
	"fmt"
	"time"
)

// TypeOfSet values (CIM_RedundancySet.TypeOfSet).
const (
	TypeUnknown        uint16 = 0
	TypeOther          uint16 = 1
	TypeNPlus1         uint16 = 2
	TypeLoadBalanced   uint16 = 3
	TypeSparing        uint16 = 4
	TypeLimitedSparing uint16 = 5
)

// LoadBalanceAlgorithm values.
const (
	LBUnknown         uint16 = 0
	LBOther           uint16 = 1
	LBNone            uint16 = 2 // No Load Balancing, the default
	LBRoundRobin      uint16 = 3
	LBLeastBlocks     uint16 = 4
	LBLeastIO         uint16 = 5
	LBAddressRegion   uint16 = 6
	LBProductSpecific uint16 = 7
)

// RedundancyStatus values.
const (
	StatusUnknown        uint16 = 0
	StatusFullyRedundant uint16 = 2
	StatusDegraded       uint16 = 3
	StatusRedundancyLost uint16 = 4
	StatusOverallFailure uint16 = 5 // 1 is DMTF Reserved and never produced
)

// SpareStatus values (CIM_IsSpare.SpareStatus).
const (
	SpareHot  uint16 = 2
	SpareCold uint16 = 3
)

// FailoverSupported values (CIM_IsSpare.FailoverSupported).
const (
	FailoverAutomatic uint16 = 2
	FailoverManual    uint16 = 3
	FailoverBoth      uint16 = 4
)

// Failover return codes (the CIM method's ReturnValue).
const (
	CodeCompleted    uint32 = 0
	CodeNotSupported uint32 = 1
	CodeError        uint32 = 2
	CodeBusy         uint32 = 3
	CodeParameter    uint32 = 4
)

// Set is a redundancy set: every Msvm_RedundancySet property that is stored
// (RedundancyStatus is computed, see SetView) plus the engine's policy.
type Set struct {
	InstanceID                string   `json:"InstanceID"`
	Caption                   string   `json:"Caption,omitempty"`
	Description               string   `json:"Description,omitempty"`
	ElementName               string   `json:"ElementName,omitempty"`
	TypeOfSet                 []uint16 `json:"TypeOfSet,omitempty"`
	OtherTypeOfSet            []string `json:"OtherTypeOfSet,omitempty"`
	MinNumberNeeded           uint32   `json:"MinNumberNeeded,omitempty"`
	MaxNumberSupported        uint32   `json:"MaxNumberSupported,omitempty"`
	VendorIdentifyingInfo     string   `json:"VendorIdentifyingInfo,omitempty"`
	LoadBalanceAlgorithm      uint16   `json:"LoadBalanceAlgorithm"`
	OtherLoadBalanceAlgorithm string   `json:"OtherLoadBalanceAlgorithm,omitempty"`
	Policy                    Policy   `json:"Policy"`
	// Frontend is the set's traffic address, nil when it has none.
	Frontend *Frontend `json:"frontend,omitempty"`
}

// Policy is how the engine acts on a set by itself. The zero Policy means:
// automatic failover on (for spares that allow it), flap guard at the
// defaults, no automatic return of drained members, no failback.
type Policy struct {
	// DisableAutoFailover turns automatic failover of the set off.
	DisableAutoFailover bool `json:"disableAutoFailover,omitempty"`
	// MaxFailovers automatic failovers are allowed per Period; 0 means
	// DefaultMaxFailovers. Beyond it the flap guard trips.
	MaxFailovers int `json:"maxFailovers,omitempty"`
	// Period is the flap guard's window; 0 means DefaultFlapPeriod.
	Period time.Duration `json:"period,omitempty"`
	// AutoReturn brings a drained member of an N+1 or Load Balanced set
	// back into service when it recovers from Failed to OK.
	AutoReturn bool `json:"autoReturn,omitempty"`
	// Failback, in Sparing and Limited Sparing sets, fails over
	// automatically to an OK spare whose Priority is higher than that of an
	// in-service member.
	Failback bool `json:"failback,omitempty"`
}

// Flap guard defaults.
const (
	DefaultMaxFailovers = 3
	DefaultFlapPeriod   = time.Hour
)

// Member is a managed element that can belong to sets. Its health is one
// fact shared by all its sets.
type Member struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Probe       Probe             `json:"probe"`
	// Address is host:port where frontends send the member's connections;
	// "" means its probe's target (see TrafficAddress).
	Address string `json:"address,omitempty"`
}

// RoleKind is a member's role in one set.
type RoleKind uint8

// Roles.
const (
	RoleInService RoleKind = 1 // Msvm_MemberOfCollection, active
	RoleSpare     RoleKind = 2 // CIM_IsSpare
	RoleDrained   RoleKind = 3 // Msvm_MemberOfCollection, not active
)

func (k RoleKind) String() string {
	switch k {
	case RoleInService:
		return "in service"
	case RoleSpare:
		return "spare"
	case RoleDrained:
		return "drained"
	}
	return fmt.Sprintf("role(%d)", uint8(k))
}

// SpareSettings are the CIM_IsSpare properties of a spare plus its priority
// among spares. A member that is not a spare keeps the settings it had as a
// spare (remembered) so that it gets them back when failed over from.
type SpareSettings struct {
	SpareStatus       uint16 `json:"spareStatus,omitempty"`
	FailoverSupported uint16 `json:"failoverSupported,omitempty"`
	Priority          int    `json:"priority,omitempty"`
}

// DefaultSpare is used for spare settings left zero: hot standby, automatic
// and manual failover, priority 0.
var DefaultSpare = SpareSettings{SpareStatus: SpareHot, FailoverSupported: FailoverBoth}

// Role is a member's role in one set with its spare settings (current when
// Kind is RoleSpare, remembered otherwise; zero when never a spare).
type Role struct {
	Kind  RoleKind      `json:"kind"`
	Spare SpareSettings `json:"spare"`
}

// Health is a member's counted health.
type Health uint8

// Health states. Operational means OK or Degraded.
const (
	HealthUnknown  Health = 0
	HealthOK       Health = 1
	HealthDegraded Health = 2
	HealthFailed   Health = 3
)

var healthNames = [...]string{"Unknown", "OK", "Degraded", "Failed"}

func (h Health) String() string {
	if int(h) < len(healthNames) {
		return healthNames[h]
	}
	return fmt.Sprintf("Health(%d)", uint8(h))
}

// Operational reports whether the member can do work (OK or Degraded).
func (h Health) Operational() bool { return h == HealthOK || h == HealthDegraded }

// MarshalText writes the state's name.
func (h Health) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads a state's name.
func (h *Health) UnmarshalText(b []byte) error {
	for i, n := range healthNames {
		if n == string(b) {
			*h = Health(i)
			return nil
		}
	}
	return newError(KindInvalid, "unknown health state %q", b)
}

// Report is one health observation pushed by a probe, agent or heartbeat.
type Report struct {
	State   Health        // OK, Degraded or Failed
	Source  string        // who observed it, e.g. "tcp" or "agent"
	Detail  string        // free text, e.g. an error message
	TTL     time.Duration // expire to Failed if no report follows within TTL; 0: the member's Probe.TTL
	Latency time.Duration // how long the probe took, informational
}

// HealthInfo is a member's current health as the engine counts it.
type HealthInfo struct {
	State      Health        `json:"state"`
	Source     string        `json:"source,omitempty"`
	Detail     string        `json:"detail,omitempty"`
	Since      time.Time     `json:"since"`             // when State was entered (zero: never reported)
	LastReport time.Time     `json:"lastReport"`        // zero: no report yet
	Latency    time.Duration `json:"latency,omitempty"` // of the last report
	Pending    int           `json:"pending,omitempty"` // consecutive reports towards a change not yet counted
	Expires    time.Time     `json:"expires"`           // TTL deadline (zero: none)
}

// MemberView is one member of a set as GetSet shows it.
type MemberView struct {
	Name   string     `json:"name"`
	Role   Role       `json:"role"`
	Health HealthInfo `json:"health"`
}

// SetView is a set with its computed RedundancyStatus and its members in
// name order.
type SetView struct {
	Set
	RedundancyStatus uint16       `json:"RedundancyStatus"`
	Members          []MemberView `json:"members"`
	Revision         int64        `json:"revision"` // store revision of the set's last change
	FlapGuardTripped bool         `json:"flapGuardTripped,omitempty"`
	// Paused is the pause of the set's automatic failover, nil when none;
	// ServerPaused says the whole server's is paused. Either stops it.
	Paused       *Pause `json:"paused,omitempty"`
	ServerPaused bool   `json:"serverPaused,omitempty"`
}

// AutomaticPaused reports whether automatic failover of the set is paused,
// by the set's own pause or the server's.
func (v SetView) AutomaticPaused() bool { return v.Paused != nil || v.ServerPaused }

// MemberInfo is a member with its health and the sets it belongs to.
type MemberInfo struct {
	Member
	Health   HealthInfo `json:"health"`
	Sets     []string   `json:"sets"`
	Revision int64      `json:"revision"`
}

// FailoverRequest is what a pre-failover hook is asked to approve.
type FailoverRequest struct {
	SetID      string
	From       string
	To         string
	Planned    bool   // false for automatic failovers
	ScheduleID uint64 // the scheduled failover being run, if any
}

// FailoverResult is the outcome of a Failover. Code is the CIM return value;
// Reason explains every non-zero Code. Err, when not nil, classifies the
// failure for callers that map errors (errors.Is with ErrNotFound, ErrBusy,
// ErrInvalid, ErrUnsupported, or a store error).
type FailoverResult struct {
	Code     uint32
	Reason   string
	Err      error
	Request  FailoverRequest
	Seq      uint64        // history record of the outcome
	Revision int64         // store revision of a completed failover
	Duration time.Duration // from the request to the outcome
}
