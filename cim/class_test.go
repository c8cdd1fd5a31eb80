package cim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func boolQ(name string, v bool) Qualifier { return Qualifier{Name: name, Value: NewBool(v)} }

func lookupClass() *Class {
	return &Class{
		Name:       "Msvm_RedundancySet",
		Qualifiers: Qualifiers{boolQ("Association", false), boolQ("Abstract", true)},
		Properties: []Property{
			{Name: "InstanceID", Type: String, Qualifiers: Qualifiers{boolQ("Key", true)}},
			{Name: "Caption", Type: String},
			{Name: "LoadBalanceAlgorithm", Type: Uint16, Qualifiers: Qualifiers{boolQ("Write", true)}},
			{Name: "Name", Type: String, Qualifiers: Qualifiers{boolQ("Key", true)}},
		},
		Methods: []Method{{Name: "Failover", ReturnType: Uint32, Parameters: []Parameter{
			{Name: "FailoverFrom", Type: Reference, Qualifiers: Qualifiers{boolQ("In", true)}},
			{Name: "Result", Type: String, Qualifiers: Qualifiers{boolQ("In", false), boolQ("Out", true)}},
			{Name: "Plain", Type: String},
		}}},
	}
}

func TestClassLookups(t *testing.T) {
	c := lookupClass()
	if p, ok := c.Property("caption"); !ok || p.Name != "Caption" {
		t.Errorf("Property(caption) = %v, %v", p, ok)
	}
	if _, ok := c.Property("nope"); ok {
		t.Errorf("Property(nope) ok = true")
	}
	if diff := cmp.Diff([]string{"InstanceID", "Name"}, c.KeyNames()); diff != "" {
		t.Errorf("KeyNames mismatch (-want +got):\n%s", diff)
	}
	lba, _ := c.Property("LoadBalanceAlgorithm")
	caption, _ := c.Property("Caption")
	id, _ := c.Property("InstanceID")
	if lba.IsReadOnly() || !caption.IsReadOnly() || !id.IsKey() || caption.IsKey() || !id.IsRequired() {
		t.Errorf("IsReadOnly/IsKey/IsRequired wrong")
	}
	if c.IsAssociation() || !c.IsAbstract() || c.IsIndication() {
		t.Errorf("IsAssociation/IsAbstract/IsIndication wrong")
	}
	clone := c.Clone()
	clone.Properties[0].Qualifiers.Set(boolQ("Key", false))
	clone.Methods[0].Parameters[0].Name = "changed"
	if !c.Properties[0].IsKey() || c.Methods[0].Parameters[0].Name != "FailoverFrom" {
		t.Errorf("Clone shares storage with the original")
	}
}

func TestMethodLookups(t *testing.T) {
	c := lookupClass()
	m, ok := c.Method("FAILOVER")
	if !ok {
		t.Fatalf("Method(FAILOVER) not found")
	}
	tests := []struct {
		param   string
		in, out bool
	}{{"failoverfrom", true, false}, {"Result", false, true}, {"Plain", true, false}}
	for _, tt := range tests {
		t.Run(tt.param, func(t *testing.T) {
			p, ok := m.Parameter(tt.param)
			if !ok {
				t.Fatalf("Parameter(%s) not found", tt.param)
			}
			if p.IsIn() != tt.in || p.IsOut() != tt.out {
				t.Errorf("IsIn, IsOut = %v, %v; want %v, %v", p.IsIn(), p.IsOut(), tt.in, tt.out)
			}
		})
	}
	if _, ok := m.Parameter("x"); ok {
		t.Errorf("Parameter(x) ok = true")
	}
	if _, ok := c.Method("x"); ok {
		t.Errorf("Method(x) ok = true")
	}
}

func TestInstance(t *testing.T) {
	class := &Class{Name: "C", Properties: []Property{
		{Name: "B", Type: String, Qualifiers: Qualifiers{boolQ("Key", true)}},
		{Name: "A", Type: Uint16, Default: MustUint16(4), Qualifiers: Qualifiers{boolQ("Key", true)}},
		{Name: "X", Type: String},
	}}
	var in Instance
	in.Set("b", NewString("v"))
	in.Set("X", NewString("1"))
	in.Set("x", NewString("2"))
	if v, ok := in.Get("X"); !ok || v.Str() != "2" || len(in.Properties) != 2 {
		t.Errorf("Get(X) = %v, %v with %d properties; want 2, true, 2", v, ok, len(in.Properties))
	}
	p, err := in.Path(class, "root/x")
	if err != nil {
		t.Fatalf("Path: %v", err)
	}
	if got, want := p.String(), `/root/x:C.A=4,B="v"`; got != want {
		t.Errorf("Path = %s, want %s", got, want)
	}
	in.Set("B", Null(String, false))
	_, err = in.Path(class, "root/x")
	wantError(t, err, StatusInvalidParameter, "property B: Key must not be null")
	single, err := Instance{ClassName: "S"}.Path(&Class{Name: "S"}, "")
	if err != nil || single.String() != "S=@" {
		t.Errorf("singleton Path = %s, %v; want S=@", single, err)
	}
	clone := in.Clone()
	clone.Set("X", NewString("changed"))
	if v, _ := in.Get("X"); v.Str() != "2" {
		t.Errorf("Clone shares storage: X = %s", v)
	}
}
