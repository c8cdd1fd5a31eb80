package mof

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/schema"
)

func loadSchema(t *testing.T) *Repository {
	t.Helper()
	repo := NewRepository()
	if err := LoadNamespaces(repo, schema.FS, schema.Namespaces); err != nil {
		t.Fatalf("loading the embedded schema: %v", err)
	}
	return repo
}

func TestSchemaClasses(t *testing.T) {
	repo := loadSchema(t)
	want := map[string][]string{
		schema.Namespace: {"CIM_ManagedElement", "CIM_ManagedSystemElement", "CIM_LogicalElement",
			"CIM_EnabledLogicalElement", "CIM_System", "CIM_ComputerSystem", "Msvm_ComputerSystem",
			"CIM_Collection", "CIM_SystemSpecificCollection", "CIM_RedundancySet", "Msvm_RedundancySet",
			"CIM_MemberOfCollection", "Msvm_MemberOfCollection", "CIM_Dependency", "CIM_IsSpare",
			"CIM_Indication", "CIM_ProcessIndication", "Msvm_FailoverIndication"},
		schema.InteropNamespace: {"CIM_Namespace", "CIM_ObjectManager", "CIM_RegisteredProfile",
			"CIM_WBEMService", "CIM_Service", "CIM_RegisteredSpecification", "CIM_ElementConformsToProfile",
			"CIM_NamespaceInManager"},
	}
	for ns, classes := range want {
		for _, name := range classes {
			t.Run(ns+"/"+name, func(t *testing.T) {
				if _, ok := repo.Class(ns, name); !ok {
					t.Errorf("class %s: got missing, want defined in %s", name, ns)
				}
			})
		}
	}
}

// wantProperty is what the specification fixes for one property.
type wantProperty struct {
	name     string
	typ      cim.Type
	isArray  bool
	writable bool
	key      bool
}

func TestSchemaRedundancySetProperties(t *testing.T) {
	repo := loadSchema(t)
	c, ok := repo.Class(schema.Namespace, "Msvm_RedundancySet")
	if !ok {
		t.Fatal("Msvm_RedundancySet missing")
	}
	want := []wantProperty{
		{"InstanceID", cim.String, false, false, true}, {"Caption", cim.String, false, false, false},
		{"Description", cim.String, false, false, false}, {"ElementName", cim.String, false, false, false},
		{"RedundancyStatus", cim.Uint16, false, false, false}, {"TypeOfSet", cim.Uint16, true, false, false},
		{"MinNumberNeeded", cim.Uint32, false, false, false}, {"MaxNumberSupported", cim.Uint32, false, false, false},
		{"VendorIdentifyingInfo", cim.String, false, false, false}, {"OtherTypeOfSet", cim.String, true, false, false},
		{"LoadBalanceAlgorithm", cim.Uint16, false, true, false}, {"OtherLoadBalanceAlgorithm", cim.String, false, true, false},
	}
	var got []wantProperty
	for _, p := range c.Properties {
		got = append(got, wantProperty{p.Name, p.Type, p.IsArray, !p.IsReadOnly(), p.IsKey()})
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(wantProperty{})); d != "" {
		t.Errorf("Msvm_RedundancySet properties (-want +got):\n%s", d)
	}
	if !c.Qualifiers.Has("Dynamic") || c.IsAbstract() {
		t.Errorf("Msvm_RedundancySet: got Dynamic %v abstract %v, want dynamic and concrete", c.Qualifiers.Has("Dynamic"), c.IsAbstract())
	}
}

