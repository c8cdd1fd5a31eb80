package mof

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/cim"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"nested/main.mof", []string{"nested/sub/b.mof:4:1: expected ';', found '}'"}},
		{"unknown_superclass.mof", []string{"unknown_superclass.mof:3:30: superclass No_Such_Parent is not defined"}},
		{"undeclared_qualifier.mof", []string{"undeclared_qualifier.mof:4:13: qualifier Colour is not declared"}},
		{"wrong_default.mof", []string{
			"wrong_default.mof:4:18: default of Small: value 256 out of range for uint8",
			"wrong_default.mof:5:19: default of Flag: string value does not fit type boolean",
			"wrong_default.mof:6:20: default of Many: scalar value given for array type string[] (use { })",
		}},
		{"duplicate_class.mof", []string{"duplicate_class.mof:7:1: class TWICE is already defined (as Twice)"}},
		{"bad_scope.mof", []string{
			"bad_scope.mof:3:5: qualifier Key is not allowed on a class (scope property, reference)",
			"bad_scope.mof:5:8: qualifier In is not allowed on a property (scope parameter)",
		}},
		{"reference_outside_association.mof", []string{"reference_outside_association.mof:8:4: reference Link is only allowed in an association"}},
		{"instance_errors.mof", []string{
			"instance_errors.mof:9:4: class Node has no property Colour",
			"instance_errors.mof:13:11: property Name: alias $nowhere used for non-reference type string",
			"instance_errors.mof:16:13: class Missing_Class is not defined",
		}},
		{"include_cycle.mof", []string{"include_cycle.mof:1:1: include cycle: include_cycle.mof is already being compiled"}},
		{"no_such_file.mof", []string{"no_such_file.mof: cannot read no_such_file.mof: no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			err := Compile(NewRepository(), os.DirFS("testdata"), Options{}, tt.file)
			if d := cmp.Diff(tt.want, errorLines(err)); d != "" {
				t.Errorf("Compile(%s) diagnostics (-want +got):\n%s", tt.file, d)
			}
		})
	}
}

// errorLines returns the diagnostics of an *ErrorList as strings.
func errorLines(err error) []string {
	var list *ErrorList
	if !errors.As(err, &list) {
		return nil
	}
	var out []string
	for _, e := range list.Errors {
		out = append(out, e.Error())
	}
	return out
}

func TestCompileRecoversAfterSyntaxError(t *testing.T) {
	repo := NewRepository()
	err := Compile(repo, os.DirFS("testdata"), Options{}, "nested/main.mof")
	if err == nil {
		t.Fatal("Compile(nested/main.mof): got nil error, want the syntax error")
	}
	for _, name := range []string{"A_Base", "After_Error"} {
		if _, ok := repo.Class(DefaultNamespace, name); !ok {
			t.Errorf("class %s: got missing, want compiled despite the error in b.mof", name)
		}
	}
	if _, ok := repo.Class(DefaultNamespace, "B_Child"); ok {
		t.Error("class B_Child: got compiled, want skipped (it has the syntax error)")
	}
}

func TestCompileInstances(t *testing.T) {
	repo := NewRepository()
	if err := Compile(repo, os.DirFS("testdata"), Options{Namespace: "root/test"}, "instances.mof"); err != nil {
		t.Fatalf("Compile(instances.mof): %v", err)
	}
	node, _ := repo.Class("root/test", "Node")
	codes, _ := node.Property("Codes")
	weight, _ := node.Property("Weight")
	letter, _ := node.Property("Letter")
	defaults := []struct {
		name      string
		got, want cim.Value
	}{
		{"Codes default", codes.Default, cim.MustUint16Array([]uint16{16, 15, 5, 9})},
		{"Weight default", weight.Default, cim.NewReal(cim.Real64, -1500)},
		{"Letter default", letter.Default, cim.NewChar16('A')},
	}
	for _, d := range defaults {
		if !d.got.Equal(d.want) {
			t.Errorf("%s: got %s, want %s", d.name, d.got.MOF(), d.want.MOF())
		}
	}
	insts := repo.Instances("root/test")
	if len(insts) != 3 {
		t.Fatalf("instances: got %d, want 3", len(insts))
	}
	checkInstanceValues(t, insts)
}

func checkInstanceValues(t *testing.T, insts []cim.Instance) {
	t.Helper()
	name, _ := insts[0].Get("Name")
	if got := name.Str(); got != "alpha" {
		t.Errorf("concatenated Name: got %q, want %q", got, "alpha")
	}
	name, _ = insts[1].Get("Name")
	if got := name.Str(); got != "b\tc" {
		t.Errorf("escaped Name: got %q, want %q", got, "b\tc")
	}
	from, _ := insts[2].Get("From")
	to, _ := insts[2].Get("To")
	key, _ := from.Ref().Key("Name")
	if from.Ref().ClassName != "Node" || key.Str() != "alpha" {
		t.Errorf("alias $a: got %s, want a path to Node.Name=\"alpha\"", from.Ref())
	}
	if key, _ := to.Ref().Key("Name"); key.Str() != "b\tc" {
		t.Errorf("alias $b: got %s, want a path to Node.Name=\"b\\tc\"", to.Ref())
	}
}

