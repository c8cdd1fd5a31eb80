package api

import (
	"net/http"
	"strconv"
)

// History limits: the default and the largest number of records answered.
const (
	DefaultHistoryLimit = 100
	MaxHistoryLimit     = 10000
)

// history: GET /api/v1/history?limit=N&setId=ID answers the most recent
// stored events, oldest first; setId keeps only the events of that set.
func (h *handler) history(w http.ResponseWriter, r *http.Request) error {
	limit, err := historyLimit(r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	events, err := historyOf(r.Context(), h.eng, limit, r.URL.Query().Get("setId"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, EventList{Events: events})
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
