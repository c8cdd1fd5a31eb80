package api

import (
	"errors"
	"net/http"

	"github.com/redset/redset/engine"
)

// failover: POST /api/v1/sets/{id}/failover with {"from","to"}. Every
// outcome of the method is 200 with its CIM return value and reason;
// refusals are not HTTP errors (see the package documentation).
func (h *handler) failover(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var req FailoverRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	failover := h.eng.Failover
	if req.DryRun {
		failover = h.eng.CheckFailover
	}
	res := failover(r.Context(), id, req.From, req.To)
	if errors.Is(res.Err, engine.ErrSetNotFound) {
		return res.Err // no set, no method to call: 404
	}
	if errors.Is(res.Err, engine.ErrNotLeader) {
		return res.Err // this server does not lead (and none is known): 503, try again
	}
	if errors.Is(res.Err, engine.ErrOutcomeUnknown) { // not a refusal: it may have happened; 504, read back
		return newProblem(http.StatusGatewayTimeout, ProblemOutcomeUnknown, "Outcome unknown", res.Reason)
	}
	// A refusal is logged by the engine, once.
	return writeJSON(w, http.StatusOK, failoverResultFrom(id, req, res))
}
