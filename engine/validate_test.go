package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func wantValidation(t *testing.T, err error, field, rule string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
	}
	if ve.Field != field || !strings.Contains(ve.Rule, rule) {
		t.Errorf("got field %q rule %q, want field %q rule containing %q", ve.Field, ve.Rule, field, rule)
	}
}

func TestCreateSetValidation(t *testing.T) {
	base := func(f func(*Set)) Set {
		s := sparingSet("redset:x", 1)
		f(&s)
		return s
	}
	tests := []struct {
		name  string
		set   Set
		field string
		rule  string
	}{
		{"no colon", base(func(s *Set) { s.InstanceID = "redset" }), "InstanceID", "OrgID:LocalID"},
		{"empty OrgID", base(func(s *Set) { s.InstanceID = ":x" }), "InstanceID", "OrgID"},
		{"empty LocalID", base(func(s *Set) { s.InstanceID = "redset:" }), "InstanceID", "LocalID"},
		{"control char", base(func(s *Set) { s.InstanceID = "redset:a\nb" }), "InstanceID", "control"},
		{"too long id", base(func(s *Set) { s.InstanceID = "redset:" + strings.Repeat("x", 300) }), "InstanceID", "at most"},
		{"caption 65 chars", base(func(s *Set) { s.Caption = strings.Repeat("é", 65) }), "Caption", "64"},
		{"bad utf8 description", base(func(s *Set) { s.Description = "\xff" }), "Description", "UTF-8"},
		{"OtherTypeOfSet shorter", base(func(s *Set) { s.OtherTypeOfSet = nil }), "OtherTypeOfSet", "as many entries"},
		{"OtherTypeOfSet longer", base(func(s *Set) { s.OtherTypeOfSet = []string{"", ""} }), "OtherTypeOfSet", "as many entries"},
		{"Other without text", base(func(s *Set) { s.TypeOfSet = []uint16{TypeOther} }), "OtherTypeOfSet[0]", "must describe"},
		{"Other with blank text", base(func(s *Set) { s.TypeOfSet, s.OtherTypeOfSet = []uint16{4, 1}, []string{"", " "} }), "OtherTypeOfSet[1]", "must describe"},
		{"text without Other", base(func(s *Set) { s.OtherTypeOfSet = []string{"mirror"} }), "OtherTypeOfSet[0]", "must be empty"},
		{"reserved 6", base(func(s *Set) { s.TypeOfSet = []uint16{6} }), "TypeOfSet[0]", "Reserved"},
		{"reserved 32767", base(func(s *Set) { s.TypeOfSet = []uint16{32767} }), "TypeOfSet[0]", "Reserved"},
		{"limited sparing with N", base(func(s *Set) { s.TypeOfSet = []uint16{TypeLimitedSparing} }), "MinNumberNeeded", "Limited Sparing"},
		{"min above max", base(func(s *Set) { s.MinNumberNeeded, s.MaxNumberSupported = 3, 2 }), "MinNumberNeeded", "MaxNumberSupported"},
		{"LB 8", base(func(s *Set) { s.LoadBalanceAlgorithm = 8 }), "LoadBalanceAlgorithm", "0..7"},
		{"LB Other without text", base(func(s *Set) { s.LoadBalanceAlgorithm = LBOther }), "OtherLoadBalanceAlgorithm", "required"},
		{"LB text without Other", base(func(s *Set) { s.LoadBalanceAlgorithm, s.OtherLoadBalanceAlgorithm = LBRoundRobin, "x" }), "OtherLoadBalanceAlgorithm", "must be empty"},
		{"negative flap max", base(func(s *Set) { s.Policy.MaxFailovers = -1 }), "Policy.MaxFailovers", "between"},
		{"negative period", base(func(s *Set) { s.Policy.Period = -time.Second }), "Policy.Period", "negative"},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.dump()
			_, err := h.e.CreateSet(context.Background(), tt.set)
			wantValidation(t, err, tt.field, tt.rule)
			h.assertUnchanged(before)
		})
	}
}

func TestCreateSetAccepts(t *testing.T) {
	tests := []struct {
		name string
		set  Set
	}{
		{"colon in LocalID", Set{InstanceID: "redset:a:b"}},
		{"vendor type", Set{InstanceID: "redset:v", TypeOfSet: []uint16{32768, 65535}, OtherTypeOfSet: []string{"", ""}}},
		{"other with text", Set{InstanceID: "redset:o", TypeOfSet: []uint16{1}, OtherTypeOfSet: []string{"mirror"}}},
		{"caption 64", Set{InstanceID: "redset:c", Caption: strings.Repeat("é", 64)}},
		{"LB other", Set{InstanceID: "redset:l", LoadBalanceAlgorithm: 1, OtherLoadBalanceAlgorithm: "weighted"}},
		{"limited sparing", Set{InstanceID: "redset:ls", TypeOfSet: []uint16{5}, OtherTypeOfSet: []string{""}}},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.e.CreateSet(context.Background(), tt.set); err != nil {
				t.Errorf("CreateSet: %v", err)
			}
		})
	}
}

