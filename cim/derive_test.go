package cim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testDecls declares the qualifiers the derive tests use.
func testDecls() map[string]QualifierDecl {
	b := func(name string, scope Scope, f Flavor) QualifierDecl {
		return QualifierDecl{Name: name, Type: Boolean, Default: NewBool(false), Scope: scope, Flavor: f}
	}
	return map[string]QualifierDecl{
		"Abstract":    b("Abstract", ScopeClass|ScopeAssociation|ScopeIndication, Restricted),
		"Association": b("Association", ScopeAssociation, DisableOverride),
		"Key":         b("Key", ScopeProperty|ScopeReference, DisableOverride),
		"Write":       b("Write", ScopeProperty, 0),
		"In":          b("In", ScopeParameter, DisableOverride),
		"Override":    {Name: "Override", Type: String, Scope: ScopeProperty | ScopeReference | ScopeMethod, Flavor: Restricted},
		"Description": {Name: "Description", Type: String, Scope: ScopeAny, Flavor: Translatable},
		"MaxLen":      {Name: "MaxLen", Type: Uint32, Scope: ScopeProperty | ScopeMethod | ScopeParameter},
		"secret":      {Name: "Secret", Type: String, Scope: ScopeAny, Flavor: Restricted},
		"Aggregation": b("Aggregation", ScopeAssociation, DisableOverride),
		"ValueMap":    {Name: "ValueMap", Type: String, IsArray: true, Scope: ScopeProperty | ScopeMethod | ScopeParameter},
	}
}

func strQ(name, v string) Qualifier { return Qualifier{Name: name, Value: NewString(v)} }

// baseClass is a root class as written in MOF.
func baseClass() *Class {
	return &Class{
		Name:       "CIM_ManagedElement",
		Qualifiers: Qualifiers{boolQ("Abstract", true), strQ("Description", "root"), strQ("Secret", "s")},
		Properties: []Property{
			{Name: "InstanceID", Type: String, Qualifiers: Qualifiers{boolQ("Key", true)}},
			{Name: "Caption", Type: String, Qualifiers: Qualifiers{{Name: "MaxLen", Value: MustSint64(64)}, strQ("Secret", "p")}},
			{Name: "Level", Type: Uint16, Default: MustSint64(2)},
		},
		Methods: []Method{{Name: "Reset", ReturnType: Uint32, Parameters: []Parameter{
			{Name: "Force", Type: Boolean, Qualifiers: Qualifiers{boolQ("In", true), strQ("Description", "force it")}},
		}}},
	}
}

func deriveBase(t *testing.T) *Class {
	t.Helper()
	c, err := Derive(nil, baseClass(), testDecls())
	if err != nil {
		t.Fatalf("Derive base: %v", err)
	}
	return c
}

func TestDerivePropagation(t *testing.T) {
	base := deriveBase(t)
	sub, err := Derive(base, &Class{Name: "CIM_Collection", SuperClass: "cim_managedelement"}, testDecls())
	if err != nil {
		t.Fatalf("Derive: %v", err)
	}
	wantQuals := Qualifiers{{Name: "Description", Value: NewString("root"), Flavor: EnableOverride | ToSubclass | Translatable, Propagated: true}}
	if diff := cmp.Diff(wantQuals, sub.Qualifiers, cmpOpts); diff != "" {
		t.Errorf("class qualifiers (-want +got):\n%s", diff)
	}
	if sub.IsAbstract() {
		t.Errorf("Abstract (Restricted) propagated to subclass")
	}
	caption, _ := sub.Property("Caption")
	if _, ok := caption.Qualifiers.Get("Secret"); ok {
		t.Errorf("Restricted property qualifier Secret propagated")
	}
	maxLen, _ := caption.Qualifiers.Get("MaxLen")
	if !maxLen.Propagated || !maxLen.Value.Equal(MustUint32(64)) {
		t.Errorf("MaxLen = %+v, want propagated uint32 64", maxLen)
	}
	for _, p := range sub.Properties {
		if p.ClassOrigin != "CIM_ManagedElement" || !p.Propagated {
			t.Errorf("property %s: ClassOrigin %q, Propagated %v; want CIM_ManagedElement, true", p.Name, p.ClassOrigin, p.Propagated)
		}
	}
	level, _ := sub.Property("Level")
	if !level.Default.Equal(MustUint16(2)) {
		t.Errorf("Level default = %v, want uint16 2 (converted)", level.Default)
	}
	m, _ := sub.Method("reset")
	if m.ClassOrigin != "CIM_ManagedElement" || !m.Propagated || !m.Parameters[0].Qualifiers[0].Propagated {
		t.Errorf("method Reset = %+v, want propagated from CIM_ManagedElement", m)
	}
	if diff := cmp.Diff([]string{"InstanceID"}, sub.KeyNames()); diff != "" {
		t.Errorf("KeyNames (-want +got):\n%s", diff)
	}
}

