package api

import (
	"time"

	"github.com/redset/redset/engine"
)

// Set is a redundancy set as the API shows it: every Msvm_RedundancySet
// property (RedundancyStatus computed at the time of the answer), the
// engine's policy and the members with their roles and health.
type Set struct {
	InstanceID                string      `json:"instanceID"`
	Caption                   string      `json:"caption"`
	Description               string      `json:"description"`
	ElementName               string      `json:"elementName"`
	RedundancyStatus          uint16      `json:"redundancyStatus"`
	RedundancyStatusText      string      `json:"redundancyStatusText"`
	TypeOfSet                 []uint16    `json:"typeOfSet"`
	OtherTypeOfSet            []string    `json:"otherTypeOfSet"`
	MinNumberNeeded           uint32      `json:"minNumberNeeded"`
	MaxNumberSupported        uint32      `json:"maxNumberSupported"`
	VendorIdentifyingInfo     string      `json:"vendorIdentifyingInfo"`
	LoadBalanceAlgorithm      uint16      `json:"loadBalanceAlgorithm"`
	OtherLoadBalanceAlgorithm string      `json:"otherLoadBalanceAlgorithm"`
	Policy                    Policy      `json:"policy"`
	Members                   []SetMember `json:"members"`
	FlapGuardTripped          bool        `json:"flapGuardTripped"`
	// FailoverTarget is the member a planned failover from the first
	// member in service would best move to ("" when the engine would
	// accept none); the dashboard's failover form starts with it.
	FailoverTarget string `json:"failoverTarget"`
	// Paused is this set's own pause of automatic failover (absent when
	// none); ServerPaused says the whole server's automatic failover is
	// paused; AutomaticFailoverPaused is true when either is.
	Paused                  *Pause `json:"paused,omitempty"`
	ServerPaused            bool   `json:"serverPaused"`
	AutomaticFailoverPaused bool   `json:"automaticFailoverPaused"`
	Revision                int64  `json:"revision"`
	// Frontend is the set's traffic address (absent when it has none);
	// FrontendStatus is what that frontend does on the server answering
	// (absent when the server runs no frontend for the set).
	Frontend       *Frontend       `json:"frontend,omitempty"`
	FrontendStatus *FrontendStatus `json:"frontendStatus,omitempty"`
}

// Frontend is a set's one stable traffic address, the engine's Frontend:
// the server listens on Listen and hands each new connection to one of the
// set's operational in-service members (see docs/semantics.md,
// "Frontends"). Durations are Go duration strings; Drain absent leaves the
// connections to a member that left service open, "0s" closes them at
// once.
type Frontend = engine.Frontend

// FrontendStatus is what a set's frontend does on one server: where it
// listens (or why it does not), its open and refused connections and each
// member's share.
type FrontendStatus = engine.FrontendStatus

// MemberTraffic is one member's share of a frontend's connections.
type MemberTraffic = engine.MemberTraffic

// Pause is a pause of automatic failover: since when and by whom. While
// paused, redset takes no automatic action (failover, failback, return of
// drained members); requested and scheduled failovers still run.
type Pause struct {
	Since time.Time `json:"since"`
	By    Actor     `json:"by"`
}

// Maintenance is the server-wide maintenance state: the server's pause of
// automatic failover (absent when none) and the sets paused on their own.
type Maintenance struct {
	Paused     *Pause   `json:"paused,omitempty"`
	PausedSets []string `json:"pausedSets"`
}

// SetSpec is what an administrator writes to create or replace a set. Zero
// fields take their defaults: LoadBalanceAlgorithm nil means 2 (No Load
// Balancing); OtherTypeOfSet nil means an empty description for every
// TypeOfSet entry; a zero Policy means the engine's defaults.
type SetSpec struct {
	InstanceID                string   `json:"instanceID"`
	Caption                   string   `json:"caption,omitempty"`
	Description               string   `json:"description,omitempty"`
	ElementName               string   `json:"elementName,omitempty"`
	TypeOfSet                 []uint16 `json:"typeOfSet,omitempty"`
	OtherTypeOfSet            []string `json:"otherTypeOfSet,omitempty"`
	MinNumberNeeded           uint32   `json:"minNumberNeeded,omitempty"`
	MaxNumberSupported        uint32   `json:"maxNumberSupported,omitempty"`
	VendorIdentifyingInfo     string   `json:"vendorIdentifyingInfo,omitempty"`
	LoadBalanceAlgorithm      *uint16  `json:"loadBalanceAlgorithm,omitempty"`
	OtherLoadBalanceAlgorithm string   `json:"otherLoadBalanceAlgorithm,omitempty"`
	Policy                    *Policy  `json:"policy,omitempty"`
	// Frontend nil: the set has none.
	Frontend *Frontend `json:"frontend,omitempty"`
}

