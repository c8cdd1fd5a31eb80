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
		{"seconds tiny", seconds(0.0002), "under 1 ms"},
		{"seconds ms", seconds(0.0123), "12 ms"},
		{"seconds short", seconds(2.46), "2.5 s"},
		{"seconds", seconds(42), "42 s"},
		{"minutes", seconds(3600), "60 min"},
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

func TestEventViews(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   api.Event
		want eventView
	}{
		{name: "health", in: api.Event{Kind: "HealthChanged", Member: "web-a", Health: &api.HealthChange{From: "OK", To: "Degraded", Detail: "slow"}},
			want: eventView{Kind: "HealthChanged", Label: "Health", Text: "web-a OK → Degraded: slow", Tone: "warn"}},
		{name: "status", in: api.Event{Kind: "StatusChanged", Status: &api.StatusChange{To: 2, FromText: "Redundancy Lost", ToText: "Fully Redundant"}},
			want: eventView{Kind: "StatusChanged", Label: "Status", Text: "Redundancy Lost → Fully Redundant", Tone: "ok"}},
		{name: "planned failover", in: api.Event{Kind: "FailoverSucceeded", Failover: &api.FailoverEvent{Planned: true, From: "a", To: "b", DurationSeconds: 0.004}},
			want: eventView{Kind: "FailoverSucceeded", Label: "Failover", Text: "Planned failover a → b completed in 4 ms", Tone: "ok"}},
		{name: "automatic failover", in: api.Event{Kind: "FailoverSucceeded", Failover: &api.FailoverEvent{From: "a", To: "b", DurationSeconds: 1.5}},
			want: eventView{Kind: "FailoverSucceeded", Label: "Failover", Text: "Automatic failover a → b completed in 1.5 s", Tone: "ok"}},
		{name: "refusal", in: api.Event{Kind: "FailoverRefused", Failover: &api.FailoverEvent{From: "a", To: "b", ReturnValue: 4, Reason: "b is not operational"}},
			want: eventView{Kind: "FailoverRefused", Label: "Failover refused", Text: "a → b: 4 Parameter Error: b is not operational", Tone: "bad"}},
		{name: "config", in: api.Event{Kind: "ConfigChanged", Config: &api.ConfigChange{Action: "set created"}},
			want: eventView{Kind: "ConfigChanged", Label: "Configuration", Text: "set created", Tone: "info"}},
		{name: "flap guard", in: api.Event{Kind: "FlapGuardTripped", Flap: &api.FlapGuard{MaxFailovers: 3, PeriodSeconds: 3600}},
			want: eventView{Kind: "FlapGuardTripped", Label: "Flap guard", Text: "limit of 3 automatic failovers in 60 min reached; automatic failover stopped", Tone: "bad"}},
		{name: "returned by operator", in: api.Event{Kind: "MemberReturned", Member: "db-3", Returned: &api.MemberReturned{Operator: true}},
			want: eventView{Kind: "MemberReturned", Label: "Returned", Text: "db-3 returned to service by an operator", Tone: "ok"}},
		{name: "hook ran", in: api.Event{Kind: "HookDelivered", Hook: &api.HookDelivery{Hook: "notify", Event: "failover", EventSeq: 42, Attempts: 1, Outcome: "ok", DurationSeconds: 0.012}},
			want: eventView{Kind: "HookDelivered", Label: "Hook", Text: "notify ran for the failover in 12 ms", Tone: "ok"}},
		{name: "hook allowed", in: api.Event{Kind: "HookDelivered", Hook: &api.HookDelivery{Hook: "guard", Event: "prefailover", Attempts: 1, Outcome: "ok", DurationSeconds: 0.2}},
			want: eventView{Kind: "HookDelivered", Label: "Hook", Text: "guard allowed the failover in 200 ms", Tone: "ok"}},
		{name: "hook vetoed", in: api.Event{Kind: "HookDelivered", Hook: &api.HookDelivery{Hook: "guard", Event: "prefailover", Attempts: 1, Outcome: "vetoed", Code: 1, Error: "exit status 1: maintenance window"}},
			want: eventView{Kind: "HookDelivered", Label: "Hook", Text: "guard vetoed the failover: exit status 1: maintenance window", Tone: "warn"}},
		{name: "hook failed", in: api.Event{Kind: "HookDelivered", Hook: &api.HookDelivery{Hook: "notify", Event: "status", EventSeq: 40, Attempts: 3, Outcome: "failed", Code: 500, Error: "HTTP 500"}},
			want: eventView{Kind: "HookDelivered", Label: "Hook", Text: "notify failed for the status change after 3 attempts: HTTP 500", Tone: "bad"}},
		{name: "hook dropped", in: api.Event{Kind: "HookDelivered", Hook: &api.HookDelivery{Hook: "notify", Event: "refused", EventSeq: 41, Outcome: "dropped", Error: "queue full"}},
			want: eventView{Kind: "HookDelivered", Label: "Hook", Text: "notify never ran for the refused failover: queue full", Tone: "bad"}},
		{name: "hook on a new event", in: api.Event{Kind: "HookDelivered", Hook: &api.HookDelivery{Hook: "h", Event: "config", Attempts: 1, Outcome: "later"}},
			want: eventView{Kind: "HookDelivered", Label: "Hook", Text: "h later for the config event", Tone: "info"}},
		{name: "unknown kind", in: api.Event{Kind: "Future"},
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
	}}
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
		t.Errorf("DefaultTo = %q, want the spare d", v.DefaultTo)
	}
}

// TestEveryKindInWords: each kind the API documents is told in words, not
// by its bare name.
func TestEveryKindInWords(t *testing.T) {
	events := []api.Event{
		{Kind: "HealthChanged", Member: "m", Health: &api.HealthChange{From: "OK", To: "Failed"}},
		{Kind: "StatusChanged", Status: &api.StatusChange{FromText: "Fully Redundant", ToText: "Redundancy Lost"}},
		{Kind: "FailoverSucceeded", Failover: &api.FailoverEvent{From: "a", To: "b"}},
		{Kind: "FailoverRefused", Failover: &api.FailoverEvent{From: "a", To: "b", ReturnValue: 4}},
		{Kind: "ConfigChanged", Config: &api.ConfigChange{Action: "set created"}},
		{Kind: "FlapGuardTripped", Flap: &api.FlapGuard{MaxFailovers: 3, PeriodSeconds: 60}},
		{Kind: "MemberReturned", Member: "m", Returned: &api.MemberReturned{Operator: true}},
		{Kind: "HookDelivered", Hook: &api.HookDelivery{Hook: "h", Event: "failover", Outcome: "ok"}},
	}
	for _, e := range events {
		v := eventViewOf(e)
		if v.Label == e.Kind || v.Text == "" {
			t.Errorf("%s is shown as label %q, text %q, tone %q", e.Kind, v.Label, v.Text, v.Tone)
		}
	}
}
