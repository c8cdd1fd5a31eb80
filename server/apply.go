package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/redset/redset/engine"
)

// ApplyReport says what applying the configuration did and what it would
// delete (the store holds it, the file no longer names it; redset never
// deletes on its own).
type ApplyReport struct {
	Created, Updated []string
	WouldDelete      []string
}

// apply makes the engine hold what the configuration declares, like a
// declarative spec: members and sets are created or updated to the file's
// values, and members the file lists under a set are added with their
// declared role. The roles of members already in a set are left alone —
// they are the result of failovers, which a restart must not undo.
// Objects named in keep ("set ID", "member NAME") are not reported either:
// the demo declares its own.
func (c *Config) apply(ctx context.Context, eng *engine.Engine, log *slog.Logger, keep []string) (ApplyReport, error) {
	var rep ApplyReport
	declared := map[string]bool{}
	for _, m := range c.Members {
		if err := applyMember(ctx, eng, engineMember(m, c.Health), &rep); err != nil {
			return rep, err
		}
		declared["member "+m.Name] = true
	}
	for _, s := range c.Sets {
		id, err := c.applySet(ctx, eng, s, &rep)
		if err != nil {
			return rep, err
		}
		declared["set "+id] = true
	}
	rep.WouldDelete = undeclared(eng, declared, keep)
	for _, name := range rep.WouldDelete {
		log.Warn("stored but not in the configuration; delete it through the API if it should go", "object", name)
	}
	return rep, nil
}

func applyMember(ctx context.Context, eng *engine.Engine, m engine.Member, rep *ApplyReport) error {
	_, getErr := eng.GetMember(m.Name)
	if _, err := eng.PutMember(ctx, m); err != nil {
		return fmt.Errorf("config: member %s: %w", m.Name, err)
	}
	if getErr == nil {
		rep.Updated = append(rep.Updated, "member "+m.Name)
	} else {
		rep.Created = append(rep.Created, "member "+m.Name)
	}
	return nil
}

func (c *Config) applySet(ctx context.Context, eng *engine.Engine, s Set, rep *ApplyReport) (string, error) {
	es, err := c.engineSet(s)
	if err != nil {
		return "", err
	}
	view, err := eng.GetSet(es.InstanceID)
	switch {
	case errors.Is(err, engine.ErrNotFound):
		view, err = eng.CreateSet(ctx, es)
		rep.Created = append(rep.Created, "set "+es.InstanceID)
	case err == nil:
		view, err = eng.UpdateSet(ctx, es.InstanceID, func(cur *engine.Set) error { *cur = es; return nil })
		rep.Updated = append(rep.Updated, "set "+es.InstanceID)
	}
	if err != nil {
		return "", fmt.Errorf("config: set %s: %w", es.InstanceID, err)
	}
	return es.InstanceID, addMissingMembers(ctx, eng, view, s.Members)
}

func addMissingMembers(ctx context.Context, eng *engine.Engine, view engine.SetView, members []SetMember) error {
	have := map[string]bool{}
	for _, m := range view.Members {
		have[m.Name] = true
	}
	for _, m := range members {
		if have[m.Name] {
			continue
		}
		role, err := engineRole(m)
		if err == nil {
			_, err = eng.AddToSet(ctx, view.InstanceID, m.Name, role)
		}
		if err != nil {
			return fmt.Errorf("config: set %s member %s: %w", view.InstanceID, m.Name, err)
		}
	}
	return nil
}

// undeclared lists stored sets and members the configuration does not name.
// With no sets and members in the file at all, nothing is reported: the
// store is then managed through the API alone.
func undeclared(eng *engine.Engine, declared map[string]bool, keep []string) []string {
	if len(declared) == 0 {
		return nil
	}
	for _, k := range keep {
		declared[k] = true
	}
	var out []string
	sets, _ := eng.ListSets()
	for _, s := range sets {
		if !declared["set "+s.InstanceID] {
			out = append(out, "set "+s.InstanceID)
		}
	}
	members, _ := eng.ListMembers()
	for _, m := range members {
		if !declared["member "+m.Name] {
			out = append(out, "member "+m.Name)
		}
	}
	return out
}

