package server

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/engine"
)

func TestParseSetEntries(t *testing.T) {
	entry := "id: cache\ntypeOfSet: [4]\nminNumberNeeded: 1\npolicy: {maxFailovers: 2, period: 10m}\nmembers:\n  - {name: c1}\n  - {name: c2, role: spare, spareStatus: cold, priority: 5}\n"
	want := []SetEntry{{
		Set: engine.Set{InstanceID: "cache", TypeOfSet: []uint16{4}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1,
			LoadBalanceAlgorithm: engine.LBNone, Policy: engine.Policy{MaxFailovers: 2, Period: 600e9}},
		Members: []MemberRole{{Name: "c1", Role: engine.Role{Kind: engine.RoleInService}},
			{Name: "c2", Role: engine.Role{Kind: engine.RoleSpare, Spare: engine.SpareSettings{SpareStatus: engine.SpareCold, FailoverSupported: engine.FailoverBoth, Priority: 5}}}},
	}}
	forms := map[string]string{
		"one entry":       entry,
		"a list":          "- " + strings.ReplaceAll(strings.TrimSuffix(entry, "\n"), "\n", "\n  ") + "\n",
		"a sets document": "sets:\n  - " + strings.ReplaceAll(strings.TrimSuffix(entry, "\n"), "\n", "\n    ") + "\n",
	}
	for name, text := range forms {
		t.Run(name, func(t *testing.T) {
			got, err := ParseSetEntries("x.yaml", []byte(text))
			if err != nil {
				t.Fatalf("ParseSetEntries:\n%s\nerr: %v", text, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("an instanceID is kept", func(t *testing.T) {
		got, err := ParseSetEntries("x.yaml", []byte("instanceID: acme:db\ntypeOfSet: [2]\n"))
		if err != nil || len(got) != 1 || got[0].Set.InstanceID != "acme:db" {
			t.Errorf("got %+v, %v; want acme:db", got, err)
		}
	})
}

func TestParseSetEntriesErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown field, one entry", "id: x\ncolour: red\n", "x.yaml:2: sets[0].colour: unknown field"},
		{"unknown field, a list", "- id: x\n  typeOfSet: [4]\n  colour: red\n", "x.yaml:3: sets[0].colour: unknown field"},
		{"rule, one entry", "id: x\ncaption: " + strings.Repeat("c", 65) + "\n", "x.yaml:2: sets[0].caption:"},
		{"bad role", "id: x\nmembers:\n  - {name: a, role: boss}\n", "x.yaml:3: sets[0].members[0].role:"},
		{"no id", "caption: c\n", "sets[0].id:"},
		{"not YAML", "id: [x\n", "x.yaml:"},
		{"a scalar", "hello\n", "want sets entries"},
		{"empty", "", "no sets entries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSetEntries("x.yaml", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseMemberEntries(t *testing.T) {
	got, err := ParseMemberEntries("m.yaml", []byte("name: pg-a\nprobe: {type: tcp, address: \"127.0.0.1:5432\", rise: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.Member{{Name: "pg-a", Probe: engine.Probe{Type: "tcp", Address: "127.0.0.1:5432", Rise: 2}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if _, err := ParseMemberEntries("m.yaml", []byte("name: x\nprobe: {type: smtp}\n")); err == nil || !strings.Contains(err.Error(), "m.yaml:2: members[0].probe.type") {
		t.Errorf("bad probe type: err = %v", err)
	}
}

func FuzzParseSetEntries(f *testing.F) {
	for _, s := range []string{"id: x\n", "- id: x\n", "sets: [{id: x}]\n", "id: [\n", "", "- 1\n", "id: x\nmembers: [{name: a, role: spare}]\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		entries, err := ParseSetEntries("f.yaml", []byte(text))
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Set.InstanceID == "" {
				t.Fatalf("an entry without an id was accepted: %q", text)
			}
		}
	})
}
