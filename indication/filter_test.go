package indication

import (
	"strings"
	"testing"

	"github.com/redset/redset/cim"
)

func TestFilterMatches(t *testing.T) {
	ind := testSource(t.Context(), failoverRecord(1, "redset:a"))[0]
	tests := []struct {
		name   string
		query  string
		spaces []string
		want   bool
	}{
		{"its own class", "SELECT * FROM Test_FailoverIndication", nil, true},
		{"a superclass", "SELECT * FROM CIM_Indication", nil, true},
		{"another class", "SELECT * FROM CIM_InstModification", nil, false},
		{"where holds", "SELECT * FROM CIM_Indication WHERE SetID = 'redset:a'", nil, true},
		{"where fails", "SELECT * FROM CIM_Indication WHERE SetID = 'redset:b'", nil, false},
		{"where on a missing property", "SELECT * FROM CIM_Indication WHERE Nope = 1", nil, false},
		{"where cannot be evaluated", "SELECT * FROM CIM_Indication WHERE SetID > 3", nil, false},
		{"its namespace", "SELECT * FROM CIM_Indication", []string{"root/interop", "/Root/HyperVCluster/v2"}, true},
		{"not its namespace", "SELECT * FROM CIM_Indication", []string{"root/interop"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Filter{Name: "f", Query: mustQuery(t, tt.query), SourceNamespaces: tt.spaces}
			if got := f.Matches(ind, testIsa); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterMatchesEmbeddedInstances(t *testing.T) {
	isa := func(class, target string) bool {
		return strings.EqualFold(class, target) || strings.EqualFold(class, "Msvm_RedundancySet") && strings.EqualFold(target, "CIM_RedundancySet")
	}
	set := func(status uint16) cim.Instance {
		return cim.Instance{ClassName: "Msvm_RedundancySet", Properties: []cim.PropertyValue{{Name: "RedundancyStatus", Value: cim.MustUint16(status)}}}
	}
	mod := Indication{Namespace: testNamespace, Instance: cim.Instance{ClassName: "CIM_InstModification"},
		Embedded: []Embedded{{Property: "SourceInstance", Instance: set(4)}, {Property: "PreviousInstance", Instance: set(2)}}}
	same := mod
	same.Embedded = []Embedded{{Property: "SourceInstance", Instance: set(2)}, {Property: "PreviousInstance", Instance: set(2)}}
	f := Filter{Query: mustQuery(t, "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_RedundancySet "+
		"AND SourceInstance.RedundancyStatus <> PreviousInstance.RedundancyStatus")}
	if !f.Matches(mod, isa) {
		t.Error("a status change did not match")
	}
	if f.Matches(same, isa) {
		t.Error("an unchanged status matched")
	}
	other := Filter{Query: mustQuery(t, "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_ComputerSystem")}
	if other.Matches(mod, isa) {
		t.Error("SourceInstance ISA another class matched")
	}
}

func TestFilterWithoutQuery(t *testing.T) {
	ind := testSource(t.Context(), failoverRecord(1, "redset:a"))[0]
	if (Filter{}).Matches(ind, testIsa) {
		t.Error("a filter without a query matches")
	}
	plain := Filter{Query: mustQuery(t, "SELECT * FROM CIM_Indication")}
	if plain.Matches(ind, nil) {
		t.Error("with no isa, a subclass matched its superclass")
	}
	other := Indication{Namespace: testNamespace, Instance: cim.Instance{ClassName: "CIM_Indication"}}
	if !plain.Matches(other, nil) {
		t.Error("with no isa, the FROM class itself did not match")
	}
}
