package api

import (
	"net/http"
	"net/url"

	"github.com/redset/redset/auth"
)

// User is an account as the API shows it: never its password or hash.
// Source is "bootstrap" (the built-in admin), "stored" (added through the
// API) or "config" (declared in the configuration file, which alone can
// change it).
type User struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Source string `json:"source"`
}

// UserList is the answer of GET /api/v1/users.
type UserList struct {
	Users []User `json:"users"`
}

// NewUser is the body of POST /api/v1/users.
type NewUser struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// PasswordChange is the body of PUT /api/v1/users/{name}/password.
type PasswordChange struct {
	Password string `json:"password"`
}

// userURL is the path of a user's resource.
func userURL(name string) string { return Prefix + "/users/" + url.PathEscape(name) }

// usersOrUnavailable is the user table, or a 503 problem when the server
// has none (a handler built without Options.Users).
func (h *handler) usersOrUnavailable() (*auth.Users, error) {
	if h.opts.Users == nil {
		return nil, newProblem(http.StatusServiceUnavailable, ProblemUnavailable, "Unavailable",
			"this server does not manage users")
	}
	return h.opts.Users, nil
}

// listUsers: GET /api/v1/users.
func (h *handler) listUsers(w http.ResponseWriter, _ *http.Request) error {
	users, err := h.usersOrUnavailable()
	if err != nil {
		return err
	}
	out := UserList{Users: []User{}}
	for _, u := range users.List() {
		out.Users = append(out.Users, User{Name: u.Name, Role: string(u.Role), Source: u.Source})
	}
	return writeJSON(w, http.StatusOK, out)
}

// createUser: POST /api/v1/users, 201 with Location.
func (h *handler) createUser(w http.ResponseWriter, r *http.Request) error {
	users, err := h.usersOrUnavailable()
	if err != nil {
		return err
	}
	var in NewUser
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if err := users.Create(r.Context(), in.Name, auth.Role(in.Role), in.Password); err != nil {
		return err
	}
	h.recordUser(r, "user added", in.Name+" ("+in.Role+")")
	w.Header().Set("Location", userURL(in.Name))
	return writeJSON(w, http.StatusCreated, User{Name: in.Name, Role: in.Role, Source: auth.SourceStored})
}

// setPassword: PUT /api/v1/users/{name}/password, 204.
func (h *handler) setPassword(w http.ResponseWriter, r *http.Request) error {
	users, err := h.usersOrUnavailable()
	if err != nil {
		return err
	}
	var in PasswordChange
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := users.SetPassword(r.Context(), name, in.Password); err != nil {
		return err
	}
	h.recordUser(r, "user password changed", name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteUser: DELETE /api/v1/users/{name}, 204.
func (h *handler) deleteUser(w http.ResponseWriter, r *http.Request) error {
	users, err := h.usersOrUnavailable()
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := users.Delete(r.Context(), name); err != nil {
		return err
	}
	h.recordUser(r, "user deleted", name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// recordUser writes a user change to the history. The change is already
// made, so a failure to record it is logged, not answered.
func (h *handler) recordUser(r *http.Request, action, detail string) {
	if h.eng == nil {
		return
	}
	if _, err := h.eng.RecordConfig(r.Context(), action, detail); err != nil {
		h.log.Error("recording a user change failed", "action", action, "detail", detail, "err", err)
	}
}
