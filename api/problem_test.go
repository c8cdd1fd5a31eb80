package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/redset/redset/engine"
)

type problemCase struct {
	name, method, path, ctype, body string
	want                            Problem
	allow                           string
}

// bodyProblemCases are requests whose body is refused, with the problem
// each gets; big is a body over the size limit.
func bodyProblemCases(big string) []problemCase {
	return []problemCase{
		{"malformed json", "POST", "/api/v1/sets", "application/json", `{"instanceID":`,
			Problem{Type: ProblemMalformed, Title: "Malformed request", Status: 400, Instance: "/api/v1/sets"}, ""},
		{"syntax error", "POST", "/api/v1/sets", "application/json", `{"instanceID" "x"}`,
			Problem{Type: ProblemMalformed, Title: "Malformed request", Status: 400, Instance: "/api/v1/sets"}, ""},
		{"empty body", "POST", "/api/v1/sets", "application/json", ``,
			Problem{Type: ProblemMalformed, Title: "Malformed request", Status: 400, Instance: "/api/v1/sets"}, ""},
		{"null body", "POST", "/api/v1/sets", "application/json", `null`,
			Problem{Type: ProblemMalformed, Title: "Malformed request", Status: 400, Instance: "/api/v1/sets"}, ""},
		{"unknown field", "POST", "/api/v1/sets", "application/json", `{"instanceID":"redset:x","colour":1}`,
			Problem{Type: ProblemMalformed, Title: "Malformed request", Status: 400, Instance: "/api/v1/sets",
				Field: "colour", Rule: "unknown field"}, ""},
		{"read-only field", "POST", "/api/v1/sets", "application/json", `{"instanceID":"redset:x","redundancyStatus":2}`,
			Problem{Type: ProblemMalformed, Title: "Malformed request", Status: 400, Instance: "/api/v1/sets",
				Field: "redundancyStatus", Rule: "is read-only (computed by the server)"}, ""},
		{"wrong type", "POST", "/api/v1/sets", "application/json", `{"instanceID":"redset:x","minNumberNeeded":-1}`,
			Problem{Type: ProblemMalformed, Title: "Malformed request", Status: 400, Instance: "/api/v1/sets",
				Field: "minNumberNeeded", Rule: "must be an integer from 0 to 4294967295", Value: "number -1"}, ""},
		{"validation", "POST", "/api/v1/sets", "application/json", `{"instanceID":":bad"}`,
			Problem{Type: ProblemValidation, Title: "Invalid value", Status: 400, Instance: "/api/v1/sets",
				Field: "instanceID", Rule: "OrgID before the first colon must not be empty", Value: `":bad"`}, ""},
		{"validation of a number", "POST", "/api/v1/sets", "application/json", `{"instanceID":"redset:x","typeOfSet":[7]}`,
			Problem{Type: ProblemValidation, Title: "Invalid value", Status: 400, Instance: "/api/v1/sets",
				Field: "typeOfSet[0]", Rule: "values 6..32767 are DMTF Reserved", Value: "7"}, ""},
		{"too large", "POST", "/api/v1/sets", "application/json", big,
			Problem{Type: ProblemTooLarge, Title: "Payload too large", Status: 413, Instance: "/api/v1/sets"}, ""},
		{"media type", "POST", "/api/v1/sets", "text/plain", `{"instanceID":"redset:x"}`,
			Problem{Type: ProblemMediaType, Title: "Unsupported media type", Status: 415, Instance: "/api/v1/sets"}, ""},
		{"form media type", "POST", "/api/v1/sets/redset:web/failover", "application/x-www-form-urlencoded", `from=a`,
			Problem{Type: ProblemMediaType, Title: "Unsupported media type", Status: 415, Instance: "/api/v1/sets/redset:web/failover"}, ""},
	}
}

// routeProblemCases are requests with a fine body that still fail.
func routeProblemCases() []problemCase {
	return []problemCase{
		{"set not found", "GET", "/api/v1/sets/redset:none", "", "",
			Problem{Type: ProblemNotFound, Title: "Not found", Status: 404, Instance: "/api/v1/sets/redset:none"}, ""},
		{"no route", "GET", "/api/v1/nothing", "", "",
			Problem{Type: ProblemNotFound, Title: "Not found", Status: 404, Instance: "/api/v1/nothing"}, ""},
		{"method not allowed", "POST", "/api/v1/sets/redset:web", "application/json", `{}`,
			Problem{Type: ProblemMethodNotAllowed, Title: "Method not allowed", Status: 405, Instance: "/api/v1/sets/redset:web"},
			"DELETE, GET, HEAD, PATCH, PUT"},
		{"exists", "POST", "/api/v1/sets", "application/json", `{"instanceID":"redset:web"}`,
			Problem{Type: ProblemExists, Title: "Already exists", Status: 409, Instance: "/api/v1/sets"}, ""},
		{"in use", "DELETE", "/api/v1/members/web-a", "", "",
			Problem{Type: ProblemInUse, Title: "In use", Status: 409, Instance: "/api/v1/members/web-a"}, ""},
		{"bad limit", "GET", "/api/v1/history?limit=0", "", "",
			Problem{Type: ProblemMalformed, Title: "Malformed request", Status: 400, Instance: "/api/v1/history",
				Field: "limit", Rule: "must be an integer from 1 to 10000", Value: "0"}, ""},
	}
}

