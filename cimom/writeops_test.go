package cimom

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
)

func TestModifyInstance(t *testing.T) {
	web := setPath("redset:web")
	tests := []struct {
		name      string
		path      cim.ObjectPath
		inst      cim.Instance
		list      []string
		want      cim.Status
		fragments []string
		wantLBA   uint64 // LoadBalanceAlgorithm of redset:web afterwards
		wantCalls int
	}{
		{"writable change", web, modInst(pv("LoadBalanceAlgorithm", cim.MustUint16(3))), nil, cim.StatusOK, nil, 3, 1},
		{"untyped value from the wire", web, modInst(pv("loadbalancealgorithm", cim.NewString("4"))), nil, cim.StatusOK, nil, 4, 1},
		{"array given once, as WS-Management sends one element", web, modInst(
			pv("TypeOfSet", cim.NewString("4")), pv("LoadBalanceAlgorithm", cim.NewString("5"))), nil, cim.StatusOK, nil, 5, 1},
		{"array given once, changed", web, modInst(pv("TypeOfSet", cim.NewString("2"))),
			nil, cim.StatusInvalidParameter, []string{"TypeOfSet", "read-only"}, 2, 0},
		{"array given once, not a number", web, modInst(pv("TypeOfSet", cim.NewString("four"))),
			nil, cim.StatusInvalidParameter, []string{"TypeOfSet"}, 2, 0},
		{"unchanged read-only properties pass", web, modInst(
			pv("ElementName", cim.NewString("web")), pv("InstanceID", cim.NewString("redset:web")), pv("LoadBalanceAlgorithm", cim.MustUint16(5))),
			nil, cim.StatusOK, nil, 5, 1},
		{"read-only change refused", web, modInst(pv("ElementName", cim.NewString("renamed")), pv("LoadBalanceAlgorithm", cim.MustUint16(3))),
			nil, cim.StatusInvalidParameter, []string{"ElementName", "read-only", `"web"`, `"renamed"`}, 2, 0},
		{"key change refused", web, modInst(pv("InstanceID", cim.NewString("redset:other"))),
			nil, cim.StatusInvalidParameter, []string{"InstanceID", "Key"}, 2, 0},
		{"property list ignores the rest", web, modInst(pv("ElementName", cim.NewString("renamed")), pv("LoadBalanceAlgorithm", cim.MustUint16(6))),
			[]string{"LoadBalanceAlgorithm", "NoSuchThing"}, cim.StatusOK, nil, 6, 1},
		{"property list names a read-only property", web, modInst(pv("ElementName", cim.NewString("renamed"))),
			[]string{"ElementName"}, cim.StatusInvalidParameter, []string{"ElementName"}, 2, 0},
		{"qualifier violation", web, modInst(pv("Caption", cim.NewString("x"))),
			nil, cim.StatusInvalidParameter, []string{"Caption"}, 2, 0},
		{"unknown property", web, modInst(pv("Bogus", cim.MustUint16(1))),
			nil, cim.StatusNoSuchProperty, []string{"Bogus", "Test_RedundancySet"}, 2, 0},
		{"wrong type", web, modInst(pv("LoadBalanceAlgorithm", cim.NewString("three"))),
			nil, cim.StatusInvalidParameter, []string{"LoadBalanceAlgorithm"}, 2, 0},
		{"array for a scalar", web, modInst(pv("LoadBalanceAlgorithm", cim.MustUint16Array([]uint16{1}))),
			nil, cim.StatusTypeMismatch, []string{"LoadBalanceAlgorithm", "an array"}, 2, 0},
		{"instance of another class", web, cim.Instance{ClassName: "Test_ComputerSystem"},
			nil, cim.StatusInvalidParameter, []string{"Test_ComputerSystem"}, 2, 0},
		{"not found", setPath("redset:none"), modInst(pv("LoadBalanceAlgorithm", cim.MustUint16(3))),
			nil, cim.StatusNotFound, nil, 2, 0},
		{"path from the instance", cim.ObjectPath{}, modInst(pv("InstanceID", cim.NewString("redset:web")), pv("LoadBalanceAlgorithm", cim.MustUint16(7))),
			nil, cim.StatusOK, nil, 7, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			inst := tt.inst
			_, err := f.handle(t, &Request{Op: ModifyInstance, ObjectName: tt.path, Instance: &inst, PropertyList: tt.list})
			wantStatus(t, err, tt.want, tt.fragments...)
			if got := f.sets.modifies; got != tt.wantCalls {
				t.Errorf("provider ModifyInstance called %d times, want %d", got, tt.wantCalls)
			}
			if got := f.sets.get(t, 0, "LoadBalanceAlgorithm").Uint(); got != tt.wantLBA {
				t.Errorf("LoadBalanceAlgorithm = %d, want %d", got, tt.wantLBA)
			}
			if got := f.sets.get(t, 0, "ElementName").Str(); got != "web" {
				t.Errorf("ElementName = %q, want web (read-only)", got)
			}
		})
	}
}

