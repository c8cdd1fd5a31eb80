package wql

import (
	"testing"

	"github.com/redset/redset/cim"
)

func FuzzParse(f *testing.F) {
	seeds := []string{
		"SELECT * FROM Test_Set",
		"SELECT InstanceID, ElementName FROM Test_Set WHERE RedundancyStatus = 2",
		"select * from Test_Set where not (TypeOfSet = 4 or ElementName like '%[a-f]_') and Nothing is not null",
		`SELECT * FROM Test_Set WHERE Owner = 'Test_Member.Name="web-a"' OR Owner ISA Test_Element`,
		"SELECT * FROM Test_Set WHERE Created > '20240102030405.000000+000' AND Ratio <= -1.5e3",
		"SELECT * FROM Test_Set WHERE __CLASS ISA 'Test_Collection' AND Offset <> 0x10",
		"SELECT * FROM Test_Set WHERE ElementName = 'it''s \\'quoted\\''",
		"SELECT * FROM",
		"SELECT * FROM X WHERE (((a = 1",
		"SELECT * FROM Test_InstModification WHERE SourceInstance ISA Test_Set AND SourceInstance.RedundancyStatus <> PreviousInstance.RedundancyStatus",
		"SELECT * FROM Test_InstModification WHERE SourceInstance.ElementName LIKE 'demo%' OR PreviousInstance IS NULL",
		"SELECT * FROM X WHERE a.b.c = 1 OR a. = 2 OR a.5 = 3",
		"SELECT a.b FROM X.Y WHERE c ISA d.e",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	class := testClass()
	inst := testInstance(f)
	embedded := embeddedOf(f)
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			if cim.StatusOf(err) != cim.StatusInvalidQuery {
				t.Fatalf("Parse(%q) error %v has the wrong status", s, err)
			}
			return
		}
		checkErr := q.Check(class)
		if _, err := q.Match(inst, testIsa); err != nil && cim.StatusOf(err) != cim.StatusInvalidQuery {
			t.Fatalf("Match(%q) error %v has the wrong status", s, err)
		}
		if _, err := q.MatchEmbedded(indicationInstance(), embedded, testIsa); err != nil && cim.StatusOf(err) != cim.StatusInvalidQuery {
			t.Fatalf("MatchEmbedded(%q) error %v has the wrong status", s, err)
		}
		if err := q.Check(indicationClass()); err != nil && cim.StatusOf(err) != cim.StatusInvalidQuery {
			t.Fatalf("Check(%q) of the indication class: error %v has the wrong status", s, err)
		}
		if checkErr != nil && cim.StatusOf(checkErr) != cim.StatusInvalidQuery {
			t.Fatalf("Check(%q) error %v has the wrong status", s, checkErr)
		}
		q.Project(inst)
		if _, err := Parse(q.String()); err != nil {
			t.Fatalf("reparse of %q failed: %v", s, err)
		}
	})
}
