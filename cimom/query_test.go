package cimom

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
)

func TestExecQuery(t *testing.T) {
	tests := []struct {
		name, lang, query string
		wantPaths         []string
		wantProps         []string // of the first result
	}{
		{"all", "WQL", "SELECT * FROM Test_RedundancySet", []string{webSet, dbSet, subSet}, nil},
		{"where", "WQL", "SELECT * FROM Test_RedundancySet WHERE RedundancyStatus = 3", []string{dbSet}, nil},
		{"projection", "WQL", "SELECT ElementName FROM Test_RedundancySet WHERE ElementName = 'WEB'", []string{webSet}, []string{"ElementName"}},
		{"cql is case-sensitive", "DMTF:CQL", "SELECT * FROM Test_RedundancySet WHERE ElementName = 'WEB'", nil, nil},
		{"isa", "WQL", "SELECT * FROM Test_ManagedElement WHERE __CLASS ISA Test_SubSet", []string{subSet}, nil},
		{"subclass property", "WQL", "SELECT * FROM Test_ManagedElement WHERE ElementName LIKE 'db%'", []string{dbSet, db1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			resp, err := f.handle(t, &Request{Op: ExecQuery, QueryLanguage: tt.lang, Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			objs, err := collect(resp.Objects)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantPaths, pathStrings(objs)); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if tt.wantProps != nil {
				if diff := cmp.Diff(tt.wantProps, propNames(objs[0].Instance)); diff != "" {
					t.Errorf("properties (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestExecQueryErrors(t *testing.T) {
	tests := []struct {
		name, lang, query string
		want              cim.Status
		fragment          string
	}{
		{"other language", "DMTF:FQL", "SELECT * FROM Test_Log", cim.StatusQueryLanguageNotSupported, "DMTF:FQL"},
		{"no language", "", "SELECT * FROM Test_Log", cim.StatusQueryLanguageNotSupported, ""},
		{"syntax", "WQL", "SELECT * Test_Log", cim.StatusInvalidQuery, "col 10"},
		{"unknown class", "WQL", "SELECT * FROM Test_Nope", cim.StatusInvalidQuery, "Test_Nope"},
		{"unknown property", "WQL", "SELECT * FROM Test_RedundancySet WHERE Bogus = 1", cim.StatusInvalidQuery, "Bogus"},
		{"type mismatch", "WQL", "SELECT * FROM Test_RedundancySet WHERE RedundancyStatus = 'high'", cim.StatusInvalidQuery, "RedundancyStatus"},
		{"class without instance provider", "WQL", "SELECT * FROM Test_Singleton", cim.StatusNotSupported, "Test_Singleton"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			_, err := f.handle(t, &Request{Op: ExecQuery, QueryLanguage: tt.lang, Query: tt.query})
			wantStatus(t, err, tt.want, tt.fragment)
		})
	}
}
