package api

import (
	"context"

	"github.com/redset/redset/engine"
)

// Sets returns every set of eng as GET /api/v1/sets shows it, for readers
// in the same process (the dashboard's first render).
func Sets(eng *engine.Engine) ([]Set, error) {
	views, err := eng.ListSets()
	if err != nil {
		return nil, err
	}
	out := make([]Set, len(views))
	for i, v := range views {
		out[i] = setFromView(v)
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
