// Package server wires redset together: it opens the store, starts the
// engine, loads the schema into the object manager, registers the
// providers, and serves every protocol on every listener. It is the only
// package that knows all the others; everything it builds comes from one
// Config.
//
// Lifecycle:
//
//   - New checks the whole configuration before it touches anything that
//     lasts: every rule, the TLS certificate and key, and every listener,
//     which it binds. Only then does it open the store and apply the
//     configuration (the differences from what the store holds). A New
//     that fails leaves no data directory or store file it created behind
//     and has written nothing.
//   - Start starts the hooks and runs one round of health probes, so that
//     every member with a probe has a known health, and then serves: Ready
//     (and /readyz) is true from the first request answered. Connections
//     made meanwhile wait in the listeners' queues.
//   - Reload re-reads the configuration, checks it whole and applies the
//     differences; an invalid one changes nothing.
//   - Close steps down first when this server leads a cluster, then stops
//     it all in reverse order.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/cluster"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/indication"
	"github.com/redset/redset/mof"
	"github.com/redset/redset/provider"
	"github.com/redset/redset/schema"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
	"github.com/redset/redset/store/etcd"
	"github.com/redset/redset/traffic"
)

// Server is one running redset.
type Server struct {
	cfg     Config // the running configuration; Reload replaces it (under reloadMu)
	log     *slog.Logger
	st      store.Store
	eng     *engine.Engine
	users   *auth.Users
	authn   auth.Authenticator // users behind the login throttle: what every protocol asks
	metrics *metrics
	probes  *probes
	traffic *traffic.Manager // the frontends; set by Start (under mu)
	hooks   *hooks
	demo    *demo
	audit   *slog.Logger
	auditF  *os.File // the audit file, when configured
	handler http.Handler
	ops     *gate // CIM operations and API requests in progress
	admit   *admission
	cert    certificate
	tls     *tls.Config
	feeds   []*feed
	// indications is the indication Hub and what it is given.
	indications hubWiring
	wse         atomic.Pointer[wsEventing] // WS-Management eventing, once started (startWSEventing)
	// stopUsers ends the watch of the stored users (in a cluster).
	stopUsers func()
	// registry holds the indication subscriptions of root/interop;
	// stopIndications ends its watch of the store.
	registry        *indication.Registry
	stopIndications func()
	// stopWSE ends WS-Management eventing (startEventing).
	stopWSE func()

	node      *cluster.Node
	commits   prometheus.Histogram        // redset_store_commit_seconds
	view      atomic.Pointer[clusterView] // who leads: the node, or a test's stand-in
	secret    []byte                      // the cluster secret that signs forwarded requests
	advertise string                      // this server's URL for its peers

	// GeneratedPassword is the bootstrap admin password made on first
	// start when none was given; empty otherwise. Print it once.
	GeneratedPassword string

	applyRun sync.Mutex // held while the configuration file is applied
	applyMu  sync.Mutex // guards applied
	applied  ApplyReport
	created  []string // paths New made (data directory, store file), removed if New fails

	reloadMu sync.Mutex
	load     func() (Config, error)

	mu        sync.Mutex
	listeners []net.Listener
	http      *http.Server
	stopReqs  context.CancelFunc // ends the context of every request, so streams close on Close
	ready     atomic.Bool
	closed    bool

	metricsPublic atomic.Bool               // metrics.public: /metrics answers without credentials
	proxies       atomic.Pointer[proxyList] // trustedProxies; nil: none, X-Forwarded-For is ignored
}

// New checks cfg whole (defaults filled), binds its listeners, then opens
// the store and applies the configuration. It does not serve yet.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log}
	s.metricsPublic.Store(cfg.Metrics.Public)
	proxies, err := parseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	s.setProxies(proxies)
	if err := s.prepare(); err != nil {
		s.release()
		return nil, err
	}
	if err := s.build(ctx); err != nil {
		s.abandon()
		return nil, err
	}
	return s, nil
}

// prepare does what can fail without touching the store: the certificate,
// the hooks and the listeners.
func (s *Server) prepare() error {
	cert, err := s.cfg.loadCertificate()
	if err != nil {
		return err
	}
	if cert != nil {
		s.cert.cur.Store(cert)
		s.tls = s.cert.tlsConfig()
	}
	if s.secret, err = s.cfg.clusterSecret(); err != nil {
		return err
	}
	if s.hooks, err = newHooks(s.cfg.Hooks, s.log.With("part", "hook")); err != nil {
		return fmt.Errorf("hooks: %w", err)
	}
	s.listeners, err = s.cfg.listenAll()
	return err
}