func TestSchemaRedundancySetQualifiers(t *testing.T) {
	repo := loadSchema(t)
	c, _ := repo.Class(schema.Namespace, "Msvm_RedundancySet")
	tests := []struct {
		property, qualifier string
		want                cim.Value
	}{
		{"Caption", "MaxLen", cim.MustUint32(64)},
		{"MinNumberNeeded", "MinValue", cim.MustSint64(0)},
		{"TypeOfSet", "ArrayType", cim.NewString("Indexed")},
		{"OtherTypeOfSet", "ArrayType", cim.NewString("Indexed")},
		{"RedundancyStatus", "ValueMap", cim.NewStringArray([]string{"0", "1", "2", "3", "4", "5"})},
		{"RedundancyStatus", "Values", cim.NewStringArray([]string{"Unknown", "DMTF Reserved", "Fully Redundant",
			"Degraded Redundancy", "Redundancy Lost", "Overall Failure"})},
		{"TypeOfSet", "ValueMap", cim.NewStringArray([]string{"0", "1", "2", "3", "4", "5", "6..32767", "32768..65535"})},
		{"TypeOfSet", "Values", cim.NewStringArray([]string{"Unknown", "Other", "N+1", "Load Balanced", "Sparing",
			"Limited Sparing", "DMTF Reserved", "Vendor Reserved"})},
		{"LoadBalanceAlgorithm", "ValueMap", cim.NewStringArray([]string{"0", "1", "2", "3", "4", "5", "6", "7"})},
		{"LoadBalanceAlgorithm", "Values", cim.NewStringArray([]string{"Unknown", "Other", "No Load Balancing",
			"Round Robin", "Least Blocks", "Least IO", "Address Region", "Product Specific"})},
	}
	for _, tt := range tests {
		t.Run(tt.property+"/"+tt.qualifier, func(t *testing.T) {
			p, _ := c.Property(tt.property)
			q, ok := p.Qualifiers.Get(tt.qualifier)
			if !ok || !q.Value.Equal(tt.want) {
				t.Errorf("got %s (present %v), want %s", q.Value.MOF(), ok, tt.want.MOF())
			}
		})
	}
	lba, _ := c.Property("LoadBalanceAlgorithm")
	if !lba.Default.Equal(cim.MustUint16(2)) {
		t.Errorf("LoadBalanceAlgorithm default: got %s, want 2", lba.Default.MOF())
	}
}

func TestSchemaFailoverMethod(t *testing.T) {
	repo := loadSchema(t)
	c, _ := repo.Class(schema.Namespace, "Msvm_RedundancySet")
	m, ok := c.Method("Failover")
	if !ok {
		t.Fatal("Failover missing")
	}
	if m.ReturnType != cim.Uint32 || len(m.Parameters) != 2 {
		t.Fatalf("Failover: got %s with %d parameters, want uint32 with 2", m.ReturnType, len(m.Parameters))
	}
	for i, name := range []string{"FailoverFrom", "FailoverTo"} {
		p := m.Parameters[i]
		if p.Name != name || p.Type != cim.Reference || p.RefClass != "CIM_ManagedElement" || !p.IsIn() || p.IsOut() {
			t.Errorf("parameter %d: got %s %s REF %s in %v out %v, want [IN] CIM_ManagedElement REF %s",
				i, p.Name, p.Type, p.RefClass, p.IsIn(), p.IsOut(), name)
		}
	}
	vm, _ := m.Qualifiers.Get("ValueMap")
	want := cim.NewStringArray([]string{"0", "1", "2", "3", "4", "5..32767", "32768..65535"})
	if !vm.Value.Equal(want) {
		t.Errorf("Failover ValueMap: got %s, want %s", vm.Value.MOF(), want.MOF())
	}
	vals, _ := m.Qualifiers.Get("Values")
	if got := vals.Value.Index(4).Str(); got != "Parameter Error" {
		t.Errorf("Failover Values[4]: got %q, want %q", got, "Parameter Error")
	}
}

