package engine

import (
	"context"
	"errors"
	"log/slog"

	"github.com/redset/redset/event"
)

// The audit stream is a log of every change and every attempt at one: each
// record of a change or of a failover outcome as it is published, and each
// change the engine refused (which makes no record). Every line names the
// actor (user, address, protocol) and the outcome. It goes to
// Options.Audit, one line per entry with the message "audit".

// auditedKinds are the records the audit stream shows: changes and
// failover outcomes, not health, status or hook deliveries.
var auditedKinds = map[event.Kind]bool{
	event.KindFailoverSucceeded: true, event.KindFailoverRefused: true,
	event.KindConfigChanged: true, event.KindMemberReturned: true, event.KindMaintenance: true,
	event.KindScheduleChanged: true,
}

// publish hands a record to the bus and, when it is a change, to the audit
// stream.
func (e *Engine) publish(r *event.Record) {
	e.pubs.publish(*r, e.bus.Publish)
	if auditedKinds[r.Kind] {
		e.audit.LogAttrs(context.Background(), slog.LevelInfo, "audit", recordAttrs(r)...)
	}
}

func recordAttrs(r *event.Record) []slog.Attr {
	action, outcome := "", "ok"
	var extra []slog.Attr
	switch {
	case r.Failover != nil:
		action = "failover"
		if !r.Failover.Planned {
			action = "automatic failover"
		}
		extra = append(extra, slog.String("from", r.Failover.From), slog.String("to", r.Failover.To),
			slog.Uint64("code", uint64(r.Failover.Code)))
		if r.Failover.ScheduleID != 0 {
			extra = append(extra, slog.Uint64("schedule", r.Failover.ScheduleID))
		}
		if r.Failover.Code != CodeCompleted {
			outcome = "refused"
			extra = append(extra, slog.String("reason", r.Failover.Reason))
		}
	case r.Config != nil:
		action = r.Config.Action
		if r.Config.Detail != "" {
			extra = append(extra, slog.String("detail", r.Config.Detail))
		}
	case r.Returned != nil:
		action = "member returned to service"
	case r.Schedule != nil:
		action = map[string]string{"scheduled": "failover scheduled", "cancelled": "scheduled failover cancelled"}[r.Schedule.Action]
		extra = append(extra, slog.Uint64("schedule", r.Schedule.ID), slog.String("from", r.Schedule.From),
			slog.String("to", r.Schedule.To), slog.Time("at", r.Schedule.At))
	case r.Maintenance != nil:
		action = map[bool]string{true: "automatic failover paused", false: "automatic failover resumed"}[r.Maintenance.Paused]
	}
	attrs := append(actorAttrs(r.Actor, action, r.SetID, r.Member, outcome), slog.Uint64("seq", r.Seq),
		slog.String("kind", string(r.Kind)))
	return append(attrs, extra...)
}

func actorAttrs(a *Actor, action, setID, member, outcome string) []slog.Attr {
	if a == nil {
		a = &Actor{Protocol: ProtocolEngine}
	}
	return []slog.Attr{
		slog.Bool("audit", true), slog.String("action", action), slog.String("outcome", outcome),
		slog.String("user", a.User), slog.String("address", a.Address), slog.String("protocol", a.Protocol),
		slog.String("set", setID), slog.String("member", member),
	}
}

// auditRefusal logs a change that *err refused, if it did. Public change
// methods defer it with their named error result.
func (e *Engine) auditRefusal(ctx context.Context, action, setID, member string, err *error) {
	if *err == nil {
		return
	}
	attrs := actorAttrs(actorOf(ctx), action, setID, member, "refused")
	attrs = append(attrs, slog.String("kind", errorKind(*err)), slog.String("reason", MessageOf(*err)))
	e.audit.LogAttrs(context.Background(), slog.LevelInfo, "audit", attrs...)
}

// AuditRefusal writes a change refused outside the engine (a configuration
// reload, say) to the audit stream, naming the actor of ctx; err nil
// writes nothing.
func (e *Engine) AuditRefusal(ctx context.Context, action, setID, member string, err error) {
	e.auditRefusal(ctx, action, setID, member, &err)
}

// errorKind names an error's kind for the audit stream.
func errorKind(err error) string {
	if errors.Is(err, ErrSetNotFound) {
		return "set not found"
	}
	return KindOf(err).String()
}
