package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/server"
	"github.com/spf13/cobra"
)

type serveFlags struct {
	config string
	data   string
	store  string
	listen []string
	demo   bool
	name   string
	advert string

	// The secrets from the environment, read once and then removed from
	// it (hooks and probes inherit the environment); a reload reads the
	// file again but must not lose them.
	envRead       bool
	clusterSecret string
	adminPassword string
}

// readSecrets takes REDSET_CLUSTER_SECRET and REDSET_ADMIN_PASSWORD out of
// the environment the first time it is called.
func (f *serveFlags) readSecrets() {
	if f.envRead {
		return
	}
	f.envRead = true
	f.clusterSecret, f.adminPassword = os.Getenv("REDSET_CLUSTER_SECRET"), os.Getenv("REDSET_ADMIN_PASSWORD")
	os.Unsetenv("REDSET_CLUSTER_SECRET")
	os.Unsetenv("REDSET_ADMIN_PASSWORD")
}

func newServeCmd() *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the redset server",
		Long: `serve runs the redset server: the engine, its store, the health probes, and every
protocol on every listener — /cimom (CIM-XML), /wsman (WS-Management), /api/v1 (JSON),
/metrics, /healthz, /readyz and / (the dashboard).

Defaults: data in ./redset-data ($STATE_DIRECTORY when systemd sets it), listeners
127.0.0.1:5988 and 127.0.0.1:5985. The administrator is "admin" with the password from
REDSET_ADMIN_PASSWORD; without it, the first start generates one and prints it once.

The whole configuration is checked before anything is changed: a start that fails
(an invalid file, a missing TLS file, a port in use) creates no data directory and
writes nothing. The server answers its first request once every member with a probe
has been probed, so /readyz means the members' health is known.

On an etcd store the servers form a cluster (see the cluster section of the
configuration): one leads, the others forward writes to it. REDSET_CLUSTER_SECRET
supplies cluster.secret when the file does not; SIGTERM on the leader steps down
first, so that another server leads at once.

SIGHUP (or "redset config reload") re-reads the configuration file and applies what
changed; an invalid file changes nothing and is logged. SIGINT and SIGTERM stop the
server.

--demo adds three sample sets whose members are small services redset runs on
loopback; "redset demo fail NAME" and "redset demo heal NAME" break and mend them.`,
		Example: `  redset serve --demo
  REDSET_ADMIN_PASSWORD=secret redset serve --config redset.yaml
  redset serve --listen 0.0.0.0:5988 --data /var/lib/redset
  redset serve --store etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379/redset`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "YAML configuration file")
	fl.StringVar(&f.data, "data", "", "data directory (default $STATE_DIRECTORY under systemd, else ./redset-data)")
	fl.StringVar(&f.store, "store", "", "store URL: bolt:///path/redset.db or etcd://host:2379,host:2379/prefix (default redset.db in the data directory)")
	fl.StringArrayVar(&f.listen, "listen", nil, "address to listen on, host:port (repeatable; default 127.0.0.1:5988 and 127.0.0.1:5985)")
	fl.BoolVar(&f.demo, "demo", false, "run the demo services and sets")
	fl.StringVar(&f.name, "name", "", "this server's name in a cluster (cluster.name; default the host name)")
	fl.StringVar(&f.advert, "advertise", "", "URL the cluster's other servers forward writes to (cluster.advertise; default the first listener)")
	return cmd
}

// loadServeConfig merges the file, the flags and the environment; flags win
// over the file, the file over the environment. A reload calls it again.
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
	if f.store != "" {
		cfg.Store = server.StoreCfg{URL: f.store}
	}
	if cfg.Data == "" && cfg.Store.IsZero() {
		cfg.Data = stateDirectory()
	}
	if len(f.listen) > 0 {
		cfg.Listen = f.listen
	}
	cfg.Demo = cfg.Demo || f.demo
	if f.name != "" {
		cfg.Cluster.Name = f.name
	}
	if f.advert != "" {
		cfg.Cluster.Advertise = f.advert
	}
	f.readSecrets()
	if f.clusterSecret != "" && cfg.Cluster.SecretFile == "" {
		cfg.Cluster.Secret = f.clusterSecret
	}
	cfg.AdminPassword = f.adminPassword
	return cfg, nil
}

// stateDirectory is the directory systemd made for the service
// (StateDirectory=), or "" outside systemd. With several, the first.
func stateDirectory() string {
	dir, _, _ := strings.Cut(os.Getenv("STATE_DIRECTORY"), ":")
	return dir
}

func runServe(cmd *cobra.Command, f *serveFlags) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP) // from now on SIGHUP reloads instead of ending the process
	defer signal.Stop(hup)
	server.SpareProcessor()
	cfg, err := loadServeConfig(f)
	if err != nil {
		return err
	}
	server.Version = version
	cfg.Default()
	log := server.NewLogger(cmd.ErrOrStderr(), cfg.Log)
	srv, err := server.New(cmd.Context(), cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.SetLoader(func() (server.Config, error) { return loadServeConfig(f) })
	if err := srv.Start(cmd.Context()); err != nil {
		announcePassword(cmd.OutOrStdout(), log, cfg.Log.Format, srv.GeneratedPassword)
		if cmd.Context().Err() != nil {
			return nil // stopped (SIGINT, SIGTERM) during the first round of probes
		}
		return err
	}
	announce(cmd.OutOrStdout(), log, cfg.Log.Format, srv)
	notifySystemd(log, "READY=1")
	return serveUntilDone(cmd.Context(), srv, log, hup)
}