func TestDeriveOverrides(t *testing.T) {
	base := deriveBase(t)
	local := &Class{
		Name: "Sub", SuperClass: "CIM_ManagedElement",
		Qualifiers: Qualifiers{strQ("Description", "sub"), boolQ("Abstract", false)},
		Properties: []Property{
			{Name: "caption", Type: String, Qualifiers: Qualifiers{{Name: "MaxLen", Value: MustSint64(32)}, strQ("Override", "Caption")}},
			{Name: "InstanceID", Type: String, Qualifiers: Qualifiers{boolQ("Key", true)}},
			{Name: "Extra", Type: String, Default: NewString("x")},
		},
		Methods: []Method{{Name: "Reset", ReturnType: Uint32, Parameters: []Parameter{
			{Name: "Force", Type: Boolean, Qualifiers: Qualifiers{boolQ("In", true)}},
		}}},
	}
	before := local.Clone()
	sub, err := Derive(base, local, testDecls())
	if err != nil {
		t.Fatalf("Derive: %v", err)
	}
	if diff := cmp.Diff(before, local, cmpOpts); diff != "" {
		t.Errorf("Derive changed local (-before +after):\n%s", diff)
	}
	names := []string{}
	for _, p := range sub.Properties {
		names = append(names, p.Name+"@"+p.ClassOrigin)
	}
	if diff := cmp.Diff([]string{"InstanceID@Sub", "caption@Sub", "Level@CIM_ManagedElement", "Extra@Sub"}, names); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	caption, _ := sub.Property("Caption")
	if q, _ := caption.Qualifiers.Get("MaxLen"); q.Propagated || q.Value.Uint() != 32 || caption.Propagated {
		t.Errorf("overridden MaxLen = %+v (property propagated %v), want local 32", q, caption.Propagated)
	}
	if q, _ := sub.Qualifiers.Get("Description"); q.Value.Str() != "sub" || q.Propagated {
		t.Errorf("Description = %+v, want local sub", q)
	}
	id, _ := sub.Property("InstanceID")
	if q, _ := id.Qualifiers.Get("Key"); q.Flavor&DisableOverride == 0 {
		t.Errorf("repeated Key lost DisableOverride: %s", q.Flavor)
	}
	m, _ := sub.Method("Reset")
	if m.ClassOrigin != "Sub" || m.Propagated {
		t.Errorf("overridden method origin %q propagated %v", m.ClassOrigin, m.Propagated)
	}
	if q, ok := m.Parameters[0].Qualifiers.Get("Description"); !ok || !q.Propagated {
		t.Errorf("parameter Description not inherited: %+v", m.Parameters[0].Qualifiers)
	}
}

// deriveErrorCase is a local class Derive must refuse, with the status and
// message fragments of the error.
type deriveErrorCase struct {
	name   string
	local  Class
	status Status
	frags  []string
}

