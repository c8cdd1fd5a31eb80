package wql

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name, where string
		want        bool
	}{
		{"no where", "", true},
		{"string equal ignores case", "ElementName = 'demo web'", true},
		{"string double quotes", `ElementName = "Demo Web"`, true},
		{"string not equal", "ElementName <> 'Demo Web'", false},
		{"string bang equal", "ElementName != 'other'", true},
		{"string ordering", "ElementName < 'E'", true},
		{"string ordering ignores case", "ElementName > 'delta'", true},
		{"uint equal", "RedundancyStatus = 2", true},
		{"uint less", "RedundancyStatus < 2", false},
		{"uint less or equal", "RedundancyStatus <= 2", true},
		{"uint greater or equal", "RedundancyStatus >= 3", false},
		{"literal on the left", "3 > RedundancyStatus", true},
		{"uint against string number", "RedundancyStatus = '2'", true},
		{"uint against hex", "RedundancyStatus = 0x2", true},
		{"uint against real", "RedundancyStatus < 2.5", true},
		{"uint against negative", "MinNumberNeeded > -1", true},
		{"sint negative", "Offset = -3", true},
		{"sint below unsigned", "Offset < 0", true},
		{"sint against big unsigned", "Offset < 18446744073709551615", true},
		{"real", "Ratio = 0.5", true},
		{"real against integer", "Ratio < 1", true},
		{"boolean true", "Enabled = TRUE", true},
		{"boolean false", "Enabled = false", false},
		{"boolean not equal", "Enabled <> FALSE", true},
		{"boolean against string", "Enabled = 'true'", true},
		{"datetime equal", "Created = '20240102030405.000000+000'", true},
		{"datetime same instant other zone", "Created = '20240102040405.000000+060'", true},
		{"datetime later", "Created > '20230101000000.000000+000'", true},
		{"interval", "Uptime >= '00000000120000.000000:000'", true},
		{"reference equal full path", `Owner = '/root/test:Test_Member.Name="web-a"'`, true},
		{"reference equal without namespace", `Owner = 'Test_Member.Name="web-a"'`, true},
		{"reference other", `Owner = 'Test_Member.Name="web-b"'`, false},
		{"reference not a path", "Owner = 'junk'", false},
		{"array any element", "TypeOfSet = 4", true},
		{"array second element", "TypeOfSet = 1", true},
		{"array no element", "TypeOfSet = 3", false},
		{"array not equal some element", "TypeOfSet <> 4", true},
		{"array NOT any", "NOT TypeOfSet = 4", false},
		{"empty array", "Empty = 0", false},
		{"string array", "Names = 'WEB-B'", true},
		{"char16", "Letter = 'x'", true},
		{"is null", "Nothing IS NULL", true},
		{"is not null", "Nothing IS NOT NULL", false},
		{"equals null", "Nothing = NULL", true},
		{"not equals null", "ElementName <> NULL", true},
		{"null literal first", "NULL = ElementName", false},
		{"null compare unknown", "Nothing = 'x'", false},
		{"not of unknown", "NOT Nothing = 'x'", false},
		{"unknown or true", "Nothing = 'x' OR RedundancyStatus = 2", true},
		{"unknown and false", "NOT (Nothing = 'x' AND RedundancyStatus = 3)", true},
		{"unknown and true", "NOT (Nothing = 'x' AND RedundancyStatus = 2)", false},
		{"and", "RedundancyStatus = 2 AND MinNumberNeeded = 1", true},
		{"and false", "RedundancyStatus = 2 AND MinNumberNeeded = 2", false},
		{"or", "RedundancyStatus = 3 OR MinNumberNeeded = 1", true},
		{"precedence and over or", "RedundancyStatus = 3 AND MinNumberNeeded = 2 OR Enabled = TRUE", true},
		{"parentheses", "RedundancyStatus = 3 AND (MinNumberNeeded = 2 OR Enabled = TRUE)", false},
		{"not", "NOT RedundancyStatus = 3", true},
		{"double not", "NOT NOT RedundancyStatus = 3", false},
		{"property names ignore case", "redundancystatus = 2", true},
		{"like prefix", "InstanceID LIKE 'redset:%'", true},
		{"like ignores case", "ElementName LIKE 'DEMO%'", true},
		{"like one char", "ElementName LIKE 'Demo_Web'", true},
		{"like no match", "ElementName LIKE 'Demo'", false},
		{"not like", "ElementName NOT LIKE '%web%'", false},
		{"like array", "Names LIKE '%-b'", true},
		{"like null", "Nothing LIKE '%'", false},
		{"isa reference", "Owner ISA Test_Element", true},
		{"isa reference string", "Owner ISA 'Test_Member'", true},
		{"isa reference other", "Owner ISA Test_Collection", false},
		{"isa class", "__CLASS ISA 'Test_Collection'", true},
		{"isa from class", "Test_Set ISA Test_Element", true},
		{"isa class no", "__CLASS ISA Test_Member", false},
		{"class name", "__CLASS = 'test_set'", true},
		{"class like", "__Class LIKE 'Test[_]%'", true},
	}
	inst := testInstance(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := "SELECT * FROM Test_Set"
			if tt.where != "" {
				q += " WHERE " + tt.where
			}
			query, err := Parse(q)
			if err != nil {
				t.Fatalf("Parse(%q): %v", q, err)
			}
			if err := query.Check(testClass()); err != nil {
				t.Errorf("Check: %v", err)
			}
			got, err := query.Match(inst, testIsa)
			if err != nil {
				t.Fatalf("Match(%q): %v", q, err)
			}
			if got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", q, got, tt.want)
			}
		})
	}
}

