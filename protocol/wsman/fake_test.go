package wsman

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

const testNS = "root/hypervcluster/v2"

// fakeCIMOM is a small object manager for tests: a fixed model of
// redundancy sets, computer systems and memberships, and enumeration
// contexts with predictable names. The enumeration contexts the fixture
// clients were given ("uuid:ctx-…") are always open.
type fakeCIMOM struct {
	mu       sync.Mutex
	sets     int
	seq      int
	open     map[string][]cimom.Object
	requests []cimom.Request
	fail     map[cimom.Operation]error
	block    bool   // wait for the request's context to end, then fail with its error
	padding  string // replaces every Caption, to make instances large
	cache    []cimom.Object
}

func newFake(sets int) *fakeCIMOM {
	return &fakeCIMOM{sets: sets, open: map[string][]cimom.Object{}, fail: map[cimom.Operation]error{}}
}

func (f *fakeCIMOM) Handle(ctx context.Context, req *cimom.Request) (*cimom.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, *req)
	if err := f.fail[req.Op]; err != nil {
		return nil, err
	}
	if f.block {
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return nil, ctx.Err()
	}
	switch req.Op {
	case cimom.GetInstance:
		return f.get(req.ObjectName)
	case cimom.GetClass:
		return f.class(req.ClassName)
	case cimom.ModifyInstance, cimom.DeleteInstance:
		return &cimom.Response{}, nil
	case cimom.CreateInstance:
		id, _ := req.Instance.Get("InstanceID")
		p := cim.NewObjectPath(req.Namespace, req.ClassName, cim.KeyBinding{Name: "InstanceID", Value: id})
		return &cimom.Response{Instance: &cimom.Object{Path: p}}, nil
	case cimom.InvokeMethod:
		return &cimom.Response{ReturnValue: cim.MustUint32(0)}, nil
	case cimom.CloseEnumeration:
		return f.close(req.EnumerationContext)
	case cimom.PullInstancesWithPath, cimom.PullInstancePaths, cimom.PullInstances:
		return f.pull(req.EnumerationContext, req.MaxObjectCount, req.Op == cimom.PullInstancePaths)
	}
	if objs, ok := f.results(req); ok {
		f.seq++
		id := fmt.Sprintf("ctx-%d", f.seq)
		f.open[id] = objs
		return f.pull(id, req.MaxObjectCount, strings.HasSuffix(req.Op.String(), "Paths"))
	}
	return nil, cim.Errorf(cim.StatusNotSupported, "%s", req.Op)
}

// results lists what an Open operation enumerates.
func (f *fakeCIMOM) results(req *cimom.Request) ([]cimom.Object, bool) {
	switch req.Op {
	case cimom.OpenEnumerateInstances, cimom.OpenEnumerateInstancePaths:
		return f.setObjects(), true
	case cimom.OpenQueryInstances:
		return f.setObjects()[:1], true
	case cimom.OpenAssociatorInstances, cimom.OpenAssociatorInstancePaths:
		return []cimom.Object{csObject("vm-a"), csObject("vm-b")}, true
	case cimom.OpenReferenceInstances, cimom.OpenReferenceInstancePaths:
		return []cimom.Object{mocObject(1, "vm-a"), mocObject(1, "vm-b")}, true
	}
	return nil, false
}

func (f *fakeCIMOM) setObjects() []cimom.Object {
	if f.cache != nil {
		return f.cache
	}
	objs := make([]cimom.Object, f.sets)
	for i := range objs {
		objs[i] = rsObject(i + 1)
		if f.padding != "" {
			objs[i].Instance.Set("Caption", cim.NewString(f.padding))
		}
	}
	f.cache = objs
	return objs
}

// pull hands out up to n objects of an open enumeration.
func (f *fakeCIMOM) pull(id string, n uint32, pathsOnly bool) (*cimom.Response, error) {
	objs, ok := f.open[id]
	if !ok && strings.HasPrefix(id, "uuid:ctx-") {
		objs, ok = f.setObjects(), true
		if strings.Contains(id, "assoc") {
			objs = []cimom.Object{csObject("vm-a"), csObject("vm-b")}
		}
	}
	if !ok {
		return nil, cim.Errorf(cim.StatusInvalidEnumerationContext, "no enumeration %q", id)
	}
	k := min(int(n), len(objs))
	chunk, rest := objs[:k], objs[k:]
	if pathsOnly {
		chunk = pathsOf(chunk)
	}
	resp := &cimom.Response{Objects: objectSeq(chunk), EnumerationContext: id, EndOfSequence: len(rest) == 0}
	if len(rest) == 0 {
		delete(f.open, id)
		resp.EnumerationContext = ""
	} else {
		f.open[id] = rest
	}
	return resp, nil
}

func (f *fakeCIMOM) close(id string) (*cimom.Response, error) {
	if _, ok := f.open[id]; !ok && !strings.HasPrefix(id, "uuid:ctx-") {
		return nil, cim.Errorf(cim.StatusInvalidEnumerationContext, "no enumeration %q", id)
	}
	delete(f.open, id)
	return &cimom.Response{}, nil
}

