package api

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/store/bolt"
)

// userEnv is a test server whose users live in a real store: the admin
// bootstrapped with testPassword, an operator and a reader added through
// the table, and "cfg" declared as in a configuration file.
func userEnv(t *testing.T) (*testEnv, *auth.Users) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "users.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	users, _, err := auth.Bootstrap(context.Background(), st, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []auth.User{{Name: "operator", Role: auth.Operator}, {Name: "reader", Role: auth.Reader}} {
		if err := users.Put(auth.User{Name: u.Name, Role: u.Role, PasswordHash: testHash}); err != nil {
			t.Fatal(err)
		}
	}
	if err := users.Configure(auth.User{Name: "cfg", Role: auth.Admin, PasswordHash: testHash}); err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, func(o *Options) { o.Users = users })
	return env, users
}

func TestUserRoutesNeedAnAdmin(t *testing.T) {
	env, _ := userEnv(t)
	calls := map[string]func(c *Client) error{
		"list":   func(c *Client) error { _, err := c.ListUsers(bg); return err },
		"create": func(c *Client) error { _, err := c.CreateUser(bg, "x", "reader", "pw"); return err },
		"passwd": func(c *Client) error { return c.SetUserPassword(bg, "reader", "pw") },
		"delete": func(c *Client) error { return c.DeleteUser(bg, "reader") },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, call(env.nobody), http.StatusUnauthorized, ProblemUnauthorized)
			wantProblem(t, call(env.reader), http.StatusForbidden, ProblemForbidden)
			wantProblem(t, call(env.operator), http.StatusForbidden, ProblemForbidden)
		})
	}
	if _, err := env.client(t, "reader", testPassword).ListSets(bg); err != nil {
		t.Errorf("the refusals changed the reader: %v", err)
	}
}

func TestUserLifecycle(t *testing.T) {
	env, _ := userEnv(t)
	u, err := env.admin.CreateUser(bg, "ops", "operator", "first-pw")
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if u != (User{Name: "ops", Role: "operator", Source: "stored"}) {
		t.Errorf("CreateUser answered %+v", u)
	}
	ops := env.client(t, "ops", "first-pw")
	// The operator may fail over: a set that does not exist is 404, not 403.
	_, err = ops.Failover(bg, "redset:none", "a", "b")
	wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
	wantProblem(t, func() error { _, err := ops.ListUsers(bg); return err }(), http.StatusForbidden, ProblemForbidden)

	list, err := env.admin.ListUsers(bg)
	if err != nil {
		t.Fatal(err)
	}
	want := []User{{"admin", "admin", "bootstrap"}, {"cfg", "admin", "config"}, {"operator", "operator", "stored"},
		{"ops", "operator", "stored"}, {"reader", "reader", "stored"}}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("ListUsers (-want +got):\n%s", diff)
	}
	resp, body := env.raw(t, "GET", Prefix+"/users", "", "", "admin")
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), "$2") || strings.Contains(strings.ToLower(string(body)), "hash") {
		t.Errorf("GET /users answered %d with a hash or its name: %s", resp.StatusCode, body)
	}

	if err := env.admin.SetUserPassword(bg, "ops", "second-pw"); err != nil {
		t.Fatalf("SetUserPassword: %v", err)
	}
	wantProblem(t, func() error { _, err := ops.ListSets(bg); return err }(), http.StatusUnauthorized, ProblemUnauthorized)
	if _, err := env.client(t, "ops", "second-pw").ListSets(bg); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}

	if err := env.admin.DeleteUser(bg, "ops"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	wantProblem(t, func() error { _, err := env.client(t, "ops", "second-pw").ListSets(bg); return err }(),
		http.StatusUnauthorized, ProblemUnauthorized)

	evs, err := env.admin.History(bg, HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		if e.Kind == "ConfigChanged" && e.SetID == "" && e.Member == "" {
			actions = append(actions, e.Config.Action+": "+e.Config.Detail)
			if strings.Contains(e.Config.Detail, "pw") {
				t.Errorf("history shows a password: %+v", e.Config)
			}
		}
	}
	wantActions := []string{"user added: ops (operator)", "user password changed: ops", "user deleted: ops"}
	if diff := cmp.Diff(wantActions, actions); diff != "" {
		t.Errorf("history of user changes (-want +got):\n%s", diff)
	}
}