// serveUntilDone reloads the configuration on every SIGHUP until ctx ends.
func serveUntilDone(ctx context.Context, srv *server.Server, log *slog.Logger, hup <-chan os.Signal) error {
	for {
		select {
		case <-ctx.Done():
			notifySystemd(log, "STOPPING=1")
			log.Info("shutting down")
			resign(srv, log)
			return nil
		case <-hup:
			notifySystemd(log, "RELOADING=1")
			_, _ = srv.Reload(ctx) // Reload logs its outcome; a refused reload keeps serving
			notifySystemd(log, "READY=1")
		}
	}
}

// resign hands leadership over before the server stops, so that another
// server of the cluster leads at once instead of after the lease.
func resign(srv *server.Server, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Resign(ctx); err != nil {
		log.Warn("resigning leadership", "err", err)
	}
}

// announce tells where everything is: a banner on w, or with JSON logs
// one log record (so that the output stays JSON).
func announce(w io.Writer, log *slog.Logger, format string, srv *server.Server) {
	urls := listenerURLs(srv.Addrs(), srv.TLS())
	if format == "json" {
		log.Info("redset is serving", "version", version, "urls", urls,
			"paths", []string{"/", "/api/v1", "/cimom", "/wsman", "/metrics", "/healthz", "/readyz"})
		announcePassword(w, log, format, srv.GeneratedPassword)
		return
	}
	printWelcome(w, srv.Addrs(), urls, srv.GeneratedPassword, srv.Frontends())
}

// listenerURLs is the base URL of each listener. A listener on every
// interface (0.0.0.0, ::) is shown with the loopback address, which
// reaches it from this machine.
func listenerURLs(addrs []string, tls bool) []string {
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	urls := make([]string, len(addrs))
	for i, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
			if ip.To4() == nil {
				host = "::1"
			}
			a = net.JoinHostPort(host, port)
		}
		urls[i] = scheme + a
	}
	return urls
}

// welcomePaths are the banner's rows: what, the path, and a note.
var welcomePaths = [][3]string{
	{"dashboard", "/", ""},
	{"JSON API", "/api/v1/sets", ""},
	{"CIM-XML", "/cimom", "namespace root/hypervcluster/v2"},
	{"WS-Man", "/wsman", "resource URIs as Windows writes them, or DMTF's"},
	{"metrics", "/metrics", ""},
}

// printWelcome tells a newcomer where everything is and how to log in:
// every path on every listener, one column per listener, and the sets'
// frontends.
func printWelcome(w io.Writer, addrs, urls []string, generated string, fronts map[string]api.FrontendStatus) {
	fmt.Fprintf(w, "redset %s is serving on %s (every listener serves every path)\n\n", version, strings.Join(addrs, " and "))
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	for _, row := range welcomePaths {
		fmt.Fprintf(tw, "  %s", row[0])
		for _, u := range urls {
			fmt.Fprintf(tw, "\t%s%s", u, row[1])
		}
		if row[2] != "" {
			fmt.Fprintf(tw, "\t(%s)", row[2])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	printFrontends(w, fronts)
	fmt.Fprintln(w)
	password := "..."
	if printGenerated(w, generated) {
		password = generated
	} else {
		fmt.Fprintf(w, "  user admin, password from REDSET_ADMIN_PASSWORD (or the one printed on first start)\n\n")
	}
	fmt.Fprintf(w, "  try:  export REDSET_SERVER=%s REDSET_PASSWORD=%s\n        redset sets\n", urls[0], password)
}

// printFrontends lists the sets' frontends: where each listens, or why it
// cannot. Nothing when no set has one.
func printFrontends(w io.Writer, fronts map[string]api.FrontendStatus) {
	if len(fronts) == 0 {
		return
	}
	ids := slices.Sorted(maps.Keys(fronts))
	fmt.Fprintf(w, "\n  frontends (each hands its connections to its set's members in service):\n")
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	for _, id := range ids {
		st := fronts[id]
		where := st.Address
		if where == "" {
			where = st.Listen + " NOT LISTENING: " + dash(st.Error)
		}
		fmt.Fprintf(tw, "    %s\t%s\n", id, where)
	}
	tw.Flush()
}

// announcePassword shows a password generated on this start, on w or
// through the JSON log. It is stored hashed and never shown again, so it
// is shown even when serving then fails.
func announcePassword(w io.Writer, log *slog.Logger, format, password string) {
	if format == "json" && password != "" {
		log.Warn("administrator password generated on this first start; it is stored hashed and not shown again (set REDSET_ADMIN_PASSWORD to choose your own)",
			"user", "admin", "password", password)
		return
	}
	printGenerated(w, password)
}

// printGenerated prints a password generated on this start, if any.
func printGenerated(w io.Writer, password string) bool {
	if password == "" {
		return false
	}
	fmt.Fprintf(w, "  user admin, password %s\n", password)
	fmt.Fprintf(w, "  (generated on this first start and stored hashed; it is not shown again —\n")
	fmt.Fprintf(w, "   set REDSET_ADMIN_PASSWORD to choose your own)\n\n")
	return true
}