func (s *Server) build(ctx context.Context) error {
	steps := []func(context.Context) error{s.openAudit, s.openStore, s.openEngine, s.loadUsers, s.applyConfig, s.startCluster, s.buildHandlers}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// abandon undoes a New that failed after opening the store: it closes
// everything and removes the data directory or store file it created.
func (s *Server) abandon() {
	if err := s.release(); err != nil {
		s.log.Warn("closing after a failed start", "err", err)
	}
	for _, p := range s.created {
		if err := os.RemoveAll(p); err != nil {
			s.log.Warn("removing what a failed start created", "path", p, "err", err)
		}
	}
}

// openStore opens the store the configuration names: etcd (etcd://... or
// the mapping form), bolt:///path, or the data directory's redset.db. It
// notes what it creates.
func (s *Server) openStore(ctx context.Context) error {
	if opts, ok, err := etcdOptions(s.cfg.Store); ok {
		return s.openEtcd(ctx, opts, err)
	}
	path, err := boltPath(s.cfg)
	if err != nil {
		return err
	}
	if made := firstMissing(filepath.Dir(path)); made != "" {
		s.created = append(s.created, made)
	} else if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		s.created = append(s.created, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	st, err := bolt.Open(path, bolt.Options{Logger: s.log})
	if err != nil {
		return fmt.Errorf("opening the store %s: %w", path, err)
	}
	s.st = st
	return nil
}

// firstMissing returns the outermost directory of dir's path that does not
// exist yet ("" when dir exists): what MkdirAll(dir) will create.
func firstMissing(dir string) string {
	missing := ""
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil || !errors.Is(err, os.ErrNotExist) {
			return missing
		}
		missing = p
		if filepath.Dir(p) == p {
			return missing
		}
	}
}

func (s *Server) openEtcd(ctx context.Context, opts etcd.Options, err error) error {
	if err != nil {
		return err
	}
	opts.Logger = s.log.With("part", "store")
	st, err := etcd.Open(ctx, opts)
	if err != nil {
		return fmt.Errorf("opening the store: %w", err)
	}
	s.st = st
	return nil
}

func boltPath(cfg Config) (string, error) {
	switch {
	case cfg.Store.URL == "":
		return filepath.Join(cfg.Data, "redset.db"), nil
	case strings.HasPrefix(cfg.Store.URL, "bolt://") && len(cfg.Store.URL) > len("bolt://"):
		return strings.TrimPrefix(cfg.Store.URL, "bolt://"), nil
	}
	return "", fmt.Errorf("%q is neither bolt:///path nor etcd://host:port", cfg.Store.URL)
}

// openAudit opens the audit stream: the configured file (JSON lines,
// appended), else the main log.
func (s *Server) openAudit(context.Context) error {
	if s.cfg.Audit.File == "" {
		s.audit = s.log
		return nil
	}
	f, err := os.OpenFile(s.cfg.Audit.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	s.auditF, s.audit = f, slog.New(slog.NewJSONHandler(f, nil))
	return nil
}

func (s *Server) openEngine(ctx context.Context) error {
	commits := newCommitSeconds()
	eng, err := engine.New(ctx, engine.Options{
		Store: timed(s.st, commits), Logger: s.log.With("part", "engine"), Audit: s.audit, OrgID: s.cfg.OrgID, HistoryLimit: s.cfg.History,
		DefaultRise: s.cfg.Health.Rise, DefaultFall: s.cfg.Health.Fall, PreFailover: s.hooks.preFailover,
		ValidateProbe: probeValidator(s.cfg.Health), Standby: s.clustered(),
	})
	if err != nil {
		return fmt.Errorf("starting the engine: %w", err)
	}
	s.eng, s.commits = eng, commits
	s.metrics = newMetrics(eng, commits, &frontendCollector{statuses: s.frontendStatuses})
	s.feeds = append(s.feeds, s.metrics.follow(eng.Bus(), s.log.With("part", "metrics")), followEvents(eng.Bus(), s.log, s.cfg.Audit.File == ""))
	return nil
}

func (s *Server) loadUsers(ctx context.Context) error {
	users, generated, err := auth.Bootstrap(ctx, s.st, s.cfg.AdminPassword)
	if err != nil {
		return err
	}
	for _, u := range s.cfg.Users {
		if err := users.Configure(auth.User{Name: u.Name, PasswordHash: u.PasswordHash, Role: auth.Role(u.Role)}); err != nil {
			return err
		}
	}
	s.users, s.GeneratedPassword = users, generated
	s.authn = authenticator(s.cfg.Auth, users, s.log.With("part", "auth"))
	if s.clustered() { // users managed through any server of the cluster count on this one too
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			users.Follow(ctx, s.log.With("part", "auth"))
		}()
		s.stopUsers = func() { cancel(); <-done }
	}
	return nil
}

// applyConfig starts the demo (when asked) and applies the configuration's
// differences from the store. In a cluster only the leader writes: the
// engine starts following, and the file is applied each time this server
// starts leading (applyAsLeader).
func (s *Server) applyConfig(ctx context.Context) error {
	if s.clustered() {
		if s.cfg.Demo {
			return errors.New("demo: the demo runs on the embedded store only, not in a cluster")
		}
		return nil
	}
	var keep []string
	if s.cfg.Demo {
		d, err := startDemo(ctx, s.eng, s.log.With("part", "demo"), s.cfg.DemoFrontends)
		if err != nil {
			return err
		}
		s.demo, keep = d, d.declared()
	}
	return s.applyFile(ctx, keep)
}

// applyFile applies the configuration file's differences from the store
// (keeping the names in keep, the demo's) and records them.
func (s *Server) applyFile(ctx context.Context, keep []string) error {
	s.applyRun.Lock() // one apply at a time: the next finds nothing left to do
	defer s.applyRun.Unlock()
	ctx = engine.WithActor(ctx, engine.Actor{Protocol: engine.ProtocolConfig, Address: s.cfg.file})
	p, err := s.cfg.plan(s.eng, keep)
	if err != nil {
		return err
	}
	rep, err := p.apply(ctx)
	s.applyMu.Lock()
	s.applied = rep
	s.applyMu.Unlock()
	if err != nil {
		return err
	}
	s.logWouldDelete(rep)
	if p.changes() {
		_, err = s.eng.RecordConfig(ctx, "configuration applied", rep.Summary())
	}
	return err
}

// clustered reports whether this server shares its store with others
// (etcd), where only the leader writes.
func (s *Server) clustered() bool {
	_, ok := s.st.(store.Elector)
	return ok
}

// applyAsLeader applies the configuration file when this server starts
// leading a cluster. A failure is logged: the server keeps leading with
// the state it found.
func (s *Server) applyAsLeader() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.applyFile(ctx, nil); err != nil {
		s.log.Error("applying the configuration as the new leader", "err", err)
	}
}

