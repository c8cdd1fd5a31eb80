package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// stubAuth knows "alice" (reader) and "olga" (operator) with password
// "pw"; "broken" fails, "slow" is throttled. It records the client of
// every call.
type stubAuth struct{ clients []string }

func (s *stubAuth) Authenticate(ctx context.Context, user, password string) (Identity, error) {
	addr, protocol, _ := ClientFrom(ctx)
	s.clients = append(s.clients, addr+" "+protocol)
	switch {
	case user == "broken":
		return Identity{}, errors.New("user store unavailable")
	case user == "slow":
		return Identity{}, &ThrottledError{RetryAfter: 1500 * time.Millisecond}
	case user == "alice" && password == "pw":
		return Identity{User: user, Role: Reader}, nil
	case user == "olga" && password == "pw":
		return Identity{User: user, Role: Operator}, nil
	}
	return Identity{}, ErrUnauthorized
}

// recorder is the handler behind the door: it notes whether it ran and
// with which caller.
type recorder struct {
	ran    bool
	caller Identity
	known  bool
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.ran = true
	rc.caller, rc.known = IdentityFrom(r.Context())
	w.WriteHeader(http.StatusNoContent)
}

func TestDoor(t *testing.T) {
	failover := func(*http.Request) Operation { return "api POST /api/v1/sets/{id}/failover" }
	asset := func(*http.Request) Operation { return "web GET /static/{name}" }
	tests := []struct {
		name, user     string
		op             func(*http.Request) Operation
		anonymous      bool
		status         int
		ran, challenge bool
		retryAfter     string
	}{
		{name: "no credentials", status: 401, challenge: true},
		{name: "wrong password", user: "alice:nope", status: 401, challenge: true},
		{name: "unknown user", user: "mallory:pw", status: 401, challenge: true},
		{name: "authenticator error", user: "broken:pw", status: 503},
		{name: "throttled", user: "slow:pw", status: 429, retryAfter: "2"},
		{name: "caller established", user: "alice:pw", status: 204, ran: true},
		{name: "operation allowed", user: "olga:pw", op: failover, status: 204, ran: true},
		{name: "operation refused", user: "alice:pw", op: failover, status: 403},
		{name: "operation refused without credentials", op: failover, status: 401, challenge: true},
		{name: "public operation", op: asset, status: 204, ran: true},
		{name: "public operation, wrong password", user: "alice:nope", op: asset, status: 401, challenge: true},
		{name: "anonymous gate", anonymous: true, status: 204, ran: true},
		{name: "anonymous gate with credentials", anonymous: true, user: "alice:pw", status: 204, ran: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recorder{}
			gate := Gate{Protocol: "test", Operation: tt.op}
			if tt.anonymous {
				gate.Anonymous = func(*http.Request) bool { return true }
			}
			h := NewDoor(&stubAuth{}, nil).Guard(gate, next)
			r := httptest.NewRequest("POST", "/x", nil)
			if user, pass, ok := strings.Cut(tt.user, ":"); ok {
				r.SetBasicAuth(user, pass)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.status || next.ran != tt.ran {
				t.Errorf("status %d, handler ran %v; want %d, %v", rec.Code, next.ran, tt.status, tt.ran)
			}
			if got := rec.Header().Get("WWW-Authenticate"); (got == Challenge) != tt.challenge || (got != "" && got != Challenge) {
				t.Errorf("WWW-Authenticate %q, want challenge %v", got, tt.challenge)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if tt.ran && tt.user != "" && (!next.known || next.caller.User != strings.Split(tt.user, ":")[0]) {
				t.Errorf("caller %+v (%v), want %s", next.caller, next.known, tt.user)
			}
		})
	}
}

// The Authenticate call carries the client's address and protocol.
func TestDoorGivesTheClient(t *testing.T) {
	a := &stubAuth{}
	h := NewDoor(a, nil).Guard(Gate{Protocol: "wsman"}, &recorder{})
	r := httptest.NewRequest("POST", "/wsman", nil)
	r.RemoteAddr = "192.0.2.7:4321"
	r.SetBasicAuth("alice", "pw")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if len(a.clients) != 1 || a.clients[0] != "192.0.2.7:4321 wsman" {
		t.Errorf("clients %+v, want one with the address and protocol", a.clients)
	}
}

// A failed login is logged once at warn with the user, the address and the
// protocol; a missing one and a refused operation are not login failures.
func TestDoorLogsFailedLogins(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := NewDoor(&stubAuth{}, log).Guard(Gate{Protocol: "cimxml",
		Operation: func(*http.Request) Operation { return "cim InvokeMethod Failover" }}, &recorder{})
	for _, user := range []string{"mallory", "", "alice"} {
		r := httptest.NewRequest("POST", "/cimom", nil)
		r.RemoteAddr = "192.0.2.7:4321"
		if user != "" {
			r.SetBasicAuth(user, map[string]string{"mallory": "x", "alice": "pw"}[user])
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	out := buf.String()
	if n := strings.Count(out, "login failed"); n != 1 {
		t.Fatalf("%d login failures logged, want 1:\n%s", n, out)
	}
	for _, want := range []string{"level=WARN msg=\"login failed\" user=mallory remote=192.0.2.7:4321 protocol=cimxml",
		"level=INFO msg=\"access denied\" user=alice role=reader operation=\"cim InvokeMethod Failover\""} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// Without an authenticator the door refuses every request that needs a
// caller.
func TestDoorWithoutAuthenticator(t *testing.T) {
	next := &recorder{}
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth("alice", "pw")
	rec := httptest.NewRecorder()
	NewDoor(nil, nil).Guard(Gate{}, next).ServeHTTP(rec, r)
	if rec.Code != http.StatusUnauthorized || next.ran {
		t.Errorf("status %d, ran %v; want 401 and not run", rec.Code, next.ran)
	}
}

func TestAuthorize(t *testing.T) {
	as := func(role Role) context.Context {
		return WithIdentity(context.Background(), Identity{User: "u", Role: role})
	}
	var denied *DeniedError
	if err := Authorize(as(Operator), "cim InvokeMethod Failover"); err != nil {
		t.Errorf("operator failover: %v", err)
	}
	if err := Authorize(as(Reader), "cim InvokeMethod Failover"); !errors.As(err, &denied) || denied.Action != ActionFailover {
		t.Errorf("reader failover: %v, want a DeniedError for failover", err)
	}
	if err := Authorize(context.Background(), "cim GetInstance"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("no caller: %v, want ErrUnauthorized", err)
	}
	if err := Authorize(context.Background(), "web GET /static/{name}"); err != nil {
		t.Errorf("public operation without a caller: %v", err)
	}
	if err := Authorize(as(Admin), "api GET /api/v1/nothing"); !errors.As(err, &denied) || denied.Action != "" {
		t.Errorf("unknown operation: %v, want refused", err)
	}
}

func TestCIMOperation(t *testing.T) {
	for _, tt := range []struct{ op, method, want string }{
		{"InvokeMethod", "failover", "cim InvokeMethod Failover"},
		{"InvokeMethod", "Reset", "cim InvokeMethod"},
		{"GetInstance", "", "cim GetInstance"},
	} {
		if got := CIMOperation(tt.op, tt.method); string(got) != tt.want {
			t.Errorf("CIMOperation(%s, %s) = %q, want %q", tt.op, tt.method, got, tt.want)
		}
	}
}

// Every operation of the table needs a known action.
func TestPermissionTable(t *testing.T) {
	for _, op := range Operations() {
		a, _ := Permission(op)
		if _, ok := needs[a]; !ok && a != ActionPublic {
			t.Errorf("%s needs %q, which is no action", op, a)
		}
	}
}

func TestCIMOperationIn(t *testing.T) {
	for _, tt := range []struct{ ns, op, want string }{
		{"root/interop", "CreateInstance", "cim CreateInstance root/interop"},
		{"/root/Interop", "DeleteInstance", "cim DeleteInstance root/interop"},
		{"root/interop", "GetInstance", "cim GetInstance"},
		{"root/hypervcluster/v2", "CreateInstance", "cim CreateInstance"},
		{"", "ModifyInstance", "cim ModifyInstance"},
	} {
		if got := CIMOperationIn(tt.ns, tt.op, ""); string(got) != tt.want {
			t.Errorf("CIMOperationIn(%s, %s) = %q, want %q", tt.ns, tt.op, got, tt.want)
		}
	}
	if !Allow(Operator, ActionSubscribe) || Allow(Reader, ActionSubscribe) {
		t.Error("subscribing is for operators and admins, not readers")
	}
}
