package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/redset/redset/engine"
)

// memberURL is the path of a member's resource.
func memberURL(name string) string { return Prefix + "/members/" + url.PathEscape(name) }

// listMembers: GET /api/v1/members.
func (h *handler) listMembers(w http.ResponseWriter, _ *http.Request) error {
	infos, err := h.eng.ListMembers()
	if err != nil {
		return err
	}
	out := MemberList{Members: make([]Member, len(infos))}
	for i, m := range infos {
		out.Members[i] = memberFrom(m)
	}
	return writeJSON(w, http.StatusOK, out)
}

// getMember: GET /api/v1/members/{name}.
func (h *handler) getMember(w http.ResponseWriter, r *http.Request) error {
	m, err := h.eng.GetMember(r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, memberFrom(m))
}

// createMember: POST /api/v1/members, 201 with Location; 409 when the name
// is taken (use PUT to replace).
func (h *handler) createMember(w http.ResponseWriter, r *http.Request) error {
	var spec MemberSpec
	if err := decodeBody(r, &spec); err != nil {
		return err
	}
	m := spec.toEngine()
	if _, err := h.eng.GetMember(m.Name); !errors.Is(err, engine.ErrNotFound) {
		if err == nil {
			err = newProblem(http.StatusConflict, ProblemExists, "Already exists", "member "+m.Name+" already exists")
		}
		return err
	}
	info, err := h.eng.PutMember(r.Context(), m)
	if err != nil {
		return err
	}
	w.Header().Set("Location", memberURL(info.Name))
	return writeJSON(w, http.StatusCreated, memberFrom(info))
}

// putMember: PUT /api/v1/members/{name} creates or replaces a member's
// definition; its roles and health stay.
func (h *handler) putMember(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	var spec MemberSpec
	if err := decodeBody(r, &spec); err != nil {
		return err
	}
	if spec.Name != "" && spec.Name != name {
		return invalidField("name", "must match the member in the path", spec.Name)
	}
	spec.Name = name
	info, err := h.eng.PutMember(r.Context(), spec.toEngine())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, memberFrom(info))
}

// deleteMember: DELETE /api/v1/members/{name}, 204; 409 while the member
// belongs to a set.
func (h *handler) deleteMember(w http.ResponseWriter, r *http.Request) error {
	if err := h.eng.DeleteMember(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// reportHealth: POST /api/v1/members/{name}/health counts one pushed
// report or heartbeat and answers the member with its health after it.
func (h *handler) reportHealth(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	var in HealthReport
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	rep, err := in.toEngine()
	if err != nil {
		return err
	}
	if err := h.eng.ReportHealth(name, rep); err != nil {
		return err
	}
	m, err := h.eng.GetMember(name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, memberFrom(m))
}

// putSetMember: PUT /api/v1/sets/{id}/members/{name} gives a member a role
// in a set and answers the set. Putting the role the member already has
// changes nothing; a different role of a member already in the set is a
// conflict (remove it first), since changing it would not be atomic.
func (h *handler) putSetMember(w http.ResponseWriter, r *http.Request) error {
	id, name := r.PathValue("id"), r.PathValue("name")
	var spec RoleSpec
	if err := decodeBody(r, &spec); err != nil {
		return err
	}
	role, err := spec.toEngine()
	if err != nil {
		return err
	}
	v, err := h.eng.AddToSet(r.Context(), id, name, role)
	if errors.Is(err, engine.ErrExists) {
		v, err = h.sameRole(id, name, role, err)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}

// sameRole answers the set when name already has exactly role in it, and
// the conflict exists otherwise.
func (h *handler) sameRole(id, name string, role engine.Role, exists error) (engine.SetView, error) {
	v, err := h.eng.GetSet(id)
	if err != nil {
		return v, err
	}
	want := withSpareDefaults(role)
	for _, m := range v.Members {
		if m.Name != name {
			continue
		}
		if m.Role.Kind == want.Kind && (want.Kind != engine.RoleSpare || m.Role.Spare == want.Spare) {
			return v, nil
		}
		return v, newProblem(http.StatusConflict, ProblemExists, "Already exists",
			"member "+name+" already has a role ("+roleNames[m.Role.Kind]+") in set "+id+"; remove it from the set first to change its role")
	}
	return v, exists
}

// withSpareDefaults mirrors the engine's defaults of a new spare role.
func withSpareDefaults(r engine.Role) engine.Role {
	if r.Kind != engine.RoleSpare {
		return r
	}
	if r.Spare.SpareStatus == 0 {
		r.Spare.SpareStatus = engine.DefaultSpare.SpareStatus
	}
	if r.Spare.FailoverSupported == 0 {
		r.Spare.FailoverSupported = engine.DefaultSpare.FailoverSupported
	}
	return r
}

// removeSetMember: DELETE /api/v1/sets/{id}/members/{name} takes a member
// out of a set and answers the set.
func (h *handler) removeSetMember(w http.ResponseWriter, r *http.Request) error {
	v, err := h.eng.RemoveFromSet(r.Context(), r.PathValue("id"), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}

// enableMember: POST /api/v1/sets/{id}/members/{name}/enable returns a
// drained member to service.
func (h *handler) enableMember(w http.ResponseWriter, r *http.Request) error {
	v, err := h.eng.EnableMember(r.Context(), r.PathValue("id"), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}

// drainMember: POST /api/v1/sets/{id}/members/{name}/drain takes an
// in-service member of an N+1 or Load Balanced set out of service.
func (h *handler) drainMember(w http.ResponseWriter, r *http.Request) error {
	v, err := h.eng.DrainMember(r.Context(), r.PathValue("id"), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.set(v))
}
