// Package redsettest starts a real redset server in-process on loopback for
// end-to-end and interop tests: a fresh store in a temporary directory, an
// admin password known to the test, and every protocol on one listener.
package redsettest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"testing"

	"github.com/redset/redset/server"
)

// AdminPassword is the bootstrap administrator's password in test servers.
const AdminPassword = "test-admin-password"

// Options tune a test server. The zero value is a server with an empty
// store.
type Options struct {
	Demo   bool                 // run the demo services and sets
	Config string               // YAML configuration text, if any
	Edit   func(*server.Config) // last changes to the configuration
	Log    bool                 // send the server's logs to the test log
}

// Server is a running test server.
type Server struct {
	*server.Server
	URL string // http://127.0.0.1:PORT
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cfg := testConfig(t, opts)
	srv, err := server.New(context.Background(), cfg, testLogger(t, opts.Log))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		srv.Close()
		t.Fatalf("server.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &Server{Server: srv, URL: "http://" + srv.Addrs()[0]}
}

func testConfig(t testing.TB, opts Options) server.Config {
	t.Helper()
	var cfg server.Config
	if opts.Config != "" {
		var err error
		if cfg, err = server.ParseConfig("test.yaml", []byte(opts.Config)); err != nil {
			t.Fatalf("test configuration: %v", err)
		}
	}
	cfg.Data = t.TempDir()
	cfg.Listen = []string{"127.0.0.1:0"}
	cfg.AdminPassword = AdminPassword
	cfg.Demo = opts.Demo
	if cfg.DemoFrontends == (server.DemoFrontends{}) {
		// Tests run side by side: each demo's frontends take free ports.
		cfg.DemoFrontends = server.DemoFrontends{Web: "127.0.0.1:0", LB: "127.0.0.1:0"}
	}
	if opts.Edit != nil {
		opts.Edit(&cfg)
	}
	return cfg
}

func testLogger(t testing.TB, on bool) *slog.Logger {
	if !on {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

var _ io.Writer = tWriter{}

// RequireTool returns the path of a real client program. When it is not
// installed the test is skipped with a clear message, or fails when
// REDSET_REQUIRE_INTEROP=1 (as in CI).
func RequireTool(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("REDSET_REQUIRE_INTEROP") == "1" {
		t.Fatalf("%s is not installed and REDSET_REQUIRE_INTEROP=1: install it with %s", name, install)
	}
	t.Skipf("%s is not installed (install it with %s); set REDSET_REQUIRE_INTEROP=1 to make this a failure", name, install)
	return ""
}
