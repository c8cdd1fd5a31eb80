// Package redsettest starts a real redset server in-process on loopback for
// end-to-end and interop tests: a fresh store in a temporary directory, an
// admin password known to the test, and every protocol on one listener.
package redsettest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
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

// SubscribePull makes a WS-Management Pull subscription to
// Msvm_FailoverIndication as the bootstrap administrator and returns the
// answer (a SubscribeResponse).
func SubscribePull(t testing.TB, srv *Server) string {
	t.Helper()
	base := srv.URL
	env := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
		`xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>` +
		`<a:To>` + base + `/wsman</a:To><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/hypervcluster/v2/Msvm_FailoverIndication</w:ResourceURI>` +
		`<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
		`<a:Action>http://schemas.xmlsoap.org/ws/2004/08/eventing/Subscribe</a:Action><a:MessageID>uuid:00000000-0000-4000-8000-000000000001</a:MessageID>` +
		`</s:Header><s:Body><e:Subscribe><e:Delivery Mode="http://schemas.dmtf.org/wbem/wsman/1/wsman/Pull"/></e:Subscribe></s:Body></s:Envelope>`
	req, err := http.NewRequest(http.MethodPost, base+"/wsman", strings.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth("admin", AdminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("SubscribeResponse")) {
		t.Fatalf("Subscribe: %s\n%s", resp.Status, body)
	}
	return string(body)
}
