package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/redset/redset/server"
	"github.com/spf13/cobra"
)

type serveFlags struct {
	config string
	data   string
	listen []string
	demo   bool
}

func newServeCmd() *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the redset server",
		Long: `serve runs the redset server: the engine, its store, the health probes, and every
protocol on every listener — /cimom (CIM-XML), /wsman (WS-Management), /api/v1 (JSON),
/metrics, /healthz, /readyz and / (the dashboard).

Defaults: data in ./redset-data, listeners 127.0.0.1:5988 and 127.0.0.1:5985. The
administrator is "admin" with the password from REDSET_ADMIN_PASSWORD; without it, the
first start generates one and prints it once.

--demo adds three sample sets whose members are small services redset runs on
loopback; "redset demo fail NAME" and "redset demo heal NAME" break and mend them.`,
		Example: `  redset serve --demo
  REDSET_ADMIN_PASSWORD=secret redset serve --config redset.yaml
  redset serve --listen 0.0.0.0:5988 --data /var/lib/redset`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "YAML configuration file")
	fl.StringVar(&f.data, "data", "", "data directory (default ./redset-data)")
	fl.StringArrayVar(&f.listen, "listen", nil, "address to listen on, host:port (repeatable; default 127.0.0.1:5988 and 127.0.0.1:5985)")
	fl.BoolVar(&f.demo, "demo", false, "run the demo services and sets")
	return cmd
}

// loadServeConfig merges the file, the flags and the environment; flags win
// over the file.
func loadServeConfig(f *serveFlags) (server.Config, error) {
	var cfg server.Config
	if f.config != "" {
		var err error
		if cfg, err = server.LoadConfig(f.config); err != nil {
			return cfg, err
		}
	}
	if f.data != "" {
		cfg.Data = f.data
	}
	if len(f.listen) > 0 {
		cfg.Listen = f.listen
	}
	cfg.Demo = cfg.Demo || f.demo
	cfg.AdminPassword = os.Getenv("REDSET_ADMIN_PASSWORD")
	os.Unsetenv("REDSET_ADMIN_PASSWORD") // hooks and probes inherit the environment
	return cfg, nil
}

func runServe(cmd *cobra.Command, f *serveFlags) error {
	cfg, err := loadServeConfig(f)
	if err != nil {
		return err
	}
	server.Version = version
	cfg.Default()
	log := newLogger(cmd.ErrOrStderr(), cfg.Log)
	srv, err := server.New(cmd.Context(), cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Start(cmd.Context()); err != nil {
		printGenerated(cmd.OutOrStdout(), srv.GeneratedPassword)
		return err
	}
	printWelcome(cmd.OutOrStdout(), srv, cfg.TLS.Cert != "")
	<-cmd.Context().Done()
	log.Info("shutting down")
	return nil
}

func newLogger(w io.Writer, lc server.LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(lc.Level))
	opts := &slog.HandlerOptions{Level: level}
	if lc.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// printWelcome tells a newcomer where everything is and how to log in.
func printWelcome(w io.Writer, srv *server.Server, tls bool) {
	addrs := srv.Addrs()
	base := "http://" + addrs[0]
	if tls {
		base = "https://" + addrs[0]
	}
	fmt.Fprintf(w, "redset %s is serving on %s\n\n", version, strings.Join(addrs, ", "))
	fmt.Fprintf(w, "  dashboard   %s/\n", base)
	fmt.Fprintf(w, "  JSON API    %s/api/v1/sets\n", base)
	fmt.Fprintf(w, "  CIM-XML     %s/cimom    (namespace root/hypervcluster/v2)\n", base)
	fmt.Fprintf(w, "  WS-Man      %s/wsman\n", base)
	fmt.Fprintf(w, "  metrics     %s/metrics\n\n", base)
	password := "..."
	if printGenerated(w, srv.GeneratedPassword) {
		password = srv.GeneratedPassword
	} else {
		fmt.Fprintf(w, "  user admin, password from REDSET_ADMIN_PASSWORD (or the one printed on first start)\n\n")
	}
	fmt.Fprintf(w, "  try:  export REDSET_SERVER=%s REDSET_PASSWORD=%s\n        redset sets\n", base, password)
}

// printGenerated shows a password generated on this start. It is stored
// hashed and never shown again, so it is printed even when serving then
// fails (a port in use, say).
func printGenerated(w io.Writer, password string) bool {
	if password == "" {
		return false
	}
	fmt.Fprintf(w, "  user admin, password %s\n", password)
	fmt.Fprintf(w, "  (generated on this first start and stored hashed; it is not shown again —\n")
	fmt.Fprintf(w, "   set REDSET_ADMIN_PASSWORD to choose your own)\n\n")
	return true
}
