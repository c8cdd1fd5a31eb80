package mof

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignorePos leaves positions out of AST comparisons.
var ignorePos = cmpopts.IgnoreTypes(Pos{})

func TestParseProductions(t *testing.T) {
	src := `#pragma namespace ("root/x")
Qualifier Tags : string[8] = {"a"}, Scope(property, method), Flavor(Translatable);
[Association, Description("two " "parts"): Translatable]
class Ex_Link : Ex_Base {
   [Key] Ex_Node REF Left;
   uint8 Bytes[4] = {1, 0x2, 03, 100b};
   real32 R = -2.5;
   char16 C = '\x263A';
   string S = null;
   uint32 Go([IN, OUT] string Arg[], Ex_Node REF Target);
};
instance of Ex_Node as $n { Name = "n"; Flag = TRUE; };`
	prods, err := Parse("t.mof", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []Production{
		&Pragma{Name: "namespace", Value: "root/x"},
		&QualifierDeclNode{Name: "Tags", Type: "string", IsArray: true, ArraySize: 8,
			Default: &Literal{Kind: LitArray, Elems: []Literal{{Kind: LitString, Str: "a"}}},
			Scopes:  []Ident{{Name: "property"}, {Name: "method"}}, Flavors: []Ident{{Name: "Translatable"}}},
		&ClassNode{
			Qualifiers: []QualifierNode{{Name: "Association"},
				{Name: "Description", Value: &Literal{Kind: LitString, Str: "two parts"}, Flavors: []Ident{{Name: "Translatable"}}}},
			Name: "Ex_Link", SuperClass: "Ex_Base",
			Properties: []PropertyNode{
				{Qualifiers: []QualifierNode{{Name: "Key"}}, Type: TypeRef{RefClass: "Ex_Node"}, Name: "Left"},
				{Type: TypeRef{Name: "uint8"}, Name: "Bytes", IsArray: true, ArraySize: 4, Default: &Literal{Kind: LitArray,
					Elems: []Literal{{Kind: LitInt, Uint: 1}, {Kind: LitInt, Uint: 2}, {Kind: LitInt, Uint: 3}, {Kind: LitInt, Uint: 4}}}},
				{Type: TypeRef{Name: "real32"}, Name: "R", Default: &Literal{Kind: LitReal, Real: -2.5}},
				{Type: TypeRef{Name: "char16"}, Name: "C", Default: &Literal{Kind: LitChar, Char: '☺'}},
				{Type: TypeRef{Name: "string"}, Name: "S", Default: &Literal{Kind: LitNull}},
			},
			Methods: []MethodNode{{ReturnType: TypeRef{Name: "uint32"}, Name: "Go", Parameters: []ParameterNode{
				{Qualifiers: []QualifierNode{{Name: "IN"}, {Name: "OUT"}}, Type: TypeRef{Name: "string"}, Name: "Arg", IsArray: true},
				{Type: TypeRef{RefClass: "Ex_Node"}, Name: "Target"},
			}}},
		},
		&InstanceNode{ClassName: "Ex_Node", Alias: "n", Properties: []PropertyValueNode{
			{Name: "Name", Value: &Literal{Kind: LitString, Str: "n"}},
			{Name: "Flag", Value: &Literal{Kind: LitBool, Bool: true}},
		}},
	}
	if d := cmp.Diff(want, prods, ignorePos); d != "" {
		t.Errorf("productions (-want +got):\n%s", d)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"missing semicolon", "class A {\n  string S\n};", []string{"t.mof:3:1: expected ';', found '}'"}},
		{"unknown production", "klass A {};", []string{`t.mof:1:1: expected "class", "instance", "qualifier" or "#pragma", found identifier "klass"`}},
		{"unterminated string", "class A { string S = \"abc\n; };", []string{"t.mof:1:22: unterminated string"}},
		{"unterminated comment", "class A {};\n /* open", []string{"t.mof:2:2: unterminated comment"}},
		{"ref without REF", "class A { B C; };", []string{`t.mof:1:13: expected "ref", found identifier "C"`}},
		{"column counts characters", "class Ä { string ö = 1 2; };", []string{"t.mof:1:24: expected ';', found integer \"2\""}},
		{"two errors, recovery", "class A { x };\nclass B { string s; };\nclass C { 1 };",
			[]string{`t.mof:1:13: expected "ref", found '}'`, "t.mof:3:11: expected data type or class name, found integer \"1\""}},
		{"pragma without parens", `#pragma include "x"`, []string{"t.mof:1:17: expected '(', found string"}},
		{"zero array size", "class A { uint8 X[0]; };", []string{"t.mof:1:19: array size must be between 1 and 2147483647"}},
		{"alias in qualifier", "[Description($a)] class A {};", []string{"t.mof:1:14: expected value, found alias \"$a\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.mof", []byte(tt.src))
			if d := cmp.Diff(tt.want, errorLines(err)); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseKeepsGoodProductions(t *testing.T) {
	prods, err := Parse("t.mof", []byte("class A { x };\nclass B { string s; };"))
	if err == nil {
		t.Fatal("Parse: got nil error, want one")
	}
	if len(prods) != 1 || prods[0].(*ClassNode).Name != "B" {
		t.Errorf("productions: got %d, want only class B", len(prods))
	}
}

func TestParseStringEscapes(t *testing.T) {
	tests := []struct{ src, want string }{
		{`"plain"`, "plain"},
		{`"tab\there"`, "tab\there"},
		{`"\b\f\n\r\"\'\\"`, "\b\f\n\r\"'\\"},
		{`"\x41\X263a!"`, "A☺!"},
		{`"joined" " together"`, "joined together"},
		{`"ünïcödé"`, "ünïcödé"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			prods, err := Parse("t.mof", []byte("class A { string S = "+tt.src+"; };"))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := prods[0].(*ClassNode).Properties[0].Default.Str
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseRejectsInvalidUTF8(t *testing.T) {
	_, err := Parse("t.mof", []byte("class A { string S = \"\xff\"; };"))
	if err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("got %v, want a UTF-8 error", err)
	}
}

// BenchmarkParseLongLine parses one line of many classes; column
// numbers must not cost time proportional to the line for every token.
func BenchmarkParseLongLine(b *testing.B) {
	src := []byte(strings.Repeat("class A { string S = \"x\"; uint8 N[] = {1, 2, 3}; }; ", 20000))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse("long.mof", src); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseColumnsOnLongLine(t *testing.T) {
	src := strings.Repeat("class A {}; ", 1000) + "class ☺ {} x"
	_, err := Parse("t.mof", []byte(src))
	want := []string{"t.mof:1:12012: expected ';', found identifier \"x\""}
	if d := cmp.Diff(want, errorLines(err)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
}