// testMaxBody is the body cap of the test server.
const testMaxBody = 1 << 20

func TestProblemShapes(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	big := `{"instanceID":"redset:big","description":"` + strings.Repeat("x", testMaxBody) + `"}`
	tests := append(bodyProblemCases(big), routeProblemCases()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.raw(t, tt.method, tt.path, tt.ctype, tt.body, "admin")
			got := decodeProblem(t, resp, body)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Problem{}, "Detail")); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if got.Detail == "" {
				t.Errorf("problem without detail: %s", body)
			}
			if a := resp.Header.Get("Allow"); a != tt.allow {
				t.Errorf("Allow = %q, want %q", a, tt.allow)
			}
		})
	}
	sets, err := env.admin.ListSets(bg)
	if err != nil || len(sets) != 1 {
		t.Errorf("after refused requests: %d sets (%v), want 1", len(sets), err)
	}
}

func TestProblemOfEngineErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		typ    string
		field  string
	}{
		{"not found", fmt.Errorf("%w: set %q", engine.ErrNotFound, "x"), 404, ProblemNotFound, ""},
		{"busy", engine.ErrBusy, 409, ProblemBusy, ""},
		{"unsupported", engine.ErrUnsupported, 409, ProblemNotSupported, ""},
		{"closed", engine.ErrClosed, 503, ProblemUnavailable, ""},
		{"not leader", fmt.Errorf("%w: this server does not lead the cluster", engine.ErrNotLeader), 503, ProblemUnavailable, ""},
		{"validation", &engine.ValidationError{Field: "Policy.Period", Rule: "must not be negative"}, 400, ProblemValidation, "policy.periodSeconds"},
		{"acronym", &engine.ValidationError{Field: "Report.TTL", Rule: "r"}, 400, ProblemValidation, "ttlSeconds"},
		{"indexed", &engine.ValidationError{Field: "OtherTypeOfSet[2]", Rule: "r"}, 400, ProblemValidation, "otherTypeOfSet[2]"},
		{"outcome unknown", engine.ErrOutcomeUnknown, 504, ProblemOutcomeUnknown, ""},
		{"unavailable", engine.ErrUnavailable, 503, ProblemUnavailable, ""},
		{"unknown", errors.New("disk on fire"), 500, ProblemInternal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, known := problemOf(tt.err)
			if p.Status != tt.status || p.Type != tt.typ || p.Field != tt.field {
				t.Errorf("problemOf(%v) = %d %s field %q, want %d %s field %q", tt.err, p.Status, p.Type, p.Field, tt.status, tt.typ, tt.field)
			}
			if known != (tt.status != 500) {
				t.Errorf("known = %v", known)
			}
			if strings.Contains(p.Detail, "disk on fire") {
				t.Errorf("an internal error leaked its text: %q", p.Detail)
			}
		})
	}
}

func TestClientProblemFromPlainAnswer(t *testing.T) {
	env := newEnv(t)
	c, err := NewClient(env.srv.URL+"/elsewhere", "admin", testPassword, env.srv.Client())
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	_, err = c.ListSets(bg)
	p := problemOfErr(err)
	if p == nil || p.Status != http.StatusNotFound || p.Type != "about:blank" {
		t.Errorf("a plain 404 = %v (%+v), want an about:blank problem with status 404", err, p)
	}
}

func TestNewClientRefusesBadAddresses(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1:5988", "ftp://host", "http://", "http://[::1"} {
		t.Run(addr, func(t *testing.T) {
			if _, err := NewClient(addr, "", "", nil); err == nil {
				t.Errorf("NewClient(%q) succeeded, want an error", addr)
			}
		})
	}
}

// An unavailable answer tells the client to retry soon; an unknown
// outcome does not.
func TestUnavailableSaysRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{{http.StatusServiceUnavailable, "1"}, {http.StatusConflict, ""}, {http.StatusGatewayTimeout, ""}} {
		rec := httptest.NewRecorder()
		writeProblem(rec, httptest.NewRequest("POST", "/api/v1/pause", nil), newProblem(tc.status, ProblemUnavailable, "x", ""))
		if got := rec.Header().Get("Retry-After"); got != tc.want || rec.Code != tc.status {
			t.Errorf("%d: Retry-After %q (code %d), want %q", tc.status, got, rec.Code, tc.want)
		}
	}
}
