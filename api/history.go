package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

// History limits: the default and the largest number of records answered.
const (
	DefaultHistoryLimit = 100
	MaxHistoryLimit     = 10000
)

// history: GET /api/v1/history answers the most recent stored events that
// pass the filter, oldest first: limit (default 100), setId, member, kind
// (repeated or comma-separated), user, since and until (RFC 3339; since
// inclusive, until exclusive).
func (h *handler) history(w http.ResponseWriter, r *http.Request) error {
	f, err := historyFilter(r.URL.Query())
	if err != nil {
		return err
	}
	recs, err := h.eng.QueryHistory(r.Context(), f)
	if err != nil {
		return err
	}
	return h.events.writeList(w, recs)
}

func historyFilter(q url.Values) (engine.HistoryFilter, error) {
	limit, err := historyLimit(q.Get("limit"))
	if err != nil {
		return engine.HistoryFilter{}, err
	}
	f := engine.HistoryFilter{SetID: q.Get("setId"), Member: q.Get("member"), User: q.Get("user"), Limit: limit}
	if f.Kinds, err = kindsOf(q["kind"]); err != nil {
		return f, err
	}
	if f.Since, err = timeParam(q, "since"); err != nil {
		return f, err
	}
	if f.Until, err = timeParam(q, "until"); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, fieldProblem("until", "must be after since", q.Get("until"))
	}
	return f, nil
}

func historyLimit(s string) (int, error) {
	if s == "" {
		return DefaultHistoryLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxHistoryLimit {
		return 0, fieldProblem("limit", "must be an integer from 1 to "+strconv.Itoa(MaxHistoryLimit), s)
	}
	return n, nil
}

// kindsOf reads kind parameters, each one kind or a comma-separated list.
func kindsOf(values []string) ([]event.Kind, error) {
	var out []event.Kind
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			k := event.Kind(strings.TrimSpace(name))
			if !slices.Contains(event.Kinds(), k) {
				return nil, fieldProblem("kind", "must name event kinds such as FailoverSucceeded or ConfigChanged", name)
			}
			out = append(out, k)
		}
	}
	return out, nil
}

func timeParam(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fieldProblem(name, "must be an RFC 3339 time such as 2030-01-02T03:04:05Z", v)
	}
	return t, nil
}

func eventsFrom(recs []event.Record) []Event {
	out := make([]Event, len(recs))
	for i, rec := range recs {
		out[i] = eventFrom(rec)
	}
	return out
}
