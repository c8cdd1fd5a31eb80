// Package event defines redset's typed events and the in-process Bus that
// streams them to live subscribers.
//
// Every event travels in one envelope, Record: a sequence number, a time, a
// Kind, the set and member it concerns, and exactly one payload whose type
// matches the Kind (HealthChanged, StatusChanged, Failover, ConfigChanged,
// FlapGuardTripped, MemberReturned, HookDelivered, MaintenanceChanged,
// ScheduleChanged, FrontendChanged). Records are plain data with JSON tags so
// the same value is streamed, stored in the history and exported.
//
// The package uses the standard library only; health states are carried as
// their names ("OK", "Degraded", "Failed", "Unknown") so it does not depend on
// the engine.
package event

import (
	"fmt"
	"slices"
	"time"
)

// Kind names the type of an event.
type Kind string

// The kinds of events. Each has exactly one payload field in Record.
const (
	KindHealthChanged     Kind = "HealthChanged"      // payload Health
	KindStatusChanged     Kind = "StatusChanged"      // payload Status
	KindFailoverSucceeded Kind = "FailoverSucceeded"  // payload Failover (Code 0)
	KindFailoverRefused   Kind = "FailoverRefused"    // payload Failover (Code != 0)
	KindConfigChanged     Kind = "ConfigChanged"      // payload Config
	KindFlapGuardTripped  Kind = "FlapGuardTripped"   // payload Flap
	KindMemberReturned    Kind = "MemberReturned"     // payload Returned
	KindHookDelivered     Kind = "HookDelivered"      // payload Hook
	KindMaintenance       Kind = "MaintenanceChanged" // payload Maintenance
	KindScheduleChanged   Kind = "ScheduleChanged"    // payload Schedule
	KindFrontend          Kind = "FrontendChanged"    // payload Frontend
	KindIndication        Kind = "IndicationDelivery" // payload Indication
)

// Record is the common envelope of every event.
//
// Seq is assigned by the publisher; the engine numbers its records uniquely
// and increasingly (also across restarts) and uses the same number as the
// history key. Time is the publisher's clock when the record was made.
// SetID is empty for events about a member alone (HealthChanged, member
// configuration); Member is empty for events about a set alone. Actor says
// who caused the record (records stored before actors were kept have none).
type Record struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Kind   Kind      `json:"kind"`
	SetID  string    `json:"setId,omitempty"`
	Member string    `json:"member,omitempty"`
	Actor  *Actor    `json:"actor,omitempty"`
	// Origin names the server that made and committed the record (in a
	// cluster, the leader of the moment); empty in records of a server
	// without a name.
	Origin string `json:"origin,omitempty"`

	Health   *HealthChanged    `json:"health,omitempty"`
	Status   *StatusChanged    `json:"status,omitempty"`
	Failover *Failover         `json:"failover,omitempty"`
	Config   *ConfigChanged    `json:"config,omitempty"`
	Flap     *FlapGuardTripped `json:"flap,omitempty"`
	Returned *MemberReturned   `json:"returned,omitempty"`
	Hook     *HookDelivered    `json:"hook,omitempty"`
	// Maintenance: automatic failover paused or resumed.
	Maintenance *MaintenanceChanged `json:"maintenance,omitempty"`
	// Schedule: a failover scheduled or cancelled.
	Schedule *ScheduleChanged `json:"schedule,omitempty"`
	// Frontend: a set's frontend started listening, could not, or stopped.
	Frontend *FrontendChanged `json:"frontend,omitempty"`
	// Indication: indications that could not be delivered to a
	// subscriber, or a subscription its delivery policy ended.
	Indication *IndicationDelivery `json:"indication,omitempty"`
}

// Frontend states.
const (
	FrontendListening = "listening"
	FrontendFailed    = "failed"
	FrontendStopped   = "stopped"
)

// FrontendChanged reports that the frontend of the record's set changed
// state on one server: it listens at Address ("listening", Listen being the
// configured address), it cannot listen and will try again ("failed", with
// the Error), or it no longer listens ("stopped": the set or its frontend
// was deleted). Server names the server whose frontend it is: in a cluster
// every server runs the frontends and the leader records the changes of
// each; a single server leaves it empty (the record is its own).
type FrontendChanged struct {
	Listen  string `json:"listen"`
	Address string `json:"address,omitempty"`
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
	Server  string `json:"server,omitempty"`
}

