package cimom

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
)

func TestGetInstance(t *testing.T) {
	f := newFixture(t, Options{})
	untypedSystem, _ := cim.ParseObjectPath(`Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="web-b"`)
	logPath := cim.NewObjectPath("", "Test_Log", cim.KeyBinding{Name: "Id", Value: cim.MustUint64(1)})
	tests := []struct {
		name      string
		req       Request
		want      cim.Status
		fragment  string
		wantProps []string
	}{
		{"by path", Request{ObjectName: setPath("redset:web")}, cim.StatusOK, "",
			[]string{"InstanceID", "ElementName", "Caption", "RedundancyStatus", "TypeOfSet", "MinNumberNeeded", "LoadBalanceAlgorithm"}},
		{"untyped keys from the wire", Request{ObjectName: untypedSystem}, cim.StatusOK, "",
			[]string{"CreationClassName", "Name", "ElementName", "HealthState"}},
		{"property list", Request{ObjectName: setPath("redset:web"), PropertyList: []string{"elementname", "Nonexistent"}}, cim.StatusOK, "",
			[]string{"ElementName"}},
		{"subclass served by its own provider", Request{ObjectName: subSetPath("redset:sub"), PropertyList: []string{"Extra"}}, cim.StatusOK, "", []string{"Extra"}},
		{"unknown class", Request{ObjectName: cim.NewObjectPath(testNS, "Test_Nothing", cim.KeyBinding{Name: "A", Value: cim.NewString("x")})}, cim.StatusInvalidClass, "Test_Nothing", nil},
		{"no class", Request{}, cim.StatusInvalidClass, "no class name", nil},
		{"class path", Request{ObjectName: cim.ObjectPath{ClassName: "Test_RedundancySet"}}, cim.StatusInvalidParameter, "names a class", nil},
		{"missing key", Request{ObjectName: cim.NewObjectPath("", "Test_ComputerSystem", cim.KeyBinding{Name: "Name", Value: cim.NewString("web-a")})}, cim.StatusInvalidParameter, "has keys CreationClassName, Name", nil},
		{"wrong key", Request{ObjectName: cim.NewObjectPath("", "Test_RedundancySet", cim.KeyBinding{Name: "Name", Value: cim.NewString("x")})}, cim.StatusInvalidParameter, "Name is not a key", nil},
		{"key of wrong type", Request{ObjectName: cim.NewObjectPath("", "Test_Log", cim.KeyBinding{Name: "Id", Value: cim.NewString("one")})}, cim.StatusInvalidParameter, "key Id must be uint32", nil},
		{"other namespace in path", Request{ObjectName: setPath("x").WithNamespace("root/other")}, cim.StatusInvalidParameter, "not in the request's namespace", nil},
		{"not found", Request{ObjectName: setPath("redset:nothing")}, cim.StatusNotFound, "redset:nothing", nil},
		{"no provider", Request{ObjectName: logPath}, cim.StatusNotSupported, "Test_Log", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Op = GetInstance
			resp, err := f.handle(t, &tt.req)
			wantStatus(t, err, tt.want, tt.fragment)
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.wantProps, propNames(resp.Instance.Instance)); diff != "" {
				t.Errorf("properties (-want +got):\n%s", diff)
			}
			if !cim.SameNamespace(resp.Instance.Path.Namespace, testNS) {
				t.Errorf("path namespace = %q, want %s", resp.Instance.Path.Namespace, testNS)
			}
			if !resp.Instance.Path.Equal(tt.req.ObjectName.WithNamespace(testNS)) {
				t.Errorf("path = %v, want %v", resp.Instance.Path, tt.req.ObjectName)
			}
		})
	}
	t.Run("typed keys reach the provider", func(t *testing.T) {
		p := cim.NewObjectPath("", "Test_Log", cim.KeyBinding{Name: "Id", Value: cim.NewString("12")})
		rec := &recordingProvider{}
		fx := newFixture(t, Options{})
		fx.register(t, "Test_Log", rec)
		_, err := fx.handle(t, &Request{Op: GetInstance, ObjectName: p})
		wantStatus(t, err, cim.StatusNotFound)
		v, _ := rec.lastPath.Key("Id")
		if v.Type() != cim.Uint32 || v.Uint() != 12 {
			t.Errorf("provider saw key %v (%s), want uint32 12", v, v.Type())
		}
	})
}

// recordingProvider records the path it was asked for.
type recordingProvider struct {
	memProvider
	lastPath cim.ObjectPath
}