func (f *fakeCIMOM) get(p cim.ObjectPath) (*cimom.Response, error) {
	if len(p.Keys) == 0 {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "no keys")
	}
	for _, o := range append(f.setObjects(), csObject("vm-a")) {
		if o.Path.Equal(p) {
			return &cimom.Response{Instance: &o}, nil
		}
	}
	return nil, cim.Errorf(cim.StatusNotFound, "%s", p)
}

func (f *fakeCIMOM) class(name string) (*cimom.Response, error) {
	switch strings.ToLower(name) {
	case "msvm_redundancyset":
		return &cimom.Response{Class: keyClass("Msvm_RedundancySet", "InstanceID")}, nil
	case "msvm_computersystem":
		return &cimom.Response{Class: keyClass("Msvm_ComputerSystem", "CreationClassName", "Name")}, nil
	case "test_numbered":
		c := keyClass("Test_Numbered", "Id")
		c.Properties[0].Type = cim.Uint32
		return &cimom.Response{Class: c}, nil
	}
	return nil, cim.Errorf(cim.StatusInvalidClass, "no class %s", name)
}

func objectSeq(objs []cimom.Object) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

func pathsOf(objs []cimom.Object) []cimom.Object {
	out := make([]cimom.Object, len(objs))
	for i, o := range objs {
		out[i] = cimom.Object{Path: o.Path}
	}
	return out
}

func rsPath(i int) cim.ObjectPath {
	return cim.NewObjectPath(testNS, "Msvm_RedundancySet",
		cim.KeyBinding{Name: "InstanceID", Value: cim.NewString(fmt.Sprintf("Microsoft:RS-%d", i))})
}

func rsObject(i int) cimom.Object {
	p := rsPath(i)
	inst := &cim.Instance{ClassName: "Msvm_RedundancySet", Properties: []cim.PropertyValue{
		{Name: "InstanceID", Value: cim.NewString(fmt.Sprintf("Microsoft:RS-%d", i))},
		{Name: "Caption", Value: cim.NewString(`web & "db" <tier>`)},
		{Name: "ElementName", Value: cim.NewString(fmt.Sprintf("Redundancy set %d", i))},
		{Name: "RedundancyStatus", Value: cim.MustUint16(3)},
		{Name: "TypeOfSet", Value: cim.MustUint16Array([]uint16{2, 3})},
		{Name: "OtherTypeOfSet", Value: cim.Null(cim.String, true)},
		{Name: "MinNumberNeeded", Value: cim.MustUint32(1)},
		{Name: "LoadBalanceAlgorithm", Value: cim.MustUint16(2)},
		{Name: "OtherLoadBalanceAlgorithm", Value: cim.Null(cim.String, false)},
	}}
	return cimom.Object{Path: p, Instance: inst}
}

func csPath(name string) cim.ObjectPath {
	return cim.NewObjectPath(testNS, "Msvm_ComputerSystem",
		cim.KeyBinding{Name: "CreationClassName", Value: cim.NewString("Msvm_ComputerSystem")},
		cim.KeyBinding{Name: "Name", Value: cim.NewString(name)})
}

func csObject(name string) cimom.Object {
	inst := &cim.Instance{ClassName: "Msvm_ComputerSystem", Properties: []cim.PropertyValue{
		{Name: "CreationClassName", Value: cim.NewString("Msvm_ComputerSystem")},
		{Name: "Name", Value: cim.NewString(name)},
		{Name: "HealthState", Value: cim.MustUint16(5)},
		{Name: "OperationalStatus", Value: cim.MustUint16Array([]uint16{2})},
	}}
	return cimom.Object{Path: csPath(name), Instance: inst}
}

func mocObject(set int, member string) cimom.Object {
	coll, mem := cim.NewReference(rsPath(set)), cim.NewReference(csPath(member))
	p := cim.NewObjectPath(testNS, "Msvm_MemberOfCollection",
		cim.KeyBinding{Name: "Collection", Value: coll}, cim.KeyBinding{Name: "Member", Value: mem})
	inst := &cim.Instance{ClassName: "Msvm_MemberOfCollection", Properties: []cim.PropertyValue{
		{Name: "Collection", Value: coll}, {Name: "Member", Value: mem},
	}}
	return cimom.Object{Path: p, Instance: inst}
}

// keyClass is a class with the given string keys and one writable
// uint16 property.
func keyClass(name string, keys ...string) *cim.Class {
	c := &cim.Class{Name: name}
	for _, k := range keys {
		c.Properties = append(c.Properties, cim.Property{Name: k, Type: cim.String,
			Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.NewBool(true)}}})
	}
	c.Properties = append(c.Properties, cim.Property{Name: "LoadBalanceAlgorithm", Type: cim.Uint16})
	return c
}

// fakeAuth knows three users, one per role; every password is "pass".
// The user "broken" makes it fail.
type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, user, password string) (auth.Identity, error) {
	if user == "broken" {
		return auth.Identity{}, errors.New("user store unavailable")
	}
	roles := map[string]auth.Role{"user": auth.Admin, "admin": auth.Admin, "operator": auth.Operator, "reader": auth.Reader}
	role, ok := roles[user]
	if !ok || password != "pass" {
		return auth.Identity{}, auth.ErrUnauthorized
	}
	return auth.Identity{User: user, Role: role}, nil
}
