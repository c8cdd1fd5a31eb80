package provider

import (
	"strings"
	"testing"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// FuzzReferences feeds arbitrary object paths to the mapping of
// references to members and sets: it never panics, and whatever it
// accepts really names an instance of this namespace.
func FuzzReferences(f *testing.F) {
	for _, seed := range []string{
		`Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="web-a"`,
		`/root/hypervcluster/v2:CIM_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="x"`,
		`//host/root/other:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="x"`,
		`Msvm_RedundancySet.InstanceID="redset:web"`,
		`CIM_ManagedElement.InstanceID="redset:web"`,
		`Msvm_ComputerSystem.Name="web-a"`,
		`Msvm_ComputerSystem.CreationClassName=1,Name=2`,
		`Msvm_ComputerSystem`,
		`CIM_Collection.InstanceID=""`,
	} {
		f.Add(seed)
	}
	d := cimom.NewDispatcher(schemaRepo(f), cimom.Options{})
	dom, err := loadDomain(classes{d: d, ns: testNS})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := cim.ParseObjectPath(text)
		if err != nil {
			return
		}
		if name, err := dom.memberName(testNS, p); err == nil {
			checkAccepted(t, p, "Name", name)
			if ccn, _ := p.Key("CreationClassName"); !strings.EqualFold(ccn.Str(), "Msvm_ComputerSystem") {
				t.Errorf("%s accepted as a member with CreationClassName %s", p, ccn.Str())
			}
		}
		if id, err := dom.setID(testNS, p); err == nil {
			checkAccepted(t, p, "InstanceID", id)
		}
	})
}

// checkAccepted checks what a reference accepted as naming key = value
// must hold.
func checkAccepted(t *testing.T, p cim.ObjectPath, key, value string) {
	t.Helper()
	if v, _ := p.Key(key); value == "" || v.Str() != value {
		t.Errorf("%s accepted as %s=%q", p, key, value)
	}
	if p.Namespace != "" && !cim.SameNamespace(p.Namespace, testNS) {
		t.Errorf("%s accepted from namespace %s", p, p.Namespace)
	}
}