func modInst(props ...cim.PropertyValue) cim.Instance {
	return cim.Instance{ClassName: "Test_RedundancySet", Properties: props}
}

func pv(name string, v cim.Value) cim.PropertyValue { return cim.PropertyValue{Name: name, Value: v} }

func TestModifyInstancePassesOnlyTheChange(t *testing.T) {
	f := newFixture(t, Options{})
	inst := modInst(pv("LoadBalanceAlgorithm", cim.NewString("1")), pv("OtherLoadBalanceAlgorithm", cim.NewString("weighted")))
	_, err := f.handle(t, &Request{Op: ModifyInstance, ObjectName: setPath("redset:web"), Instance: &inst,
		PropertyList: []string{"loadbalancealgorithm", "OtherLoadBalanceAlgorithm"}})
	if err != nil {
		t.Fatal(err)
	}
	want := cim.Instance{ClassName: "Test_RedundancySet", Properties: []cim.PropertyValue{
		pv("LoadBalanceAlgorithm", cim.MustUint16(1)), pv("OtherLoadBalanceAlgorithm", cim.NewString("weighted")),
	}}
	if diff := cmp.Diff(want, f.sets.lastMod, cmp.Comparer(cim.Value.Equal)); diff != "" {
		t.Errorf("provider got (-want +got):\n%s", diff)
	}
}

