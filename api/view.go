package api

import (
	"context"

	"github.com/redset/redset/engine"
)

// Traffic tells what a set's frontend does on this server; the server's
// traffic manager is one. Status is false when it runs no frontend for the
// set.
type Traffic interface {
	Status(setID string) (engine.FrontendStatus, bool)
}

// Sets returns every set of eng as GET /api/v1/sets shows it, for readers
// in the same process (the dashboard's first render); traffic, when not
// nil, adds each frontend's status.
func Sets(eng *engine.Engine, traffic Traffic) ([]Set, error) {
	views, err := eng.ListSets()
	if err != nil {
		return nil, err
	}
	out := make([]Set, len(views))
	for i, v := range views {
		out[i] = withStatus(setFromView(v), traffic)
	}
	return out, nil
}

// History returns the most recent stored events of eng, oldest first, as
// GET /api/v1/history shows them: at most limit (below 1:
// DefaultHistoryLimit; above MaxHistoryLimit: MaxHistoryLimit).
func History(ctx context.Context, eng *engine.Engine, limit int) ([]Event, error) {
	if limit < 1 {
		limit = DefaultHistoryLimit
	}
	return historyOf(ctx, eng, min(limit, MaxHistoryLimit), "")
}

// historyOf reads the last limit events, of set setID when not empty.
func historyOf(ctx context.Context, eng *engine.Engine, limit int, setID string) ([]Event, error) {
	recs, err := eng.QueryHistory(ctx, engine.HistoryFilter{SetID: setID, Limit: limit})
	if err != nil {
		return nil, err
	}
	return eventsFrom(recs), nil
}

// set is a set as this handler shows it, with its frontend's status.
func (h *handler) set(v engine.SetView) Set { return withStatus(setFromView(v), h.opts.Traffic) }