func TestCreateSetDefaultsAndUniqueness(t *testing.T) {
	h := newHarness(t)
	v, err := h.e.CreateSet(context.Background(), Set{InstanceID: "redset:a"})
	if err != nil {
		t.Fatal(err)
	}
	if v.LoadBalanceAlgorithm != LBNone {
		t.Errorf("LoadBalanceAlgorithm = %d, want default 2", v.LoadBalanceAlgorithm)
	}
	if v.Policy.MaxFailovers != DefaultMaxFailovers || v.Policy.Period != DefaultFlapPeriod {
		t.Errorf("policy = %+v, want flap guard defaults", v.Policy)
	}
	before := h.dump()
	if _, err := h.e.CreateSet(context.Background(), Set{InstanceID: "redset:a"}); !errors.Is(err, ErrExists) {
		t.Errorf("second CreateSet err = %v, want ErrExists", err)
	}
	h.assertUnchanged(before)
}

func TestMemberValidation(t *testing.T) {
	tests := []struct {
		name  string
		m     Member
		field string
		rule  string
	}{
		{"empty name", Member{}, "Name", "empty"},
		{"long name", Member{Name: strings.Repeat("m", 256)}, "Name", "at most"},
		{"control char", Member{Name: "a\tb"}, "Name", "control"},
		{"spaces", Member{Name: " a"}, "Name", "spaces"},
		{"bad label key", Member{Name: "a", Labels: map[string]string{"": "x"}}, "Labels", "keys"},
		{"negative rise", Member{Name: "a", Probe: Probe{Rise: -1}}, "probe.rise", "between"},
		{"huge fall", Member{Name: "a", Probe: Probe{Fall: 5000}}, "probe.fall", "between"},
		{"negative ttl", Member{Name: "a", Probe: Probe{TTL: -1}}, "probe.ttl", "negative"},
		{"negative interval", Member{Name: "a", Probe: Probe{Interval: -1}}, "probe.interval", "negative"},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.dump()
			_, err := h.e.PutMember(context.Background(), tt.m)
			wantValidation(t, err, tt.field, tt.rule)
			h.assertUnchanged(before)
		})
	}
}

func TestAddToSetValidation(t *testing.T) {
	h := newHarness(t)
	s := sparingSet("redset:s", 1)
	s.MaxNumberSupported = 2
	h.set(s)
	for _, n := range []string{"a", "b", "c"} {
		h.member(n)
	}
	h.add("redset:s", "a", inService)
	tests := []struct {
		name   string
		member string
		role   Role
		field  string
		rule   string
	}{
		{"bad kind", "b", Role{Kind: 9}, "Role", "in service"},
		{"bad spare status", "b", spare(4, FailoverBoth, 0), "SpareStatus", "Hot"},
		{"bad failover supported", "b", spare(SpareHot, 1, 0), "FailoverSupported", "Automatic"},
		{"bad remembered settings", "b", Role{Kind: RoleInService, Spare: SpareSettings{SpareStatus: 7}}, "SpareStatus", "Hot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.dump()
			_, err := h.e.AddToSet(context.Background(), "redset:s", tt.member, tt.role)
			wantValidation(t, err, tt.field, tt.rule)
			h.assertUnchanged(before)
		})
	}
	t.Run("full set", func(t *testing.T) {
		h.add("redset:s", "b", Role{Kind: RoleSpare}) // defaults fill the spare settings
		before := h.dump()
		_, err := h.e.AddToSet(context.Background(), "redset:s", "c", inService)
		wantValidation(t, err, "MaxNumberSupported", "full")
		h.assertUnchanged(before)
	})
	t.Run("duplicate", func(t *testing.T) {
		before := h.dump()
		if _, err := h.e.AddToSet(context.Background(), "redset:s", "a", inService); !errors.Is(err, ErrExists) {
			t.Errorf("err = %v, want ErrExists", err)
		}
		h.assertUnchanged(before)
	})
	t.Run("spare defaults", func(t *testing.T) {
		got := h.roles("redset:s")["b"]
		sp := h.view("redset:s").Members[1].Role.Spare
		if got != RoleSpare || sp != DefaultSpare {
			t.Errorf("b: role %v settings %+v, want spare with %+v", got, sp, DefaultSpare)
		}
	})
	t.Run("unknown set and member", func(t *testing.T) {
		if _, err := h.e.AddToSet(context.Background(), "redset:none", "c", inService); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown set: err = %v, want ErrNotFound", err)
		}
		if _, err := h.e.AddToSet(context.Background(), "redset:s", "zz", inService); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown member: err = %v, want ErrNotFound", err)
		}
	})
}

