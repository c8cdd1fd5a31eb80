package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/redset/redset/auth"
)

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A wrong password is logged once at warn, with the user, the address and
// the protocol, on every protocol (WS-Man logged none before the door);
// every refusal carries the one challenge.
func TestFailedLoginsLoggedOnEveryProtocol(t *testing.T) {
	cfg, err := ParseConfig("test.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data, cfg.Listen, cfg.AdminPassword = t.TempDir(), []string{"127.0.0.1:0"}, testPassword
	logs := &lockedBuffer{}
	s, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.Addrs()[0]
	for _, tc := range []struct{ protocol, method, path, body string }{
		{"wsman", "POST", "/wsman", wsmanIdentify},
		{"cimxml", "POST", "/cimom", cimRequest},
		{"api", "GET", "/api/v1/sets", ""},
		{"web", "GET", "/", ""},
		{"metrics", "GET", "/metrics", ""},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			user := "intruder-" + tc.protocol
			req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
			req.SetBasicAuth(user, "guess")
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != auth.Challenge {
				t.Errorf("%d with %q, want 401 with %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), auth.Challenge)
			}
			var lines []string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "user="+user+" ") {
					lines = append(lines, l)
				}
			}
			want := `level=WARN msg="login failed" part=auth user=` + user + ` remote=127.0.0.1:`
			if len(lines) != 1 || !strings.Contains(lines[0], want) || !strings.HasSuffix(lines[0], " protocol="+tc.protocol) {
				t.Errorf("log lines for %s: %q, want one %q ... protocol=%s", user, lines, want, tc.protocol)
			}
		})
	}
}