func TestCompileNamespacePragma(t *testing.T) {
	fsys := fstest.MapFS{
		"q.mof": {Data: []byte(`Qualifier Key : boolean = false, Scope(property), Flavor(DisableOverride);`)},
		"main.mof": {Data: []byte(`#pragma include("q.mof")
class In_Default { [Key] string K; };
#pragma namespace("root\\Other")
#pragma include("q.mof")
class In_Other { [Key] string K; };`)},
	}
	repo := NewRepository()
	if err := Compile(repo, fsys, Options{Namespace: "root/first"}, "main.mof"); err != nil {
		t.Fatalf("Compile: %v", err)
	}
	tests := []struct {
		ns, class string
		want      bool
	}{
		{"root/first", "In_Default", true},
		{"root/first", "In_Other", false},
		{"ROOT/other", "In_Other", true},
		{"root/other", "In_Default", false},
	}
	for _, tt := range tests {
		t.Run(tt.ns+"/"+tt.class, func(t *testing.T) {
			if _, got := repo.Class(tt.ns, tt.class); got != tt.want {
				t.Errorf("Class(%q, %q) found: got %v, want %v", tt.ns, tt.class, got, tt.want)
			}
		})
	}
}

func TestCompileStopsAtMaxErrors(t *testing.T) {
	var src strings.Builder
	for range MaxErrors + 10 {
		src.WriteString("class Undeclared_Super_Child : Missing {};\n")
	}
	fsys := fstest.MapFS{"many.mof": {Data: []byte(src.String())}}
	err := Compile(NewRepository(), fsys, Options{}, "many.mof")
	var list *ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Compile: got %v, want an *ErrorList", err)
	}
	if len(list.Errors) != MaxErrors || !list.Truncated {
		t.Errorf("errors: got %d (truncated %v), want %d (truncated true)", len(list.Errors), list.Truncated, MaxErrors)
	}
	if !strings.Contains(list.Error(), "too many errors") {
		t.Errorf("message: got %q, want it to mention too many errors", list.Error())
	}
}

func TestCompileChecks(t *testing.T) {
	qual, _ := os.ReadFile("testdata/qualifiers.mof")
	tests := []struct {
		name, src, want string
	}{
		{"unknown pragma", `#pragma frobnicate("x")`, "t.mof:1:1: unknown pragma frobnicate"},
		{"include outside", `#pragma include("../x.mof")`, "t.mof:1:1: include path leaves the file system: ../x.mof"},
		{"duplicate property", "class C { string A; uint8 a; };", "t.mof:1:21: property a is already declared at t.mof:1:11"},
		{"unknown ref class", "[Association] class C { [Key] Nope REF R; };", "t.mof:1:31: class Nope is not defined"},
		{"reference array", "class T {}; [Association] class C { T REF R[]; };", "t.mof:1:37: reference R cannot be an array"},
		{"narrowing reference", "class T {}; class U {}; [Association] class A { T REF R; };\n" +
			"[Association] class B : A { [Override(\"R\")] U REF R; };", "t.mof:2:45: reference R must refer to T or a subclass of it, not U"},
		{"qualifier value type", "class C { [MaxLen(\"x\")] string S; };", "t.mof:1:19: qualifier MaxLen: string value does not fit type uint32"},
		{"qualifier needs value", "class C { [MaxLen] string S; };", "t.mof:1:12: qualifier MaxLen needs a value of type uint32"},
		{"qualifier twice", "class C { [Key, key] string S; };", "t.mof:1:17: qualifier Key given twice"},
		{"abstract instance", "[Abstract] class C { [Key] string S; }; instance of C { S = \"x\"; };", "t.mof:1:53: class C is abstract and cannot have instances"},
		{"missing key", "class C { [Key] string S; string T; }; instance of C { T = \"x\"; };", "t.mof:1:40: instance of C: property S: Key must not be null"},
		{"bad flavor", "class C { [Key : Sticky] string S; };", "t.mof:1:18: unknown flavor Sticky"},
		{"bad scope name", "Qualifier Q : string, Scope(everywhere);", "t.mof:1:29: unknown scope everywhere"},
		{"redeclared qualifier type", "Qualifier Key : string, Scope(property);", "t.mof:1:1: qualifier Key is already declared as boolean"},
		{"key override changed", "class A { [Key] string S; }; class B : A { [Key(false)] string S; };",
			"t.mof:1:30: class B: property S: qualifier Key has DisableOverride; value true cannot change to false"},
		{"method returning reference", "class T {}; class C { T REF M(); };", "t.mof:1:23: method M cannot return a reference"},
		{"duplicate parameter", "class C { uint32 M(uint8 a, uint8 A); };", "t.mof:1:29: parameter A is already declared at t.mof:1:20"},
		{"char16 too long", "class C { char16 X = 'ab'; };", "t.mof:1:22: char16 literal must hold exactly one UCS-2 character"},
		{"bad escape", `class C { string X = "a\q"; };`, "t.mof:1:24: invalid escape sequence"},
		{"negative unsigned", "class C { uint32 X = -1; };", "t.mof:1:22: default of X: value -1 out of range for uint32"},
		{"sint64 minimum", "class C { sint64 X = -9223372036854775809; };", "t.mof:1:22: default of X: value out of range for sint64"},
		{"integer overflow", "class C { uint64 X = 18446744073709551616; };", "t.mof:1:22: integer literal out of range"},
		{"fixed array too long", "class C { uint8 X[2] = {1, 2, 3}; };", "t.mof:1:24: default of X has more elements than the array size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"q.mof": {Data: qual}, "t.mof": {Data: []byte(tt.src)}}
			repo := NewRepository()
			if err := Compile(repo, fsys, Options{}, "q.mof"); err != nil {
				t.Fatalf("qualifiers: %v", err)
			}
			got := errorLines(Compile(repo, fsys, Options{}, "t.mof"))
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("diagnostics:\ngot  %q\nwant [%q]", got, tt.want)
			}
		})
	}
}
