package wql

import (
	"strings"
	"testing"

	"github.com/redset/redset/cim"
)

// indicationClass is an indication class with two embedded-instance
// properties, one string property that embeds nothing, and one
// EmbeddedObject property.
func indicationClass() *cim.Class {
	embedded := cim.Qualifiers{{Name: "EmbeddedInstance", Value: cim.NewString("Test_Set")}}
	object := cim.Qualifiers{{Name: "EmbeddedObject", Value: cim.NewBool(true)}}
	return &cim.Class{Name: "Test_InstModification", Properties: []cim.Property{
		{Name: "IndicationIdentifier", Type: cim.String},
		{Name: "SourceInstance", Type: cim.String, Qualifiers: embedded},
		{Name: "PreviousInstance", Type: cim.String, Qualifiers: embedded},
		{Name: "Other", Type: cim.String, Qualifiers: object},
		{Name: "Plain", Type: cim.String},
		{Name: "Count", Type: cim.Uint32},
	}}
}

func indicationInstance() cim.Instance {
	return cim.Instance{ClassName: "Test_InstModification", Properties: []cim.PropertyValue{
		{Name: "IndicationIdentifier", Value: cim.NewString("7")},
		{Name: "Plain", Value: cim.NewString("Test_Set")},
		{Name: "Count", Value: cim.MustUint32(2)},
	}}
}

// embeddedOf embeds a set whose status went from 2 to 4 and whose name
// stayed the same.
func embeddedOf(t testing.TB) func(string) (cim.Instance, bool) {
	source := testInstance(t)
	source.Set("RedundancyStatus", cim.MustUint16(4))
	previous := testInstance(t)
	return func(property string) (cim.Instance, bool) {
		switch strings.ToLower(property) {
		case "sourceinstance":
			return source, true
		case "previousinstance":
			return previous, true
		}
		return cim.Instance{}, false
	}
}

func TestMatchEmbedded(t *testing.T) {
	tests := []struct {
		where         string
		want, wantOld bool // MatchEmbedded, Match
	}{
		{"SourceInstance ISA Test_Set", true, false},
		{"SourceInstance ISA Test_Element", true, false},
		{"SourceInstance ISA 'Test_Member'", false, false},
		{"sourceinstance isa test_collection", true, false},
		{"SourceInstance.RedundancyStatus = 4", true, false},
		{"SourceInstance.RedundancyStatus <> PreviousInstance.RedundancyStatus", true, false},
		{"SourceInstance.ElementName <> PreviousInstance.ElementName", false, false},
		{"SourceInstance.ElementName = PreviousInstance.ElementName", true, false},
		{"SourceInstance.elementname = 'demo web'", true, false},
		{"SourceInstance ISA Test_Set AND SourceInstance.RedundancyStatus <> PreviousInstance.RedundancyStatus", true, false},
		{"PreviousInstance.RedundancyStatus < SourceInstance.RedundancyStatus", true, false},
		{"SourceInstance.TypeOfSet = 4", true, false},
		{"SourceInstance.InstanceID LIKE 'redset:%'", true, false},
		{"SourceInstance.Missing IS NULL", true, true},
		{"SourceInstance.RedundancyStatus IS NOT NULL", true, false},
		{"SourceInstance IS NOT NULL", true, false},
		{"SourceInstance IS NULL", false, true},
		{"Other IS NULL", true, true},
		{"Other.Anything IS NULL", true, true},
		{"Other ISA Test_Set", false, false},
		{"Other.RedundancyStatus = 4", false, false},
		{"NOT Other.RedundancyStatus = 4", false, false},
		{"Plain ISA Test_Element", true, true},
		{"Count = 2 AND SourceInstance.Owner ISA Test_Member", true, false},
		{"Test_InstModification.Count = 2", true, true},
		{"test_instmodification.__CLASS ISA Test_InstModification", true, true},
	}
	inst := indicationInstance()
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			q, err := Parse("SELECT * FROM Test_InstModification WHERE " + tt.where)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := q.Check(indicationClass()); err != nil {
				t.Errorf("Check: %v", err)
			}
			got, err := q.MatchEmbedded(inst, embeddedOf(t), testIsa)
			if err != nil || got != tt.want {
				t.Errorf("MatchEmbedded = %v, %v; want %v, nil", got, err, tt.want)
			}
			got, err = q.Match(inst, testIsa)
			if err != nil || got != tt.wantOld {
				t.Errorf("Match = %v, %v; want %v, nil", got, err, tt.wantOld)
			}
		})
	}
}

