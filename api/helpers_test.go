package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
)

const testPassword = "s3cret-pass"

// testHash is a bcrypt hash of testPassword at the minimum cost (4), so that
// the suite stays fast under -race; TestContractSmoke also checks a user
// hashed by auth.HashPassword at the production cost.
const testHash = "$2a$04$VO3eZzkDKWtKumkYo1q4re17rZQRj6a1PiccPhVlCl2vY27kbMp1W"

// testUsers is one user per role, all with testPassword.
func testUsers(testing.TB) *auth.Users {
	return auth.NewUsers(
		auth.User{Name: "admin", PasswordHash: testHash, Role: auth.Admin},
		auth.User{Name: "operator", PasswordHash: testHash, Role: auth.Operator},
		auth.User{Name: "reader", PasswordHash: testHash, Role: auth.Reader},
	)
}

// testEnv is a real engine on a bolt store behind a loopback HTTP server,
// with a client per role.
type testEnv struct {
	eng                             *engine.Engine
	srv                             *httptest.Server
	admin, operator, reader, nobody *Client
}

func newEnv(t testing.TB, opts ...func(*Options)) *testEnv {
	t.Helper()
	return newTestEnv(t, nil, nil, opts...)
}

// newEnvWrapped is newEnv with wrap put around the bolt store.
func newEnvWrapped(t testing.TB, wrap func(store.Store) store.Store, opts ...func(*Options)) *testEnv {
	t.Helper()
	return newTestEnv(t, wrap, nil, opts...)
}

// newEnvAuth is newEnv whose door checks credentials with users (nil:
// Options.Users, else testUsers).
func newEnvAuth(t testing.TB, users auth.Authenticator, opts ...func(*Options)) *testEnv {
	t.Helper()
	return newTestEnv(t, nil, users, opts...)
}

// newTestEnv starts the API on a bolt store (with wrap, when not nil, put
// around it) behind a door that checks credentials with users.
func newTestEnv(t testing.TB, wrap func(store.Store) store.Store, users auth.Authenticator, opts ...func(*Options)) *testEnv {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "redset.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatalf("bolt.Open: %v", err)
	}
	var es store.Store = st
	if wrap != nil {
		es = wrap(st)
	}
	eng, err := engine.New(context.Background(), engine.Options{Store: es})
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	o := Options{Version: "test"}
	for _, f := range opts {
		f(&o)
	}
	switch {
	case users != nil:
	case o.Users != nil:
		users = o.Users
	default:
		users = testUsers(t)
	}
	srv := httptest.NewServer(http.MaxBytesHandler(guard(NewHandler(eng, o), users, o.Logger), testMaxBody)) // the cap the server puts in front
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = eng.Close()
		_ = st.Close()
	})
	env := &testEnv{eng: eng, srv: srv}
	env.admin = env.client(t, "admin", testPassword)
	env.operator = env.client(t, "operator", testPassword)
	env.reader = env.client(t, "reader", testPassword)
	env.nobody = env.client(t, "", "")
	return env
}

// guard puts h behind the door, as the server mounts it.
func guard(h http.Handler, users auth.Authenticator, log *slog.Logger) http.Handler {
	return auth.NewDoor(users, log).Guard(auth.Gate{Protocol: "api", Operation: Operation, Refuse: Refuse}, h)
}

func (env *testEnv) client(t testing.TB, user, password string) *Client {
	t.Helper()
	c, err := NewClient(env.srv.URL, user, password, env.srv.Client())
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// raw sends a request with admin credentials (unless user is empty) and
// returns the answer with its body read.
func (env *testEnv) raw(t testing.TB, method, path, contentType, body, user string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, env.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if user != "" {
		req.SetBasicAuth(user, testPassword)
	}
	resp, err := env.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return resp, data
}

var bg = context.Background()

// sparingSet is a Sparing set with N = 1: web-a in service, web-b a hot
// spare with manual and automatic failover, both OK.
func (env *testEnv) sparingSet(t testing.TB) Set {
	t.Helper()
	ctx := bg
	mustSet(t)(env.admin.CreateSet(ctx, SetSpec{
		InstanceID: "redset:web", ElementName: "web", TypeOfSet: []uint16{4}, MinNumberNeeded: 1,
	}))
	for _, name := range []string{"web-a", "web-b"} {
		mustMember(t)(env.admin.CreateMember(ctx, MemberSpec{Name: name}))
		mustMember(t)(env.operator.ReportHealth(ctx, name, HealthReport{State: "OK", Source: "test"}))
	}
	mustSet(t)(env.admin.PutSetMember(ctx, "redset:web", "web-a", RoleSpec{Role: RoleInService}))
	return mustSet(t)(env.admin.PutSetMember(ctx, "redset:web", "web-b", RoleSpec{Role: RoleSpare}))
}

// nPlus1Set is an N+1 set with N = 2 and db-1..db-3 in service, all OK.
func (env *testEnv) nPlus1Set(t testing.TB) Set {
	t.Helper()
	ctx := bg
	mustSet(t)(env.admin.CreateSet(ctx, SetSpec{InstanceID: "redset:db", TypeOfSet: []uint16{2}, MinNumberNeeded: 2}))
	var s Set
	for _, name := range []string{"db-1", "db-2", "db-3"} {
		mustMember(t)(env.admin.CreateMember(ctx, MemberSpec{Name: name}))
		mustMember(t)(env.operator.ReportHealth(ctx, name, HealthReport{State: "OK"}))
		s = mustSet(t)(env.admin.PutSetMember(ctx, "redset:db", name, RoleSpec{Role: RoleInService}))
	}
	return s
}

func mustSet(t testing.TB) func(Set, error) Set {
	return func(s Set, err error) Set {
		t.Helper()
		if err != nil {
			t.Fatalf("set call failed: %v", err)
		}
		return s
	}
}

func mustMember(t testing.TB) func(Member, error) Member {
	return func(m Member, err error) Member {
		t.Helper()
		if err != nil {
			t.Fatalf("member call failed: %v", err)
		}
		return m
	}
}

// problemOfErr extracts the *Problem of a client error (nil if none).
func problemOfErr(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return nil
}

// wantProblem fails unless err is a problem with status and type.
func wantProblem(t testing.TB, err error, status int, typ string) *Problem {
	t.Helper()
	p := problemOfErr(err)
	if p == nil {
		t.Fatalf("got error %v, want a problem %d %s", err, status, typ)
	}
	if p.Status != status || p.Type != typ {
		t.Fatalf("got problem %d %s (%s), want %d %s", p.Status, p.Type, p.Detail, status, typ)
	}
	return p
}

// decodeProblem parses a raw problem answer.
func decodeProblem(t testing.TB, resp *http.Response, body []byte) Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, body)
	}
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %s: %v", body, err)
	}
	if p.Status != resp.StatusCode {
		t.Errorf("problem status %d, HTTP status %d", p.Status, resp.StatusCode)
	}
	return p
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