// engineSet converts a declared set; its InstanceID is instanceID, or
// OrgID:id.
func (c *Config) engineSet(s Set) (engine.Set, error) {
	id := s.InstanceID
	switch {
	case id == "" && s.ID == "":
		return engine.Set{}, errors.New("a set needs an id (its LocalID) or an instanceID")
	case id == "":
		id = c.OrgID + ":" + s.ID
	}
	lb := engine.LBNone
	if s.LoadBalanceAlgorithm != nil {
		lb = *s.LoadBalanceAlgorithm
	}
	return engine.Set{
		InstanceID: id, Caption: s.Caption, Description: s.Description, ElementName: s.ElementName,
		TypeOfSet: s.TypeOfSet, OtherTypeOfSet: pairedOther(s.TypeOfSet, s.OtherTypeOfSet),
		MinNumberNeeded: s.MinNumberNeeded, MaxNumberSupported: s.MaxNumberSupported,
		VendorIdentifyingInfo: s.VendorIdentifyingInfo,
		LoadBalanceAlgorithm:  lb, OtherLoadBalanceAlgorithm: s.OtherLoadBalanceAlgorithm,
		Policy: enginePolicy(s.Policy),
	}, nil
}

// pairedOther gives OtherTypeOfSet one (empty) entry per TypeOfSet entry
// when the configuration leaves it out: the two arrays are Indexed.
func pairedOther(types []uint16, other []string) []string {
	if other == nil && len(types) > 0 {
		return make([]string, len(types))
	}
	return other
}

func enginePolicy(p Policy) engine.Policy {
	return engine.Policy{
		DisableAutoFailover: p.AutoFailover != nil && !*p.AutoFailover,
		MaxFailovers:        p.MaxFailovers,
		Period:              p.Period.D(),
		AutoReturn:          p.AutoReturn,
		Failback:            p.Failback,
	}
}

// engineMember converts a declared member. The configuration's health
// defaults are written into its probe: rise and fall always, interval and
// timeout for the probes the scheduler runs.
func engineMember(m Member, h HealthCfg) engine.Member {
	p := m.Probe
	if healthSpec(p, h).Scheduled() {
		interval, timeout := probeTiming(p, h)
		p.Interval, p.Timeout = engine.Duration(interval), engine.Duration(timeout)
	}
	p.Rise, p.Fall = orInt(p.Rise, h.Rise), orInt(p.Fall, h.Fall)
	return engine.Member{Name: m.Name, DisplayName: m.DisplayName, Labels: m.Labels, Probe: p}
}

// probeTiming is a probe's interval and timeout with the configuration's
// defaults; a default timeout never exceeds the probe's own interval.
func probeTiming(p Probe, h HealthCfg) (interval, timeout Dur) {
	interval = orDur(Dur(p.Interval), h.Interval)
	timeout = Dur(p.Timeout)
	if timeout <= 0 {
		timeout = h.Timeout
		if interval > 0 && timeout > interval {
			timeout = interval
		}
	}
	return interval, timeout
}

func orDur(v, def Dur) Dur {
	if v > 0 {
		return v
	}
	return def
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// engineRole converts a declared role.
func engineRole(m SetMember) (engine.Role, error) {
	var r engine.Role
	switch strings.ToLower(m.Role) {
	case "", "inservice", "in-service", "in service":
		r.Kind = engine.RoleInService
	case "spare":
		r.Kind = engine.RoleSpare
	case "drained":
		r.Kind = engine.RoleDrained
	default:
		return r, &FieldError{Field: "role", Msg: fmt.Sprintf("%q is not inService, spare or drained", m.Role)}
	}
	var err error
	if r.Spare.SpareStatus, err = lookup("spareStatus", m.SpareStatus, spareStatuses); err != nil {
		return r, err
	}
	if r.Spare.FailoverSupported, err = lookup("failoverSupported", m.FailoverSupported, failoverKinds); err != nil {
		return r, err
	}
	r.Spare.Priority = m.Priority
	return withSpareDefaults(r), nil
}

// withSpareDefaults fills the spare settings left out when any is given
// (the engine remembers them for members that are not spares now).
func withSpareDefaults(r engine.Role) engine.Role {
	if r.Kind != engine.RoleSpare && r.Spare == (engine.SpareSettings{}) {
		return r
	}
	if r.Spare.SpareStatus == 0 {
		r.Spare.SpareStatus = engine.DefaultSpare.SpareStatus
	}
	if r.Spare.FailoverSupported == 0 {
		r.Spare.FailoverSupported = engine.DefaultSpare.FailoverSupported
	}
	return r
}

var (
	spareStatuses = map[string]uint16{"hot": engine.SpareHot, "cold": engine.SpareCold}
	failoverKinds = map[string]uint16{"automatic": engine.FailoverAutomatic, "manual": engine.FailoverManual, "both": engine.FailoverBoth}
)

func lookup(field, v string, table map[string]uint16) (uint16, error) {
	if v == "" {
		return 0, nil
	}
	if n, ok := table[strings.ToLower(v)]; ok {
		return n, nil
	}
	return 0, &FieldError{Field: field, Msg: fmt.Sprintf("%q is not one of %s", v, keys(table))}
}

func keys(table map[string]uint16) string {
	var ks []string
	for k := range table {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
