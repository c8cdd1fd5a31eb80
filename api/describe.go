package api

import (
	"fmt"
	"strconv"
	"time"

	"github.com/redset/redset/event"
)

// Tones of an event: how good or bad the news is, for colours and icons.
const (
	ToneOK   = "ok"
	ToneWarn = "warn"
	ToneBad  = "bad"
	ToneInfo = "info"
)

// EventKinds lists the kind of every event the API can carry (the SSE
// event names of the live stream).
func EventKinds() []string {
	var out []string
	for _, k := range event.Kinds() {
		out = append(out, string(k))
	}
	return out
}

// Describe fills the event's Label, Text and Tone from its payload. It is
// the one place events are put into words: the dashboard (server-rendered
// and live), the CLI and any other client show these fields instead of
// wording the payload themselves.
func Describe(e *Event) {
	e.Label, e.Text, e.Tone = e.Kind, "", ToneInfo
	for _, d := range describers {
		if label, text, tone, ok := d(e); ok {
			e.Label, e.Text, e.Tone = label, text, tone
			return
		}
	}
}

var describers = []func(e *Event) (label, text, tone string, ok bool){
	describeHealth, describeStatus, describeFailover, describeConfig, describeFlap,
	describeReturned, describeHook, describeMaintenance, describeSchedule, describeFrontend,
	describeIndication,
}

func describeIndication(e *Event) (string, string, string, bool) {
	d := e.Indication
	if d == nil {
		return "", "", "", false
	}
	sub := "subscription " + d.Subscription
	n := strconv.Itoa(d.Count) + " indication(s) for " + sub
	switch d.Outcome {
	case event.IndicationFailed:
		return "Indication", withDetail(n+" not delivered to "+d.Destination+" after "+strconv.Itoa(d.Attempts)+" attempt(s)", d.Error), ToneBad, true
	case event.IndicationDropped:
		return "Indication", n + " dropped: the queue of " + d.Destination + " is full", ToneWarn, true
	case event.IndicationDisabled:
		return "Indication", withDetail(sub+" disabled: "+d.Destination+" keeps failing", d.Error), ToneBad, true
	case event.IndicationRemoved:
		return "Indication", withDetail(sub+" removed: "+d.Destination+" keeps failing", d.Error), ToneBad, true
	}
	return "Indication", sub + " expired", ToneInfo, true
}

func describeFrontend(e *Event) (string, string, string, bool) {
	f := e.Frontend
	if f == nil {
		return "", "", "", false
	}
	on := "" // in a cluster, the server whose frontend it is
	if f.Server != "" {
		on = f.Server + ": "
	}
	switch f.State {
	case event.FrontendListening:
		return "Frontend", on + "listening on " + f.Address, ToneOK, true
	case event.FrontendFailed:
		return "Frontend", on + withDetail("cannot listen on "+f.Listen, f.Error), ToneBad, true
	}
	return "Frontend", on + "stopped listening on " + f.Listen, ToneInfo, true
}

func describeHealth(e *Event) (string, string, string, bool) {
	h := e.Health
	if h == nil {
		return "", "", "", false
	}
	return "Health", withDetail(e.Member+" "+h.From+" → "+h.To, h.Detail), healthTones[h.To], true
}

var healthTones = map[string]string{"OK": ToneOK, "Degraded": ToneWarn, "Failed": ToneBad, "Unknown": ToneInfo}

func describeStatus(e *Event) (string, string, string, bool) {
	s := e.Status
	if s == nil {
		return "", "", "", false
	}
	tone := map[uint16]string{2: ToneOK, 3: ToneWarn, 4: ToneBad, 5: ToneBad}[s.To]
	return "Status", s.FromText + " → " + s.ToText, orInfo(tone), true
}

func describeFailover(e *Event) (string, string, string, bool) {
	f := e.Failover
	if f == nil {
		return "", "", "", false
	}
	kind := "Automatic"
	switch {
	case f.ScheduleID != 0:
		kind = "Scheduled (#" + strconv.FormatUint(f.ScheduleID, 10) + ")"
	case f.Planned:
		kind = "Planned"
	}
	if f.ReturnValue == 0 {
		return "Failover", kind + " failover " + f.From + " → " + f.To + " completed in " + Seconds(f.DurationSeconds), ToneOK, true
	}
	code := strconv.FormatUint(uint64(f.ReturnValue), 10) + " " + ReturnValueText(f.ReturnValue)
	return "Failover refused", withDetail(kind+" failover "+f.From+" → "+f.To+" refused: "+code, f.Reason), ToneBad, true
}

