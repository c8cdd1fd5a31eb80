package cimxml

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	rsObject  = `root/hypervcluster/v2:Msvm_RedundancySet.InstanceID=string:"Microsoft:RS-1"`
	vmA       = `Msvm_ComputerSystem.CreationClassName=string:"Msvm_ComputerSystem",Name=string:"vm-a"`
	vmB       = `Msvm_ComputerSystem.CreationClassName=string:"Msvm_ComputerSystem",Name=string:"vm-b"`
	assocMOC  = "assoc=Msvm_MemberOfCollection result= role= resultRole="
	resultMOC = "assoc= result=Msvm_MemberOfCollection role= resultRole="
)

// fixtureWants gives, for every CIM-XML fixture, the request it must
// decode to.
var fixtureWants = map[string]summary{
	"pywbem--AssociatorNames--1.http": {Op: "AssociatorNames", ObjectName: rsObject, Assoc: assocMOC},
	"pywbem--Associators--1.http":     {Op: "Associators", ObjectName: rsObject, Assoc: assocMOC},
	"pywbem--BadClass-EnumerateInstances--1.http": {Op: "EnumerateInstances", ClassName: "Msvm_NoSuchClass",
		Flags: "DeepInheritance"},
	"pywbem--BadClass-GetClass--1.http": {Op: "GetClass", ClassName: "Msvm_NoSuchClass",
		Flags: "LocalOnly IncludeQualifiers"},
	"pywbem--EnumerateClassNames-DeepInheritance--1.http": {Op: "EnumerateClassNames", Flags: "DeepInheritance"},
	"pywbem--EnumerateInstanceNames--1.http":              {Op: "EnumerateInstanceNames", ClassName: "Msvm_RedundancySet"},
	"pywbem--EnumerateInstances--1.http": {Op: "EnumerateInstances", ClassName: "Msvm_RedundancySet",
		Flags: "DeepInheritance"},
	"pywbem--ExecQuery--1.http": {Op: "ExecQuery",
		Query: "WQL: SELECT * FROM Msvm_RedundancySet WHERE RedundancyStatus = 3"},
	"pywbem--GetClass--1.http":    {Op: "GetClass", ClassName: "Msvm_RedundancySet", Flags: "IncludeQualifiers"},
	"pywbem--GetInstance--1.http": {Op: "GetInstance", ObjectName: rsObject},
	"pywbem--InvokeMethod-Failover--1.http": {Op: "InvokeMethod", ObjectName: rsObject, Method: "Failover",
		Params: []string{
			"FailoverFrom=reference:root/hypervcluster/v2:" + vmA,
			"FailoverTo=reference:root/hypervcluster/v2:" + vmB,
		}},
	"pywbem--InvokeMethod-Failover-nonamespace--1.http": {Op: "InvokeMethod", ObjectName: rsObject, Method: "Failover",
		Params: []string{"FailoverFrom=reference:" + vmA, "FailoverTo=reference:" + vmB}},
	"pywbem--ModifyInstance--1.http": {Op: "ModifyInstance", ObjectName: rsObject,
		Instance:     `Msvm_RedundancySet{InstanceID=string:"Microsoft:RS-1", LoadBalanceAlgorithm=uint16:3}`,
		PropertyList: "[LoadBalanceAlgorithm]"},
	"pywbem--OpenEnumerateInstances-PullInstancesWithPath-CloseEnumeration--1.http": {Op: "OpenEnumerateInstances",
		ClassName: "Msvm_RedundancySet", Flags: "DeepInheritance", Pull: `ctx="" max=1 timeout=60`},
	"pywbem--OpenEnumerateInstances-PullInstancesWithPath-CloseEnumeration--2.http": {Op: "PullInstancesWithPath",
		Pull: `ctx="ctx-0001" max=1 timeout=nil`},
	"pywbem--OpenEnumerateInstances-PullInstancesWithPath-CloseEnumeration--3.http": {Op: "CloseEnumeration",
		Pull: `ctx="ctx-0001" max=0 timeout=nil`},
	"pywbem--ReferenceNames--1.http": {Op: "ReferenceNames", ObjectName: rsObject, Assoc: resultMOC},
	"pywbem--References--1.http":     {Op: "References", ObjectName: rsObject, Assoc: resultMOC},

	"wbemcli--AssociatorNames--1.http": {Op: "AssociatorNames", ObjectName: rsObject, Assoc: assocMOC},
	"wbemcli--Associators--1.http": {Op: "Associators", ObjectName: rsObject, Assoc: assocMOC,
		Flags: "IncludeClassOrigin"},
	"wbemcli--BadClass-EnumerateInstances--1.http": {Op: "EnumerateInstances", ClassName: "Msvm_NoSuchClass",
		Flags: "DeepInheritance IncludeClassOrigin"},
	"wbemcli--BadClass-GetClass--1.http": {Op: "GetClass", ClassName: "Msvm_NoSuchClass",
		Flags: "IncludeQualifiers IncludeClassOrigin"},
	"wbemcli--EnumerateClassNames-DeepInheritance--1.http": {Op: "EnumerateClassNames", Flags: "DeepInheritance"},
	"wbemcli--EnumerateInstanceNames--1.http":              {Op: "EnumerateInstanceNames", ClassName: "Msvm_RedundancySet"},
	"wbemcli--EnumerateInstances--1.http": {Op: "EnumerateInstances", ClassName: "Msvm_RedundancySet",
		Flags: "DeepInheritance IncludeClassOrigin"},
	"wbemcli--GetClass--1.http": {Op: "GetClass", ClassName: "Msvm_RedundancySet",
		Flags: "IncludeQualifiers IncludeClassOrigin"},
	"wbemcli--GetInstance--1.http": {Op: "GetInstance", ObjectName: rsObject, Flags: "IncludeClassOrigin"},
	"wbemcli--InvokeMethod-Failover--1.http": {Op: "GetClass", ClassName: "Msvm_RedundancySet",
		Flags: "IncludeQualifiers IncludeClassOrigin"},
	"wbemcli--InvokeMethod-Failover--2.http": {Op: "InvokeMethod", ObjectName: rsObject, Method: "Failover",
		Params: []string{
			"FailoverFrom=reference://127.0.0.1/root/hypervcluster/v2:" + vmA,
			"FailoverTo=reference://127.0.0.1/root/hypervcluster/v2:" + vmB,
		}},
	"wbemcli--ModifyInstance--1.http": {Op: "GetInstance", ObjectName: rsObject, Flags: "IncludeClassOrigin"},
	"wbemcli--ModifyInstance--2.http": {Op: "ModifyInstance", ObjectName: rsObject,
		Instance: `Msvm_RedundancySet{InstanceID=string:"Microsoft:RS-1", ElementName=string:"Redundancy set Microsoft:RS-1", ` +
			`LoadBalanceAlgorithm=uint16:3, OtherLoadBalanceAlgorithm=null string, RedundancyStatus=uint16:3}`},
	"wbemcli--ReferenceNames--1.http": {Op: "ReferenceNames", ObjectName: rsObject, Assoc: resultMOC},
	"wbemcli--References--1.http": {Op: "References", ObjectName: rsObject, Assoc: resultMOC,
		Flags: "IncludeClassOrigin"},
}

