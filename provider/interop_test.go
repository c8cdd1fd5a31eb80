package provider

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

func TestInteropInstances(t *testing.T) {
	s := newStack(t)
	str := cim.NewString
	tests := []struct {
		class string
		want  []map[string]cim.Value // properties that must have these values, one map per instance
	}{
		{"CIM_ObjectManager", []map[string]cim.Value{{
			"Name": str("redset"), "CreationClassName": str("CIM_ObjectManager"), "SystemName": str(testHost),
			"SystemCreationClassName": str("CIM_ComputerSystem"), "ElementName": str("redset"),
			"Started": cim.NewBool(true), "EnabledState": cim.MustUint16(2),
		}}},
		{"CIM_Namespace", []map[string]cim.Value{
			{"Name": str(testNS), "ObjectManagerName": str("redset"), "ClassType": cim.MustUint16(2), "ClassInfo": cim.MustUint16(1)},
			{"Name": str(interopNS), "ObjectManagerName": str("redset"), "SystemName": str(testHost)},
		}},
		{"CIM_RegisteredProfile", []map[string]cim.Value{{
			"RegisteredName": str("Redundancy Set"), "RegisteredOrganization": cim.MustUint16(1),
			"OtherRegisteredOrganization": str("redset"), "RegisteredVersion": str("1.0.0"),
			"SpecificationType": cim.MustUint16(2), "AdvertiseTypes": cim.MustUint16Array([]uint16{2}),
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			objs := s.enumerate(interopNS, tt.class)
			if len(objs) != len(tt.want) {
				t.Fatalf("%d instances, want %d", len(objs), len(tt.want))
			}
			for i, want := range tt.want {
				got := map[string]cim.Value{}
				for name := range want {
					got[name] = propOf(t, objs[i].Instance, name)
				}
				if diff := cmp.Diff(want, got, cmpValues); diff != "" {
					t.Errorf("instance %d (-want +got):\n%s", i, diff)
				}
				fetched, err := s.get(objs[i].Path)
				if err != nil {
					t.Fatalf("GetInstance(%s): %v", objs[i].Path, err)
				}
				if diff := cmp.Diff(objs[i].Instance, fetched, cmpValues); diff != "" {
					t.Errorf("GetInstance differs from enumeration (-enum +get):\n%s", diff)
				}
			}
		})
	}
}

func TestObjectManagerShowsVersion(t *testing.T) {
	s := newStack(t)
	objs := s.enumerate(interopNS, "CIM_ObjectManager")
	if len(objs) != 1 {
		t.Fatalf("%d object managers, want 1", len(objs))
	}
	if desc := propOf(t, objs[0].Instance, "Description").Str(); !strings.Contains(desc, testVersion) {
		t.Errorf("Description %q does not name version %s", desc, testVersion)
	}
}

func TestNamespaceInManager(t *testing.T) {
	s := newStack(t)
	manager := s.enumerate(interopNS, "CIM_ObjectManager")[0].Path
	var namespaces []cim.ObjectPath
	for _, o := range s.enumerate(interopNS, "CIM_Namespace") {
		namespaces = append(namespaces, o.Path)
	}
	got := s.assocNames(cimom.AssociatorNames, manager, "CIM_NamespaceInManager")
	if diff := cmp.Diff(pathTexts(namespaces), pathTexts(got)); diff != "" {
		t.Errorf("namespaces of the object manager (-want +got):\n%s", diff)
	}
	for _, ns := range namespaces {
		got := s.assocNames(cimom.AssociatorNames, ns, "CIM_NamespaceInManager")
		if diff := cmp.Diff(pathTexts([]cim.ObjectPath{manager}), pathTexts(got)); diff != "" {
			t.Errorf("object manager of %s (-want +got):\n%s", ns, diff)
		}
	}
	if n := len(s.enumerate(interopNS, "CIM_NamespaceInManager")); n != len(namespaces) {
		t.Errorf("%d CIM_NamespaceInManager instances, want %d", n, len(namespaces))
	}
}

func TestInteropGetUnknown(t *testing.T) {
	s := newStack(t)
	path := cim.NewObjectPath(interopNS, "CIM_RegisteredProfile", cim.KeyBinding{Name: "InstanceID", Value: cim.NewString("redset:nope")})
	_, err := s.get(path)
	if got := statusOf(err); got != cim.StatusNotFound {
		t.Errorf("GetInstance(%s): status %v (%v), want CIM_ERR_NOT_FOUND", path, got, err)
	}
}
