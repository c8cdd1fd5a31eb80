package cimxml

import (
	"context"
	"fmt"
	"strings"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// This file holds a small fixed model and an object manager serving it,
// standing in for the dispatcher in the encoder and handler tests.

func boolQ(name string) cim.Qualifier {
	return cim.Qualifier{Name: name, Value: cim.NewBool(true)}
}

// rsClass is a cut-down Msvm_RedundancySet with the Failover method.
func rsClass() *cim.Class {
	ref := func(name string) cim.Parameter {
		return cim.Parameter{Name: name, Type: cim.Reference, RefClass: "CIM_ManagedElement",
			Qualifiers: cim.Qualifiers{boolQ("In")}}
	}
	return &cim.Class{
		Name: "Msvm_RedundancySet", SuperClass: "CIM_RedundancySet",
		Qualifiers: cim.Qualifiers{{Name: "Description", Value: cim.NewString(`A "set" <of> members & spares`), Flavor: cim.Translatable}},
		Properties: []cim.Property{
			{Name: "InstanceID", Type: cim.String, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.NewBool(true), Flavor: cim.DisableOverride}},
				ClassOrigin: "CIM_ManagedElement", Propagated: true},
			{Name: "ElementName", Type: cim.String, ClassOrigin: "CIM_ManagedElement", Propagated: true},
			{Name: "RedundancyStatus", Type: cim.Uint16, ClassOrigin: "CIM_RedundancySet", Propagated: true,
				Qualifiers: cim.Qualifiers{{Name: "ValueMap", Value: cim.NewStringArray([]string{"0", "2", "3"})}}},
			{Name: "TypeOfSet", Type: cim.Uint16, IsArray: true, ClassOrigin: "CIM_RedundancySet", Propagated: true},
			{Name: "LoadBalanceAlgorithm", Type: cim.Uint16, Default: cim.MustUint16(2), ClassOrigin: "CIM_RedundancySet",
				Propagated: true, Qualifiers: cim.Qualifiers{boolQ("Write")}},
			{Name: "OtherLoadBalanceAlgorithm", Type: cim.String, ClassOrigin: "CIM_RedundancySet", Propagated: true,
				Qualifiers: cim.Qualifiers{boolQ("Write")}},
		},
		Methods: []cim.Method{{
			Name: "Failover", ReturnType: cim.Uint32, ClassOrigin: "CIM_RedundancySet", Propagated: true,
			Parameters: []cim.Parameter{ref("FailoverFrom"), ref("FailoverTo")},
		}},
	}
}

// rsInstance returns the set named id.
func rsInstance(id string) *cim.Instance {
	return &cim.Instance{ClassName: "Msvm_RedundancySet", Properties: []cim.PropertyValue{
		{Name: "InstanceID", Value: cim.NewString(id)},
		{Name: "ElementName", Value: cim.NewString("Redundancy set " + id)},
		{Name: "RedundancyStatus", Value: cim.MustUint16(3)},
		{Name: "TypeOfSet", Value: cim.MustUint16Array([]uint16{4})},
		{Name: "LoadBalanceAlgorithm", Value: cim.MustUint16(2)},
		{Name: "OtherLoadBalanceAlgorithm", Value: cim.Null(cim.String, false)},
	}}
}

func rsPathOf(id string) cim.ObjectPath {
	return cim.NewObjectPath(ns, "Msvm_RedundancySet", cim.KeyBinding{Name: "InstanceID", Value: cim.NewString(id)})
}

func memberInstance(name string) *cim.Instance {
	return &cim.Instance{ClassName: "Msvm_ComputerSystem", Properties: []cim.PropertyValue{
		{Name: "CreationClassName", Value: cim.NewString("Msvm_ComputerSystem")},
		{Name: "Name", Value: cim.NewString(name)},
		{Name: "HealthState", Value: cim.MustUint16(5)},
	}}
}

func mocInstance(member string) (*cim.Instance, cim.ObjectPath) {
	coll, mem := cim.NewReference(rsPathOf("Microsoft:RS-1")), cim.NewReference(memberPath("", ns, member))
	inst := &cim.Instance{ClassName: "Msvm_MemberOfCollection", Properties: []cim.PropertyValue{
		{Name: "Collection", Value: coll}, {Name: "Member", Value: mem},
	}}
	p := cim.NewObjectPath(ns, "Msvm_MemberOfCollection",
		cim.KeyBinding{Name: "Collection", Value: coll}, cim.KeyBinding{Name: "Member", Value: mem})
	return inst, p
}

// objectsOf yields objs.
func objectsOf(objs ...cimom.Object) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

