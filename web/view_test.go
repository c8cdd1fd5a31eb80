package web

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
)

func TestWords(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"type sparing", typeText([]uint16{4}, nil), "Sparing"},
		{"type several", typeText([]uint16{2, 3}, []string{"", ""}), "N+1, Load Balanced"},
		{"type other described", typeText([]uint16{1}, []string{"mirror"}), "Other (mirror)"},
		{"type other bare", typeText([]uint16{1}, nil), "Other"},
		{"type vendor", typeText([]uint16{40000}, nil), "Type 40000"},
		{"type none", typeText(nil, nil), "Unknown"},
		{"lb none", lbText(2, ""), ""},
		{"lb round robin", lbText(3, ""), "Round Robin"},
		{"lb other", lbText(1, "sticky"), "Other (sticky)"},
		{"lb invalid", lbText(9, ""), "Algorithm 9"},
		{"spare hot both", spareText(2, 4), "hot, automatic or manual"},
		{"spare cold manual", spareText(3, 3), "cold, manual only"},
		{"spare status only", spareText(2, 0), "hot"},
		{"spare unset", spareText(0, 0), ""},
		{"status 2", statusClass(2), "st-2"},
		{"status 5", statusClass(5), "st-5"},
		{"status reserved", statusClass(1), "st-0"},
		{"status out of range", statusClass(77), "st-0"},
		{"status text fallback", statusText(api.Set{RedundancyStatus: 3}), "Degraded Redundancy"},
		{"status text unknown value", statusText(api.Set{RedundancyStatus: 9}), "Status 9"},
		{"element key", elementKey("a:b"), "s-613a62"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// The timeline shows the words the API gives every event, and falls back to
// the kind for an event without them.
func TestEventViews(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   api.Event
		want eventView
	}{
		{name: "words from the API", in: api.Event{Kind: "HealthChanged", Label: "Health", Text: "web-a OK → Failed", Tone: "bad"},
			want: eventView{Kind: "HealthChanged", Label: "Health", Text: "web-a OK → Failed", Tone: "bad"}},
		{name: "no words", in: api.Event{Kind: "Future"},
			want: eventView{Kind: "Future", Label: "Future", Tone: "info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Seq, tt.in.Time, tt.in.SetID = 5, at, "redset:x"
			tt.want.Seq, tt.want.Time, tt.want.SetID = 5, at, "redset:x"
			if diff := cmp.Diff(tt.want, eventViewOf(tt.in)); diff != "" {
				t.Errorf("eventViewOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	sets := []setView{{Status: 2}, {Status: 5}, {Status: 2}, {Status: 1}, {Status: 3}}
	want := []statusCount{
		{Status: 5, Text: "Overall Failure", Count: 1},
		{Status: 3, Text: "Degraded Redundancy", Count: 1},
		{Status: 0, Text: "Unknown", Count: 1},
		{Status: 2, Text: "Fully Redundant", Count: 2},
	}
	if diff := cmp.Diff(want, summarize(sets)); diff != "" {
		t.Errorf("summarize (-want +got):\n%s", diff)
	}
}

func TestOperationalCount(t *testing.T) {
	set := api.Set{InstanceID: "x:y", TypeOfSet: []uint16{2}, Members: []api.SetMember{
		{Name: "a", Role: api.RoleInService, Health: api.Health{State: "OK"}},
		{Name: "b", Role: api.RoleInService, Health: api.Health{State: "Degraded"}},
		{Name: "c", Role: api.RoleInService, Health: api.Health{State: "Failed"}},
		{Name: "d", Role: api.RoleSpare, Health: api.Health{State: "OK"}},
		{Name: "e", Role: api.RoleInService},
	}, FailoverTarget: "d"}
	v := setViewOf(set, api.Abilities{Failover: true})
	if v.Operational != 2 {
		t.Errorf("Operational = %d, want 2 (a, b)", v.Operational)
	}
	if v.Name != "x:y" {
		t.Errorf("Name = %q, want the InstanceID when ElementName is empty", v.Name)
	}
	if v.Members[4].Health != "Unknown" {
		t.Errorf("empty health shows %q, want Unknown", v.Members[4].Health)
	}
	if v.DefaultTo != "d" {
		t.Errorf("DefaultTo = %q, want the engine's proposal d", v.DefaultTo)
	}
}

// TestEveryKindInWords: each kind the API documents is told in words, not
// by its bare name.