// Policy is how redset acts on a set by itself.
type Policy struct {
	DisableAutoFailover bool    `json:"disableAutoFailover"`
	MaxFailovers        int     `json:"maxFailovers"`  // automatic failovers per period before the flap guard trips; 0: default 3
	PeriodSeconds       float64 `json:"periodSeconds"` // the flap guard's window; 0: default 3600
	AutoReturn          bool    `json:"autoReturn"`
	Failback            bool    `json:"failback"`
}

// Role names of a member in a set.
const (
	RoleInService = "inService"
	RoleSpare     = "spare"
	RoleDrained   = "drained"
)

// SetMember is one member of a set: its role there and its health.
// SpareStatus (2 hot, 3 cold), FailoverSupported (2 automatic, 3 manual,
// 4 both) and Priority are the member's spare settings: current for a
// spare, remembered otherwise, zero when it never was one.
type SetMember struct {
	Name              string `json:"name"`
	Role              string `json:"role"`
	SpareStatus       uint16 `json:"spareStatus"`
	FailoverSupported uint16 `json:"failoverSupported"`
	Priority          int    `json:"priority"`
	Health            Health `json:"health"`
}

// RoleSpec gives a member a role in a set. Zero spare settings of a spare
// take the defaults (hot standby, failover both, priority 0).
type RoleSpec struct {
	Role              string `json:"role"`
	SpareStatus       uint16 `json:"spareStatus,omitempty"`
	FailoverSupported uint16 `json:"failoverSupported,omitempty"`
	Priority          int    `json:"priority,omitempty"`
}

// Health is a member's counted health. State is OK, Degraded, Failed or
// Unknown; the times are absent until they happened.
type Health struct {
	State          string    `json:"state"`
	Source         string    `json:"source"`
	Detail         string    `json:"detail"`
	Since          time.Time `json:"since,omitzero"`
	LastReport     time.Time `json:"lastReport,omitzero"`
	LatencySeconds float64   `json:"latencySeconds"`
	Pending        int       `json:"pending"` // reports towards a change not yet counted
	Expires        time.Time `json:"expires,omitzero"`
}

// Member is a managed element that can belong to sets.
type Member struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName"`
	Labels      map[string]string `json:"labels"`
	Probe       Probe             `json:"probe"`
	// Address is where frontends send the member's connections, as
	// written ("" when not); TrafficAddress is the address they use: Address,
	// else the probe's target ("" when neither is known).
	Address        string   `json:"address"`
	TrafficAddress string   `json:"trafficAddress"`
	Health         Health   `json:"health"`
	Sets           []string `json:"sets"`
	Revision       int64    `json:"revision"`
}

// MemberSpec is what an administrator writes to create or replace a member.
type MemberSpec struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Probe       Probe             `json:"probe"`
	// Address is host:port where frontends send the member's connections;
	// empty: its tcp probe's address or its http probe's host and port.
	Address string `json:"address,omitempty"`
}

// Probe is how a member's health is observed: the engine's Probe, the
// same shape as the configuration file's probe. Type is tcp, http, exec or
// heartbeat (or empty: no probe); durations are Go duration strings such
// as "500ms" or "2s"; zero rise and fall take the server's defaults. The
// server refuses a probe its health checker could not run.
type Probe = engine.Probe

// HealthReport is one pushed health observation or heartbeat. A report
// with TTLSeconds expires to Failed when no newer report arrives in time.
type HealthReport struct {
	State          string  `json:"state"` // OK, Degraded or Failed
	Source         string  `json:"source,omitempty"`
	Detail         string  `json:"detail,omitempty"`
	TTLSeconds     float64 `json:"ttlSeconds,omitempty"`
	LatencySeconds float64 `json:"latencySeconds,omitempty"`
}

// FailoverRequest names the members of a Failover call. With DryRun the
// server only answers what the call would answer now (checks 1 to 6) and
// changes nothing: no record, no hook.
type FailoverRequest struct {
	From   string `json:"from"`
	To     string `json:"to"`
	DryRun bool   `json:"dryRun,omitempty"`
}

