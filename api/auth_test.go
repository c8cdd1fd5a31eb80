package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/auth"
)

// TestContractSmoke is the contract the server's smoke test relies on,
// with an administrator whose password is hashed as in production.
func TestContractSmoke(t *testing.T) {
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	env := newEnv(t, func(o *Options) {
		o.Users = auth.NewUsers(auth.User{Name: "admin", PasswordHash: hash, Role: auth.Admin})
	})
	resp, body := env.raw(t, "GET", "/api/v1/sets", "", "", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/sets without credentials: %d, want 401", resp.StatusCode)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != auth.Challenge {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	if p := decodeProblem(t, resp, body); p.Type != ProblemUnauthorized || p.Instance != "/api/v1/sets" {
		t.Errorf("problem = %+v, want unauthorized for /api/v1/sets", p)
	}
	resp, body = env.raw(t, "GET", "/api/v1/sets", "", "", "admin")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"sets":[]`) {
		t.Errorf("GET /api/v1/sets as admin: %d %s, want 200 with an empty list", resp.StatusCode, body)
	}
}

func TestAuthentication(t *testing.T) {
	env := newEnv(t)
	tests := []struct {
		name   string
		client *Client
		status int
	}{
		{"no credentials", env.nobody, 401},
		{"wrong password", env.client(t, "admin", "wrong"), 401},
		{"unknown user", env.client(t, "mallory", testPassword), 401},
		{"reader", env.reader, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.ListSets(bg)
			if tt.status == 200 {
				if err != nil {
					t.Fatalf("ListSets: %v", err)
				}
				return
			}
			wantProblem(t, err, tt.status, ProblemUnauthorized)
		})
	}
	resp, _ := env.raw(t, "GET", "/api/v1/members", "", "", "")
	if got := resp.Header.Get("WWW-Authenticate"); got != auth.Challenge {
		t.Errorf("WWW-Authenticate = %q, want %q", got, auth.Challenge)
	}
	t.Run("openapi is public", func(t *testing.T) {
		doc, err := env.nobody.OpenAPI(bg)
		if err != nil || !strings.Contains(string(doc), `"openapi"`) {
			t.Errorf("OpenAPI without credentials: %v (%d bytes)", err, len(doc))
		}
	})
	t.Run("without the door", func(t *testing.T) {
		rec := httptest.NewRecorder()
		NewHandler(env.eng, Options{}).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/sets", nil))
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != auth.Challenge {
			t.Errorf("status %d, challenge %q; want 401 with the challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	})
}

// TestRBAC checks the role each kind of route needs.
func TestRBAC(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	type call func(c *Client) error
	calls := []struct {
		name string
		call call
		need string // least role that may
	}{
		{"list sets", func(c *Client) error { _, err := c.ListSets(bg); return err }, "reader"},
		{"history", func(c *Client) error { _, err := c.History(bg, HistoryQuery{}); return err }, "reader"},
		{"failover", func(c *Client) error { _, err := c.Failover(bg, "redset:web", "x", "y"); return err }, "operator"},
		{"load balance", func(c *Client) error { _, err := c.SetLoadBalance(bg, "redset:web", 3, ""); return err }, "operator"},
		{"report health", func(c *Client) error {
			_, err := c.ReportHealth(bg, "web-a", HealthReport{State: "OK"})
			return err
		}, "operator"},
		{"create set", func(c *Client) error {
			_, err := c.CreateSet(bg, SetSpec{InstanceID: "redset:" + c.user})
			return err
		}, "admin"},
		{"patch caption", func(c *Client) error {
			_, err := c.PatchSet(bg, "redset:web", map[string]any{"caption": c.user})
			return err
		}, "admin"},
		{"delete member", func(c *Client) error { return c.DeleteMember(bg, "nobody-"+c.user) }, "admin"},
	}
	rank := map[string]int{"reader": 1, "operator": 2, "admin": 3}
	clients := []*Client{env.reader, env.operator, env.admin}
	for _, tt := range calls {
		for _, c := range clients {
			t.Run(tt.name+" as "+c.user, func(t *testing.T) {
				err := tt.call(c)
				p := problemOfErr(err)
				forbidden := p != nil && p.Status == http.StatusForbidden
				if wantForbidden := rank[c.user] < rank[tt.need]; forbidden != wantForbidden {
					t.Errorf("got %v, want forbidden %v", err, wantForbidden)
				}
				if forbidden && p.Type != ProblemForbidden {
					t.Errorf("403 with type %q", p.Type)
				}
			})
		}
	}
}

// throttling refuses every login for a while.
type throttling struct{}

func (throttling) Authenticate(context.Context, string, string) (auth.Identity, error) {
	return auth.Identity{}, &auth.ThrottledError{RetryAfter: 2100 * time.Millisecond}
}

// A throttled login is 429 with Retry-After in whole seconds and a problem.
func TestThrottledLogin(t *testing.T) {
	env := newEnv(t)
	h := guard(NewHandler(env.eng, Options{}), throttling{}, nil)
	req := httptest.NewRequest("GET", "/api/v1/sets", nil)
	req.SetBasicAuth("admin", testPassword)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "3" {
		t.Fatalf("%d, Retry-After %q; want 429 and 3", rec.Code, rec.Header().Get("Retry-After"))
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" || !strings.Contains(rec.Body.String(), ProblemThrottled) {
		t.Errorf("%s %s, want a too-many-requests problem", ct, rec.Body)
	}
}
