package cim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseObjectPathRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"msvm", `/root/hypervcluster/v2:Msvm_RedundancySet.InstanceID="redset:a"`},
		{"host and two keys", `//host/ns:Class.k="v",k2=5`},
		{"host with port", `//server.example:5989/root/interop:CIM_Namespace.Name="root/x"`},
		{"bare", `Class.k="v"`},
		{"singleton", `Class=@`},
		{"class path", `CIM_ManagedElement`},
		{"class path with namespace", `/root/cimv2:CIM_ManagedElement`},
		{"escaped quote and backslash", `C.K="a\"b\\c"`},
		{"booleans", `C.A=true,B=false`},
		{"negative and real", `C.A=-5,B=1.5`},
		{"comma and dot in value", `C.K="x,y.z=1"`},
		{"empty string", `C.K=""`},
		{"nested reference", `/root/hypervcluster/v2:Msvm_MemberOfCollection.Collection="/root/hypervcluster/v2:Msvm_RedundancySet.InstanceID=\"redset:demo\"",Member="Msvm_ComputerSystem.CreationClassName=\"Msvm_ComputerSystem\",Name=\"web-a\""`},
		{"host no namespace", `//h/:C.K=1`},
		{"unicode", `Ünïcode.Ключ="値"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPath(t, tt.text)
			if got := p.String(); got != tt.text {
				t.Errorf("String() = %s\n want %s", got, tt.text)
			}
			back := mustPath(t, p.String())
			if !back.Equal(p) {
				t.Errorf("reparsed %s not Equal to %s", back, p)
			}
		})
	}
}

func TestParseObjectPathFields(t *testing.T) {
	tests := []struct {
		name string
		text string
		want ObjectPath
	}{
		{"full", `//h/root/x:C.b="2",A=1`, ObjectPath{Host: "h", Namespace: "root/x", ClassName: "C",
			Keys: []KeyBinding{{"A", MustUint64(1)}, {"b", NewString("2")}}}},
		{"windows namespace", `Root\HyperVCluster\v2:C.K="v"`, ObjectPath{Namespace: "Root/HyperVCluster/v2", ClassName: "C",
			Keys: []KeyBinding{{"K", NewString("v")}}}},
		{"windows host", `\\srv\root\cimv2:C`, ObjectPath{Host: "srv", Namespace: "root/cimv2", ClassName: "C"}},
		{"scheme", `https://h:5989/root/x:C`, ObjectPath{Host: "h:5989", Namespace: "root/x", ClassName: "C"}},
		{"relative namespace", `root/x:C`, ObjectPath{Namespace: "root/x", ClassName: "C"}},
		{"spaces trimmed", "  C.K=1 ", ObjectPath{ClassName: "C", Keys: []KeyBinding{{"K", MustUint64(1)}}}},
		{"singleton", `C=@`, ObjectPath{ClassName: "C", Singleton: true}},
		{"typed bare values", `C.a=-1,b=TRUE,c=0x10,d=2e3`, ObjectPath{ClassName: "C", Keys: []KeyBinding{
			{"a", MustSint64(-1)}, {"b", NewBool(true)}, {"c", MustUint64(16)}, {"d", NewReal(Real64, 2000)}}}},
		{"other escapes", `C.K="\a\\"`, ObjectPath{ClassName: "C", Keys: []KeyBinding{{"K", NewString(`a\`)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustPath(t, tt.text)
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("ParseObjectPath(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestParseObjectPathErrors(t *testing.T) {
	tests := []struct {
		name, text, frag string
	}{
		{"empty", ``, "bad class name"},
		{"host only", `//host`, "host must be followed"},
		{"empty host", `///ns:C`, "bad host"},
		{"namespace without colon", `/root/x`, "missing ':'"},
		{"host without colon", `//h/C.K=1`, "missing ':'"},
		{"bad namespace", `/ro ot:C`, "bad namespace"},
		{"bad class", `/root:1C`, "bad class name"},
		{"dot without keys", `C.`, "bad key name"},
		{"missing value", `C.K=`, "missing value"},
		{"unterminated", `C.K="abc`, "unterminated"},
		{"trailing backslash", `C.K="abc\`, "unterminated"},
		{"junk after quote", `C.K="a"b`, "expected ','"},
		{"trailing comma", `C.K=1,`, "bad key name"},
		{"duplicate key", `C.K=1,k=2`, "duplicate key"},
		{"bare word", `C.K=abc`, "invalid uint64"},
		{"too big", `C.K=18446744073709551616`, "out of range"},
		{"too small", `C.K=-9223372036854775809`, "out of range"},
		{"singleton junk", `C=@x`, "unexpected text"},
		{"equals no at", `C=1`, "unexpected text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseObjectPath(tt.text)
			wantError(t, err, StatusInvalidParameter, "invalid object path", tt.frag)
		})
	}
}

func TestObjectPathCanonicalOrder(t *testing.T) {
	p := ObjectPath{Namespace: `\root\x\`, ClassName: "C", Keys: []KeyBinding{
		{"zeta", MustUint16(1)}, {"Alpha", NewString("a")}, {"beta", NewBool(true)}}}
	want := `/root/x:C.Alpha="a",beta=true,zeta=1`
	if got := p.String(); got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	c := p.Canonical()
	if got := []string{c.Keys[0].Name, c.Keys[1].Name, c.Keys[2].Name}; !cmp.Equal(got, []string{"Alpha", "beta", "zeta"}) {
		t.Errorf("Canonical keys = %v, want [Alpha beta zeta]", got)
	}
	if c.Namespace != "root/x" {
		t.Errorf("Canonical namespace = %q, want root/x", c.Namespace)
	}
	if p.Keys[0].Name != "zeta" {
		t.Errorf("Canonical changed its receiver: first key %s", p.Keys[0].Name)
	}
	parsed := mustPath(t, `C.zeta=1,beta=true,Alpha="a"`)
	if got := parsed.Keys[0].Name; got != "Alpha" {
		t.Errorf("parsed first key = %s, want Alpha", got)
	}
}

func TestObjectPathEqual(t *testing.T) {
	ref := NewReference(mustPath(t, `/root/x:M.Name="a"`))
	tests := []struct {
		name string
		a, b ObjectPath
		want bool
	}{
		{"case of names", mustPath(t, `/Root/X:Class.Key="v"`), mustPath(t, `/root/x:class.KEY="v"`), true},
		{"value case matters", mustPath(t, `C.K="v"`), mustPath(t, `C.K="V"`), false},
		{"key order", mustPath(t, `C.A=1,B=2`), NewObjectPath("", "C", KeyBinding{"B", MustUint64(2)}, KeyBinding{"A", MustUint64(1)}), true},
		{"integer widths", mustPath(t, `C.K=5`), NewObjectPath("", "C", KeyBinding{"K", MustUint16(5)}), true},
		{"negative widths", mustPath(t, `C.K=-5`), NewObjectPath("", "C", KeyBinding{"K", MustSint32(-5)}), true},
		{"negative vs huge", NewObjectPath("", "C", KeyBinding{"K", MustSint64(-1)}), NewObjectPath("", "C", KeyBinding{"K", MustUint64(1<<64 - 1)}), false},
		{"string vs reference", mustPath(t, `A.R="/root/x:M.Name=\"a\""`), NewObjectPath("", "A", KeyBinding{"R", ref}), true},
		{"string vs other reference", mustPath(t, `A.R="/root/x:M.Name=\"b\""`), NewObjectPath("", "A", KeyBinding{"R", ref}), false},
		{"namespace slashes", mustPath(t, `/root/x:C`), ObjectPath{Namespace: `root\x`, ClassName: "C"}, true},
		{"host differs", mustPath(t, `//a/root:C`), mustPath(t, `//b/root:C`), false},
		{"singleton vs class", mustPath(t, `C=@`), mustPath(t, `C`), false},
		{"missing key", mustPath(t, `C.A=1,B=2`), mustPath(t, `C.A=1`), false},
		{"string vs number", mustPath(t, `C.K="5"`), mustPath(t, `C.K=5`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("%s Equal %s = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := tt.b.Equal(tt.a); got != tt.want {
				t.Errorf("reversed Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestObjectPathKey(t *testing.T) {
	p := mustPath(t, `C.InstanceID="redset:a",N=3`)
	if v, ok := p.Key("instanceid"); !ok || v.Str() != "redset:a" {
		t.Errorf("Key(instanceid) = %v, %v; want redset:a, true", v, ok)
	}
	if _, ok := p.Key("missing"); ok {
		t.Errorf("Key(missing) ok = true, want false")
	}
	if !p.IsInstance() || mustPath(t, "C").IsInstance() || !mustPath(t, "C=@").IsInstance() {
		t.Errorf("IsInstance wrong")
	}
	if got := p.WithoutHost().WithNamespace("root/y").String(); got != `/root/y:C.InstanceID="redset:a",N=3` {
		t.Errorf("WithNamespace = %s", got)
	}
}

func TestNamespaces(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`Root\HyperVCluster\v2`, "Root/HyperVCluster/v2"},
		{"/root/interop/", "root/interop"},
		{`\\root//cimv2\`, "root/cimv2"},
		{"", ""},
		{"root", "root"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeNamespace(tt.in); got != tt.want {
				t.Errorf("NormalizeNamespace(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if !SameNamespace(`Root\HyperVCluster\v2`, "root/hypervcluster/v2") {
		t.Errorf("SameNamespace of Windows and slash forms = false, want true")
	}
	if SameNamespace("root/a", "root/b") {
		t.Errorf("SameNamespace(root/a, root/b) = true, want false")
	}
}

func TestTypeKeys(t *testing.T) {
	c := &Class{Name: "A", Properties: []Property{
		{Name: "Ref", Type: Reference, Qualifiers: Qualifiers{{Name: "Key", Value: NewBool(true)}}},
		{Name: "Num", Type: Uint16, Qualifiers: Qualifiers{{Name: "Key", Value: NewBool(true)}}},
		{Name: "Other", Type: String},
	}}
	p := mustPath(t, `A.num=7,ref="M.Name=\"a\""`)
	got, err := p.TypeKeys(c)
	if err != nil {
		t.Fatalf("TypeKeys: %v", err)
	}
	want := NewObjectPath("", "A", KeyBinding{"Num", MustUint16(7)}, KeyBinding{"Ref", NewReference(mustPath(t, `M.Name="a"`))})
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("TypeKeys mismatch (-want +got):\n%s", diff)
	}
	errCases := []struct{ name, text, frag string }{
		{"missing key", `A.Num=1`, "has keys Ref, Num"},
		{"not a key", `A.Num=1,Other="x"`, "Other is not a key"},
		{"out of range", `A.Num=70000,Ref="M.Name=1"`, "key Num must be uint16"},
		{"bad reference", `A.Num=1,Ref="::"`, "key Ref must be reference"},
	}
	for _, tt := range errCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustPath(t, tt.text).TypeKeys(c)
			wantError(t, err, StatusInvalidParameter, tt.frag)
		})
	}
}