func TestMatchEmbeddedErrors(t *testing.T) {
	q, err := Parse("SELECT * FROM Test_InstModification WHERE SourceInstance.ElementName = 5")
	if err != nil {
		t.Fatal(err)
	}
	_, err = q.MatchEmbedded(indicationInstance(), embeddedOf(t), testIsa)
	assertQueryError(t, "MatchEmbedded", err,
		"wql: col 70: cannot compare SourceInstance.ElementName (string) with 5: not a number")
}

func TestParseDottedNames(t *testing.T) {
	tests := []struct {
		query, want string // want: "" for a query that parses
	}{
		{"SELECT * FROM X WHERE a.b = 1", ""},
		{"SELECT * FROM X WHERE a.b = c.d", ""},
		{"SELECT * FROM X WHERE a._b IS NULL", ""},
		{"SELECT * FROM X WHERE a = .5", ""},
		{"SELECT * FROM X WHERE a.b.c = 1", `wql: col 23: "a.b.c": a property path has one dot (EmbeddedProperty.Property)`},
		{"SELECT a.b FROM X", `wql: col 8: expected '*' or a property name, found "a.b": a dotted name stands only for a property of an embedded instance in WHERE`},
		{"SELECT * FROM X.Y", `wql: col 15: expected a class name, found "X.Y": a dotted name stands only for a property of an embedded instance in WHERE`},
		{"SELECT * FROM X WHERE a ISA B.C", `wql: col 29: expected a class name after ISA, found "B.C": a dotted name stands only for a property of an embedded instance in WHERE`},
		{"SELECT * FROM X WHERE a. = 1", `wql: col 24: expected a comparison operator, IS, ISA or LIKE, found "."`},
		{"SELECT * FROM X WHERE a.1 = 1", `wql: col 24: expected a comparison operator, IS, ISA or LIKE, found ".1"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			_, err := Parse(tt.query)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Parse: %v", err)
				}
				return
			}
			assertQueryError(t, "Parse", err, tt.want)
		})
	}
}

func TestCheckEmbedded(t *testing.T) {
	sets := func(property string) *cim.Class {
		if strings.EqualFold(property, "SourceInstance") || strings.EqualFold(property, "PreviousInstance") {
			return testClass()
		}
		return nil
	}
	tests := []struct {
		where       string
		want        string // Check's error; "" for none
		wantKnowing string // CheckEmbedded's error; "" for none
	}{
		{"SourceInstance.RedundancyStatus <> PreviousInstance.RedundancyStatus", "", ""},
		{"SourceInstance ISA Test_Set", "", ""},
		{"SourceInstance.Bogus = 1", "",
			"wql: col 43: SourceInstance.Bogus: class Test_Set has no property Bogus"},
		{"SourceInstance.ElementName = 5", "",
			"wql: col 70: cannot compare SourceInstance.ElementName (string) with 5: not a number"},
		{"SourceInstance.Created = 5", "",
			"wql: col 66: cannot compare SourceInstance.Created (datetime) with 5: not a datetime"},
		{"Other.Anything = 1", "", ""},
		{"Plain.X = 1",
			"wql: col 43: Plain.X: property Plain of class Test_InstModification holds no embedded instance",
			"wql: col 43: Plain.X: property Plain of class Test_InstModification holds no embedded instance"},
		{"Count.X = 1",
			"wql: col 43: Count.X: property Count of class Test_InstModification holds no embedded instance",
			"wql: col 43: Count.X: property Count of class Test_InstModification holds no embedded instance"},
		{"Test_InstModification.Bogus = 1",
			"wql: col 43: class Test_InstModification has no property Bogus",
			"wql: col 43: class Test_InstModification has no property Bogus"},
		{"Nope.X = 1",
			"wql: col 43: class Test_InstModification has no property Nope",
			"wql: col 43: class Test_InstModification has no property Nope"},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			q, err := Parse("SELECT * FROM Test_InstModification WHERE " + tt.where)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, "Check", q.Check(indicationClass()), tt.want)
			checkResult(t, "CheckEmbedded", q.CheckEmbedded(indicationClass(), sets), tt.wantKnowing)
		})
	}
}

func checkResult(t *testing.T, what string, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("%s: %v, want nil", what, err)
		}
		return
	}
	assertQueryError(t, what, err, want)
}

// BenchmarkMatchEmbedded evaluates the filter of the example
// against a lifecycle indication.
func BenchmarkMatchEmbedded(b *testing.B) {
	q, err := Parse("SELECT * FROM Test_InstModification WHERE SourceInstance ISA Test_Set AND SourceInstance.RedundancyStatus <> PreviousInstance.RedundancyStatus")
	if err != nil {
		b.Fatal(err)
	}
	inst, embedded := indicationInstance(), embeddedOf(b)
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := q.MatchEmbedded(inst, embedded, testIsa); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
