package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/server"
	"github.com/spf13/cobra"
)

// setFlags are a set's properties as flags, shared by create and edit.
type setFlags struct {
	file                                      string
	members                                   []string
	elementName, caption, description, vendor string
	types, otherTypes                         []string
	min, max                                  uint32
	lb, otherLB                               string
	maxFailovers                              int
	period                                    time.Duration
	autoFailover, autoReturn, failback        bool
	frontend                                  frontendFlags
}

func (f *setFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.elementName, "element-name", "", "ElementName, the friendly name")
	fl.StringVar(&f.caption, "caption", "", "Caption (at most 64 characters)")
	fl.StringVar(&f.description, "description", "", "Description")
	fl.StringVar(&f.vendor, "vendor-info", "", "VendorIdentifyingInfo")
	fl.StringArrayVar(&f.types, "type", nil, "TypeOfSet entry: "+sortedNames(typeCodes)+" or a number (repeatable)")
	fl.StringArrayVar(&f.otherTypes, "other-type", nil, "OtherTypeOfSet entry, paired with --type (repeatable)")
	fl.Uint32Var(&f.min, "min", 0, "MinNumberNeeded")
	fl.Uint32Var(&f.max, "max", 0, "MaxNumberSupported (0: no limit)")
	fl.StringVar(&f.lb, "lb", "", "LoadBalanceAlgorithm: "+sortedNames(lbCodes)+" or a number")
	fl.StringVar(&f.otherLB, "other-lb", "", "OtherLoadBalanceAlgorithm (with --lb other)")
	fl.IntVar(&f.maxFailovers, "max-failovers", 0, "flap guard: automatic failovers allowed per period")
	fl.DurationVar(&f.period, "period", 0, "flap guard: its window, e.g. 1h")
	fl.BoolVar(&f.autoFailover, "auto-failover", true, "fail over to a spare by itself (--auto-failover=false turns it off)")
	fl.BoolVar(&f.autoReturn, "auto-return", false, "return drained members to service when healthy (N+1, Load Balanced)")
	fl.BoolVar(&f.failback, "failback", false, "fail back to a preferred spare when it is OK (Sparing)")
	f.frontend.register(cmd)
}

// patch is a JSON merge patch of the flags the user gave.
func (f *setFlags) patch(cmd *cobra.Command) (map[string]any, error) {
	fl := cmd.Flags()
	out, policy := map[string]any{}, map[string]any{}
	strs := map[string]struct {
		flag  string
		value string
	}{
		"elementName": {"element-name", f.elementName}, "caption": {"caption", f.caption},
		"description": {"description", f.description}, "vendorIdentifyingInfo": {"vendor-info", f.vendor},
		"otherLoadBalanceAlgorithm": {"other-lb", f.otherLB},
	}
	for field, s := range strs {
		if fl.Changed(s.flag) {
			out[field] = s.value
		}
	}
	if err := f.codes(cmd, out); err != nil {
		return nil, err
	}
	setIf(fl.Changed("min"), out, "minNumberNeeded", f.min)
	setIf(fl.Changed("max"), out, "maxNumberSupported", f.max)
	setIf(fl.Changed("max-failovers"), policy, "maxFailovers", f.maxFailovers)
	setIf(fl.Changed("period"), policy, "periodSeconds", f.period.Seconds())
	setIf(fl.Changed("auto-failover"), policy, "disableAutoFailover", !f.autoFailover)
	setIf(fl.Changed("auto-return"), policy, "autoReturn", f.autoReturn)
	setIf(fl.Changed("failback"), policy, "failback", f.failback)
	if len(policy) > 0 {
		out["policy"] = policy
	}
	if err := f.frontend.patch(cmd, out); err != nil {
		return nil, err
	}
	return out, nil
}

func setIf(ok bool, m map[string]any, key string, v any) {
	if ok {
		m[key] = v
	}
}

