package server

import (
	"fmt"
	"log/slog"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

// followEvents logs, at info, the transitions the engine publishes and
// logs nowhere else: member health and set status, and — when the audit
// stream goes to its own file — failover outcomes, configuration changes
// and members returned to service (otherwise the audit lines in this log
// already tell them, and the engine logs its own lines of failovers at
// debug). Flap-guard alerts are logged where the engine decides them, hook
// deliveries by the hook runner.
func followEvents(bus *event.Bus, log *slog.Logger, auditInLog bool) *feed {
	log = log.With("part", "events")
	want := loggedEvent
	if auditInLog {
		want = transition
	}
	return startFeed(bus, feedOptions{name: "event log", log: log, filter: want, handle: func(r event.Record) { logEvent(log, r) }})
}

// transition: a member's health or a set's status changed.
func transition(r event.Record) bool {
	return r.Kind == event.KindHealthChanged || r.Kind == event.KindStatusChanged
}

func loggedEvent(r event.Record) bool {
	switch r.Kind {
	case event.KindHealthChanged, event.KindStatusChanged, event.KindConfigChanged, event.KindMemberReturned,
		event.KindFailoverSucceeded, event.KindFailoverRefused:
		return true
	}
	return false
}

func logEvent(log *slog.Logger, r event.Record) {
	switch {
	case r.Health != nil:
		log.Info("member health changed", "member", r.Member, "from", r.Health.From, "to", r.Health.To,
			"source", r.Health.Source, "detail", r.Health.Detail, "seq", r.Seq)
	case r.Status != nil:
		log.Info("set status changed", "set", r.SetID, "from", statusText(r.Status.From), "to", statusText(r.Status.To), "seq", r.Seq)
	case r.Config != nil:
		attrs := []any{"action", r.Config.Action}
		for _, kv := range [][2]string{{"set", r.SetID}, {"member", r.Member}, {"detail", r.Config.Detail}} {
			if kv[1] != "" {
				attrs = append(attrs, kv[0], kv[1])
			}
		}
		log.Info("configuration changed", append(attrs, "seq", r.Seq)...)
	case r.Returned != nil:
		log.Info("member returned to service", "set", r.SetID, "member", r.Member, "operator", r.Returned.Operator, "seq", r.Seq)
	case r.Failover != nil:
		logFailover(log, r)
	}
}

// statusText is a RedundancyStatus with its meaning: "2 Fully Redundant".
func statusText(v uint16) string {
	names := map[uint16]string{
		engine.StatusUnknown: "Unknown", engine.StatusFullyRedundant: "Fully Redundant", engine.StatusDegraded: "Degraded Redundancy",
		engine.StatusRedundancyLost: "Redundancy Lost", engine.StatusOverallFailure: "Overall Failure",
	}
	if n, ok := names[v]; ok {
		return fmt.Sprintf("%d %s", v, n)
	}
	return fmt.Sprint(v)
}

// logFailover logs a failover's outcome, as its audit entry would.
func logFailover(log *slog.Logger, r event.Record) {
	f := r.Failover
	attrs := []any{"set", r.SetID, "from", f.From, "to", f.To, "planned", f.Planned, "code", f.Code, "seq", r.Seq}
	if f.Code != engine.CodeCompleted {
		log.Info("failover refused", append(attrs, "reason", f.Reason)...)
		return
	}
	log.Info("failover completed", attrs...)
}