func describeConfig(e *Event) (string, string, string, bool) {
	if e.Config == nil {
		return "", "", "", false
	}
	return "Configuration", withDetail(e.Config.Action, e.Config.Detail), ToneInfo, true
}

func describeFlap(e *Event) (string, string, string, bool) {
	f := e.Flap
	if f == nil {
		return "", "", "", false
	}
	return "Flap guard", "limit of " + strconv.Itoa(f.MaxFailovers) + " automatic failovers in " +
		Seconds(f.PeriodSeconds) + " reached; automatic failover stopped", ToneBad, true
}

func describeReturned(e *Event) (string, string, string, bool) {
	if e.Returned == nil {
		return "", "", "", false
	}
	by := "the set's policy"
	if e.Returned.Operator {
		by = "an operator"
	}
	return "Returned", e.Member + " returned to service by " + by, ToneOK, true
}

func describeMaintenance(e *Event) (string, string, string, bool) {
	m := e.Maintenance
	if m == nil {
		return "", "", "", false
	}
	scope := "for this set"
	if e.SetID == "" {
		scope = "for every set"
	}
	if m.Paused {
		return "Maintenance", "automatic failover paused " + scope, ToneWarn, true
	}
	return "Maintenance", "automatic failover resumed " + scope, ToneOK, true
}

func describeSchedule(e *Event) (string, string, string, bool) {
	s := e.Schedule
	if s == nil {
		return "", "", "", false
	}
	return "Scheduled", fmt.Sprintf("failover #%d %s → %s at %s %s", s.ID, s.From, s.To,
		s.At.UTC().Format(time.RFC3339), s.Action), ToneInfo, true
}

// hookEventWords name the events a hook is delivered.
var hookEventWords = map[string]string{
	"failover": "the failover", "refused": "the refused failover",
	"status": "the status change", "prefailover": "the failover",
}

var hookTones = map[string]string{"ok": ToneOK, "vetoed": ToneWarn, "failed": ToneBad, "dropped": ToneBad}

// describeHook tells one hook delivery: "notify ran for the failover in
// 12 ms", "guard vetoed the failover: exit status 1", "notify failed for
// the status change after 3 attempts: HTTP 500", "notify never ran for the
// failover: queue full".
func describeHook(e *Event) (string, string, string, bool) {
	h := e.Hook
	if h == nil {
		return "", "", "", false
	}
	what, ok := hookEventWords[h.Event]
	if !ok {
		what = "the " + h.Event + " event"
	}
	var s string
	switch h.Outcome {
	case "ok":
		verb := "ran for "
		if h.Event == "prefailover" {
			verb = "allowed "
		}
		s = h.Hook + " " + verb + what + " in " + Seconds(h.DurationSeconds)
	case "vetoed":
		s = h.Hook + " vetoed " + what
	case "dropped":
		s = h.Hook + " never ran for " + what
	default:
		s = h.Hook + " " + h.Outcome + " for " + what
	}
	if h.Attempts > 1 {
		s += " after " + strconv.Itoa(h.Attempts) + " attempts"
	}
	return "Hook", withDetail(s, h.Error), orInfo(hookTones[h.Outcome]), true
}

func withDetail(text, detail string) string {
	if detail == "" {
		return text
	}
	return text + ": " + detail
}

func orInfo(tone string) string {
	if tone == "" {
		return ToneInfo
	}
	return tone
}

// Seconds writes a duration for people: "under 1 ms", "850 ms", "2.5 s",
// "42 s", "60 min".
func Seconds(s float64) string {
	switch {
	case s < 0.001:
		return "under 1 ms"
	case s < 1:
		return strconv.FormatFloat(s*1000, 'f', 0, 64) + " ms"
	case s < 10:
		return strconv.FormatFloat(s, 'f', 1, 64) + " s"
	case s < 120:
		return strconv.FormatFloat(s, 'f', 0, 64) + " s"
	}
	return strconv.FormatFloat(s/60, 'f', 0, 64) + " min"
}
