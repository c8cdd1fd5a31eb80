package api

import (
	"testing"
	"time"

	"github.com/redset/redset/event"
)

func TestDescribe(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name              string
		in                Event
		label, text, tone string
	}{
		{"health", Event{Kind: "HealthChanged", Member: "web-a", Health: &HealthChange{From: "OK", To: "Degraded", Detail: "slow"}},
			"Health", "web-a OK → Degraded: slow", "warn"},
		{"status", Event{Kind: "StatusChanged", Status: &StatusChange{To: 2, FromText: "Redundancy Lost", ToText: "Fully Redundant"}},
			"Status", "Redundancy Lost → Fully Redundant", "ok"},
		{"planned failover", Event{Kind: "FailoverSucceeded", Failover: &FailoverEvent{Planned: true, From: "a", To: "b", DurationSeconds: 0.004}},
			"Failover", "Planned failover a → b completed in 4 ms", "ok"},
		{"automatic failover", Event{Kind: "FailoverSucceeded", Failover: &FailoverEvent{From: "a", To: "b", DurationSeconds: 1.5}},
			"Failover", "Automatic failover a → b completed in 1.5 s", "ok"},
		{"scheduled failover", Event{Kind: "FailoverSucceeded", Failover: &FailoverEvent{Planned: true, ScheduleID: 7, From: "a", To: "b", DurationSeconds: 0.02}},
			"Failover", "Scheduled (#7) failover a → b completed in 20 ms", "ok"},
		{"refusal", Event{Kind: "FailoverRefused", Failover: &FailoverEvent{Planned: true, From: "a", To: "b", ReturnValue: 4, Reason: "b is not operational"}},
			"Failover refused", "Planned failover a → b refused: 4 Parameter Error: b is not operational", "bad"},
		{"config", Event{Kind: "ConfigChanged", Config: &ConfigChange{Action: "set created"}},
			"Configuration", "set created", "info"},
		{"flap guard", Event{Kind: "FlapGuardTripped", Flap: &FlapGuard{MaxFailovers: 3, PeriodSeconds: 3600}},
			"Flap guard", "limit of 3 automatic failovers in 60 min reached; automatic failover stopped", "bad"},
		{"returned by operator", Event{Kind: "MemberReturned", Member: "db-3", Returned: &MemberReturned{Operator: true}},
			"Returned", "db-3 returned to service by an operator", "ok"},
		{"set paused", Event{Kind: "MaintenanceChanged", SetID: "redset:x", Maintenance: &MaintenanceChange{Paused: true}},
			"Maintenance", "automatic failover paused for this set", "warn"},
		{"server resumed", Event{Kind: "MaintenanceChanged", Maintenance: &MaintenanceChange{}},
			"Maintenance", "automatic failover resumed for every set", "ok"},
		{"scheduled", Event{Kind: "ScheduleChanged", Schedule: &ScheduleChange{ID: 9, Action: "scheduled", From: "a", To: "b", At: at}},
			"Scheduled", "failover #9 a → b at 2030-01-02T03:04:05Z scheduled", "info"},
		{"hook ran", Event{Kind: "HookDelivered", Hook: &HookDelivery{Hook: "notify", Event: "failover", Attempts: 1, Outcome: "ok", DurationSeconds: 0.012}},
			"Hook", "notify ran for the failover in 12 ms", "ok"},
		{"hook allowed", Event{Kind: "HookDelivered", Hook: &HookDelivery{Hook: "guard", Event: "prefailover", Attempts: 1, Outcome: "ok", DurationSeconds: 0.2}},
			"Hook", "guard allowed the failover in 200 ms", "ok"},
		{"hook vetoed", Event{Kind: "HookDelivered", Hook: &HookDelivery{Hook: "guard", Event: "prefailover", Outcome: "vetoed", Error: "exit status 1: maintenance window"}},
			"Hook", "guard vetoed the failover: exit status 1: maintenance window", "warn"},
		{"hook failed", Event{Kind: "HookDelivered", Hook: &HookDelivery{Hook: "notify", Event: "status", Attempts: 3, Outcome: "failed", Error: "HTTP 500"}},
			"Hook", "notify failed for the status change after 3 attempts: HTTP 500", "bad"},
		{"hook dropped", Event{Kind: "HookDelivered", Hook: &HookDelivery{Hook: "notify", Event: "refused", Outcome: "dropped", Error: "queue full"}},
			"Hook", "notify never ran for the refused failover: queue full", "bad"},
		{"hook on another event", Event{Kind: "HookDelivered", Hook: &HookDelivery{Hook: "h", Event: "config", Attempts: 1, Outcome: "later"}},
			"Hook", "h later for the config event", "info"},
		{"frontend listening", Event{Kind: "FrontendChanged", Frontend: &FrontendChange{Listen: "127.0.0.1:0", Address: "127.0.0.1:4000", State: "listening"}},
			"Frontend", "listening on 127.0.0.1:4000", "ok"},
		{"frontend failed on a server", Event{Kind: "FrontendChanged", Frontend: &FrontendChange{Listen: "127.0.0.1:80", State: "failed", Error: "address already in use", Server: "node-b"}},
			"Frontend", "node-b: cannot listen on 127.0.0.1:80: address already in use", "bad"},
		{"frontend stopped on a server", Event{Kind: "FrontendChanged", Frontend: &FrontendChange{Listen: "127.0.0.1:80", State: "stopped", Server: "node-a"}},
			"Frontend", "node-a: stopped listening on 127.0.0.1:80", "info"},
		{"unknown kind", Event{Kind: "Future"}, "Future", "", "info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.in
			Describe(&e)
			if e.Label != tt.label || e.Text != tt.text || e.Tone != tt.tone {
				t.Errorf("got %q / %q / %q, want %q / %q / %q", e.Label, e.Text, e.Tone, tt.label, tt.text, tt.tone)
			}
		})
	}
}