func deriveErrorCases() []deriveErrorCase {
	prop := func(name string, typ Type, qs ...Qualifier) Property {
		return Property{Name: name, Type: typ, Qualifiers: qs}
	}
	return []deriveErrorCase{
		{"DisableOverride violation", Class{Properties: []Property{prop("InstanceID", String, boolQ("Key", false))}},
			StatusInvalidParameter, []string{"class Sub", "property InstanceID", "qualifier Key has DisableOverride", "true cannot change to false"}},
		{"new key", Class{Properties: []Property{prop("Other", String, boolQ("Key", true))}},
			StatusInvalidParameter, []string{"property Other", "cannot add a key", "CIM_ManagedElement"}},
		{"type change", Class{Properties: []Property{prop("Caption", Uint8)}},
			StatusInvalidParameter, []string{"property Caption", "type string of inherited property to uint8"}},
		{"array change", Class{Properties: []Property{{Name: "Caption", Type: String, IsArray: true}}},
			StatusInvalidParameter, []string{"string[]"}},
		{"override nothing", Class{Properties: []Property{prop("New", String, strQ("Override", "New"))}},
			StatusInvalidParameter, []string{"Override given", "no New"}},
		{"override other name", Class{Properties: []Property{prop("Caption", String, strQ("Override", "Name"))}},
			StatusInvalidParameter, []string{`Override("Name")`}},
		{"duplicate property", Class{Properties: []Property{prop("A", String), prop("a", String)}},
			StatusInvalidParameter, []string{"property a declared twice"}},
		{"duplicate qualifier", Class{Qualifiers: Qualifiers{strQ("Description", "a"), strQ("description", "b")}},
			StatusInvalidParameter, []string{"qualifier description given twice"}},
		{"undeclared qualifier", Class{Qualifiers: Qualifiers{boolQ("Bogus", true)}},
			StatusInvalidParameter, []string{"qualifier Bogus is not declared"}},
		{"out of scope", Class{Qualifiers: Qualifiers{boolQ("Key", true)}},
			StatusInvalidParameter, []string{"qualifier Key is not allowed here", "property, reference"}},
		{"qualifier type", Class{Properties: []Property{prop("P", String, strQ("MaxLen", "big"))}},
			StatusInvalidParameter, []string{"qualifier MaxLen", `"big" does not fit declared type uint32`}},
		{"qualifier array", Class{Properties: []Property{prop("P", Uint8, q("MaxLen", MustUint16Array([]uint16{1})))}},
			StatusInvalidParameter, []string{"{1} does not fit declared type uint32"}},
		{"key added by override", Class{Properties: []Property{prop("Caption", String, boolQ("Key", true))}},
			StatusInvalidParameter, []string{"property Caption", "cannot add a key"}},
		{"bad default", Class{Properties: []Property{{Name: "P", Type: Uint8, Default: MustSint64(300)}}},
			StatusInvalidParameter, []string{"property P", "default 300 does not fit type uint8"}},
		{"no type", Class{Properties: []Property{{Name: "P"}}},
			StatusInvalidParameter, []string{"invalid name or type"}},
		{"method return type", Class{Methods: []Method{{Name: "Reset", ReturnType: Uint16}}},
			StatusInvalidParameter, []string{"method Reset", "return type uint32"}},
		{"parameter DisableOverride", Class{Methods: []Method{{Name: "Reset", ReturnType: Uint32, Parameters: []Parameter{
			{Name: "Force", Type: Boolean, Qualifiers: Qualifiers{boolQ("In", false)}}}}}},
			StatusInvalidParameter, []string{"method Reset: parameter Force", "qualifier In has DisableOverride"}},
		{"parameter type", Class{Methods: []Method{{Name: "Reset", ReturnType: Uint32, Parameters: []Parameter{{Name: "Force", Type: String}}}}},
			StatusInvalidParameter, []string{"parameter Force", "inherited parameter"}},
		{"duplicate method", Class{Methods: []Method{{Name: "M", ReturnType: Uint32}, {Name: "m", ReturnType: Uint32}}},
			StatusInvalidParameter, []string{"method m declared twice"}},
		{"duplicate parameter", Class{Methods: []Method{{Name: "M", ReturnType: Uint32, Parameters: []Parameter{{Name: "P", Type: String}, {Name: "p", Type: String}}}}},
			StatusInvalidParameter, []string{"parameter p", "duplicate"}},
		{"superclass mismatch", Class{SuperClass: "Other"},
			StatusInvalidSuperclass, []string{`superclass is "Other"`}},
		{"association from non-association", Class{Qualifiers: Qualifiers{boolQ("Association", true)}},
			StatusInvalidSuperclass, []string{"association cannot derive"}},
	}
}

func TestDeriveErrors(t *testing.T) {
	base := deriveBase(t)
	for _, tt := range deriveErrorCases() {
		t.Run(tt.name, func(t *testing.T) {
			local := tt.local
			local.Name = "Sub"
			if local.SuperClass == "" {
				local.SuperClass = "CIM_ManagedElement"
			}
			_, err := Derive(base, &local, testDecls())
			wantError(t, err, tt.status, tt.frags...)
		})
	}
	t.Run("missing superclass", func(t *testing.T) {
		_, err := Derive(nil, &Class{Name: "A", SuperClass: "B"}, nil)
		wantError(t, err, StatusInvalidSuperclass, "superclass B not given")
	})
	t.Run("bad class name", func(t *testing.T) {
		_, err := Derive(nil, &Class{Name: "1A"}, nil)
		wantError(t, err, StatusInvalidParameter, `invalid class name "1A"`)
	})
}

