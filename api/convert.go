package api

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

// maxSeconds bounds every duration written through the API (about 31
// years), far inside time.Duration's range.
const maxSeconds = 1e9

var statusTexts = map[uint16]string{
	0: "Unknown", 1: "DMTF Reserved", 2: "Fully Redundant", 3: "Degraded Redundancy",
	4: "Redundancy Lost", 5: "Overall Failure",
}

// StatusText names a RedundancyStatus value.
func StatusText(status uint16) string {
	if s, ok := statusTexts[status]; ok {
		return s
	}
	return fmt.Sprintf("Status(%d)", status)
}

var returnTexts = map[uint32]string{
	0: "Completed with No Error", 1: "Not Supported", 2: "Unknown/Unspecified Error",
	3: "Busy/In Use", 4: "Parameter Error",
}

// ReturnValueText names a Failover return value.
func ReturnValueText(code uint32) string {
	if s, ok := returnTexts[code]; ok {
		return s
	}
	return fmt.Sprintf("ReturnValue(%d)", code)
}

var roleNames = map[engine.RoleKind]string{
	engine.RoleInService: RoleInService, engine.RoleSpare: RoleSpare, engine.RoleDrained: RoleDrained,
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// duration converts a number of seconds from a request, naming field when
// it is out of range.
func duration(field string, s float64) (time.Duration, error) {
	if math.IsNaN(s) || s < 0 || s > maxSeconds {
		return 0, invalidField(field, fmt.Sprintf("must be between 0 and %g seconds", float64(maxSeconds)), s)
	}
	return time.Duration(s * float64(time.Second)), nil
}

func setFromView(v engine.SetView) Set {
	s := v.Set
	out := Set{
		InstanceID: s.InstanceID, Caption: s.Caption, Description: s.Description, ElementName: s.ElementName,
		RedundancyStatus: v.RedundancyStatus, RedundancyStatusText: StatusText(v.RedundancyStatus),
		TypeOfSet: nonNil(s.TypeOfSet), OtherTypeOfSet: nonNil(s.OtherTypeOfSet),
		MinNumberNeeded: s.MinNumberNeeded, MaxNumberSupported: s.MaxNumberSupported,
		VendorIdentifyingInfo: s.VendorIdentifyingInfo, LoadBalanceAlgorithm: s.LoadBalanceAlgorithm,
		OtherLoadBalanceAlgorithm: s.OtherLoadBalanceAlgorithm, Policy: policyFrom(s.Policy),
		Members: make([]SetMember, len(v.Members)), FlapGuardTripped: v.FlapGuardTripped, Revision: v.Revision,
		FailoverTarget: v.FailoverTarget(),
		Paused:         pauseFrom(v.Paused), ServerPaused: v.ServerPaused, AutomaticFailoverPaused: v.AutomaticPaused(),
		Frontend: s.Frontend.Clone(),
	}
	for i, m := range v.Members {
		out.Members[i] = setMemberFrom(m)
	}
	return out
}

func pauseFrom(p *engine.Pause) *Pause {
	if p == nil {
		return nil
	}
	return &Pause{Since: p.Since, By: actorFrom(p.By)}
}

func actorFrom(a engine.Actor) Actor {
	return Actor{User: a.User, Address: a.Address, Protocol: a.Protocol}
}

func scheduledFrom(sf engine.ScheduledFailover) ScheduledFailover {
	return ScheduledFailover{ID: sf.ID, SetID: sf.SetID, From: sf.From, To: sf.To, At: sf.At, Created: sf.Created,
		By: actorFrom(sf.By)}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return slices.Clone(s)
}

func policyFrom(p engine.Policy) Policy {
	return Policy{
		DisableAutoFailover: p.DisableAutoFailover, MaxFailovers: p.MaxFailovers,
		PeriodSeconds: seconds(p.Period), AutoReturn: p.AutoReturn, Failback: p.Failback,
	}
}

func setMemberFrom(m engine.MemberView) SetMember {
	return SetMember{
		Name: m.Name, Role: roleNames[m.Role.Kind], SpareStatus: m.Role.Spare.SpareStatus,
		FailoverSupported: m.Role.Spare.FailoverSupported, Priority: m.Role.Spare.Priority,
		Health: healthFrom(m.Health),
	}
}

func healthFrom(h engine.HealthInfo) Health {
	return Health{
		State: h.State.String(), Source: h.Source, Detail: h.Detail, Since: h.Since,
		LastReport: h.LastReport, LatencySeconds: seconds(h.Latency), Pending: h.Pending, Expires: h.Expires,
	}
}

// specFromSet gives the writable part of a stored set, the base of a merge
// patch.
func specFromSet(s engine.Set) SetSpec {
	alg := s.LoadBalanceAlgorithm
	p := policyFrom(s.Policy)
	return SetSpec{
		InstanceID: s.InstanceID, Caption: s.Caption, Description: s.Description, ElementName: s.ElementName,
		TypeOfSet: slices.Clone(s.TypeOfSet), OtherTypeOfSet: slices.Clone(s.OtherTypeOfSet),
		MinNumberNeeded: s.MinNumberNeeded, MaxNumberSupported: s.MaxNumberSupported,
		VendorIdentifyingInfo: s.VendorIdentifyingInfo, LoadBalanceAlgorithm: &alg,
		OtherLoadBalanceAlgorithm: s.OtherLoadBalanceAlgorithm, Policy: &p, Frontend: s.Frontend.Clone(),
	}
}

// withStatus adds what the set's frontend does, when traffic runs one.
func withStatus(s Set, traffic Traffic) Set {
	if traffic == nil {
		return s
	}
	if st, ok := traffic.Status(s.InstanceID); ok {
		s.FrontendStatus = &st
	}
	return s
}

// Spec returns the writable part of s, for a read-modify-write with
// UpdateSet.
func (s Set) Spec() SetSpec {
	alg, p := s.LoadBalanceAlgorithm, s.Policy
	return SetSpec{
		InstanceID: s.InstanceID, Caption: s.Caption, Description: s.Description, ElementName: s.ElementName,
		TypeOfSet: slices.Clone(s.TypeOfSet), OtherTypeOfSet: slices.Clone(s.OtherTypeOfSet),
		MinNumberNeeded: s.MinNumberNeeded, MaxNumberSupported: s.MaxNumberSupported,
		VendorIdentifyingInfo: s.VendorIdentifyingInfo, LoadBalanceAlgorithm: &alg,
		OtherLoadBalanceAlgorithm: s.OtherLoadBalanceAlgorithm, Policy: &p, Frontend: s.Frontend.Clone(),
	}
}

// toEngine converts a spec; the engine validates the result as a whole.
func (s SetSpec) toEngine() (engine.Set, error) {
	out := engine.Set{
		InstanceID: s.InstanceID, Caption: s.Caption, Description: s.Description, ElementName: s.ElementName,
		TypeOfSet: slices.Clone(s.TypeOfSet), OtherTypeOfSet: slices.Clone(s.OtherTypeOfSet),
		MinNumberNeeded: s.MinNumberNeeded, MaxNumberSupported: s.MaxNumberSupported,
		VendorIdentifyingInfo: s.VendorIdentifyingInfo, LoadBalanceAlgorithm: engine.LBNone,
		OtherLoadBalanceAlgorithm: s.OtherLoadBalanceAlgorithm, Frontend: s.Frontend.Clone(),
	}
	if s.LoadBalanceAlgorithm != nil {
		out.LoadBalanceAlgorithm = *s.LoadBalanceAlgorithm
	}
	if s.OtherTypeOfSet == nil && len(s.TypeOfSet) > 0 {
		out.OtherTypeOfSet = make([]string, len(s.TypeOfSet))
	}
	if s.Policy == nil {
		return out, nil
	}
	p, err := s.Policy.toEngine()
	out.Policy = p
	return out, err
}

func (p Policy) toEngine() (engine.Policy, error) {
	period, err := duration("policy.periodSeconds", p.PeriodSeconds)
	return engine.Policy{
		DisableAutoFailover: p.DisableAutoFailover, MaxFailovers: p.MaxFailovers, Period: period,
		AutoReturn: p.AutoReturn, Failback: p.Failback,
	}, err
}

func (r RoleSpec) toEngine() (engine.Role, error) {
	for kind, name := range roleNames {
		if name == r.Role {
			sp := engine.SpareSettings{SpareStatus: r.SpareStatus, FailoverSupported: r.FailoverSupported, Priority: r.Priority}
			return engine.Role{Kind: kind, Spare: sp}, nil
		}
	}
	return engine.Role{}, invalidField("role", "must be one of inService, spare, drained", r.Role)
}

func memberFrom(m engine.MemberInfo) Member {
	labels := maps.Clone(m.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	return Member{
		Name: m.Name, DisplayName: m.DisplayName, Labels: labels, Probe: m.Probe,
		Address: m.Address, TrafficAddress: m.TrafficAddress(), Health: healthFrom(m.Health), Sets: nonNil(m.Sets), Revision: m.Revision,
	}
}

// toEngine converts a spec; the engine validates the member, its probe
// included.
func (m MemberSpec) toEngine() engine.Member {
	return engine.Member{Name: m.Name, DisplayName: m.DisplayName, Labels: maps.Clone(m.Labels), Probe: m.Probe,
		Address: m.Address}
}

func (r HealthReport) toEngine() (engine.Report, error) {
	var state engine.Health
	if err := state.UnmarshalText([]byte(r.State)); err != nil || state == engine.HealthUnknown {
		return engine.Report{}, invalidField("state", "must be OK, Degraded or Failed", r.State)
	}
	ttl, err := duration("ttlSeconds", r.TTLSeconds)
	if err != nil {
		return engine.Report{}, err
	}
	latency, err := duration("latencySeconds", r.LatencySeconds)
	return engine.Report{State: state, Source: r.Source, Detail: r.Detail, TTL: ttl, Latency: latency}, err
}

func failoverResultFrom(setID string, req FailoverRequest, r engine.FailoverResult) FailoverResult {
	return FailoverResult{
		ReturnValue: r.Code, ReturnValueText: ReturnValueText(r.Code), Completed: r.Code == engine.CodeCompleted && !req.DryRun,
		DryRun: req.DryRun,
		Reason: r.Reason, SetID: setID, From: req.From, To: req.To, Seq: r.Seq, Revision: r.Revision,
		DurationSeconds: seconds(r.Duration),
	}
}

// eventFrom converts an engine event record.
func eventFrom(r event.Record) Event {
	out := Event{Seq: r.Seq, Time: r.Time, Kind: string(r.Kind), SetID: r.SetID, Member: r.Member}
	if a := r.Actor; a != nil {
		actor := actorFrom(*a)
		out.Actor = &actor
	}
	if h := r.Health; h != nil {
		out.Health = &HealthChange{From: h.From, To: h.To, Source: h.Source, Detail: h.Detail}
	}
	if s := r.Status; s != nil {
		out.Status = &StatusChange{From: s.From, To: s.To, FromText: StatusText(s.From), ToText: StatusText(s.To)}
	}
	if f := r.Failover; f != nil {
		out.Failover = &FailoverEvent{
			Planned: f.Planned, ScheduleID: f.ScheduleID, From: f.From, To: f.To, ReturnValue: f.Code, Reason: f.Reason,
			DurationSeconds: seconds(f.Duration),
		}
	}
	if c := r.Config; c != nil {
		out.Config = &ConfigChange{Action: c.Action, Detail: c.Detail}
	}
	if f := r.Flap; f != nil {
		out.Flap = &FlapGuard{MaxFailovers: f.MaxFailovers, PeriodSeconds: seconds(f.Period)}
	}
	if m := r.Returned; m != nil {
		out.Returned = &MemberReturned{Operator: m.Operator}
	}
	if s := r.Schedule; s != nil {
		out.Schedule = &ScheduleChange{ID: s.ID, Action: s.Action, From: s.From, To: s.To, At: s.At}
	}
	if f := r.Frontend; f != nil {
		out.Frontend = &FrontendChange{Listen: f.Listen, Address: f.Address, State: f.State, Error: f.Error, Server: f.Server}
	}
	if d := r.Indication; d != nil {
		out.Indication = &IndicationDelivery{Subscription: d.Subscription, Destination: d.Destination, Protocol: d.Protocol,
			Outcome: d.Outcome, Count: d.Count, Attempts: d.Attempts, Error: d.Error}
	}
	if m := r.Maintenance; m != nil {
		out.Maintenance = &MaintenanceChange{Paused: m.Paused}
	}
	if h := r.Hook; h != nil {
		out.Hook = &HookDelivery{Hook: h.Hook, Event: h.Event, EventSeq: h.EventSeq, Attempts: h.Attempts,
			Outcome: h.Outcome, Code: h.Code, DurationSeconds: h.DurationSeconds, Error: h.Error}
	}
	Describe(&out)
	return out
}

// SetSpecOf is the spec that creates s, for clients that build sets in the
// engine's terms (the CLI reads the configuration file's set entries that
// way).
func SetSpecOf(s engine.Set) SetSpec { return specFromSet(s) }

// RoleSpecOf is the body that gives a member role r.
func RoleSpecOf(r engine.Role) RoleSpec {
	return RoleSpec{Role: roleNames[r.Kind], SpareStatus: r.Spare.SpareStatus,
		FailoverSupported: r.Spare.FailoverSupported, Priority: r.Spare.Priority}
}

// MemberSpecOf is the spec that creates or replaces member m.
func MemberSpecOf(m engine.Member) MemberSpec {
	return MemberSpec{Name: m.Name, DisplayName: m.DisplayName, Labels: maps.Clone(m.Labels), Probe: m.Probe,
		Address: m.Address}
}