func (s *Server) logWouldDelete(rep ApplyReport) {
	for _, name := range rep.WouldDelete {
		s.log.Warn("stored but not in the configuration; delete it through the API if it should go", "object", name)
	}
}

// Applied reports what applying the configuration at start (in a cluster:
// when this server last started leading) created, updated and added, and
// what it would delete.
func (s *Server) Applied() ApplyReport {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	return s.applied
}

// buildHandlers compiles the schema, registers the providers and mounts
// every protocol.
func (s *Server) buildHandlers(ctx context.Context) error {
	repo := mof.NewRepository()
	if err := mof.LoadNamespaces(repo, schema.FS, schema.Namespaces); err != nil {
		return fmt.Errorf("compiling the embedded schema: %w", err)
	}
	disp := cimom.NewDispatcher(repo, cimom.Options{
		Logger: s.log.With("part", "cimom"), MaxEnumerations: s.cfg.Limits.MaxEnumerations,
		MaxEnumerationsPerUser: s.cfg.Limits.MaxEnumerationsPerUser, OperationTimeout: s.cfg.Limits.EnumerationExpiry.D(),
	})
	s.buildHub(repo)
	err := provider.Register(disp, s.eng, provider.Options{ProductVersion: Version})
	if err != nil {
		return fmt.Errorf("registering providers: %w", err)
	}
	ind, err := provider.NewIndications(disp, s.eng, provider.Options{})
	if err != nil {
		return fmt.Errorf("building indications: %w", err)
	}
	s.indications.source, s.indications.observe = ind.Of, ind.Observe
	if err := s.startIndications(ctx, disp, repo); err != nil {
		return err
	}
	s.ops = newGate(s.cfg.Limits.MaxOperations)
	s.admit = newAdmission(s.cfg.Limits.MaxReads)
	s.metrics.reg.MustRegister(s.admit.gauges()...)
	cim := cimom.Chain(disp, authorizeCIM, s.metrics.cimMiddleware, s.ops.cimMiddleware)
	lim := s.cfg.Limits
	capped := bodyCap{max: lim.MaxBodyBytes, drain: lim.MaxDrainBytes, timeout: lim.BodyTimeout.D()}.wrap(s.routes(cim))
	s.handler = withTLSState(s.forwardedClient(capped))
	return nil
}