// ScheduleRequest asks for a failover at a time in the future (RFC 3339).
type ScheduleRequest struct {
	From string    `json:"from"`
	To   string    `json:"to"`
	At   time.Time `json:"at"`
}

// ScheduledFailover is a failover the server runs At, as the user By who
// scheduled it; its outcome is recorded as a failover event whose
// scheduleId is ID.
type ScheduledFailover struct {
	ID      uint64    `json:"id"`
	SetID   string    `json:"setId"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	At      time.Time `json:"at"`
	Created time.Time `json:"created"`
	By      Actor     `json:"by"`
}

// ScheduledList is the answer of GET .../scheduled, by time.
type ScheduledList struct {
	Scheduled []ScheduledFailover `json:"scheduled"`
}

// FailoverResult is the outcome of a Failover: the CIM return value
// (0 completed, 1 not supported, 2 error, 3 busy, 4 parameter error) and,
// for every refusal, the reason. Seq is the history record of the outcome.
// A dry run (DryRun true) changed nothing: Completed is false, Seq 0, and
// ReturnValue 0 means the checks pass (a pre-failover hook was not asked).
type FailoverResult struct {
	ReturnValue     uint32  `json:"returnValue"`
	ReturnValueText string  `json:"returnValueText"`
	Completed       bool    `json:"completed"`
	DryRun          bool    `json:"dryRun"`
	Reason          string  `json:"reason"`
	SetID           string  `json:"setId"`
	From            string  `json:"from"`
	To              string  `json:"to"`
	Seq             uint64  `json:"seq"`
	Revision        int64   `json:"revision"`
	DurationSeconds float64 `json:"durationSeconds"`
}

// Event is one engine event, as the history and the live stream carry it.
// Exactly one payload is present, matching Kind: HealthChanged (health),
// StatusChanged (status), FailoverSucceeded and FailoverRefused (failover),
// ConfigChanged (config), FlapGuardTripped (flap), MemberReturned
// (returned), HookDelivered (hook), MaintenanceChanged (maintenance),
// ScheduleChanged (schedule), FrontendChanged (frontend).
// Actor says who caused it.
type Event struct {
	Seq      uint64          `json:"seq"`
	Time     time.Time       `json:"time"`
	Kind     string          `json:"kind"`
	SetID    string          `json:"setId,omitempty"`
	Member   string          `json:"member,omitempty"`
	Actor    *Actor          `json:"actor,omitempty"`
	Health   *HealthChange   `json:"health,omitempty"`
	Status   *StatusChange   `json:"status,omitempty"`
	Failover *FailoverEvent  `json:"failover,omitempty"`
	Config   *ConfigChange   `json:"config,omitempty"`
	Flap     *FlapGuard      `json:"flap,omitempty"`
	Returned *MemberReturned `json:"returned,omitempty"`
	Hook     *HookDelivery   `json:"hook,omitempty"`
	// Maintenance is the payload of MaintenanceChanged.
	Maintenance *MaintenanceChange `json:"maintenance,omitempty"`
	// Schedule is the payload of ScheduleChanged.
	Schedule *ScheduleChange `json:"schedule,omitempty"`
	// Frontend is the payload of FrontendChanged.
	Frontend *FrontendChange `json:"frontend,omitempty"`
	// Indication is the payload of IndicationDelivery.
	Indication *IndicationDelivery `json:"indication,omitempty"`

	// Label, Text and Tone put the event into words for people: a short
	// label ("Failover"), one sentence, and how good the news is (ok, warn,
	// bad, info). Clients show these instead of wording payloads
	// themselves.
	Label string `json:"label"`
	Text  string `json:"text"`
	Tone  string `json:"tone"`
}

// ScheduleChange is the payload of ScheduleChanged: a failover of the
// event's set scheduled (action "scheduled") or cancelled ("cancelled").
type ScheduleChange struct {
	ID     uint64    `json:"id"`
	Action string    `json:"action"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	At     time.Time `json:"at"`
}

// FrontendChange is the payload of FrontendChanged: the event's set's
// frontend listens at Address (state "listening"), cannot listen and will
// try again ("failed", with the error), or stopped ("stopped"). In a
// cluster Server names the server whose frontend it is (every server runs
// the frontends); a single server leaves it out.
type FrontendChange struct {
	Listen  string `json:"listen"`
	Address string `json:"address,omitempty"`
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
	Server  string `json:"server,omitempty"`
}

