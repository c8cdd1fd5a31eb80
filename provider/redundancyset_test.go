package provider

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// wantSet is the instance a set must have, written out from the engine's
// view property by property.
func wantSet(v engine.SetView) *cim.Instance {
	str := func(s string) cim.Value {
		if s == "" {
			return cim.Null(cim.String, false)
		}
		return cim.NewString(s)
	}
	types := cim.Null(cim.Uint16, true)
	if len(v.TypeOfSet) > 0 {
		types = cim.MustUint16Array(v.TypeOfSet)
	}
	others := cim.Null(cim.String, true)
	if strings.Join(v.OtherTypeOfSet, "") != "" {
		others = cim.NewStringArray(v.OtherTypeOfSet)
	}
	return &cim.Instance{ClassName: "Msvm_RedundancySet", Properties: []cim.PropertyValue{
		{Name: "InstanceID", Value: cim.NewString(v.InstanceID)},
		{Name: "Caption", Value: str(v.Caption)},
		{Name: "Description", Value: str(v.Description)},
		{Name: "ElementName", Value: str(v.ElementName)},
		{Name: "RedundancyStatus", Value: cim.MustUint16(v.RedundancyStatus)},
		{Name: "TypeOfSet", Value: types},
		{Name: "OtherTypeOfSet", Value: others},
		{Name: "MinNumberNeeded", Value: cim.MustUint32(v.MinNumberNeeded)},
		{Name: "MaxNumberSupported", Value: cim.MustUint32(v.MaxNumberSupported)},
		{Name: "VendorIdentifyingInfo", Value: str(v.VendorIdentifyingInfo)},
		{Name: "LoadBalanceAlgorithm", Value: cim.MustUint16(v.LoadBalanceAlgorithm)},
		{Name: "OtherLoadBalanceAlgorithm", Value: str(v.OtherLoadBalanceAlgorithm)},
	}}
}