func TestUserRefusals(t *testing.T) {
	env, users := userEnv(t)
	tests := []struct {
		name   string
		call   func() error
		status int
		typ    string
	}{
		{"existing name", func() error { _, err := env.admin.CreateUser(bg, "reader", "reader", "pw"); return err }, 409, ProblemExists},
		{"bad role", func() error { _, err := env.admin.CreateUser(bg, "x", "root", "pw"); return err }, 400, ProblemValidation},
		{"bad name", func() error { _, err := env.admin.CreateUser(bg, "a:b", "reader", "pw"); return err }, 400, ProblemValidation},
		{"empty password", func() error { _, err := env.admin.CreateUser(bg, "x", "reader", ""); return err }, 400, ProblemValidation},
		{"passwd of nobody", func() error { return env.admin.SetUserPassword(bg, "nobody", "pw") }, 404, ProblemNotFound},
		{"passwd of a configured user", func() error { return env.admin.SetUserPassword(bg, "cfg", "pw") }, 409, ProblemConfigured},
		{"delete a configured user", func() error { return env.admin.DeleteUser(bg, "cfg") }, 409, ProblemConfigured},
		{"delete nobody", func() error { return env.admin.DeleteUser(bg, "nobody") }, 404, ProblemNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := users.List()
			p := wantProblem(t, tc.call(), tc.status, tc.typ)
			if p.Detail == "" || strings.HasPrefix(p.Detail, "auth:") {
				t.Errorf("detail %q: want words for an operator", p.Detail)
			}
			if diff := cmp.Diff(before, users.List()); diff != "" {
				t.Errorf("a refusal changed the users (-before +after):\n%s", diff)
			}
		})
	}
	t.Run("a hash cannot be sent", func(t *testing.T) {
		resp, body := env.raw(t, "POST", Prefix+"/users", "application/json",
			`{"name":"x","role":"reader","passwordHash":"`+testHash+`"}`, "admin")
		if p := decodeProblem(t, resp, body); p.Status != 400 || p.Field != "passwordHash" {
			t.Errorf("answer %d %+v, want 400 naming passwordHash", resp.StatusCode, p)
		}
	})
}

func TestLastAdmin(t *testing.T) {
	env, users := userEnv(t)
	if err := env.admin.DeleteUser(bg, "admin"); err != nil {
		t.Fatalf("deleting admin while cfg is an admin too: %v", err)
	}
	if _, ok := users.Get("admin"); ok {
		t.Fatal("admin still exists")
	}
	// cfg (configured) is now the only admin; it cannot be deleted anyway,
	// so make a stored admin the last one.
	only := auth.NewUsers(auth.User{Name: "boss", Role: auth.Admin, PasswordHash: testHash})
	env2 := newEnv(t, func(o *Options) { o.Users = only })
	boss := env2.client(t, "boss", testPassword)
	wantProblem(t, boss.DeleteUser(bg, "boss"), http.StatusConflict, ProblemLastAdmin)
	if _, ok := only.Get("boss"); !ok {
		t.Error("the last admin was deleted")
	}
}

func TestUsersUnavailable(t *testing.T) {
	env := newEnv(t)
	wantProblem(t, func() error { _, err := env.admin.ListUsers(bg); return err }(), http.StatusServiceUnavailable, ProblemUnavailable)
}

func TestDrainRoute(t *testing.T) {
	env := newEnv(t)
	env.nPlus1Set(t)
	wantProblem(t, func() error { _, err := env.reader.DrainMember(bg, "redset:db", "db-1"); return err }(),
		http.StatusForbidden, ProblemForbidden)
	s, err := env.operator.DrainMember(bg, "redset:db", "db-1")
	if err != nil {
		t.Fatalf("DrainMember: %v", err)
	}
	if s.Members[0].Name != "db-1" || s.Members[0].Role != RoleDrained {
		t.Errorf("db-1 after the drain: %+v, want drained", s.Members[0])
	}
	wantProblem(t, func() error { _, err := env.operator.DrainMember(bg, "redset:db", "db-2"); return err }(),
		http.StatusBadRequest, ProblemValidation)
	env.sparingSet(t)
	wantProblem(t, func() error { _, err := env.operator.DrainMember(bg, "redset:web", "web-a"); return err }(),
		http.StatusConflict, ProblemNotSupported)
}

func TestCreateSetByLocalID(t *testing.T) {
	env := newEnv(t)
	s, err := env.admin.CreateSet(bg, SetSpec{InstanceID: "cache", TypeOfSet: []uint16{2}, MinNumberNeeded: 1})
	if err != nil {
		t.Fatalf("CreateSet with a LocalID: %v", err)
	}
	if s.InstanceID != "redset:cache" {
		t.Errorf("InstanceID = %q, want redset:cache (the server's OrgID added)", s.InstanceID)
	}
}
