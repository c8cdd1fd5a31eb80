package wql

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
)

func key() cim.Qualifiers {
	return cim.Qualifiers{{Name: "Key", Value: cim.NewBool(true)}}
}

// testClass is the class the tests query.
func testClass() *cim.Class {
	return &cim.Class{Name: "Test_Set", SuperClass: "Test_Collection", Properties: []cim.Property{
		{Name: "InstanceID", Type: cim.String, Qualifiers: key()},
		{Name: "ElementName", Type: cim.String},
		{Name: "RedundancyStatus", Type: cim.Uint16},
		{Name: "TypeOfSet", Type: cim.Uint16, IsArray: true},
		{Name: "MinNumberNeeded", Type: cim.Uint32},
		{Name: "Offset", Type: cim.Sint32},
		{Name: "Ratio", Type: cim.Real64},
		{Name: "Enabled", Type: cim.Boolean},
		{Name: "Created", Type: cim.Datetime},
		{Name: "Uptime", Type: cim.Datetime},
		{Name: "Owner", Type: cim.Reference, RefClass: "Test_Member"},
		{Name: "Nothing", Type: cim.String},
		{Name: "Letter", Type: cim.Char16},
		{Name: "Names", Type: cim.String, IsArray: true},
		{Name: "Empty", Type: cim.Uint16, IsArray: true},
	}}
}

func mustTime(t testing.TB, s string) cim.Value {
	t.Helper()
	d, err := cim.ParseDateTime(s)
	if err != nil {
		t.Fatalf("ParseDateTime(%q): %v", s, err)
	}
	return cim.NewDateTime(d)
}

func ownerPath() cim.ObjectPath {
	return cim.NewObjectPath("root/test", "Test_Member",
		cim.KeyBinding{Name: "Name", Value: cim.NewString("web-a")})
}

// testInstance is the instance the tests match.
func testInstance(t testing.TB) cim.Instance {
	return cim.Instance{ClassName: "Test_Set", Properties: []cim.PropertyValue{
		{Name: "InstanceID", Value: cim.NewString("redset:demo-web")},
		{Name: "ElementName", Value: cim.NewString("Demo Web")},
		{Name: "RedundancyStatus", Value: cim.MustUint16(2)},
		{Name: "TypeOfSet", Value: cim.MustUint16Array([]uint16{4, 1})},
		{Name: "MinNumberNeeded", Value: cim.MustUint32(1)},
		{Name: "Offset", Value: cim.MustSint32(-3)},
		{Name: "Ratio", Value: cim.NewReal(cim.Real64, 0.5)},
		{Name: "Enabled", Value: cim.NewBool(true)},
		{Name: "Created", Value: mustTime(t, "20240102030405.000000+000")},
		{Name: "Uptime", Value: mustTime(t, "00000001000000.000000:000")},
		{Name: "Owner", Value: cim.NewReference(ownerPath())},
		{Name: "Nothing", Value: cim.Null(cim.String, false)},
		{Name: "Letter", Value: cim.NewChar16('x')},
		{Name: "Names", Value: cim.NewStringArray([]string{"web-a", "web-b"})},
		{Name: "Empty", Value: cim.MustUint16Array(nil)},
	}}
}