// codes adds the type and load-balancing flags, given by name or number.
func (f *setFlags) codes(cmd *cobra.Command, out map[string]any) error {
	fl := cmd.Flags()
	if fl.Changed("type") {
		types := make([]uint16, len(f.types))
		for i, t := range f.types {
			var err error
			if types[i], err = codeOf("--type", t, typeCodes); err != nil {
				return err
			}
		}
		out["typeOfSet"] = types
		other := slices.Clone(f.otherTypes)
		for len(other) < len(types) {
			other = append(other, "")
		}
		out["otherTypeOfSet"] = other
	}
	if fl.Changed("lb") {
		alg, err := codeOf("--lb", f.lb, lbCodes)
		if err != nil {
			return err
		}
		out["loadBalanceAlgorithm"] = alg
	}
	return nil
}

// entries are the sets create makes: from -f, or from the ID and flags.
func (f *setFlags) entries(cmd *cobra.Command, args []string) ([]server.SetEntry, error) {
	if f.file != "" {
		if len(args) > 0 || len(f.members) > 0 {
			return nil, errors.New("with -f the file names the set and its members; give no ID or --member")
		}
		data, err := readInput(cmd, f.file)
		if err != nil {
			return nil, err
		}
		return server.ParseSetEntries(inputName(f.file), data)
	}
	if len(args) == 0 {
		return nil, errors.New("give the new set's ID, or -f FILE")
	}
	e, err := f.flagEntry(cmd, args[0])
	return []server.SetEntry{e}, err
}

// flagEntry is the set the flags describe.
func (f *setFlags) flagEntry(cmd *cobra.Command, id string) (server.SetEntry, error) {
	patch, err := f.patch(cmd)
	if err != nil {
		return server.SetEntry{}, err
	}
	patch["instanceID"] = id
	data, _ := json.Marshal(patch)
	var spec api.SetSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return server.SetEntry{}, err
	}
	e := server.SetEntry{Set: specSet(spec)}
	for _, m := range f.members {
		name, role, _ := strings.Cut(m, ":")
		kind, err := roleName(role)
		if err != nil {
			return e, fmt.Errorf("--member %s: %w", m, err)
		}
		e.Members = append(e.Members, server.MemberRole{Name: name, Role: engine.Role{Kind: roleKinds[kind]}})
	}
	return e, nil
}

var roleKinds = map[string]engine.RoleKind{
	api.RoleInService: engine.RoleInService, api.RoleSpare: engine.RoleSpare, api.RoleDrained: engine.RoleDrained,
}

// specSet is the engine set of a spec built from flags; api.SetSpecOf
// turns it back into the same spec.
func specSet(s api.SetSpec) engine.Set {
	out := engine.Set{
		InstanceID: s.InstanceID, Caption: s.Caption, Description: s.Description, ElementName: s.ElementName,
		TypeOfSet: s.TypeOfSet, OtherTypeOfSet: s.OtherTypeOfSet, MinNumberNeeded: s.MinNumberNeeded,
		MaxNumberSupported: s.MaxNumberSupported, VendorIdentifyingInfo: s.VendorIdentifyingInfo,
		LoadBalanceAlgorithm: engine.LBNone, OtherLoadBalanceAlgorithm: s.OtherLoadBalanceAlgorithm,
	}
	if s.LoadBalanceAlgorithm != nil {
		out.LoadBalanceAlgorithm = *s.LoadBalanceAlgorithm
	}
	out.Frontend = s.Frontend
	if p := s.Policy; p != nil {
		out.Policy = engine.Policy{DisableAutoFailover: p.DisableAutoFailover, MaxFailovers: p.MaxFailovers,
			Period: time.Duration(p.PeriodSeconds * float64(time.Second)), AutoReturn: p.AutoReturn, Failback: p.Failback}
	}
	return out
}

// sortedNames lists a table's names in order, for help and errors.
func sortedNames(names map[string]uint16) string {
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return int(names[a]) - int(names[b]) })
	return strings.Join(keys, ", ")
}
