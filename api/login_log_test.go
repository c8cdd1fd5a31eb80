package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// captureHandler keeps every log record it is given, with the attributes
// of With calls, for tests to inspect.
type captureHandler struct {
	mu      *sync.Mutex
	records *[]capturedRecord
	attrs   []slog.Attr
}

type capturedRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func newCapture() *captureHandler {
	return &captureHandler{mu: &sync.Mutex{}, records: &[]capturedRecord{}}
}

func (c *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (c *captureHandler) Handle(_ context.Context, r slog.Record) error {
	rec := capturedRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range c.attrs {
		rec.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	c.mu.Lock()
	*c.records = append(*c.records, rec)
	c.mu.Unlock()
	return nil
}

func (c *captureHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &captureHandler{mu: c.mu, records: c.records, attrs: append(append([]slog.Attr{}, c.attrs...), attrs...)}
}

func (c *captureHandler) WithGroup(string) slog.Handler { return c }

// take returns the records so far and forgets them.
func (c *captureHandler) take() []capturedRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := *c.records
	*c.records = nil
	return out
}

// TestFailedLoginsLogged: every request with wrong credentials is logged
// once at warn with the user, the remote address and the protocol; a
// request without credentials (the first step of HTTP Basic), a good
// login and a refused action are not login failures.
func TestFailedLoginsLogged(t *testing.T) {
	logs := newCapture()
	env := newEnv(t, func(o *Options) { o.Logger = slog.New(logs) })
	tests := []struct {
		name, method, path, user, password string
		status                             int
		logged                             bool
	}{
		{"wrong password", "GET", "/api/v1/sets", "admin", "wrong", 401, true},
		{"unknown user", "GET", "/api/v1/members", "mallory", testPassword, 401, true},
		{"wrong password, unknown path", "GET", "/api/v1/nothing", "reader", "wrong", 401, true},
		{"wrong password, wrong method", "DELETE", "/api/v1/history", "operator", "nope", 401, true},
		{"wrong password, failover", "POST", "/api/v1/sets/redset:web/failover", "operator", "nope", 401, true},
		{"no credentials", "GET", "/api/v1/sets", "", "", 401, false},
		{"good login", "GET", "/api/v1/sets", "reader", testPassword, 200, false},
		{"refused action", "POST", "/api/v1/sets/redset:web/failover", "reader", testPassword, 403, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.take()
			req, err := http.NewRequest(tt.method, env.srv.URL+tt.path, strings.NewReader(`{"from":"a","to":"b"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.password)
			}
			resp, err := env.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			checkLoginLog(t, logs.take(), tt.user, tt.logged)
		})
	}
}

func checkLoginLog(t *testing.T, records []capturedRecord, user string, want bool) {
	t.Helper()
	var failures []capturedRecord
	for _, r := range records {
		if r.msg == "login failed" {
			failures = append(failures, r)
		}
	}
	if !want {
		if len(failures) > 0 {
			t.Errorf("logged %+v, want no login failure", failures)
		}
		return
	}
	if len(failures) != 1 {
		t.Fatalf("logged %d login failures (%+v), want exactly 1", len(failures), records)
	}
	r := failures[0]
	if r.level != slog.LevelWarn {
		t.Errorf("level %v, want WARN", r.level)
	}
	if r.attrs["user"] != user || r.attrs["protocol"] != "api" || !strings.HasPrefix(r.attrs["remote"], "127.0.0.1:") {
		t.Errorf("attributes %v, want user %q, protocol api and the remote address 127.0.0.1:port", r.attrs, user)
	}
}
