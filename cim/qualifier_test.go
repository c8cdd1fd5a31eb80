package cim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFlavorResolve(t *testing.T) {
	tests := []struct {
		name    string
		f, def  Flavor
		want    Flavor
		overr   bool
		propags bool
	}{
		{"nothing", 0, 0, EnableOverride | ToSubclass, true, true},
		{"from declaration", 0, DisableOverride | Restricted, DisableOverride | Restricted, false, false},
		{"use wins", EnableOverride, DisableOverride, EnableOverride | ToSubclass, true, true},
		{"mixed pairs", Restricted, DisableOverride, DisableOverride | Restricted, false, false},
		{"translatable from declaration", 0, Translatable, EnableOverride | ToSubclass | Translatable, true, true},
		{"translatable from use", Translatable | DisableOverride, 0, DisableOverride | ToSubclass | Translatable, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.f.Resolve(tt.def)
			if got != tt.want {
				t.Errorf("Resolve = %s, want %s", got, tt.want)
			}
			if got.Overridable() != tt.overr || got.Propagates() != tt.propags {
				t.Errorf("Overridable, Propagates = %v, %v; want %v, %v", got.Overridable(), got.Propagates(), tt.overr, tt.propags)
			}
		})
	}
	if got, want := (DisableOverride | Restricted | Translatable).String(), "DisableOverride, Restricted, Translatable"; got != want {
		t.Errorf("Flavor.String = %q, want %q", got, want)
	}
	if DefaultFlavor != EnableOverride|ToSubclass {
		t.Errorf("DefaultFlavor = %s", DefaultFlavor)
	}
}

func TestScopeString(t *testing.T) {
	tests := []struct {
		s    Scope
		want string
	}{
		{ScopeAny, "any"},
		{ScopeClass | ScopeAssociation, "class, association"},
		{ScopeProperty | ScopeReference, "property, reference"},
		{ScopeMethod | ScopeParameter | ScopeIndication | ScopeQualifier, "indication, method, parameter, qualifier"},
		{0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQualifiers(t *testing.T) {
	var qs Qualifiers
	qs.Set(Qualifier{Name: "Key", Value: NewBool(true)})
	qs.Set(Qualifier{Name: "Write", Value: NewBool(false)})
	qs.Set(Qualifier{Name: "MaxLen", Value: MustUint32(64)})
	qs.Set(Qualifier{Name: "maxlen", Value: MustUint32(32)})
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"count after replace", len(qs), 3},
		{"Get any case", qs[2].Value.Uint(), uint64(32)},
		{"Has true", qs.Has("KEY"), true},
		{"Has false value", qs.Has("Write"), false},
		{"Has non-boolean", qs.Has("MaxLen"), false},
		{"Has absent", qs.Has("Required"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	q, ok := qs.Get("maxLEN")
	if !ok || q.Name != "maxlen" {
		t.Errorf("Get = %v, %v; want the replaced maxlen", q, ok)
	}
	clone := qs.Clone()
	qs.Delete("write")
	if _, ok := qs.Get("Write"); ok || len(qs) != 2 {
		t.Errorf("Delete left %v", qs)
	}
	if len(clone) != 3 || clone[1].Name != "Write" {
		t.Errorf("Delete changed the clone: %v", clone)
	}
}
