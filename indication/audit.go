package indication

import (
	"context"
	"log/slog"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// Every change of a subscription object, and every refused one, goes to
// the audit stream (RegistryOptions.Audit) as one line with the message
// "audit", as the engine's changes do: the action, the object, the
// outcome, and who asked (user, address, protocol; "indication" for the
// server's own ends of subscriptions, by their policy or duration).

// audit writes one change of object to the audit stream; err nil is a
// change made, any other a refusal with its reason.
func (r *Registry) audit(ctx context.Context, action, object string, err error) {
	if r.o.Audit == nil {
		return
	}
	p, ok := cimom.PrincipalFrom(ctx)
	if !ok {
		p = cimom.Principal{Protocol: "indication"}
	}
	outcome := "ok"
	attrs := []slog.Attr{slog.Bool("audit", true), slog.String("action", action), slog.String("object", object)}
	if err != nil {
		outcome = "refused"
		attrs = append(attrs, slog.String("kind", cim.StatusOf(err).String()), slog.String("reason", err.Error()))
	}
	attrs = append(attrs, slog.String("outcome", outcome), slog.String("user", p.User), slog.String("address", p.Address),
		slog.String("protocol", p.Protocol))
	r.o.Audit.LogAttrs(context.Background(), slog.LevelInfo, "audit", attrs...)
}
