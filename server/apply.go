package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/redset/redset/engine"
)

// ApplyReport says what applying the configuration did and what it would
// delete (the store holds it, the file no longer names it; redset never
// deletes on its own). Added names roles given to members in sets
// ("pg-b to set redset:pg").
type ApplyReport struct {
	Created, Updated []string
	Added            []string
	WouldDelete      []string
}

// Summary names what changed on one line, for the ConfigChanged record:
// "created set redset:x; updated member a; added b to set redset:x".
func (r ApplyReport) Summary() string {
	var parts []string
	for _, g := range []struct {
		verb  string
		items []string
	}{{"created", r.Created}, {"updated", r.Updated}, {"added", r.Added}} {
		if len(g.items) > 0 {
			parts = append(parts, g.verb+" "+strings.Join(g.items, ", "))
		}
	}
	if len(parts) == 0 {
		return "nothing changed"
	}
	return strings.Join(parts, "; ")
}

// plan is what applying a configuration will write, decided by comparing
// the declared objects with the stored ones before anything is written:
// the members' writes, then one chain of writes per set (the set itself,
// then the roles it gives members).
type plan struct {
	members []step
	sets    []chain
	report  ApplyReport
}

// step is one write of a plan.
type step func(context.Context) error

// chain is one set's writes, made in order. frontend marks a set that has
// a frontend, stored or declared: a listen address may pass from one set
// to another within one file, so those chains run one at a time in the
// file's order.
type chain struct {
	steps    []step
	frontend bool
}

func (p *plan) changes() bool {
	if len(p.members) > 0 {
		return true
	}
	for _, c := range p.sets {
		if len(c.steps) > 0 {
			return true
		}
	}
	return false
}

// plan compares the configuration with the engine's state, like a
// declarative spec: members and sets it declares are created, or updated
// when a declared property differs, and members it lists under a set are
// added with their declared role. The roles of members already in a set
// are left alone (they are the result of failovers, which neither a
// restart nor a reload may undo), and so is a set's load-balancing
// algorithm when the file does not declare one (clients may write it).
// Objects named in keep ("set ID", "member NAME") are not reported as
// would-delete: the demo declares its own. Problems only the stored state
// reveals (a set holding more members than the file now allows) are
// FieldErrors, found before anything is written.
func (c *Config) plan(eng *engine.Engine, keep []string) (*plan, error) {
	p := &plan{}
	declared := map[string]bool{}
	for _, m := range c.Members {
		if err := p.member(eng, engineMember(m, c.Health)); err != nil {
			return nil, err
		}
		declared["member "+m.Name] = true
	}
	for i := range c.Sets {
		id, err := p.set(c, eng, i)
		if err != nil {
			return nil, err
		}
		declared["set "+id] = true
	}
	if err := c.checkStoredFrontends(eng, declared); err != nil {
		return nil, err
	}
	p.report.WouldDelete = undeclared(eng, declared, keep)
	return p, nil
}

// checkStoredFrontends refuses a declared frontend whose listen address is
// the frontend of a stored set the file does not declare (the engine would
// refuse it once the changes before it were made).
func (c *Config) checkStoredFrontends(eng *engine.Engine, declared map[string]bool) error {
	stored, err := eng.ListSetSummaries()
	if err != nil {
		return err
	}
	holder := map[string]string{}
	for _, s := range stored {
		if s.Frontend != nil && !declared["set "+s.InstanceID] {
			holder[s.Frontend.Listen] = s.InstanceID
		}
	}
	for i, s := range c.Sets {
		if s.Frontend == nil || isPortZero(s.Frontend.Listen) {
			continue
		}
		if id, ok := holder[s.Frontend.Listen]; ok {
			return c.fieldErr(fmt.Sprintf("sets[%d].frontend.listen", i),
				"%s is the frontend of set %s, which the store holds and this file does not declare", s.Frontend.Listen, id)
		}
	}
	return nil
}

// apply makes the planned writes: the members' first, then each set's
// chain. Writes that do not depend on each other run at once, up to
// applyWorkers of them, so that the store commits them together (one
// fsync for many) instead of one after the other: the members, and the
// chains of sets without a frontend. The chains of sets with a frontend
// run one at a time, in the file's order, after the others. After the
// first failure no write starts; the ones under way end, and the first
// failure is returned.
func (p *plan) apply(ctx context.Context) (ApplyReport, error) {
	members := make([]chain, len(p.members))
	for i, s := range p.members {
		members[i] = chain{steps: []step{s}}
	}
	if err := runChains(ctx, members, applyWorkers); err != nil {
		return p.report, err
	}
	var free, framed []chain
	for _, c := range p.sets {
		if c.frontend {
			framed = append(framed, c)
		} else {
			free = append(free, c)
		}
	}
	if err := runChains(ctx, free, applyWorkers); err != nil {
		return p.report, err
	}
	return p.report, runChains(ctx, framed, 1)
}

// applyWorkers is how many writes of an apply run at once.
const applyWorkers = 64

// runChains runs each chain's steps in order, up to workers chains at
// once, and returns the first failure.
func runChains(ctx context.Context, chains []chain, workers int) error {
	next := make(chan chain)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if failed == nil {
			failed = err
		}
	}
	for range min(workers, len(chains)) {
		wg.Go(func() {
			for c := range next {
				for _, s := range c.steps {
					if err := s(ctx); err != nil {
						fail(err)
						break
					}
				}
			}
		})
	}
	for _, c := range chains {
		mu.Lock()
		stop := failed != nil
		mu.Unlock()
		if stop {
			break
		}
		next <- c
	}
	close(next)
	wg.Wait()
	return failed
}

