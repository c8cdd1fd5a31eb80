package api

import (
	"net/http"
	"strconv"
)

func scheduledURL(setID string, id uint64) string {
	return setURL(setID) + "/scheduled/" + strconv.FormatUint(id, 10)
}

// scheduleFailover: POST /api/v1/sets/{id}/scheduled with {from, to, at},
// 201 with Location.
func (h *handler) scheduleFailover(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var req ScheduleRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.At.IsZero() {
		return invalidField("at", "is required: the time to fail over, RFC 3339", nil)
	}
	sf, err := h.eng.ScheduleFailover(r.Context(), id, req.From, req.To, req.At)
	if err != nil {
		return err
	}
	w.Header().Set("Location", scheduledURL(id, sf.ID))
	return writeJSON(w, http.StatusCreated, scheduledFrom(sf))
}

// listScheduled: GET /api/v1/sets/{id}/scheduled.
func (h *handler) listScheduled(w http.ResponseWriter, r *http.Request) error {
	return h.writeScheduled(w, r.PathValue("id"))
}

// listAllScheduled: GET /api/v1/scheduled, every set's.
func (h *handler) listAllScheduled(w http.ResponseWriter, _ *http.Request) error {
	return h.writeScheduled(w, "")
}

func (h *handler) writeScheduled(w http.ResponseWriter, setID string) error {
	list, err := h.eng.ScheduledFailovers(setID)
	if err != nil {
		return err
	}
	out := ScheduledList{Scheduled: make([]ScheduledFailover, len(list))}
	for i, sf := range list {
		out.Scheduled[i] = scheduledFrom(sf)
	}
	return writeJSON(w, http.StatusOK, out)
}

// getScheduled: GET /api/v1/sets/{id}/scheduled/{sid}.
func (h *handler) getScheduled(w http.ResponseWriter, r *http.Request) error {
	setID := r.PathValue("id")
	sid, err := scheduleID(r)
	if err != nil {
		return err
	}
	list, err := h.eng.ScheduledFailovers(setID)
	if err != nil {
		return err
	}
	for _, sf := range list {
		if sf.ID == sid {
			return writeJSON(w, http.StatusOK, scheduledFrom(sf))
		}
	}
	return noSchedule(setID, sid)
}

// cancelScheduled: DELETE /api/v1/sets/{id}/scheduled/{sid}, 204.
func (h *handler) cancelScheduled(w http.ResponseWriter, r *http.Request) error {
	sid, err := scheduleID(r)
	if err != nil {
		return err
	}
	if err := h.eng.CancelScheduledFailover(r.Context(), r.PathValue("id"), sid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// scheduleID reads {sid}; text that is not a number names no schedule.
func scheduleID(r *http.Request) (uint64, error) {
	v := r.PathValue("sid")
	sid, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, newProblem(http.StatusNotFound, ProblemNotFound, "Not found", "no scheduled failover "+strconv.Quote(v))
	}
	return sid, nil
}

func noSchedule(setID string, sid uint64) error {
	return newProblem(http.StatusNotFound, ProblemNotFound, "Not found",
		"no scheduled failover "+strconv.FormatUint(sid, 10)+" of set "+strconv.Quote(setID)+" (it may have run already)")
}
