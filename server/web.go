package server

import (
	"context"
	"net/http"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/web"
)

// dashboard serves the web dashboard at /. Its first render reads the
// engine directly; afterwards the page talks to /api/v1 like any client.
func (s *Server) dashboard() http.Handler {
	return web.NewHandler(dashboardSource{s}, web.Options{
		Auth:   callerOf,
		Logger: s.log.With("part", "web"),
	})
}

// callerOf describes the caller the door established, with what its role
// may do.
func callerOf(r *http.Request) (api.Caller, bool) {
	id, ok := auth.IdentityFrom(r.Context())
	if !ok {
		return api.Caller{}, false
	}
	return api.CallerOf(id), true
}

// dashboardSource gives the dashboard the API's view of the engine.
type dashboardSource struct{ s *Server }

func (d dashboardSource) Sets(context.Context) ([]api.Set, error) {
	return api.Sets(d.s.eng, statusFunc(d.s.frontendStatus))
}

func (d dashboardSource) History(ctx context.Context, limit int) ([]api.Event, error) {
	return api.History(ctx, d.s.eng, limit)
}
