package cimom

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
)

const (
	webSet  = `/root/test:Test_RedundancySet.InstanceID="redset:web"`
	dbSet   = `/root/test:Test_RedundancySet.InstanceID="redset:db"`
	subSet  = `/root/test:Test_SubSet.InstanceID="redset:sub"`
	webA    = `/root/test:Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="web-a"`
	webB    = `/root/test:Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="web-b"`
	db1     = `/root/test:Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="db-1"`
	webAMem = `/root/test:Test_MemberOfCollection.Collection="/root/test:Test_RedundancySet.InstanceID=\"redset:web\"",Member="/root/test:Test_ComputerSystem.CreationClassName=\"Test_ComputerSystem\",Name=\"web-a\""`
	webBMem = `/root/test:Test_MemberOfCollection.Collection="/root/test:Test_RedundancySet.InstanceID=\"redset:web\"",Member="/root/test:Test_ComputerSystem.CreationClassName=\"Test_ComputerSystem\",Name=\"web-b\""`
)

func TestAssociators(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want []string
	}{
		{"members of a set", Request{ObjectName: setPath("redset:web")}, []string{webA, webB}},
		{"dangling reference skipped", Request{ObjectName: setPath("redset:db")}, []string{db1}},
		{"sets of a member", Request{ObjectName: systemPath("db-1")}, []string{dbSet, subSet}},
		{"role", Request{ObjectName: systemPath("db-1"), Role: "member"}, []string{dbSet, subSet}},
		{"wrong role", Request{ObjectName: systemPath("db-1"), Role: "Collection"}, nil},
		{"result role", Request{ObjectName: setPath("redset:web"), ResultRole: "Member"}, []string{webA, webB}},
		{"wrong result role", Request{ObjectName: setPath("redset:web"), ResultRole: "Collection"}, nil},
		{"result class", Request{ObjectName: systemPath("db-1"), ResultClass: "Test_SubSet"}, []string{subSet}},
		{"result class superclass", Request{ObjectName: systemPath("db-1"), ResultClass: "Test_Collection"}, []string{dbSet, subSet}},
		{"assoc class", Request{ObjectName: systemPath("db-1"), AssocClass: "Test_MemberOfCollection"}, []string{dbSet, subSet}},
		{"untyped source keys", Request{ObjectName: mustPath(t, `Test_ComputerSystem.Name="web-a",CreationClassName="Test_ComputerSystem"`)}, []string{webSet}},
		{"member without sets", Request{ObjectName: systemPath("nobody")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			got := assocPaths(t, f, Associators, tt.req)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Associators (-want +got):\n%s", diff)
			}
			names := assocPaths(t, f, AssociatorNames, tt.req)
			if diff := cmp.Diff(got, names); diff != "" {
				t.Errorf("AssociatorNames differ from Associators (-assoc +names):\n%s", diff)
			}
		})
	}
}

func mustPath(t *testing.T, s string) cim.ObjectPath {
	t.Helper()
	p, err := cim.ParseObjectPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// assocPaths runs an association operation and returns the result paths.
func assocPaths(t *testing.T, f *fixture, op Operation, req Request) []string {
	t.Helper()
	req.Op = op
	resp, err := f.handle(t, &req)
	if err != nil {
		t.Fatalf("%v: %v", op, err)
	}
	objs, err := collect(resp.Objects)
	if err != nil {
		t.Fatalf("%v: %v", op, err)
	}
	for _, o := range objs {
		isNames := op == AssociatorNames || op == ReferenceNames
		if (o.Instance == nil) != isNames {
			t.Errorf("%v: %v has instance %v", op, o.Path, o.Instance != nil)
		}
	}
	return pathStrings(objs)
}

func TestReferences(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want []string
	}{
		{"of a set", Request{ObjectName: setPath("redset:web")}, []string{webAMem, webBMem}},
		{"of a member", Request{ObjectName: systemPath("web-b")}, []string{webBMem}},
		{"role", Request{ObjectName: setPath("redset:web"), Role: "Collection"}, []string{webAMem, webBMem}},
		{"wrong role", Request{ObjectName: setPath("redset:web"), Role: "Member"}, nil},
		{"result class", Request{ObjectName: setPath("redset:web"), ResultClass: "Test_MemberOfCollection"}, []string{webAMem, webBMem}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			got := assocPaths(t, f, References, tt.req)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("References (-want +got):\n%s", diff)
			}
			names := assocPaths(t, f, ReferenceNames, tt.req)
			if diff := cmp.Diff(got, names); diff != "" {
				t.Errorf("ReferenceNames differ (-refs +names):\n%s", diff)
			}
		})
	}
}