func (p *plan) member(eng *engine.Engine, m engine.Member) error {
	stored, err := eng.GetMember(m.Name)
	switch {
	case errors.Is(err, engine.ErrNotFound):
		p.report.Created = append(p.report.Created, "member "+m.Name)
	case err != nil:
		return err
	case sameJSON(stored.Member, m):
		return nil
	default:
		p.report.Updated = append(p.report.Updated, "member "+m.Name)
	}
	p.members = append(p.members, func(ctx context.Context) error {
		if _, err := eng.PutMember(ctx, m); err != nil {
			return fmt.Errorf("config: member %s: %w", m.Name, err)
		}
		return nil
	})
	return nil
}

func (p *plan) set(c *Config, eng *engine.Engine, i int) (string, error) {
	s := c.Sets[i]
	es, err := c.engineSet(s)
	if err != nil {
		return "", err
	}
	view, err := eng.GetSet(es.InstanceID)
	ch := &chain{frontend: es.Frontend != nil || view.Frontend != nil}
	switch {
	case errors.Is(err, engine.ErrNotFound):
		p.createSet(ch, eng, es)
	case err != nil:
		return "", err
	default:
		if s.LoadBalanceAlgorithm == nil {
			es.LoadBalanceAlgorithm, es.OtherLoadBalanceAlgorithm = view.LoadBalanceAlgorithm, view.OtherLoadBalanceAlgorithm
		}
		p.updateSet(ch, eng, view.Set, es)
	}
	adds := p.addMembers(ch, eng, es.InstanceID, view.Members, s.Members)
	p.sets = append(p.sets, *ch)
	if n := len(view.Members) + adds; es.MaxNumberSupported > 0 && n > int(es.MaxNumberSupported) {
		return "", c.fieldErr(fmt.Sprintf("sets[%d].maxNumberSupported", i),
			"the set would hold %d members (%d stored, some perhaps added through the API), more than %d",
			n, len(view.Members), es.MaxNumberSupported)
	}
	return es.InstanceID, nil
}

func (p *plan) createSet(ch *chain, eng *engine.Engine, es engine.Set) {
	p.report.Created = append(p.report.Created, "set "+es.InstanceID)
	ch.steps = append(ch.steps, func(ctx context.Context) error {
		if _, err := eng.CreateSet(ctx, es); err != nil {
			return fmt.Errorf("config: set %s: %w", es.InstanceID, err)
		}
		return nil
	})
}

func (p *plan) updateSet(ch *chain, eng *engine.Engine, stored, es engine.Set) {
	if sameJSON(stored, es) {
		return
	}
	p.report.Updated = append(p.report.Updated, "set "+es.InstanceID)
	ch.steps = append(ch.steps, func(ctx context.Context) error {
		_, err := eng.UpdateSet(ctx, es.InstanceID, func(cur *engine.Set) error { *cur = es; return nil })
		if err != nil {
			return fmt.Errorf("config: set %s: %w", es.InstanceID, err)
		}
		return nil
	})
}

// addMembers plans the roles of declared members the set lacks and
// returns how many.
func (p *plan) addMembers(ch *chain, eng *engine.Engine, id string, stored []engine.MemberView, declared []SetMember) int {
	have := map[string]bool{}
	for _, m := range stored {
		have[m.Name] = true
	}
	n := 0
	for _, m := range declared {
		if have[m.Name] {
			continue
		}
		role, _ := engineRole(m) // Validate checked it
		n++
		p.report.Added = append(p.report.Added, m.Name+" to set "+id)
		ch.steps = append(ch.steps, func(ctx context.Context) error {
			if _, err := eng.AddToSet(ctx, id, m.Name, role); err != nil {
				return fmt.Errorf("config: set %s member %s: %w", id, m.Name, err)
			}
			return nil
		})
	}
	return n
}

// sameJSON reports whether a and b are stored alike: the engine keeps its
// objects as JSON, so an empty list or map and a missing one are equal.
func sameJSON(a, b any) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && bytes.Equal(x, y)
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
	if lb == engine.LBUnknown && s.OtherLoadBalanceAlgorithm == "" {
		lb = engine.LBNone // as the engine stores it
	}
	return engine.Set{
		InstanceID: id, Caption: s.Caption, Description: s.Description, ElementName: s.ElementName,
		TypeOfSet: s.TypeOfSet, OtherTypeOfSet: pairedOther(s.TypeOfSet, s.OtherTypeOfSet),
		MinNumberNeeded: s.MinNumberNeeded, MaxNumberSupported: s.MaxNumberSupported,
		VendorIdentifyingInfo: s.VendorIdentifyingInfo,
		LoadBalanceAlgorithm:  lb, OtherLoadBalanceAlgorithm: s.OtherLoadBalanceAlgorithm,
		Policy: enginePolicy(s.Policy), Frontend: s.Frontend.Clone(),
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

// enginePolicy converts a declared policy, with the engine's defaults for
// the flap guard filled in as it stores them.
func enginePolicy(p Policy) engine.Policy {
	return engine.Policy{
		DisableAutoFailover: p.AutoFailover != nil && !*p.AutoFailover,
		MaxFailovers:        cmp.Or(p.MaxFailovers, engine.DefaultMaxFailovers),
		Period:              cmp.Or(p.Period.D(), engine.DefaultFlapPeriod),
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
	return engine.Member{Name: m.Name, DisplayName: m.DisplayName, Labels: m.Labels, Probe: p, Address: m.Address}
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