// Every kind the engine publishes reaches clients in words: a record of
// each kind, converted as the history and the stream convert it, has a
// label of its own and a sentence. A new kind without words fails here.
func TestEveryKindInWords(t *testing.T) {
	records := map[event.Kind]event.Record{
		event.KindHealthChanged:     {Member: "m", Health: &event.HealthChanged{From: "OK", To: "Failed"}},
		event.KindStatusChanged:     {SetID: "s", Status: &event.StatusChanged{From: 2, To: 4}},
		event.KindFailoverSucceeded: {SetID: "s", Failover: &event.Failover{From: "a", To: "b"}},
		event.KindFailoverRefused:   {SetID: "s", Failover: &event.Failover{From: "a", To: "b", Code: 4, Reason: "no"}},
		event.KindConfigChanged:     {Config: &event.ConfigChanged{Action: "set created"}},
		event.KindFlapGuardTripped:  {SetID: "s", Flap: &event.FlapGuardTripped{MaxFailovers: 3, Period: time.Hour}},
		event.KindMemberReturned:    {SetID: "s", Member: "m", Returned: &event.MemberReturned{Operator: true}},
		event.KindHookDelivered:     {Hook: &event.HookDelivered{Hook: "h", Event: "failover", Outcome: "ok"}},
		event.KindMaintenance:       {Maintenance: &event.MaintenanceChanged{Paused: true}},
		event.KindScheduleChanged:   {SetID: "s", Schedule: &event.ScheduleChanged{ID: 1, Action: "scheduled", From: "a", To: "b"}},
		event.KindFrontend:          {SetID: "s", Frontend: &event.FrontendChanged{Listen: ":80", State: event.FrontendFailed, Error: "in use", Server: "b"}},
		event.KindIndication:        {Indication: &event.IndicationDelivery{Subscription: "x", Destination: "http://127.0.0.1:9/", Protocol: "cimxml", Outcome: event.IndicationFailed, Count: 1}},
	}
	for _, kind := range event.Kinds() {
		r, ok := records[kind]
		if !ok {
			t.Errorf("no test record of kind %s: add one, and words for it in describe.go", kind)
			continue
		}
		r.Kind = kind
		if err := r.Validate(); err != nil {
			t.Fatalf("test record of kind %s: %v", kind, err)
		}
		e := eventFrom(r)
		if e.Label == string(kind) || e.Text == "" {
			t.Errorf("%s is told as label %q, text %q", kind, e.Label, e.Text)
		}
		if kind == event.KindFrontend && (e.Frontend == nil || e.Frontend.Server != "b") {
			t.Errorf("%s converted to %+v, want the server b kept", kind, e.Frontend)
		}
	}
}