// Version is the product version reported by Identify, the interop
// namespace and the API; cmd/redset sets it at start.
var Version = "0.1.0-dev"

func statusName(err error) string { return cim.StatusOf(err).String() }

// Handler returns the server's HTTP handler (every path), for tests that
// serve it themselves.
func (s *Server) Handler() http.Handler { return s.handler }

// Engine returns the server's engine.
func (s *Server) Engine() *engine.Engine { return s.eng }

// TLS reports whether the listeners serve HTTPS.
func (s *Server) TLS() bool { return s.tls != nil }

// Start starts the hooks and the probes, waits for the first round of
// probes (each bounded by its timeout; ctx may end the wait sooner), and
// then serves on every listener. The server is ready when Start returns.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.closed || s.http != nil {
		s.mu.Unlock()
		return errors.New("server: already started or closed")
	}
	base, stop := context.WithCancel(context.Background())
	s.stopReqs = stop
	lim := s.cfg.Limits
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: lim.HeaderTimeout.D(),
		WriteTimeout: lim.WriteTimeout.D(), IdleTimeout: lim.IdleTimeout.D(), MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext: func(net.Listener) context.Context { return base }, ConnContext: connContext, ConnState: connState}
	s.mu.Unlock()
	if err := s.hooks.start(s.eng); err != nil {
		return err
	}
	if err := s.startHub(); err != nil {
		return err
	}
	if err := s.startEventing(); err != nil {
		return err
	}
	s.probes = newProbes(s.eng, s.cfg.Health, s.log.With("part", "health"), s.metrics.observeProbe)
	if err := s.probes.start(ctx); err != nil {
		return err
	}
	if err := s.startTraffic(ctx); err != nil {
		return err
	}
	s.ready.Store(true)
	for _, ln := range s.listeners {
		go s.serve(limitConns(ln, lim.MaxConnsPerAddress, s.log.With("part", "listen")))
	}
	return nil
}

// serve serves ln's connections, through TLS when configured, each under
// admission (which sits above TLS, so that it judges plain requests).
func (s *Server) serve(ln net.Listener) {
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	err := s.http.Serve(s.admit.listener(ln))
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("listener stopped", "addr", ln.Addr().String(), "err", err)
	}
}

// Addrs returns the addresses actually listened on (useful with port 0).
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ln := range s.listeners {
		out = append(out, ln.Addr().String())
	}
	return out
}

// Ready reports whether the server is serving: started, its first round
// of probes done, and not closed.
func (s *Server) Ready() bool { return s.ready.Load() }

// Close stops serving and releases everything, in reverse order of start.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.ready.Store(false)
	srv, stop := s.http, s.stopReqs
	s.mu.Unlock()
	s.resignBeforeStop()
	if srv != nil {
		stop() // long-lived answers (event streams) end now instead of holding Shutdown
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return s.release()
}

func (s *Server) release() error {
	closeAll(s.listeners) // those never served are still open
	if t := s.trafficManager(); t != nil {
		_ = t.Close()
	}
	if s.probes != nil {
		s.probes.close()
	}
	if s.hooks != nil {
		s.hooks.close()
	}
	s.stopEventing()
	s.indications.close(s.log)
	for _, f := range s.feeds {
		f.close()
	}
	if s.demo != nil {
		s.demo.close()
	}
	if s.stopUsers != nil {
		s.stopUsers()
	}
	if s.stopIndications != nil {
		s.stopIndications()
	}
	var errs []error
	if s.node != nil {
		errs = append(errs, s.node.Close())
	}
	if s.eng != nil {
		errs = append(errs, s.eng.Close())
	}
	if s.st != nil {
		errs = append(errs, s.st.Close())
	}
	if s.auditF != nil {
		errs = append(errs, s.auditF.Close())
	}
	return errors.Join(errs...)
}