func TestAssociationErrors(t *testing.T) {
	tests := []struct {
		name     string
		req      Request
		want     cim.Status
		fragment string
	}{
		{"unknown source class", Request{ObjectName: cim.NewObjectPath("", "Test_Nothing", cim.KeyBinding{Name: "A", Value: cim.NewString("x")})}, cim.StatusInvalidParameter, "Test_Nothing"},
		{"bad source keys", Request{ObjectName: cim.NewObjectPath("", "Test_ComputerSystem", cim.KeyBinding{Name: "Name", Value: cim.NewString("x")})}, cim.StatusInvalidParameter, "CreationClassName"},
		{"unknown assoc class", Request{ObjectName: systemPath("web-a"), AssocClass: "Test_Nope"}, cim.StatusInvalidParameter, "Test_Nope"},
		{"unknown result class", Request{ObjectName: systemPath("web-a"), ResultClass: "Test_Nope"}, cim.StatusInvalidParameter, "Test_Nope"},
	}
	for _, tt := range tests {
		for _, op := range []Operation{Associators, AssociatorNames, References, ReferenceNames} {
			t.Run(tt.name+"/"+op.String(), func(t *testing.T) {
				f := newFixture(t, Options{})
				req := tt.req
				req.Op = op
				_, err := f.handle(t, &req)
				wantStatus(t, err, tt.want, tt.fragment)
			})
		}
	}
}

// TestAssociationsAgreeWithEnumeration checks that every object an
// association returns is also returned by enumerating its class, and that
// each association instance returned by References is enumerated too.
func TestAssociationsAgreeWithEnumeration(t *testing.T) {
	f := newFixture(t, Options{})
	all := enumeratedPaths(t, f, "Test_ManagedElement")
	for _, src := range []cim.ObjectPath{setPath("redset:web"), setPath("redset:db"), subSetPath("redset:sub"), systemPath("db-1"), systemPath("web-a")} {
		for _, p := range assocPaths(t, f, AssociatorNames, Request{ObjectName: src}) {
			if !slices.Contains(all, p) {
				t.Errorf("associator %s of %s is not enumerated", p, src)
			}
		}
	}
	links := enumeratedPaths(t, f, "Test_MemberOfCollection")
	for _, p := range assocPaths(t, f, ReferenceNames, Request{ObjectName: systemPath("db-1")}) {
		if !slices.Contains(links, p) {
			t.Errorf("reference %s is not enumerated", p)
		}
	}
}

func enumeratedPaths(t *testing.T, f *fixture, class string) []string {
	t.Helper()
	resp, err := f.handle(t, &Request{Op: EnumerateInstanceNames, ClassName: class})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := collect(resp.Objects)
	if err != nil {
		t.Fatal(err)
	}
	return pathStrings(objs)
}

func TestClassAssociations(t *testing.T) {
	tests := []struct {
		name string
		op   Operation
		req  Request
		want []string
	}{
		{"references of a member class", ReferenceNames, Request{ObjectName: cim.ObjectPath{ClassName: "Test_ComputerSystem"}}, []string{"Test_MemberOfCollection"}},
		{"associators of a member class", AssociatorNames, Request{ObjectName: cim.ObjectPath{ClassName: "Test_ComputerSystem"}}, []string{"Test_Collection"}},
		{"associators of a set class", Associators, Request{ObjectName: cim.ObjectPath{ClassName: "Test_SubSet"}}, []string{"Test_ManagedElement", "Test_Collection"}},
		{"result role", AssociatorNames, Request{ObjectName: cim.ObjectPath{ClassName: "Test_SubSet"}, ResultRole: "Member"}, []string{"Test_ManagedElement"}},
		{"result class", AssociatorNames, Request{ObjectName: cim.ObjectPath{ClassName: "Test_SubSet"}, ResultClass: "Test_Collection"}, []string{"Test_Collection"}},
		{"unrelated class", References, Request{ObjectName: cim.ObjectPath{ClassName: "Test_Singleton"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			req := tt.req
			req.Op = tt.op
			resp, err := f.handle(t, &req)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := collect(resp.Objects)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.Path.ClassName)
				if (o.Class != nil) != (tt.op == Associators || tt.op == References) {
					t.Errorf("%s: class present = %v", o.Path.ClassName, o.Class != nil)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("classes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAssociatorsPropertyList(t *testing.T) {
	f := newFixture(t, Options{})
	resp, err := f.handle(t, &Request{Op: Associators, ObjectName: setPath("redset:web"), PropertyList: []string{"Name"}})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := collect(resp.Objects)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if diff := cmp.Diff([]string{"Name"}, propNames(o.Instance)); diff != "" {
			t.Errorf("%v properties (-want +got):\n%s", o.Path, diff)
		}
	}
}