func TestUpdateSetValidation(t *testing.T) {
	h := newHarness(t)
	h.set(sparingSet("redset:s", 1))
	h.member("a")
	h.member("b")
	h.add("redset:s", "a", inService)
	h.add("redset:s", "b", inService)
	tests := []struct {
		name   string
		change func(*Set) error
		field  string
		rule   string
	}{
		{"rename", func(s *Set) error { s.InstanceID = "redset:t"; return nil }, "InstanceID", "cannot change"},
		{"max below members", func(s *Set) error { s.MaxNumberSupported = 1; return nil }, "MaxNumberSupported", "below"},
		{"reserved type", func(s *Set) error { s.TypeOfSet = []uint16{7}; return nil }, "TypeOfSet[0]", "Reserved"},
		{"long caption", func(s *Set) error { s.Caption = strings.Repeat("c", 65); return nil }, "Caption", "64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.dump()
			_, err := h.e.UpdateSet(context.Background(), "redset:s", tt.change)
			wantValidation(t, err, tt.field, tt.rule)
			h.assertUnchanged(before)
		})
	}
	t.Run("LB write validated", func(t *testing.T) {
		before := h.dump()
		_, err := h.e.SetLoadBalance(context.Background(), "redset:s", 1, "")
		wantValidation(t, err, "OtherLoadBalanceAlgorithm", "required")
		h.assertUnchanged(before)
	})
	t.Run("LB write applied", func(t *testing.T) {
		v, err := h.e.SetLoadBalance(context.Background(), "redset:s", LBOther, "weighted")
		if err != nil || v.LoadBalanceAlgorithm != LBOther || v.OtherLoadBalanceAlgorithm != "weighted" {
			t.Errorf("SetLoadBalance = %d %q, %v; want 1 \"weighted\"", v.LoadBalanceAlgorithm, v.OtherLoadBalanceAlgorithm, err)
		}
	})
}

func TestReportValidation(t *testing.T) {
	h := newHarness(t)
	h.member("a")
	tests := []struct {
		name  string
		r     Report
		field string
	}{
		{"unknown state", Report{State: HealthUnknown}, "Report.State"},
		{"out of range", Report{State: 9}, "Report.State"},
		{"negative ttl", Report{State: HealthOK, TTL: -1}, "Report.TTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantValidation(t, h.e.ReportHealth("a", tt.r), tt.field, "")
		})
	}
	if err := h.e.ReportHealth("nobody", Report{State: HealthOK}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown member: err = %v, want ErrNotFound", err)
	}
}

func FuzzParseInstanceID(f *testing.F) {
	for _, s := range []string{"redset:a", ":a", "a:", "a", "a:b:c", "a\x00:b", "\xff:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		org, local, err := ParseInstanceID(id)
		if err != nil {
			return
		}
		if org == "" || local == "" || strings.Contains(org, ":") || org+":"+local != id {
			t.Fatalf("ParseInstanceID(%q) = %q, %q: breaks the form", id, org, local)
		}
	})
}

func FuzzDecodeSetRecord(f *testing.F) {
	f.Add([]byte(`{"set":{"InstanceID":"redset:a","TypeOfSet":[4],"OtherTypeOfSet":[""],"LoadBalanceAlgorithm":2},"roles":[{"member":"a","kind":1,"spare":{}}]}`))
	f.Add([]byte(`{"set":{"InstanceID":"x"}}`))
	f.Add([]byte(`{"set":{"InstanceID":"r:a"},"roles":[{"member":"a","kind":2,"spare":{"spareStatus":2,"failoverSupported":4}},{"member":"a","kind":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeSetRecord(data)
		if err != nil {
			return
		}
		if err := ValidateSet(&rec.Set); err != nil {
			t.Fatalf("decoded set fails validation: %v", err)
		}
		for i := 1; i < len(rec.Roles); i++ {
			if rec.Roles[i-1].Member >= rec.Roles[i].Member {
				t.Fatalf("roles not strictly ordered: %q, %q", rec.Roles[i-1].Member, rec.Roles[i].Member)
			}
		}
	})
}
