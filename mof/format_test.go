package mof

import (
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/cim"
)

const formatQualifiers = `
Qualifier Association : boolean = false, Scope(association), Flavor(DisableOverride, ToSubclass);
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Description : string = null, Scope(any), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier Tags : string[], Scope(any);
Qualifier Limit : sint64 = null, Scope(property, parameter);
Qualifier Out : boolean = false, Scope(parameter);
Qualifier Ratio : real64 = 0.5, Scope(class, association);
`

const formatClasses = `
[Description("Control \x0001a, tab\t, quote \" and backslash \\ and ☺ ünïcode"): Restricted,
 Tags {"a", "b\nc", ""}, Ratio(-1.25e-3)]
class Fmt_Node {
   [Key, Limit(-9223372036854775808)] string Name = "n";
   uint8 Fixed[3] = {1, 2, 3};
   sint16 Neg = -32768;
   uint64 Big = 18446744073709551615;
   real32 R = 1.5;
   real64 Zero = 0.0;
   boolean B = false;
   char16 C = '\'';
   datetime When = "20240102030405.123456+060";
   datetime Span = "00000001020304.000000:000";
   string Empty = "";
   string List[] = {"x", "y\\"};
   uint32 Do([Out, Description("out")] string Result[], uint8 In8);
};
[Association]
class Fmt_Link {
   [Key] Fmt_Node REF A;
   [Key] Fmt_Node REF B = "Fmt_Node.Name=\"n\"";
};
`

// TestFormatRoundTrip writes classes holding every kind of value back as
// MOF and compiles the text into equal classes.
func TestFormatRoundTrip(t *testing.T) {
	repo := NewRepository()
	fsys := fstest.MapFS{"q.mof": {Data: []byte(formatQualifiers)}, "c.mof": {Data: []byte(formatClasses)}}
	if err := Compile(repo, fsys, Options{}, "q.mof", "c.mof"); err != nil {
		t.Fatalf("Compile: %v", err)
	}
	checkRoundTrip(t, repo, DefaultNamespace)
	node, _ := repo.LocalClass(DefaultNamespace, "Fmt_Node")
	text := Format(node)
	for _, want := range []string{`\x0001a`, `: Restricted`, `uint8 Fixed[3] = {1, 2, 3};`, `[Key, Limit(-9223372036854775808)]`} {
		if !strings.Contains(text, want) {
			t.Errorf("Format output lacks %q:\n%s", want, text)
		}
	}
}

func TestFormatQualifierDecl(t *testing.T) {
	d := cim.QualifierDecl{Name: "Tags", Type: cim.String, IsArray: true, ArraySize: 4,
		Default: cim.NewStringArray([]string{"a"}), Scope: cim.ScopeProperty | cim.ScopeMethod,
		Flavor: cim.DisableOverride | cim.Translatable}
	want := "Qualifier Tags : string[4] = {\"a\"},\n    Scope(property, method),\n    Flavor(DisableOverride, Translatable);\n"
	if got := FormatQualifierDecl(d); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSplitText(t *testing.T) {
	long := strings.Repeat("word ", 30)
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"short", "short text"},
		{"long words", long},
		{"line breaks", "one\ntwo\nthree"},
		{"no spaces", strings.Repeat("x", 200)},
		{"multibyte", strings.Repeat("ü", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pieces := splitText(tt.in, 30, 40)
			if got := strings.Join(pieces, ""); got != tt.in {
				t.Errorf("pieces join to %q, want %q", got, tt.in)
			}
			for _, p := range pieces {
				if !utf8.ValidString(p) || len(p) > 41 {
					t.Errorf("piece %q: invalid UTF-8 or longer than 41 bytes", p)
				}
			}
		})
	}
}

func TestFormatSkipsInheritedUnlessAsked(t *testing.T) {
	repo := treeRepo(t)
	leaf, _ := repo.Class("root/t", "Leaf_C")
	if got, want := Format(leaf), "class Leaf_C : Mid_B {\n};\n"; got != want {
		t.Errorf("Format(derived): got %q, want %q", got, want)
	}
	got := FormatClass(leaf, FormatOptions{Inherited: true})
	// Without declarations the resolved flavors of the effective class show.
	want := "class Leaf_C : Mid_B {\n\n   // inherited from Root_A\n   [Key: DisableOverride ToSubclass]\n   string K;\n};\n"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FormatClass(Inherited) (-want +got):\n%s", d)
	}
}
