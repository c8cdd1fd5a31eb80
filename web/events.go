package web

import (
	"strconv"

	"github.com/redset/redset/api"
)

// eventViewOf describes one event for the timeline: a short label, a
// sentence and a tone (ok, warn, bad, info) that colours its marker.
func eventViewOf(e api.Event) eventView {
	v := eventView{Seq: e.Seq, Time: e.Time, Kind: e.Kind, SetID: e.SetID, Label: e.Kind, Tone: "info"}
	switch {
	case e.Health != nil:
		v.Label, v.Text, v.Tone = "Health", healthSentence(e.Member, e.Health), healthTone(e.Health.To)
	case e.Status != nil:
		v.Label, v.Text, v.Tone = "Status", e.Status.FromText+" → "+e.Status.ToText, statusTone(e.Status.To)
	case e.Failover != nil && e.Kind == "FailoverSucceeded":
		v.Label, v.Text, v.Tone = "Failover", failoverSentence(e.Failover), "ok"
	case e.Failover != nil:
		v.Label, v.Text, v.Tone = "Failover refused", refusalSentence(e.Failover), "bad"
	case e.Config != nil:
		v.Label, v.Text = "Configuration", withDetail(e.Config.Action, e.Config.Detail)
	case e.Flap != nil:
		v.Label, v.Text, v.Tone = "Flap guard", flapSentence(e.Flap), "bad"
	case e.Returned != nil:
		v.Label, v.Text, v.Tone = "Returned", returnedSentence(e.Member, e.Returned), "ok"
	case e.Hook != nil:
		v.Label, v.Text, v.Tone = "Hook", hookSentence(e.Hook), hookTones[e.Hook.Outcome]
		if v.Tone == "" {
			v.Tone = "info"
		}
	}
	return v
}

// hookEventWords name the events a hook is delivered (hook.Spec.On).
var hookEventWords = map[string]string{
	"failover": "the failover", "refused": "the refused failover",
	"status": "the status change", "prefailover": "the failover",
}

var hookTones = map[string]string{"ok": "ok", "vetoed": "warn", "failed": "bad", "dropped": "bad"}

// hookSentence tells one hook delivery: "notify ran for the failover in
// 12 ms", "guard vetoed the failover: exit status 1", "notify failed for
// the status change after 3 attempts: HTTP 500", "notify never ran for the
// failover: queue full". The event's own set is in the entry's heading.
func hookSentence(h *api.HookDelivery) string {
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
		s = h.Hook + " " + verb + what + " in " + seconds(h.DurationSeconds)
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
	return withDetail(s, h.Error)
}

func withDetail(text, detail string) string {
	if detail == "" {
		return text
	}
	return text + ": " + detail
}

func healthSentence(member string, h *api.HealthChange) string {
	return withDetail(member+" "+h.From+" → "+h.To, h.Detail)
}

func healthTone(state string) string {
	switch state {
	case "OK":
		return "ok"
	case "Degraded":
		return "warn"
	case "Failed":
		return "bad"
	}
	return "info"
}

func statusTone(status uint16) string {
	switch status {
	case 2:
		return "ok"
	case 3:
		return "warn"
	case 4, 5:
		return "bad"
	}
	return "info"
}

func failoverSentence(f *api.FailoverEvent) string {
	kind := "Automatic"
	if f.Planned {
		kind = "Planned"
	}
	return kind + " failover " + f.From + " → " + f.To + " completed in " + seconds(f.DurationSeconds)
}

func refusalSentence(f *api.FailoverEvent) string {
	code := strconv.FormatUint(uint64(f.ReturnValue), 10) + " " + api.ReturnValueText(f.ReturnValue)
	return withDetail(f.From+" → "+f.To+": "+code, f.Reason)
}

func flapSentence(f *api.FlapGuard) string {
	return "limit of " + strconv.Itoa(f.MaxFailovers) + " automatic failovers in " +
		seconds(f.PeriodSeconds) + " reached; automatic failover stopped"
}

func returnedSentence(member string, r *api.MemberReturned) string {
	if r.Operator {
		return member + " returned to service by an operator"
	}
	return member + " returned to service by the set's policy"
}

// seconds formats a duration for people: "under 1 ms", "850 ms", "2.5 s",
// "42 s", "60 min".
func seconds(s float64) string {
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