func TestSchemaIsSpare(t *testing.T) {
	repo := loadSchema(t)
	c, _ := repo.Class(schema.Namespace, "CIM_IsSpare")
	if !c.IsAssociation() || c.SuperClass != "CIM_Dependency" {
		t.Errorf("CIM_IsSpare: got association %v super %s, want an association under CIM_Dependency", c.IsAssociation(), c.SuperClass)
	}
	if got, want := c.KeyNames(), []string{"Antecedent", "Dependent"}; !cmp.Equal(got, want) {
		t.Errorf("keys: got %v, want %v", got, want)
	}
	dep, _ := c.Property("Dependent")
	if dep.RefClass != "CIM_RedundancySet" {
		t.Errorf("Dependent: got REF %s, want CIM_RedundancySet", dep.RefClass)
	}
	tests := []struct {
		property string
		want     []string
	}{
		{"SpareStatus", []string{"0", "2", "3"}},
		{"FailoverSupported", []string{"0", "2", "3", "4"}},
	}
	for _, tt := range tests {
		p, _ := c.Property(tt.property)
		q, _ := p.Qualifiers.Get("ValueMap")
		if p.Type != cim.Uint16 || !q.Value.Equal(cim.NewStringArray(tt.want)) {
			t.Errorf("%s: got %s %s, want uint16 %v", tt.property, p.Type, q.Value.MOF(), tt.want)
		}
	}
}

func TestSchemaFailoverIndication(t *testing.T) {
	repo := loadSchema(t)
	c, _ := repo.Class(schema.Namespace, "Msvm_FailoverIndication")
	if !c.IsIndication() || c.IsAbstract() || c.SuperClass != "CIM_ProcessIndication" {
		t.Errorf("got indication %v abstract %v super %s, want a concrete indication under CIM_ProcessIndication",
			c.IsIndication(), c.IsAbstract(), c.SuperClass)
	}
	ft, ok := c.Property("FailoverType")
	vals, _ := ft.Qualifiers.Get("Values")
	if !ok || !vals.Value.Equal(cim.NewStringArray([]string{"Unknown", "Other", "Unplanned"})) {
		t.Errorf("FailoverType Values: got %s, want {Unknown, Other, Unplanned}", vals.Value.MOF())
	}
	for _, name := range []string{"OtherFailoverType", "HostedElement", "HostingSystem", "PreviousHostingSystem", "IndicationTime"} {
		if _, ok := c.Property(name); !ok {
			t.Errorf("property %s missing", name)
		}
	}
}

func TestSchemaComputerSystemKeys(t *testing.T) {
	repo := loadSchema(t)
	c, _ := repo.Class(schema.Namespace, "Msvm_ComputerSystem")
	// Keys come in the order of the effective class: Name is inherited
	// from CIM_ManagedSystemElement, CreationClassName comes from CIM_System.
	if got, want := c.KeyNames(), []string{"Name", "CreationClassName"}; !cmp.Equal(got, want) {
		t.Errorf("keys: got %v, want %v", got, want)
	}
	for _, name := range []string{"ElementName", "OperationalStatus", "HealthState", "EnabledState"} {
		if _, ok := c.Property(name); !ok {
			t.Errorf("property %s missing", name)
		}
	}
}

func TestSchemaRoundTrip(t *testing.T) {
	repo := loadSchema(t)
	for ns := range schema.Namespaces {
		t.Run(ns, func(t *testing.T) { checkRoundTrip(t, repo, ns) })
	}
}

func TestShowMarksInherited(t *testing.T) {
	repo := loadSchema(t)
	var b bytes.Buffer
	if err := Show(&b, repo, "", "Msvm_RedundancySet"); err != nil {
		t.Fatalf("Show: %v", err)
	}
	out := b.String()
	for _, want := range []string{
		"// namespace root/hypervcluster/v2\n",
		"class Msvm_RedundancySet : CIM_RedundancySet {",
		"   // inherited from CIM_ManagedElement\n",
		"   // inherited from CIM_RedundancySet\n",
		"   uint16 LoadBalanceAlgorithm = 2;\n",
		"   uint32 Failover(\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Show output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Translatable") {
		t.Errorf("Show output writes declared flavors; want only differing ones:\n%s", out)
	}
	if err := Show(&b, repo, "", "No_Such_Class"); cim.StatusOf(err) != cim.StatusNotFound {
		t.Errorf("Show(No_Such_Class): got %v, want CIM_ERR_NOT_FOUND", err)
	}
}
