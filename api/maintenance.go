package api

import (
	"context"
	"net/http"
)

// pauseSet: POST /api/v1/sets/{id}/pause pauses the set's automatic
// failover and answers the set.
func (h *handler) pauseSet(w http.ResponseWriter, r *http.Request) error {
	return h.changePause(w, r, h.eng.PauseAutomatic)
}

// resumeSet: POST /api/v1/sets/{id}/resume ends the set's pause.
func (h *handler) resumeSet(w http.ResponseWriter, r *http.Request) error {
	return h.changePause(w, r, h.eng.ResumeAutomatic)
}

func (h *handler) changePause(w http.ResponseWriter, r *http.Request, change func(context.Context, string) error) error {
	id := r.PathValue("id")
	if err := change(r.Context(), id); err != nil {
		return err
	}
	v, err := h.eng.GetSet(id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}

// maintenance: GET /api/v1/maintenance.
func (h *handler) maintenance(w http.ResponseWriter, _ *http.Request) error {
	m, err := h.maintenanceState()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

// pauseServer: POST /api/v1/pause pauses automatic failover of every set.
func (h *handler) pauseServer(w http.ResponseWriter, r *http.Request) error {
	if err := h.eng.PauseAutomatic(r.Context(), ""); err != nil {
		return err
	}
	return h.maintenance(w, r)
}

// resumeServer: POST /api/v1/resume ends the server-wide pause (sets
// paused on their own stay paused).
func (h *handler) resumeServer(w http.ResponseWriter, r *http.Request) error {
	if err := h.eng.ResumeAutomatic(r.Context(), ""); err != nil {
		return err
	}
	return h.maintenance(w, r)
}

func (h *handler) maintenanceState() (Maintenance, error) {
	views, err := h.eng.ListSets()
	if err != nil {
		return Maintenance{}, err
	}
	m := Maintenance{Paused: pauseFrom(h.eng.ServerPause()), PausedSets: []string{}}
	for _, v := range views {
		if v.Paused != nil {
			m.PausedSets = append(m.PausedSets, v.InstanceID)
		}
	}
	return m, nil
}