// testIsa knows Test_Set -> Test_Collection -> Test_Element and
// Test_Member -> Test_Element.
func testIsa(class, target string) bool {
	supers := map[string]string{"test_set": "Test_Collection", "test_collection": "Test_Element", "test_member": "Test_Element"}
	for c := class; c != ""; c = supers[strings.ToLower(c)] {
		if strings.EqualFold(c, target) {
			return true
		}
	}
	return false
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, query string
		wantClass   string
		wantProps   []string
	}{
		{"star", "SELECT * FROM Test_Set", "Test_Set", nil},
		{"lower case keywords", "select * from Test_Set where RedundancyStatus = 2", "Test_Set", nil},
		{"property list", "SELECT InstanceID, ElementName FROM Test_Set", "Test_Set", []string{"InstanceID", "ElementName"}},
		{"spaces everywhere", "  SELECT\tInstanceID ,ElementName\nFROM  Test_Set  ", "Test_Set", []string{"InstanceID", "ElementName"}},
		{"nested logic", "SELECT * FROM X WHERE NOT (a = 1 OR b <> 'x') AND c IS NOT NULL", "X", nil},
		{"isa with string", "SELECT * FROM X WHERE Owner ISA 'Test_Element'", "X", nil},
		{"like", "SELECT * FROM X WHERE Name NOT LIKE '[_]%'", "X", nil},
		{"literal first", "SELECT * FROM X WHERE 5 < a", "X", nil},
		{"hex and reals", "SELECT * FROM X WHERE a = 0x1F OR b = -2.5e3 OR c = +.5", "X", nil},
		{"unicode identifiers", "SELECT Größe FROM Maß", "Maß", []string{"Größe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.query)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.query, err)
			}
			if got := q.ClassName(); got != tt.wantClass {
				t.Errorf("ClassName() = %q, want %q", got, tt.wantClass)
			}
			if diff := cmp.Diff(tt.wantProps, q.Properties()); diff != "" {
				t.Errorf("Properties() (-want +got):\n%s", diff)
			}
			if got := q.String(); got != tt.query {
				t.Errorf("String() = %q, want %q", got, tt.query)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"empty", "", "wql: col 1: expected SELECT, found end of query"},
		{"no from", "SELECT * Test_Set", `wql: col 10: expected FROM, found "Test_Set"`},
		{"no class", "SELECT * FROM", "wql: col 14: expected a class name, found end of query"},
		{"keyword as class", "SELECT * FROM WHERE", `wql: col 15: expected a class name, found "WHERE"`},
		{"trailing junk", "SELECT * FROM X Y", `wql: col 17: expected WHERE or end of query, found "Y"`},
		{"empty select list", "SELECT FROM X", `wql: col 8: expected '*' or a property name, found "FROM"`},
		{"dangling comma", "SELECT a, FROM X", `wql: col 11: expected '*' or a property name, found "FROM"`},
		{"missing operator", "SELECT * FROM X WHERE a 5", `wql: col 25: expected a comparison operator, IS, ISA or LIKE, found "5"`},
		{"missing operand", "SELECT * FROM X WHERE a =", "wql: col 26: expected a property name or a literal, found end of query"},
		{"unclosed paren", "SELECT * FROM X WHERE (a = 1", "wql: col 29: expected ')', found end of query"},
		{"unterminated string", "SELECT * FROM X WHERE a = 'abc", "wql: col 27: unterminated string literal"},
		{"is without null", "SELECT * FROM X WHERE a IS 5", `wql: col 28: expected NULL, found "5"`},
		{"null ordering", "SELECT * FROM X WHERE a < NULL", "wql: col 25: NULL cannot be compared with <; use IS NULL or IS NOT NULL"},
		{"like needs string", "SELECT * FROM X WHERE a LIKE 5", `wql: col 30: expected a string pattern after LIKE, found "5"`},
		{"bad like set", "SELECT * FROM X WHERE a LIKE '[abc'", `wql: col 30: LIKE pattern "[abc": unterminated [ set`},
		{"isa without class", "SELECT * FROM X WHERE a ISA 5", `wql: col 29: expected a class name after ISA, found "5"`},
		{"integer overflow", "SELECT * FROM X WHERE a = 18446744073709551616", "wql: col 27: integer 18446744073709551616 is not valid or out of range"},
		{"negative overflow", "SELECT * FROM X WHERE a = -9223372036854775809", "wql: col 28: integer -9223372036854775809 is out of range"},
		{"real overflow", "SELECT * FROM X WHERE a = 1e999", "wql: col 27: number 1e999 is out of range"},
		{"stray character", "SELECT * FROM X WHERE a = 1 ; ", `wql: col 29: expected WHERE or end of query, found ";"`},
		{"column counts characters", "SELECT * FROM Maß WHERE ä ! 1", `wql: col 27: expected a comparison operator, IS, ISA or LIKE, found "!"`},
		{"too deep", "SELECT * FROM X WHERE " + strings.Repeat("(", 200) + "a = 1" + strings.Repeat(")", 200), "wql: col 123: expression nested more than 100 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.query)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error %q", tt.query, q, tt.want)
			}
			var ce *cim.Error
			if !errors.As(err, &ce) || ce.Status != cim.StatusInvalidQuery {
				t.Fatalf("Parse(%q) error %v, want *cim.Error with CIM_ERR_INVALID_QUERY", tt.query, err)
			}
			if ce.Message != tt.want {
				t.Errorf("Parse(%q) message\n got %q\nwant %q", tt.query, ce.Message, tt.want)
			}
		})
	}
}

func TestParseTooLong(t *testing.T) {
	_, err := Parse("SELECT * FROM X WHERE a = '" + strings.Repeat("x", MaxLength) + "'")
	if got := cim.StatusOf(err); got != cim.StatusInvalidQuery {
		t.Errorf("status = %v, want CIM_ERR_INVALID_QUERY (err %v)", got, err)
	}
}

func TestParseLanguage(t *testing.T) {
	tests := []struct {
		lang        string
		wantDialect Dialect
		wantStatus  cim.Status
	}{
		{"WQL", WQL, cim.StatusOK},
		{"wql", WQL, cim.StatusOK},
		{"http://schemas.microsoft.com/wbem/wsman/1/WQL", WQL, cim.StatusOK},
		{"DMTF:CQL", CQL, cim.StatusOK},
		{"CQL", CQL, cim.StatusOK},
		{"DMTF:FQL", WQL, cim.StatusQueryLanguageNotSupported},
		{"", WQL, cim.StatusQueryLanguageNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			q, err := ParseLanguage(tt.lang, "SELECT * FROM X")
			if got := cim.StatusOf(err); got != tt.wantStatus {
				t.Fatalf("status = %v, want %v (err %v)", got, tt.wantStatus, err)
			}
			if err == nil && q.Dialect() != tt.wantDialect {
				t.Errorf("Dialect() = %v, want %v", q.Dialect(), tt.wantDialect)
			}
		})
	}
}