// fakeManager answers every operation from the fixed model.
func fakeManager(_ context.Context, req *cimom.Request) (*cimom.Response, error) {
	if h, ok := fakeOps[req.Op]; ok {
		return h(req)
	}
	return &cimom.Response{}, nil
}

func checkClass(name string) error {
	if !strings.EqualFold(name, "Msvm_RedundancySet") && !strings.EqualFold(name, "Msvm_Empty") {
		return cim.Errorf(cim.StatusInvalidClass, "class %s does not exist", name)
	}
	return nil
}

func sets() cimom.Objects {
	return objectsOf(
		cimom.Object{Path: rsPathOf("Microsoft:RS-1"), Instance: rsInstance("Microsoft:RS-1")},
		cimom.Object{Path: rsPathOf("Microsoft:RS-2"), Instance: rsInstance("Microsoft:RS-2")})
}

// setsOf yields the sets for the set class and nothing for Msvm_Empty.
func setsOf(class string) cimom.Objects {
	if strings.EqualFold(class, "Msvm_Empty") {
		return objectsOf()
	}
	return sets()
}

func members() cimom.Objects {
	return objectsOf(
		cimom.Object{Path: memberPath("", ns, "vm-a"), Instance: memberInstance("vm-a")},
		cimom.Object{Path: memberPath("", ns, "vm-b"), Instance: memberInstance("vm-b")})
}

func links() cimom.Objects {
	a, pa := mocInstance("vm-a")
	b, pb := mocInstance("vm-b")
	return objectsOf(cimom.Object{Path: pa, Instance: a}, cimom.Object{Path: pb, Instance: b})
}

var fakeOps = map[cimom.Operation]func(*cimom.Request) (*cimom.Response, error){
	cimom.GetClass: func(r *cimom.Request) (*cimom.Response, error) {
		if !strings.EqualFold(r.ClassName, "Msvm_RedundancySet") {
			return nil, cim.Errorf(cim.StatusNotFound, "class %s not found", r.ClassName)
		}
		return &cimom.Response{Class: rsClass()}, nil
	},
	cimom.EnumerateClassNames: func(*cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{Objects: objectsOf(cimom.Object{Path: cim.ObjectPath{ClassName: "CIM_ManagedElement"}},
			cimom.Object{Class: rsClass()})}, nil
	},
	cimom.GetInstance: func(r *cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{Instance: &cimom.Object{Path: r.ObjectName, Instance: rsInstance("Microsoft:RS-1")}}, nil
	},
	cimom.EnumerateInstances: func(r *cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{Objects: setsOf(r.ClassName)}, checkClass(r.ClassName)
	},
	cimom.EnumerateInstanceNames: func(r *cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{Objects: setsOf(r.ClassName)}, checkClass(r.ClassName)
	},
	cimom.Associators:     func(*cimom.Request) (*cimom.Response, error) { return &cimom.Response{Objects: members()}, nil },
	cimom.AssociatorNames: func(*cimom.Request) (*cimom.Response, error) { return &cimom.Response{Objects: members()}, nil },
	cimom.References:      func(*cimom.Request) (*cimom.Response, error) { return &cimom.Response{Objects: links()}, nil },
	cimom.ReferenceNames:  func(*cimom.Request) (*cimom.Response, error) { return &cimom.Response{Objects: links()}, nil },
	cimom.ExecQuery:       func(*cimom.Request) (*cimom.Response, error) { return &cimom.Response{Objects: sets()}, nil },
	cimom.CreateInstance: func(*cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{Instance: &cimom.Object{Path: rsPathOf("redset:new")}}, nil
	},
	cimom.InvokeMethod: func(*cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{ReturnValue: cim.MustUint32(0)}, nil
	},
	cimom.OpenEnumerateInstances: func(*cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{Objects: sets(), EnumerationContext: "ctx-0001"}, nil
	},
	cimom.PullInstancesWithPath: func(*cimom.Request) (*cimom.Response, error) {
		return &cimom.Response{Objects: objectsOf(), EndOfSequence: true}, nil
	},
}

// fakeAuth knows three users, one per role, all with password "pass";
// the user "broken" makes it fail.
type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, user, password string) (auth.Identity, error) {
	if user == "broken" {
		return auth.Identity{}, fmt.Errorf("user store unavailable")
	}
	roles := map[string]auth.Role{"reader": auth.Reader, "operator": auth.Operator, "admin": auth.Admin, "user": auth.Admin}
	role, ok := roles[user]
	if !ok || password != "pass" {
		return auth.Identity{}, auth.ErrUnauthorized
	}
	return auth.Identity{User: user, Role: role}, nil
}