// ScheduleChanged reports that a failover of the record's set was
// scheduled to run At (Action "scheduled") or cancelled before it ran
// ("cancelled"). ID names the scheduled failover: it is the Seq of the
// record that scheduled it. Its outcome, when it runs, is a Failover
// record with the same ScheduleID.
type ScheduleChanged struct {
	ID     uint64    `json:"id"`
	Action string    `json:"action"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	At     time.Time `json:"at"`
}

// MaintenanceChanged reports that automatic failover was paused (Paused
// true) or resumed, for the record's set or, when SetID is empty, for the
// whole server. Requested and scheduled failovers are not affected.
type MaintenanceChanged struct {
	Paused bool `json:"paused"`
}

// Actor is who caused a record: the authenticated User, the Address the
// request came from (host:port for network protocols) and the Protocol it
// came by — "cimxml", "wsman", "api", "web" (the dashboard, through the
// API), "config" (the configuration file) or "engine" (redset by itself:
// automatic failover, health, status; User and Address are then empty).
type Actor struct {
	User     string `json:"user,omitempty"`
	Address  string `json:"address,omitempty"`
	Protocol string `json:"protocol"`
}

// HookDelivered records one delivery of an event to a hook (an exec
// command or a webhook): which hook, which event (Kind and Seq of the
// record that triggered it), how many attempts, and the outcome ("ok",
// "failed", "dropped", "vetoed") with the exit or HTTP status Code.
type HookDelivered struct {
	Hook            string  `json:"hook"`
	Event           string  `json:"event"`
	EventSeq        uint64  `json:"eventSeq,omitempty"`
	Attempts        int     `json:"attempts"`
	Outcome         string  `json:"outcome"`
	Code            int     `json:"code"`
	DurationSeconds float64 `json:"durationSeconds"`
	Error           string  `json:"error,omitempty"`
}

// Outcomes of IndicationDelivery.
const (
	IndicationFailed   = "failed"   // the destination still failed after the retries; dropped
	IndicationDropped  = "dropped"  // the destination's queue was full; dropped without a try
	IndicationDisabled = "disabled" // the subscription's policy disabled it
	IndicationRemoved  = "removed"  // the subscription's policy removed it
	IndicationExpired  = "expired"  // the subscription's time ran out
)

// IndicationDelivery reports what went wrong delivering indications to a
// subscriber: the Subscription and its Destination (an address, or a
// name for pull destinations) over Protocol, the Outcome, the Attempts
// the last delivery took and its Error. Count is the number of
// indications the record stands for: failures and drops of one
// subscription are recorded at most once per interval, the later ones of
// the interval counted in the next record, so a flood makes few records.
type IndicationDelivery struct {
	Subscription string `json:"subscription"`
	Destination  string `json:"destination"`
	Protocol     string `json:"protocol"`
	Outcome      string `json:"outcome"`
	Count        int    `json:"count"`
	Attempts     int    `json:"attempts,omitempty"`
	Error        string `json:"error,omitempty"`
}

// HealthChanged reports that a member's counted (dampened) health changed.
// It is one fact per member, so SetID is empty.
type HealthChanged struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Source string `json:"source,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// StatusChanged reports a new RedundancyStatus of a set (CIM values 0..5).
type StatusChanged struct {
	From uint16 `json:"from"`
	To   uint16 `json:"to"`
}

// Failover describes one Failover outcome, successful or refused. Planned
// is true for requested failovers and false for automatic ones. Code is the
// CIM return value (0 completed, 1 not supported, 2 error, 3 busy,
// 4 parameter error); Reason is empty only for Code 0. Duration is measured
// from the request to the decision (for a success: to the start of the
// durable commit that carries this record).
type Failover struct {
	Planned    bool          `json:"planned"`
	ScheduleID uint64        `json:"scheduleId,omitempty"` // set when a scheduled failover ran
	From       string        `json:"from"`
	To         string        `json:"to"`
	Code       uint32        `json:"code"`
	Reason     string        `json:"reason,omitempty"`
	Duration   time.Duration `json:"duration"`
}

// ConfigChanged reports an administrative change. Action is a short verb
// phrase such as "set created" or "member added"; Detail adds specifics.
type ConfigChanged struct {
	Action string `json:"action"`
	Detail string `json:"detail,omitempty"`
}

// FlapGuardTripped is the alert raised when a set exceeded its allowance of
// automatic failovers; automatic failover of the set stops until reset.
type FlapGuardTripped struct {
	MaxFailovers int           `json:"maxFailovers"`
	Period       time.Duration `json:"period"`
}

// MemberReturned reports that a drained member is in service again, either
// by an operator (Operator true) or automatically by the set's policy.
type MemberReturned struct {
	Operator bool `json:"operator"`
}

// Validate reports whether the record has a known Kind and exactly the one
// payload that Kind requires. Decoders of stored or received records use it.
func (r Record) Validate() error {
	want, ok := payloadOf[r.Kind]
	if !ok {
		return fmt.Errorf("event: unknown kind %q", r.Kind)
	}
	present := r.payloads()
	for name, set := range present {
		if set != (name == want) {
			return fmt.Errorf("event: kind %s needs exactly the %s payload", r.Kind, want)
		}
	}
	return nil
}

// Kinds lists every kind of event, sorted.
func Kinds() []Kind {
	kinds := make([]Kind, 0, len(payloadOf))
	for k := range payloadOf {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

var payloadOf = map[Kind]string{
	KindHealthChanged:     "health",
	KindStatusChanged:     "status",
	KindFailoverSucceeded: "failover",
	KindFailoverRefused:   "failover",
	KindConfigChanged:     "config",
	KindFlapGuardTripped:  "flap",
	KindMemberReturned:    "returned",
	KindHookDelivered:     "hook",
	KindMaintenance:       "maintenance",
	KindScheduleChanged:   "schedule",
	KindFrontend:          "frontend",
	KindIndication:        "indication",
}

func (r Record) payloads() map[string]bool {
	return map[string]bool{
		"health":      r.Health != nil,
		"status":      r.Status != nil,
		"failover":    r.Failover != nil,
		"config":      r.Config != nil,
		"flap":        r.Flap != nil,
		"returned":    r.Returned != nil,
		"hook":        r.Hook != nil,
		"maintenance": r.Maintenance != nil,
		"schedule":    r.Schedule != nil,
		"frontend":    r.Frontend != nil,
		"indication":  r.Indication != nil,
	}
}

// String gives a one-line human summary, for logs.
func (r Record) String() string {
	return fmt.Sprintf("#%d %s set=%q member=%q", r.Seq, r.Kind, r.SetID, r.Member)
}
