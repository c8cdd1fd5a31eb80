package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
)

// setURL is the path of a set's resource.
func setURL(id string) string { return Prefix + "/sets/" + url.PathEscape(id) }

// listSets: GET /api/v1/sets.
func (h *handler) listSets(w http.ResponseWriter, _ *http.Request) error {
	sets, err := Sets(h.eng, h.opts.Traffic)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, SetList{Sets: sets})
}

// getSet: GET /api/v1/sets/{id}.
func (h *handler) getSet(w http.ResponseWriter, r *http.Request) error {
	v, err := h.eng.GetSet(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}

// createSet: POST /api/v1/sets, 201 with Location. An instanceID without
// a colon is a LocalID, completed with the server's OrgID.
func (h *handler) createSet(w http.ResponseWriter, r *http.Request) error {
	var spec SetSpec
	if err := decodeBody(r, &spec); err != nil {
		return err
	}
	if spec.InstanceID != "" && !strings.Contains(spec.InstanceID, ":") {
		spec.InstanceID = h.eng.InstanceIDFor(spec.InstanceID) // a LocalID: the server's OrgID goes before it
	}
	set, err := spec.toEngine()
	if err != nil {
		return err
	}
	v, err := h.eng.CreateSet(r.Context(), set)
	if err != nil {
		return err
	}
	w.Header().Set("Location", setURL(v.InstanceID))
	return writeJSON(w, http.StatusCreated, h.set(v))
}

// replaceSet: PUT /api/v1/sets/{id} replaces every writable property and
// the policy; roles stay. instanceID may be left out; if given it must
// match the path.
func (h *handler) replaceSet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var spec SetSpec
	if err := decodeBody(r, &spec); err != nil {
		return err
	}
	if spec.InstanceID != "" && spec.InstanceID != id {
		return invalidField("instanceID", "must match the set in the path; it cannot change", spec.InstanceID)
	}
	spec.InstanceID = id
	next, err := spec.toEngine()
	if err != nil {
		return err
	}
	v, err := h.eng.UpdateSet(r.Context(), id, func(s *engine.Set) error {
		*s = next
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}

// lbFields are the set fields an operator may write.
var lbFields = map[string]bool{"loadBalanceAlgorithm": true, "otherLoadBalanceAlgorithm": true}

// patchSet: PATCH /api/v1/sets/{id} with a JSON merge patch. A patch of
// only the load-balancing fields is the route's operation (checked before);
// anything else is the operation PatchBeyondLoadBalance.
func (h *handler) patchSet(w http.ResponseWriter, r *http.Request) error {
	data, err := readBody(r, mediaMergePatch, mediaJSON)
	if err != nil {
		w.Header().Set("Accept-Patch", mediaMergePatch)
		return err
	}
	patch, err := decodePatch(data)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	for name := range patch {
		if !lbFields[name] {
			if err := auth.Authorize(r.Context(), PatchBeyondLoadBalance); err != nil {
				Refuse(w, r, auth.StatusOf(err), err)
				return nil
			}
			return h.patchAll(w, r, id, patch)
		}
	}
	return h.patchLoadBalance(w, r, id, patch)
}

// PatchBeyondLoadBalance is the operation of a PATCH of a set that changes
// more than its load-balancing fields.
const PatchBeyondLoadBalance auth.Operation = "api PATCH /api/v1/sets/{id} beyond load balancing"

// patchAll applies the patch to the set under the engine's hold, so it
// merges into the current state.
func (h *handler) patchAll(w http.ResponseWriter, r *http.Request, id string, patch map[string]any) error {
	v, err := h.eng.UpdateSet(r.Context(), id, func(s *engine.Set) error {
		spec, err := applyPatch(specFromSet(*s), patch)
		if err != nil {
			return err
		}
		if spec.InstanceID == "" {
			spec.InstanceID = id
		}
		next, err := spec.toEngine()
		*s = next
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}

// patchLoadBalance writes the load-balancing fields through the engine's
// operator operation. A field the patch leaves out keeps its current value
// as read just before.
func (h *handler) patchLoadBalance(w http.ResponseWriter, r *http.Request, id string, patch map[string]any) error {
	cur, err := h.eng.GetSet(id)
	if err != nil {
		return err
	}
	if len(patch) == 0 {
		return writeJSON(w, http.StatusOK, h.set(cur))
	}
	spec, err := applyPatch(specFromSet(cur.Set), patch)
	if err != nil {
		return err
	}
	alg := engine.LBNone
	if spec.LoadBalanceAlgorithm != nil {
		alg = *spec.LoadBalanceAlgorithm
	}
	v, err := h.eng.SetLoadBalance(r.Context(), id, alg, spec.OtherLoadBalanceAlgorithm)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}

// deleteSet: DELETE /api/v1/sets/{id}, 204.
func (h *handler) deleteSet(w http.ResponseWriter, r *http.Request) error {
	if err := h.eng.DeleteSet(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resetFlapGuard: POST /api/v1/sets/{id}/flap-guard/reset re-enables
// automatic failover after the flap guard tripped.
func (h *handler) resetFlapGuard(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.eng.ResetFlapGuard(r.Context(), id); err != nil {
		return err
	}
	v, err := h.eng.GetSet(id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}