func (p *recordingProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	p.lastPath = path
	return nil, cim.Errorf(cim.StatusNotFound, "nothing")
}

func TestEnumerateInstances(t *testing.T) {
	f := newFixture(t, Options{})
	setProps := []string{"InstanceID", "ElementName", "Caption", "RedundancyStatus", "TypeOfSet", "MinNumberNeeded", "LoadBalanceAlgorithm"}
	tests := []struct {
		name      string
		req       Request
		wantPaths []string
		wantProps [][]string
	}{
		{"class and subclass", Request{ClassName: "Test_RedundancySet"},
			[]string{`/root/test:Test_RedundancySet.InstanceID="redset:web"`, `/root/test:Test_RedundancySet.InstanceID="redset:db"`, `/root/test:Test_SubSet.InstanceID="redset:sub"`},
			[][]string{setProps, setProps, setProps}},
		{"deep inheritance keeps subclass properties", Request{ClassName: "Test_RedundancySet", DeepInheritance: true},
			nil, [][]string{setProps, setProps, append(setProps[:len(setProps):len(setProps)], "Extra")}},
		{"abstract root walks every provider", Request{ClassName: "Test_ManagedElement", PropertyList: []string{"ElementName"}},
			[]string{`/root/test:Test_RedundancySet.InstanceID="redset:web"`, `/root/test:Test_RedundancySet.InstanceID="redset:db"`, `/root/test:Test_SubSet.InstanceID="redset:sub"`,
				`/root/test:Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="web-a"`,
				`/root/test:Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="web-b"`,
				`/root/test:Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="db-1"`},
			[][]string{{"ElementName"}, {"ElementName"}, {"ElementName"}, {"ElementName"}, {"ElementName"}, {"ElementName"}}},
		{"no provider anywhere", Request{ClassName: "Test_Log"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Op = EnumerateInstances
			resp, err := f.handle(t, &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := collect(resp.Objects)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantPaths != nil {
				if diff := cmp.Diff(tt.wantPaths, pathStrings(objs)); diff != "" {
					t.Errorf("paths (-want +got):\n%s", diff)
				}
			}
			var props [][]string
			for _, o := range objs {
				props = append(props, propNames(o.Instance))
			}
			if diff := cmp.Diff(tt.wantProps, props); diff != "" {
				t.Errorf("properties (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnumerateInstanceNames(t *testing.T) {
	f := newFixture(t, Options{})
	resp, err := f.handle(t, &Request{Op: EnumerateInstanceNames, ClassName: "Test_ComputerSystem"})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := collect(resp.Objects)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`/root/test:Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="web-a"`,
		`/root/test:Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="web-b"`,
		`/root/test:Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="db-1"`,
	}
	if diff := cmp.Diff(want, pathStrings(objs)); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	for _, o := range objs {
		if o.Instance != nil {
			t.Errorf("%v carries an instance", o.Path)
		}
	}
}

func TestEnumerateInstancesErrors(t *testing.T) {
	t.Run("unknown class", func(t *testing.T) {
		f := newFixture(t, Options{})
		_, err := f.handle(t, &Request{Op: EnumerateInstances, ClassName: "Test_Nothing"})
		wantStatus(t, err, cim.StatusInvalidClass, "Test_Nothing", "root/test")
	})
	t.Run("provider without instances", func(t *testing.T) {
		f := newFixture(t, Options{})
		_, err := f.handle(t, &Request{Op: EnumerateInstances, ClassName: "Test_Singleton"})
		wantStatus(t, err, cim.StatusNotSupported, "Test_Singleton")
	})
	t.Run("provider failure mid-way", func(t *testing.T) {
		f := newFixture(t, Options{})
		f.systems.failEnum = errors.New("probe table unavailable")
		resp, err := f.handle(t, &Request{Op: EnumerateInstances, ClassName: "Test_ComputerSystem"})
		if err != nil {
			t.Fatal(err)
		}
		objs, err := collect(resp.Objects)
		wantStatus(t, err, cim.StatusFailed, "probe table unavailable")
		if len(objs) != 1 {
			t.Errorf("got %d objects before the error, want 1", len(objs))
		}
	})
	t.Run("consumer stops early", func(t *testing.T) {
		f := newFixture(t, Options{})
		resp, err := f.handle(t, &Request{Op: EnumerateInstances, ClassName: "Test_ManagedElement"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for range resp.Objects {
			n++
			if n == 4 {
				break
			}
		}
		if n != 4 {
			t.Errorf("stopped after %d objects, want 4", n)
		}
	})
}
