package provider

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// systemWant is what the state properties of a member must say.
type systemWant struct {
	element     string
	operational uint16
	desc        string
	health      uint16
	primary     uint16
	enabled     uint16
}

func (w systemWant) instance(name string) *cim.Instance {
	return &cim.Instance{ClassName: "Msvm_ComputerSystem", Properties: []cim.PropertyValue{
		{Name: "CreationClassName", Value: cim.NewString("Msvm_ComputerSystem")},
		{Name: "Name", Value: cim.NewString(name)},
		{Name: "ElementName", Value: cim.NewString(w.element)},
		{Name: "OperationalStatus", Value: cim.MustUint16Array([]uint16{w.operational})},
		{Name: "StatusDescriptions", Value: cim.NewStringArray([]string{w.desc})},
		{Name: "HealthState", Value: cim.MustUint16(w.health)},
		{Name: "PrimaryStatus", Value: cim.MustUint16(w.primary)},
		{Name: "EnabledState", Value: cim.MustUint16(w.enabled)},
		{Name: "RequestedState", Value: cim.MustUint16(12)},
	}}
}

var fixtureSystems = map[string]systemWant{
	"db-1":  {"db-1", 2, "OK", 5, 1, 2},
	"db-2":  {"db-2", 6, "Failed: connection refused", 25, 3, 2},
	"db-3":  {"db-3", 0, "Unknown", 0, 0, 2},
	"db-4":  {"db-4", 2, "OK", 5, 1, 3},          // drained: Disabled
	"idle":  {"Idle box", 0, "Unknown", 0, 0, 5}, // in no set: Not Applicable
	"lb-1":  {"lb-1", 2, "OK", 5, 1, 2},
	"lb-2":  {"lb-2", 2, "OK", 5, 1, 2},
	"web-a": {"Web A", 2, "OK", 5, 1, 2},
	"web-b": {"web-b", 2, "OK", 5, 1, 6}, // spare: Enabled but Offline
	"web-c": {"web-c", 3, "Degraded", 10, 2, 6},
}

func TestComputerSystemInstances(t *testing.T) {
	s := newFixture(t)
	objs := s.enumerate(testNS, "Msvm_ComputerSystem")
	if len(objs) != len(fixtureSystems) {
		t.Fatalf("EnumerateInstances gave %d instances, want %d", len(objs), len(fixtureSystems))
	}
	for _, o := range objs {
		name := propOf(t, o.Instance, "Name").Str()
		t.Run(name, func(t *testing.T) {
			w, ok := fixtureSystems[name]
			if !ok {
				t.Fatalf("unexpected member %s", name)
			}
			want := w.instance(name)
			if diff := cmp.Diff(want, o.Instance, cmpValues); diff != "" {
				t.Errorf("enumerated instance (-want +got):\n%s", diff)
			}
			if got, want := o.Path.Canonical().String(), systemRef(name).String(); got != want {
				t.Errorf("path = %s, want %s", got, want)
			}
			got, err := s.get(systemRef(name))
			if err != nil {
				t.Fatalf("GetInstance: %v", err)
			}
			if diff := cmp.Diff(want, got, cmpValues); diff != "" {
				t.Errorf("GetInstance (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComputerSystemFollowsRoleAndHealth(t *testing.T) {
	s := newFixture(t)
	if code, err := s.failover("redset:web", memberValue("web-a"), memberValue("web-b")); err != nil || code != 0 {
		t.Fatalf("Failover = %d, %v; want 0", code, err)
	}
	s.report("web-b", engine.HealthDegraded)
	tests := []struct {
		name             string
		enabled, healthy uint16
	}{
		{"web-a", 2, 5}, // now a spare in web but still in service in lb
		{"web-b", 2, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := s.get(systemRef(tt.name))
			if err != nil {
				t.Fatal(err)
			}
			if got := propOf(t, in, "EnabledState").Uint(); got != uint64(tt.enabled) {
				t.Errorf("EnabledState = %d, want %d", got, tt.enabled)
			}
			if got := propOf(t, in, "HealthState").Uint(); got != uint64(tt.healthy) {
				t.Errorf("HealthState = %d, want %d", got, tt.healthy)
			}
		})
	}
}

func TestComputerSystemGetErrors(t *testing.T) {
	s := newFixture(t)
	wrongCCN := cim.NewObjectPath(testNS, "Msvm_ComputerSystem",
		cim.KeyBinding{Name: "CreationClassName", Value: cim.NewString("CIM_ComputerSystem")},
		cim.KeyBinding{Name: "Name", Value: cim.NewString("web-a")})
	tests := []struct {
		name string
		path cim.ObjectPath
		want cim.Status
	}{
		{"unknown member", systemRef("ghost"), cim.StatusNotFound},
		{"wrong CreationClassName", wrongCCN, cim.StatusNotFound},
		{"missing key", cim.NewObjectPath(testNS, "Msvm_ComputerSystem", cim.KeyBinding{Name: "Name", Value: cim.NewString("web-a")}), cim.StatusInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.get(tt.path)
			if got := statusOf(err); got != tt.want {
				t.Errorf("GetInstance(%s): status %v (%v), want %v", tt.path, got, err, tt.want)
			}
		})
	}
}

func TestComputerSystemIsReadOnly(t *testing.T) {
	s := newFixture(t)
	in := fixtureSystems["web-a"].instance("web-a")
	in.Set("PrimaryOwnerName", cim.NewString("ops"))
	_, err := s.handle(&cimom.Request{Op: cimom.ModifyInstance, Namespace: testNS, ObjectName: systemRef("web-a"), Instance: in,
		PropertyList: []string{"PrimaryOwnerName"}})
	if got := statusOf(err); got != cim.StatusNotSupported {
		t.Errorf("ModifyInstance: status %v (%v), want CIM_ERR_NOT_SUPPORTED", got, err)
	}
}
