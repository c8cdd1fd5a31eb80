package engine

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits beyond the CIM rules that keep stored values sane.
const (
	MaxCaptionLen = 64   // CIM MaxLen of Caption, in characters
	maxNameLen    = 255  // member names and InstanceIDs, in bytes
	maxDampening  = 1000 // largest rise/fall count
)

// ParseInstanceID splits an InstanceID of the form OrgID:LocalID. OrgID is
// non-empty and has no colon (the first colon separates), LocalID is
// non-empty; neither may contain control characters.
func ParseInstanceID(id string) (org, local string, err error) {
	org, local, found := strings.Cut(id, ":")
	switch {
	case !found:
		return "", "", invalid("InstanceID", "must have the form OrgID:LocalID", id)
	case org == "":
		return "", "", invalid("InstanceID", "OrgID before the first colon must not be empty", id)
	case local == "":
		return "", "", invalid("InstanceID", "LocalID after the first colon must not be empty", id)
	case len(id) > maxNameLen:
		return "", "", invalid("InstanceID", fmt.Sprintf("at most %d bytes", maxNameLen), id)
	case !printable(id):
		return "", "", invalid("InstanceID", "valid UTF-8 without control characters", id)
	}
	return org, local, nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return strings.IndexFunc(s, unicode.IsControl) < 0
}

// ValidateSet checks every rule on a set's stored properties and policy.
func ValidateSet(s *Set) error {
	checks := []func(*Set) error{
		checkSetID, checkSetText, checkTypeOfSet, checkNumbers, checkSetLB, checkPolicy,
		func(s *Set) error { return validateFrontend(s.Frontend) },
	}
	for _, check := range checks {
		if err := check(s); err != nil {
			return err
		}
	}
	return nil
}

func checkSetID(s *Set) error {
	_, _, err := ParseInstanceID(s.InstanceID)
	return err
}

func checkSetText(s *Set) error {
	if n := utf8.RuneCountInString(s.Caption); n > MaxCaptionLen {
		return invalid("Caption", fmt.Sprintf("at most %d characters", MaxCaptionLen), fmt.Sprintf("%d characters", n))
	}
	fields := [][2]string{
		{"Caption", s.Caption}, {"Description", s.Description}, {"ElementName", s.ElementName},
		{"VendorIdentifyingInfo", s.VendorIdentifyingInfo},
	}
	for _, f := range fields {
		if !utf8.ValidString(f[1]) {
			return invalid(f[0], "must be valid UTF-8", f[1])
		}
	}
	return nil
}

// checkTypeOfSet enforces the value map and the Indexed pairing with
// OtherTypeOfSet: same length, entry i non-empty exactly when TypeOfSet[i]
// is 1 (Other).
func checkTypeOfSet(s *Set) error {
	if len(s.OtherTypeOfSet) != len(s.TypeOfSet) {
		return invalid("OtherTypeOfSet", fmt.Sprintf("must have as many entries as TypeOfSet (%d)", len(s.TypeOfSet)), s.OtherTypeOfSet)
	}
	for i, t := range s.TypeOfSet {
		if err := checkTypeEntry(i, t, s.OtherTypeOfSet[i]); err != nil {
			return err
		}
	}
	return nil
}

func checkTypeEntry(i int, t uint16, other string) error {
	field := fmt.Sprintf("TypeOfSet[%d]", i)
	if t > TypeLimitedSparing && t < 32768 {
		return invalid(field, "values 6..32767 are DMTF Reserved", t)
	}
	otherField := fmt.Sprintf("OtherTypeOfSet[%d]", i)
	if t == TypeOther && strings.TrimSpace(other) == "" {
		return invalid(otherField, "must describe the type when TypeOfSet is 1 (Other)", other)
	}
	if t != TypeOther && other != "" {
		return invalid(otherField, "must be empty unless TypeOfSet is 1 (Other)", other)
	}
	if !utf8.ValidString(other) {
		return invalid(otherField, "must be valid UTF-8", other)
	}
	return nil
}

func checkNumbers(s *Set) error {
	if behaviourOf(s.TypeOfSet) == behaveLimitedSparing && s.MinNumberNeeded != 0 {
		return invalid("MinNumberNeeded", "must be 0 for a Limited Sparing set", s.MinNumberNeeded)
	}
	if s.MaxNumberSupported != 0 && s.MinNumberNeeded > s.MaxNumberSupported {
		return invalid("MinNumberNeeded", fmt.Sprintf("must not exceed MaxNumberSupported (%d)", s.MaxNumberSupported), s.MinNumberNeeded)
	}
	return nil
}

func checkSetLB(s *Set) error {
	return ValidateLoadBalance(s.LoadBalanceAlgorithm, s.OtherLoadBalanceAlgorithm)
}