func TestRedundancySetInstances(t *testing.T) {
	s := newFixture(t)
	objs := s.enumerate(testNS, "Msvm_RedundancySet")
	sets, err := s.eng.ListSets()
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(sets) {
		t.Fatalf("EnumerateInstances gave %d instances, want %d (one per set)", len(objs), len(sets))
	}
	for i, v := range sets {
		t.Run(v.InstanceID, func(t *testing.T) {
			want := wantSet(v)
			if diff := cmp.Diff(want, objs[i].Instance, cmpValues); diff != "" {
				t.Errorf("enumerated instance (-want +got):\n%s", diff)
			}
			if got, want := objs[i].Path.Canonical().String(), setRef(v.InstanceID).String(); got != want {
				t.Errorf("path = %s, want %s", got, want)
			}
			got, err := s.get(setRef(v.InstanceID))
			if err != nil {
				t.Fatalf("GetInstance: %v", err)
			}
			if diff := cmp.Diff(want, got, cmpValues); diff != "" {
				t.Errorf("GetInstance (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRedundancySetStatusValues pins the computed statuses of the fixture,
// so that a provider showing a stale or default status cannot pass.
func TestRedundancySetStatusValues(t *testing.T) {
	s := newFixture(t)
	tests := []struct {
		id   string
		want uint16
	}{
		{"redset:web", engine.StatusDegraded}, // web-c is Degraded
		{"redset:db", engine.StatusUnknown},   // db-3 Unknown decides between 3 and 5
		{"redset:lb", engine.StatusFullyRedundant},
		{"redset:other", engine.StatusUnknown}, // no members, N = 0
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			in, err := s.get(setRef(tt.id))
			if err != nil {
				t.Fatal(err)
			}
			if got := propOf(t, in, "RedundancyStatus").Uint(); got != uint64(tt.want) {
				t.Errorf("RedundancyStatus = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRedundancyStatusIsLive(t *testing.T) {
	s := newFixture(t)
	steps := []struct {
		name   string
		member string
		health engine.Health
		want   uint16
	}{
		{"db-3 reports OK", "db-3", engine.HealthOK, engine.StatusDegraded},
		{"db-1 fails", "db-1", engine.HealthFailed, engine.StatusOverallFailure},
		{"db-1 recovers", "db-1", engine.HealthOK, engine.StatusDegraded},
		{"db-2 recovers", "db-2", engine.HealthOK, engine.StatusFullyRedundant},
		{"db-4 and db-3 fail", "db-4", engine.HealthFailed, engine.StatusRedundancyLost},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			s.report(st.member, st.health)
			if st.member == "db-4" {
				s.report("db-3", engine.HealthFailed)
			}
			in, err := s.get(setRef("redset:db"))
			if err != nil {
				t.Fatal(err)
			}
			got := uint16(propOf(t, in, "RedundancyStatus").Uint())
			if got != st.want || got != s.getSet("redset:db").RedundancyStatus {
				t.Errorf("RedundancyStatus = %d, want %d (engine says %d)", got, st.want, s.getSet("redset:db").RedundancyStatus)
			}
		})
	}
}

// TestRedundancySetMatchesSchema checks each instance against the class:
// every declared property is present, typed as declared, and the instance
// passes the class's qualifiers.
func TestRedundancySetMatchesSchema(t *testing.T) {
	s := newFixture(t)
	resp, err := s.handle(&cimom.Request{Op: cimom.GetClass, Namespace: testNS, ClassName: "Msvm_RedundancySet", IncludeQualifiers: true})
	if err != nil {
		t.Fatal(err)
	}
	class := resp.Class
	if len(class.Properties) != setFieldCount {
		t.Fatalf("class has %d properties, the provider fills %d", len(class.Properties), setFieldCount)
	}
	for _, o := range s.enumerate(testNS, "Msvm_RedundancySet") {
		for _, p := range class.Properties {
			v := propOf(t, o.Instance, p.Name)
			if v.Type() != p.Type || v.IsArray() != p.IsArray {
				t.Errorf("%s.%s is %s (array %v), declared %s (array %v)", o.Path, p.Name, v.Type(), v.IsArray(), p.Type, p.IsArray)
			}
		}
		if err := cim.ValidateInstance(class, *o.Instance); err != nil {
			t.Errorf("%s does not pass its class: %v", o.Path, err)
		}
	}
}

func TestRedundancySetNotFound(t *testing.T) {
	s := newFixture(t)
	_, err := s.get(setRef("redset:nope"))
	if got := statusOf(err); got != cim.StatusNotFound {
		t.Errorf("GetInstance of a missing set: status %v (%v), want CIM_ERR_NOT_FOUND", got, err)
	}
}

func TestSuperclassEnumeration(t *testing.T) {
	s := newFixture(t)
	tests := []struct {
		ns, class string
		want      int
	}{
		{testNS, "CIM_RedundancySet", 4},
		{testNS, "CIM_Collection", 4},
		{testNS, "CIM_ComputerSystem", 10},
		{testNS, "CIM_MemberOfCollection", 8}, // web-a (web), db-1..db-4, lb-1, lb-2, web-a (lb)
		{testNS, "CIM_Dependency", 2},         // the two spares (CIM_IsSpare)
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			if got := len(s.enumerate(tt.ns, tt.class)); got != tt.want {
				t.Errorf("EnumerateInstances(%s) gave %d instances, want %d", tt.class, got, tt.want)
			}
		})
	}
}

func TestCreateAndDeleteAreNotSupported(t *testing.T) {
	s := newFixture(t)
	in := wantSet(s.getSet("redset:web"))
	in.Set("InstanceID", cim.NewString("redset:new"))
	tests := []struct {
		name string
		req  *cimom.Request
	}{
		{"create", &cimom.Request{Op: cimom.CreateInstance, Namespace: testNS, Instance: in}},
		{"delete", &cimom.Request{Op: cimom.DeleteInstance, Namespace: testNS, ObjectName: setRef("redset:web")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.handle(tt.req)
			if got := statusOf(err); got != cim.StatusNotSupported {
				t.Errorf("status %v (%v), want CIM_ERR_NOT_SUPPORTED", got, err)
			}
		})
	}
	if _, err := s.eng.GetSet("redset:web"); err != nil {
		t.Errorf("the set is gone after a refused delete: %v", err)
	}
}

// modify runs ModifyInstance with the given properties of set id.
func (s *stack) modify(id string, list []string, props ...cim.PropertyValue) error {
	in := &cim.Instance{ClassName: "Msvm_RedundancySet", Properties: append([]cim.PropertyValue{
		{Name: "InstanceID", Value: cim.NewString(id)},
	}, props...)}
	_, err := s.handle(&cimom.Request{Op: cimom.ModifyInstance, Namespace: testNS, ObjectName: setRef(id), Instance: in, PropertyList: list})
	return err
}

func pv(name string, v cim.Value) cim.PropertyValue { return cim.PropertyValue{Name: name, Value: v} }

func TestModifyInstance(t *testing.T) {
	tests := []struct {
		name      string
		id        string
		list      []string
		props     []cim.PropertyValue
		status    cim.Status
		msg       string // part of the error message
		wantAlg   uint16
		wantOther string
	}{
		{name: "round robin", id: "redset:web", list: []string{"LoadBalanceAlgorithm"},
			props: []cim.PropertyValue{pv("LoadBalanceAlgorithm", cim.MustUint16(3))}, wantAlg: 3},
		{name: "other with its description", id: "redset:web",
			props:   []cim.PropertyValue{pv("LoadBalanceAlgorithm", cim.MustUint16(1)), pv("OtherLoadBalanceAlgorithm", cim.NewString("by zone"))},
			wantAlg: 1, wantOther: "by zone"},
		{name: "leaving other clears the description", id: "redset:other",
			props: []cim.PropertyValue{pv("LoadBalanceAlgorithm", cim.MustUint16(5))}, wantAlg: 5},
		{name: "untyped value from the wire", id: "redset:web",
			props: []cim.PropertyValue{pv("LoadBalanceAlgorithm", cim.NewString("6"))}, wantAlg: 6},
		{name: "other without description", id: "redset:web",
			props:  []cim.PropertyValue{pv("LoadBalanceAlgorithm", cim.MustUint16(1))},
			status: cim.StatusInvalidParameter, msg: "OtherLoadBalanceAlgorithm", wantAlg: 2},
		{name: "description without other", id: "redset:web",
			props:  []cim.PropertyValue{pv("OtherLoadBalanceAlgorithm", cim.NewString("x"))},
			status: cim.StatusInvalidParameter, msg: "OtherLoadBalanceAlgorithm", wantAlg: 2},
		{name: "out of the value map", id: "redset:web",
			props:  []cim.PropertyValue{pv("LoadBalanceAlgorithm", cim.MustUint16(9))},
			status: cim.StatusInvalidParameter, msg: "LoadBalanceAlgorithm", wantAlg: 2},
		{name: "read-only caption", id: "redset:web",
			props:  []cim.PropertyValue{pv("Caption", cim.NewString("new caption"))},
			status: cim.StatusInvalidParameter, msg: "Caption", wantAlg: 2},
		{name: "read-only with a writable change", id: "redset:web",
			props:  []cim.PropertyValue{pv("LoadBalanceAlgorithm", cim.MustUint16(3)), pv("MinNumberNeeded", cim.MustUint32(5))},
			status: cim.StatusInvalidParameter, msg: "MinNumberNeeded", wantAlg: 2},
		{name: "computed status", id: "redset:web",
			props:  []cim.PropertyValue{pv("RedundancyStatus", cim.MustUint16(2))},
			status: cim.StatusInvalidParameter, msg: "RedundancyStatus", wantAlg: 2},
		{name: "unknown set", id: "redset:nope",
			props:  []cim.PropertyValue{pv("LoadBalanceAlgorithm", cim.MustUint16(3))},
			status: cim.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFixture(t)
			var before engine.SetView
			if tt.status != cim.StatusNotFound {
				before = s.getSet(tt.id)
			}
			err := s.modify(tt.id, tt.list, tt.props...)
			if got := statusOf(err); got != tt.status || tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("ModifyInstance: status %v (%v), want %v mentioning %q", got, err, tt.status, tt.msg)
			}
			if tt.status == cim.StatusNotFound {
				return
			}
			after := s.getSet(tt.id)
			if tt.status != cim.StatusOK {
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("a refused change changed the set (-before +after):\n%s", diff)
				}
				return
			}
			if after.LoadBalanceAlgorithm != tt.wantAlg || after.OtherLoadBalanceAlgorithm != tt.wantOther {
				t.Errorf("engine has %d %q, want %d %q", after.LoadBalanceAlgorithm, after.OtherLoadBalanceAlgorithm, tt.wantAlg, tt.wantOther)
			}
		})
	}
}

func TestModifyInstancePersists(t *testing.T) {
	s := newFixture(t)
	if err := s.modify("redset:web", nil, pv("LoadBalanceAlgorithm", cim.MustUint16(1)), pv("OtherLoadBalanceAlgorithm", cim.NewString("sticky"))); err != nil {
		t.Fatal(err)
	}
	s.reopen()
	in, err := s.get(setRef("redset:web"))
	if err != nil {
		t.Fatal(err)
	}
	if got := propOf(t, in, "LoadBalanceAlgorithm").Uint(); got != 1 {
		t.Errorf("after restart LoadBalanceAlgorithm = %d, want 1", got)
	}
	if got := propOf(t, in, "OtherLoadBalanceAlgorithm").Str(); got != "sticky" {
		t.Errorf("after restart OtherLoadBalanceAlgorithm = %q, want %q", got, "sticky")
	}
}

// TestModifyWholeInstance round-trips a fetched instance with one change,
// as pywbem-style clients do.
func TestModifyWholeInstance(t *testing.T) {
	s := newFixture(t)
	in, err := s.get(setRef("redset:db"))
	if err != nil {
		t.Fatal(err)
	}
	mod := in.Clone()
	mod.Set("LoadBalanceAlgorithm", cim.MustUint16(engine.LBLeastIO))
	if _, err := s.handle(&cimom.Request{Op: cimom.ModifyInstance, Namespace: testNS, ObjectName: setRef("redset:db"), Instance: &mod}); err != nil {
		t.Fatalf("ModifyInstance: %v", err)
	}
	if got := s.getSet("redset:db").LoadBalanceAlgorithm; got != engine.LBLeastIO {
		t.Errorf("LoadBalanceAlgorithm = %d, want %d", got, engine.LBLeastIO)
	}
}

// TestProviderRefusesReadOnlyChanges calls the provider directly, past
// the dispatcher's own check, so that its second line of defence is
// tested too.
func TestProviderRefusesReadOnlyChanges(t *testing.T) {
	s := newFixture(t)
	p, class := s.setProvider()
	tests := []struct {
		name  string
		props []cim.PropertyValue
	}{
		{"caption", []cim.PropertyValue{pv("Caption", cim.NewString("x"))}},
		{"type of set", []cim.PropertyValue{pv("TypeOfSet", cim.MustUint16Array([]uint16{2}))}},
		{"null element name", []cim.PropertyValue{pv("ElementName", cim.Null(cim.String, false))}},
		{"null algorithm", []cim.PropertyValue{pv("LoadBalanceAlgorithm", cim.Null(cim.Uint16, false))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.getSet("redset:web")
			inst := cim.Instance{ClassName: "Msvm_RedundancySet", Properties: append(tt.props, pv("LoadBalanceAlgorithm", cim.MustUint16(3)))}
			if tt.name == "null algorithm" {
				inst.Properties = tt.props
			}
			err := p.ModifyInstance(t.Context(), testNS, class, setRef("redset:web"), inst, nil)
			if got := statusOf(err); got != cim.StatusInvalidParameter {
				t.Errorf("status %v (%v), want CIM_ERR_INVALID_PARAMETER", got, err)
			}
			if diff := cmp.Diff(before, s.getSet("redset:web")); diff != "" {
				t.Errorf("the refused change changed the set (-before +after):\n%s", diff)
			}
		})
	}
}

// setProvider returns the registered Msvm_RedundancySet provider and its
// class.
func (s *stack) setProvider() (*redundancySet, *cim.Class) {
	s.t.Helper()
	regs, err := registrations(s.d, s.eng, Options{}.withDefaults())
	if err != nil {
		s.t.Fatal(err)
	}
	class, _ := schemaRepo(s.t).Class(testNS, "Msvm_RedundancySet")
	return regs[0].provider.(*redundancySet), class
}