// IndicationDelivery is the payload of IndicationDelivery: indications
// a subscriber did not get (outcome "failed" after the retries, "dropped"
// from a full queue; Count of them since the previous record of the
// subscription), or a subscription ended by its policy ("disabled",
// "removed") or its expiry ("expired").
type IndicationDelivery struct {
	Subscription string `json:"subscription"`
	Destination  string `json:"destination"`
	Protocol     string `json:"protocol"`
	Outcome      string `json:"outcome"`
	Count        int    `json:"count"`
	Attempts     int    `json:"attempts,omitempty"`
	Error        string `json:"error,omitempty"`
}

// MaintenanceChange is the payload of MaintenanceChanged: automatic
// failover paused (Paused true) or resumed, for the event's set or, without
// setId, for the whole server.
type MaintenanceChange struct {
	Paused bool `json:"paused"`
}

// Actor is who caused an event: the user, the address the request came
// from and the protocol — cimxml, wsman, api, web (the dashboard), config
// (the configuration file) or engine (redset by itself, without user or
// address). Events stored before actors were kept have none.
type Actor struct {
	User     string `json:"user"`
	Address  string `json:"address"`
	Protocol string `json:"protocol"`
}

// HealthChange is the payload of HealthChanged.
type HealthChange struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Source string `json:"source"`
	Detail string `json:"detail"`
}

// StatusChange is the payload of StatusChanged (RedundancyStatus values).
type StatusChange struct {
	From     uint16 `json:"from"`
	To       uint16 `json:"to"`
	FromText string `json:"fromText"`
	ToText   string `json:"toText"`
}

// FailoverEvent is the payload of FailoverSucceeded and FailoverRefused.
// Planned is false for automatic failovers.
type FailoverEvent struct {
	Planned         bool    `json:"planned"`
	ScheduleID      uint64  `json:"scheduleId,omitempty"` // the scheduled failover that ran
	From            string  `json:"from"`
	To              string  `json:"to"`
	ReturnValue     uint32  `json:"returnValue"`
	Reason          string  `json:"reason"`
	DurationSeconds float64 `json:"durationSeconds"`
}

// ConfigChange is the payload of ConfigChanged.
type ConfigChange struct {
	Action string `json:"action"`
	Detail string `json:"detail"`
}

// FlapGuard is the payload of FlapGuardTripped.
type FlapGuard struct {
	MaxFailovers  int     `json:"maxFailovers"`
	PeriodSeconds float64 `json:"periodSeconds"`
}

// MemberReturned is the payload of MemberReturned: Operator is true when an
// operator returned the drained member, false when the set's policy did.
type MemberReturned struct {
	Operator bool `json:"operator"`
}

// HookDelivery is the payload of HookDelivered: one delivery of an event
// (Event is its kind, EventSeq its seq) to a configured hook, with the
// number of attempts, the outcome (ok, failed, dropped, vetoed) and the
// exit or HTTP status code.
type HookDelivery struct {
	Hook            string  `json:"hook"`
	Event           string  `json:"event"`
	EventSeq        uint64  `json:"eventSeq"`
	Attempts        int     `json:"attempts"`
	Outcome         string  `json:"outcome"`
	Code            int     `json:"code"`
	DurationSeconds float64 `json:"durationSeconds"`
	Error           string  `json:"error"`
}

// Caller is an authenticated user as a client shows it: the name, the role
// (reader, operator or admin) and what that role may do beyond reading, so
// that a client such as the dashboard offers only the actions the server
// would accept. The server still decides every request itself.
type Caller struct {
	User string    `json:"user"`
	Role string    `json:"role"`
	Can  Abilities `json:"can"`
}

// Abilities are the kinds of change a role may make.
type Abilities struct {
	// Failover: fail over, return drained members to service, reset a
	// flap guard and push health reports.
	Failover bool `json:"failover"`
	// LoadBalance: change a set's load-balancing algorithm.
	LoadBalance bool `json:"loadBalance"`
	// Configure: create, change and delete sets and members.
	Configure bool `json:"configure"`
}

// SetList is the answer of GET /api/v1/sets.
type SetList struct {
	Sets []Set `json:"sets"`
}

// MemberList is the answer of GET /api/v1/members.
type MemberList struct {
	Members []Member `json:"members"`
}

// EventList is the answer of GET /api/v1/history, oldest first.
type EventList struct {
	Events []Event `json:"events"`
}

// Lagged is the data of the final "lagged" event of a stream whose
// subscriber fell behind.
type Lagged struct {
	Reason string `json:"reason"`
}