// ValidateLoadBalance checks LoadBalanceAlgorithm (0..7) and that
// OtherLoadBalanceAlgorithm is non-empty exactly when the algorithm is 1.
func ValidateLoadBalance(alg uint16, other string) error {
	if alg > LBProductSpecific {
		return invalid("LoadBalanceAlgorithm", "must be one of 0..7", alg)
	}
	if alg == LBOther && strings.TrimSpace(other) == "" {
		return invalid("OtherLoadBalanceAlgorithm", "required when LoadBalanceAlgorithm is 1 (Other)", other)
	}
	if alg != LBOther && other != "" {
		return invalid("OtherLoadBalanceAlgorithm", "must be empty unless LoadBalanceAlgorithm is 1 (Other)", other)
	}
	if !utf8.ValidString(other) {
		return invalid("OtherLoadBalanceAlgorithm", "must be valid UTF-8", other)
	}
	return nil
}

func checkPolicy(s *Set) error {
	p := s.Policy
	if p.MaxFailovers < 0 || p.MaxFailovers > 1_000_000 {
		return invalid("Policy.MaxFailovers", "must be between 0 (default) and 1000000", p.MaxFailovers)
	}
	if p.Period < 0 {
		return invalid("Policy.Period", "must not be negative", p.Period.String())
	}
	return nil
}

// validateMemberName: 1..255 bytes of UTF-8 without control characters and
// without surrounding spaces.
func validateMemberName(name string) error {
	switch {
	case name == "":
		return invalid("Name", "must not be empty", name)
	case len(name) > maxNameLen:
		return invalid("Name", fmt.Sprintf("at most %d bytes", maxNameLen), name)
	case !printable(name):
		return invalid("Name", "valid UTF-8 without control characters", name)
	case strings.TrimSpace(name) != name:
		return invalid("Name", "no leading or trailing spaces", name)
	}
	return nil
}

// ValidateMember checks a member's name, text and probe settings.
func ValidateMember(m *Member) error {
	if err := validateMemberName(m.Name); err != nil {
		return err
	}
	if !utf8.ValidString(m.DisplayName) {
		return invalid("DisplayName", "must be valid UTF-8", m.DisplayName)
	}
	for k := range m.Labels {
		if k == "" || !printable(k) {
			return invalid("Labels", "keys must be non-empty printable text", k)
		}
	}
	if m.Address != "" {
		if err := checkHostPort("address", m.Address, false); err != nil {
			return err
		}
	}
	return validateProbe(&m.Probe)
}

// validateProbe checks what the engine itself relies on: dampening counts
// in range and no negative durations. Whether the health checker can run
// the probe is Options.ValidateProbe's question.
func validateProbe(p *Probe) error {
	if p.Rise < 0 || p.Rise > maxDampening {
		return invalid("probe.rise", fmt.Sprintf("must be between 0 (default) and %d", maxDampening), p.Rise)
	}
	if p.Fall < 0 || p.Fall > maxDampening {
		return invalid("probe.fall", fmt.Sprintf("must be between 0 (default) and %d", maxDampening), p.Fall)
	}
	durations := []struct {
		field string
		d     Duration
	}{{"probe.interval", p.Interval}, {"probe.timeout", p.Timeout}, {"probe.ttl", p.TTL}}
	for _, f := range durations {
		if f.d < 0 {
			return invalid(f.field, "must not be negative", f.d.String())
		}
	}
	return nil
}

// validateRole checks a role after defaults were applied.
func validateRole(r Role) error {
	if r.Kind < RoleInService || r.Kind > RoleDrained {
		return invalid("Role", "must be in service (1), spare (2) or drained (3)", uint8(r.Kind))
	}
	sp := r.Spare
	if r.Kind != RoleSpare && sp == (SpareSettings{}) {
		return nil
	}
	if sp.SpareStatus != SpareHot && sp.SpareStatus != SpareCold {
		return invalid("SpareStatus", "must be 2 (Hot Standby) or 3 (Cold Standby)", sp.SpareStatus)
	}
	if sp.FailoverSupported < FailoverAutomatic || sp.FailoverSupported > FailoverBoth {
		return invalid("FailoverSupported", "must be 2 (Automatic), 3 (Manual) or 4 (Both)", sp.FailoverSupported)
	}
	return nil
}

// withSpareDefaults fills zero spare settings of a spare role.
func withSpareDefaults(r Role) Role {
	if r.Kind != RoleSpare {
		return r
	}
	if r.Spare.SpareStatus == 0 {
		r.Spare.SpareStatus = DefaultSpare.SpareStatus
	}
	if r.Spare.FailoverSupported == 0 {
		r.Spare.FailoverSupported = DefaultSpare.FailoverSupported
	}
	return r
}

func validateReport(r Report) error {
	if r.State != HealthOK && r.State != HealthDegraded && r.State != HealthFailed {
		return invalid("Report.State", "must be OK, Degraded or Failed", r.State.String())
	}
	if r.TTL < 0 {
		return invalid("Report.TTL", "must not be negative", r.TTL.String())
	}
	return nil
}