// TestDecodeFixtures decodes every request real CIM-XML clients sent.
func TestDecodeFixtures(t *testing.T) {
	names := cimxmlFixtures(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			want, ok := fixtureWants[name]
			if !ok {
				t.Fatalf("fixture %s has no expectation in fixtureWants", name)
			}
			want.Namespace = ns
			if want.PropertyList == "" {
				want.PropertyList = "nil"
			}
			_, body := readFixture(t, name)
			call, err := Decode(bytes.NewReader(body), Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(want, summarize(call.Request)); diff != "" {
				t.Errorf("decoded request (-want +got):\n%s", diff)
			}
			wantID := map[bool]string{true: "1001", false: "4711"}[name[0] == 'p']
			if call.MessageID != wantID {
				t.Errorf("MessageID = %q, want %q", call.MessageID, wantID)
			}
		})
	}
	if len(names) != len(fixtureWants) {
		t.Errorf("found %d fixtures, fixtureWants has %d", len(names), len(fixtureWants))
	}
}

// TestDecodeRequestHelper checks the convenience form.
func TestDecodeRequestHelper(t *testing.T) {
	_, body := readFixture(t, "pywbem--GetInstance--1.http")
	req, id, err := DecodeRequest(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	if id != "1001" || req.Op.String() != "GetInstance" || !req.ObjectName.Equal(rsPath) {
		t.Errorf("got id %q op %s object %s, want 1001 GetInstance %s", id, req.Op, req.ObjectName, rsPath)
	}
}