func TestModifyInstanceListedButAbsentGetsDefault(t *testing.T) {
	f := newFixture(t, Options{})
	inst := modInst(pv("LoadBalanceAlgorithm", cim.MustUint16(3)))
	_, err := f.handle(t, &Request{Op: ModifyInstance, ObjectName: setPath("redset:web"), Instance: &inst})
	if err != nil {
		t.Fatal(err)
	}
	inst = modInst()
	_, err = f.handle(t, &Request{Op: ModifyInstance, ObjectName: setPath("redset:web"), Instance: &inst, PropertyList: []string{"LoadBalanceAlgorithm"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.sets.get(t, 0, "LoadBalanceAlgorithm").Uint(); got != 2 {
		t.Errorf("LoadBalanceAlgorithm = %d, want the default 2", got)
	}
}

func TestModifyInstanceCapabilities(t *testing.T) {
	f := newFixture(t, Options{})
	t.Run("no modifier", func(t *testing.T) {
		inst := systemInstance("web-a")
		_, err := f.handle(t, &Request{Op: ModifyInstance, ObjectName: systemPath("web-a"), Instance: &inst})
		wantStatus(t, err, cim.StatusNotSupported, "Test_ComputerSystem", "modifying")
	})
	t.Run("no instance", func(t *testing.T) {
		_, err := f.handle(t, &Request{Op: ModifyInstance, ObjectName: setPath("redset:web")})
		wantStatus(t, err, cim.StatusInvalidParameter, "modified instance")
	})
}

func TestCreateInstance(t *testing.T) {
	tests := []struct {
		name      string
		inst      *cim.Instance
		className string
		want      cim.Status
		fragment  string
	}{
		{"created", &cim.Instance{ClassName: "Test_SubSet", Properties: []cim.PropertyValue{pv("InstanceID", cim.NewString("redset:new")), pv("TypeOfSet", cim.NewStringArray([]string{"2"}))}}, "", cim.StatusOK, ""},
		{"class from the request", &cim.Instance{Properties: []cim.PropertyValue{pv("InstanceID", cim.NewString("redset:new"))}}, "Test_SubSet", cim.StatusOK, ""},
		{"missing key", &cim.Instance{ClassName: "Test_SubSet"}, "", cim.StatusInvalidParameter, "InstanceID"},
		{"unknown property", &cim.Instance{ClassName: "Test_SubSet", Properties: []cim.PropertyValue{pv("Nope", cim.NewString("x"))}}, "", cim.StatusNoSuchProperty, "Nope"},
		{"abstract class", &cim.Instance{ClassName: "Test_Collection"}, "", cim.StatusInvalidClass, "abstract"},
		{"unknown class", &cim.Instance{ClassName: "Test_Nothing"}, "", cim.StatusInvalidClass, "Test_Nothing"},
		{"provider cannot create", &cim.Instance{ClassName: "Test_RedundancySet", Properties: []cim.PropertyValue{pv("InstanceID", cim.NewString("redset:new"))}}, "", cim.StatusNotSupported, "creating"},
		{"no instance", nil, "Test_SubSet", cim.StatusInvalidParameter, "new instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			resp, err := f.handle(t, &Request{Op: CreateInstance, ClassName: tt.className, Instance: tt.inst})
			wantStatus(t, err, tt.want, tt.fragment)
			if err != nil {
				if len(f.subsets.insts) != 1 {
					t.Errorf("failed create left %d subsets, want 1", len(f.subsets.insts))
				}
				return
			}
			if got, want := resp.Instance.Path.String(), `/root/test:Test_SubSet.InstanceID="redset:new"`; got != want {
				t.Errorf("path = %s, want %s", got, want)
			}
			if v, _ := f.subsets.insts[1].Get("InstanceID"); v.Str() != "redset:new" {
				t.Errorf("provider holds %v, want redset:new", v)
			}
		})
	}
}

func TestDeleteInstance(t *testing.T) {
	tests := []struct {
		name string
		path cim.ObjectPath
		want cim.Status
		left int
	}{
		{"deleted", subSetPath("redset:sub"), cim.StatusOK, 0},
		{"not found", subSetPath("redset:none"), cim.StatusNotFound, 1},
		{"bad path", cim.ObjectPath{ClassName: "Test_SubSet"}, cim.StatusInvalidParameter, 1},
		{"provider cannot delete", setPath("redset:web"), cim.StatusNotSupported, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			_, err := f.handle(t, &Request{Op: DeleteInstance, ObjectName: tt.path})
			wantStatus(t, err, tt.want)
			if got := len(f.subsets.insts); got != tt.left {
				t.Errorf("%d subsets left, want %d", got, tt.left)
			}
		})
	}
}

// completingProvider fills InstanceID when a new instance lacks it, and
// refuses an instance whose InstanceID is "refused".
type completingProvider struct {
	*creatorProvider
}

func (p completingProvider) CompleteInstance(ctx context.Context, ns string, class *cim.Class, inst cim.Instance) (cim.Instance, error) {
	v, ok := inst.Get("InstanceID")
	switch {
	case !ok || v.IsNull():
		inst.Set("InstanceID", cim.NewString("redset:made"))
	case v.Str() == "refused":
		return cim.Instance{}, cim.Errorf(cim.StatusInvalidParameter, "InstanceID refused")
	}
	return inst, nil
}

func TestCreateInstanceCompleted(t *testing.T) {
	f := newFixture(t, Options{})
	d := NewDispatcher(newTestRepo(t), Options{Clock: f.clock})
	t.Cleanup(d.Close)
	p := completingProvider{&creatorProvider{&memProvider{}}}
	if err := d.Register(testNS, "Test_SubSet", p); err != nil {
		t.Fatal(err)
	}
	resp, err := d.Handle(context.Background(), &Request{Op: CreateInstance, Namespace: testNS, Instance: &cim.Instance{ClassName: "Test_SubSet"}})
	if err != nil {
		t.Fatalf("create without the key: %v", err)
	}
	if got, want := resp.Instance.Path.String(), `/root/test:Test_SubSet.InstanceID="redset:made"`; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
	_, err = d.Handle(context.Background(), &Request{Op: CreateInstance, Namespace: testNS, Instance: &cim.Instance{ClassName: "Test_SubSet",
		Properties: []cim.PropertyValue{pv("InstanceID", cim.NewString("refused"))}}})
	wantStatus(t, err, cim.StatusInvalidParameter, "refused")
	if len(p.insts) != 1 {
		t.Errorf("provider holds %d instances, want 1", len(p.insts))
	}
}