func TestDeriveDeclarations(t *testing.T) {
	decls := testDecls()
	local := &Class{Name: "A", Properties: []Property{
		{Name: "K", Type: String, Qualifiers: Qualifiers{{Name: "Key"}}},
		{Name: "W", Type: String, Qualifiers: Qualifiers{{Name: "Write", Flavor: DisableOverride}}},
		{Name: "V", Type: Uint8, Qualifiers: Qualifiers{strQ("ValueMap", "1"), {Name: "Description"}}},
	}}
	c, err := Derive(nil, local, decls)
	if err != nil {
		t.Fatalf("Derive: %v", err)
	}
	k, _ := c.Property("K")
	if q, _ := k.Qualifiers.Get("Key"); !q.Value.Bool() || q.Flavor != DisableOverride|ToSubclass {
		t.Errorf("Key without value = %+v, want true with DisableOverride|ToSubclass", q)
	}
	w, _ := c.Property("W")
	if q, _ := w.Qualifiers.Get("Write"); q.Flavor != DisableOverride|ToSubclass {
		t.Errorf("Write flavor = %s, want the use's DisableOverride", q.Flavor)
	}
	v, _ := c.Property("V")
	if q, _ := v.Qualifiers.Get("ValueMap"); !q.Value.Equal(NewStringArray([]string{"1"})) {
		t.Errorf("scalar ValueMap = %v, want {1}", q.Value)
	}
	if q, _ := v.Qualifiers.Get("Description"); !q.Value.IsNull() || q.Value.Type() != String {
		t.Errorf("Description without value = %v, want null string", q.Value)
	}
	sub, err := Derive(c, &Class{Name: "B", SuperClass: "A", Properties: []Property{
		{Name: "W", Type: String, Qualifiers: Qualifiers{boolQ("Write", false)}}}}, decls)
	if err == nil {
		t.Errorf("Derive overriding a DisableOverride use = %v, want error", sub)
	}
}

func TestDeriveAssociationScope(t *testing.T) {
	assoc, err := Derive(nil, &Class{Name: "A", Qualifiers: Qualifiers{boolQ("Association", true)}}, testDecls())
	if err != nil {
		t.Fatalf("Derive association: %v", err)
	}
	sub, err := Derive(assoc, &Class{Name: "B", SuperClass: "A", Qualifiers: Qualifiers{boolQ("Aggregation", true)}}, testDecls())
	if err != nil {
		t.Fatalf("Derive subclass of association: %v", err)
	}
	if !sub.IsAssociation() || !sub.Qualifiers.Has("Aggregation") {
		t.Errorf("subclass qualifiers = %+v, want inherited Association and local Aggregation", sub.Qualifiers)
	}
	_, err = Derive(nil, &Class{Name: "C", Qualifiers: Qualifiers{boolQ("Aggregation", true)}}, testDecls())
	wantError(t, err, StatusInvalidParameter, "qualifier Aggregation is not allowed here")
}

func TestDeriveWithoutDeclarations(t *testing.T) {
	base, err := Derive(nil, baseClass(), nil)
	if err != nil {
		t.Fatalf("Derive: %v", err)
	}
	sub, err := Derive(base, &Class{Name: "Sub", SuperClass: "CIM_ManagedElement",
		Qualifiers: Qualifiers{boolQ("Anything", true)}}, nil)
	if err != nil {
		t.Fatalf("Derive: %v", err)
	}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"standard Abstract is restricted", sub.IsAbstract(), false},
		{"undeclared qualifier allowed", sub.Qualifiers.Has("Anything"), true},
		{"Secret propagates by default", hasQualifier(sub.Qualifiers, "Secret"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	_, err = Derive(base, &Class{Name: "Sub", SuperClass: "CIM_ManagedElement",
		Properties: []Property{{Name: "InstanceID", Type: String, Qualifiers: Qualifiers{boolQ("Key", false)}}}}, nil)
	wantError(t, err, StatusInvalidParameter, "qualifier Key has DisableOverride")
}

func hasQualifier(qs Qualifiers, name string) bool {
	_, ok := qs.Get(name)
	return ok
}