func TestMatchCQLIsCaseSensitive(t *testing.T) {
	tests := []struct {
		where string
		want  bool
	}{
		{"ElementName = 'Demo Web'", true},
		{"ElementName = 'demo web'", false},
		{"ElementName LIKE 'demo%'", false},
		{"ElementName > 'delta'", false},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			q, err := ParseLanguage("DMTF:CQL", "SELECT * FROM Test_Set WHERE "+tt.where)
			if err != nil {
				t.Fatal(err)
			}
			got, err := q.Match(testInstance(t), nil)
			if err != nil || got != tt.want {
				t.Errorf("Match = %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}
}

func TestMatchErrors(t *testing.T) {
	tests := []struct {
		name, where, want string
	}{
		{"string against number", "ElementName = 5", "wql: col 42: cannot compare ElementName (string) with 5: not a number"},
		{"number against word", "RedundancyStatus = 'two'", `wql: col 47: cannot compare RedundancyStatus (uint16) with "two": not a number`},
		{"boolean ordering", "Enabled < TRUE", "wql: col 38: cannot compare Enabled (boolean) with true: these values have no order; use = or <>"},
		{"boolean against word", "Enabled = 'yes'", `wql: col 38: cannot compare Enabled (boolean) with "yes": not a boolean`},
		{"timestamp against interval", "Created < '00000001000000.000000:000'", `wql: col 38: cannot compare Created (datetime) with "00000001000000.000000:000": a timestamp cannot be compared with an interval`},
		{"datetime against word", "Created = 'today'", `wql: col 38: cannot compare Created (datetime) with "today": not a datetime`},
		{"reference ordering", "Owner < 'x'", `wql: col 36: cannot compare Owner (reference) with "x": these values have no order; use = or <>`},
		{"like on number", "RedundancyStatus LIKE '2'", "wql: col 47: LIKE needs a string, not RedundancyStatus (uint16)"},
		{"isa on number", "RedundancyStatus ISA X", "wql: col 47: ISA needs a reference or __CLASS, not RedundancyStatus (uint16)"},
		{"array element type", "TypeOfSet = 'x'", `wql: col 40: cannot compare TypeOfSet (uint16[]) with "x": not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse("SELECT * FROM Test_Set WHERE " + tt.where)
			if err != nil {
				t.Fatal(err)
			}
			_, err = q.Match(testInstance(t), testIsa)
			assertQueryError(t, "Match", err, tt.want)
			if tt.name == "timestamp against interval" {
				// a datetime property may hold either form, so Check
				// only checks that the literal is a datetime.
				return
			}
			assertQueryError(t, "Check", q.Check(testClass()), tt.want)
		})
	}
}

func assertQueryError(t *testing.T, what string, err error, want string) {
	t.Helper()
	var ce *cim.Error
	if !errors.As(err, &ce) || ce.Status != cim.StatusInvalidQuery {
		t.Errorf("%s error %v, want *cim.Error CIM_ERR_INVALID_QUERY", what, err)
		return
	}
	if ce.Message != want {
		t.Errorf("%s message\n got %q\nwant %q", what, ce.Message, want)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"ok", "SELECT InstanceID, __CLASS FROM Test_Set WHERE Created > '20240101000000.000000+000' AND Uptime < '00000002000000.000000:000'", ""},
		{"unknown select", "SELECT InstanceID, Bogus FROM Test_Set", "wql: col 20: class Test_Set has no property Bogus"},
		{"unknown in where", "SELECT * FROM Test_Set WHERE a = 1 OR Bogus IS NULL", "wql: col 30: class Test_Set has no property a"},
		{"unknown in like", "SELECT * FROM Test_Set WHERE NOT Bogus LIKE 'x'", "wql: col 34: class Test_Set has no property Bogus"},
		{"unknown in isa", "SELECT * FROM Test_Set WHERE Bogus ISA X", "wql: col 30: class Test_Set has no property Bogus"},
		{"unknown on the right", "SELECT * FROM Test_Set WHERE 1 = Bogus", "wql: col 34: class Test_Set has no property Bogus"},
		{"two properties", "SELECT * FROM Test_Set WHERE RedundancyStatus = MinNumberNeeded", ""},
		{"two datetimes", "SELECT * FROM Test_Set WHERE Created = Created", ""},
		{"datetime against number", "SELECT * FROM Test_Set WHERE Created = 5", "wql: col 38: cannot compare Created (datetime) with 5: not a datetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			err = q.Check(testClass())
			if tt.want == "" {
				if err != nil {
					t.Errorf("Check: %v, want nil", err)
				}
				return
			}
			assertQueryError(t, "Check", err, tt.want)
		})
	}
}

func TestProject(t *testing.T) {
	inst := testInstance(t)
	tests := []struct {
		name, query string
		want        []string
	}{
		{"star keeps all", "SELECT * FROM Test_Set", propNames(inst)},
		{"selected in instance order", "SELECT elementname, InstanceID FROM Test_Set", []string{"InstanceID", "ElementName"}},
		{"absent stays absent", "SELECT Missing, Ratio FROM Test_Set", []string{"Ratio"}},
		{"class selects nothing", "SELECT __CLASS FROM Test_Set", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got := q.Project(inst)
			if got.ClassName != "Test_Set" {
				t.Errorf("ClassName = %q, want Test_Set", got.ClassName)
			}
			if diff := cmp.Diff(tt.want, propNames(got)); diff != "" {
				t.Errorf("properties (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("copy does not alias", func(t *testing.T) {
		q, _ := Parse("SELECT * FROM Test_Set")
		got := q.Project(inst)
		got.Set("ElementName", cim.NewString("changed"))
		if v, _ := inst.Get("ElementName"); v.Str() != "Demo Web" {
			t.Errorf("original ElementName = %q, want unchanged", v.Str())
		}
	})
}

func propNames(inst cim.Instance) []string {
	var names []string
	for _, p := range inst.Properties {
		names = append(names, p.Name)
	}
	return names
}

func TestLike(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"%", "", true},
		{"%", "anything", true},
		{"a%", "abc", true},
		{"%c", "abc", true},
		{"%b%", "abc", true},
		{"a_c", "abc", true},
		{"a_c", "ac", false},
		{"%a%b%c%", "xxaxxbxxcxx", true},
		{"%a%b%c%", "xxaxxcxxbxx", false},
		{"[abc]x", "bx", true},
		{"[abc]x", "dx", false},
		{"[a-c]", "b", true},
		{"[a=c]", "b", true},
		{"[^a-c]", "b", false},
		{"[^a-c]", "z", true},
		{"[]]", "]", true},
		{"[%]", "%", true},
		{"[%]", "x", false},
		{"[_]x", "_x", true},
		{"[-a]", "-", true},
		{"[a-]", "-", true},
		{"ß%", "ßtraße", true},
		{"%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			pat, err := compileLike(tt.pattern)
			if err != nil {
				t.Fatalf("compileLike(%q): %s", tt.pattern, err.msg)
			}
			if got := pat.match(tt.s, false); got != tt.want {
				t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestMatchAbsentPropertyIsNull(t *testing.T) {
	q, err := Parse("SELECT * FROM Test_Set WHERE Missing IS NULL AND NOT Missing = 1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.Match(testInstance(t), nil)
	if err != nil || got {
		t.Errorf("Match = %v, %v; want false, nil (NOT unknown is unknown)", got, err)
	}
}

func TestMatchWithoutIsa(t *testing.T) {
	q, err := Parse("SELECT * FROM Test_Set WHERE __CLASS ISA test_set")
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.Match(testInstance(t), nil)
	if err != nil || !got {
		t.Errorf("Match = %v, %v; want true (a class is itself)", got, err)
	}
}
