// Package server wires redset together: it opens the store, starts the
// engine, loads the schema into the object manager, registers the
// providers, and serves every protocol on every listener. It is the only
// package that knows all the others; everything it builds comes from one
// Config.
//
// Lifecycle: New builds everything without touching the network; Start
// listens and starts probes (and the demo services); Ready reports whether
// the server is serving; Close stops it all in reverse order.
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

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/mof"
	"github.com/redset/redset/provider"
	"github.com/redset/redset/schema"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
)

// Server is one running redset.
type Server struct {
	cfg     Config
	log     *slog.Logger
	st      store.Store
	eng     *engine.Engine
	users   *auth.Users
	metrics *metrics
	probes  *probes
	hooks   *hooks
	demo    *demo
	handler http.Handler
	tls     *tls.Config

	// GeneratedPassword is the bootstrap admin password made on first
	// start when none was given; empty otherwise. Print it once.
	GeneratedPassword string

	applied ApplyReport

	mu        sync.Mutex
	listeners []net.Listener
	http      *http.Server
	stopReqs  context.CancelFunc // ends the context of every request, so streams close on Close
	subs      []*event.Subscription
	ready     atomic.Bool
	closed    bool
}

// New builds a server from cfg (defaults filled, then validated) without
// listening yet.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log}
	if err := s.build(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) build(ctx context.Context) error {
	steps := []func(context.Context) error{s.openStore, s.buildHooks, s.openEngine, s.loadUsers, s.applyConfig, s.buildHandlers}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// openStore opens the store the configuration names: bolt:///path, or the
// data directory's redset.db.
func (s *Server) openStore(context.Context) error {
	path, err := boltPath(s.cfg)
	if err != nil {
		return err
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

func boltPath(cfg Config) (string, error) {
	switch {
	case cfg.Store == "":
		return filepath.Join(cfg.Data, "redset.db"), nil
	case strings.HasPrefix(cfg.Store, "bolt://"):
		return strings.TrimPrefix(cfg.Store, "bolt://"), nil
	case strings.HasPrefix(cfg.Store, "etcd://"):
		return "", errors.New("store: the etcd backend is not available in this build; use bolt:// or leave store empty")
	}
	return "", fmt.Errorf("store: %q is neither bolt:///path nor etcd://host:port", cfg.Store)
}

func (s *Server) buildHooks(context.Context) error {
	h, err := newHooks(s.cfg.Hooks, s.log.With("part", "hook"))
	if err != nil {
		return fmt.Errorf("hooks: %w", err)
	}
	s.hooks = h
	return nil
}

func (s *Server) openEngine(ctx context.Context) error {
	eng, err := engine.New(ctx, engine.Options{
		Store: s.st, Logger: s.log.With("part", "engine"), OrgID: s.cfg.OrgID, HistoryLimit: s.cfg.History,
		DefaultRise: s.cfg.Health.Rise, DefaultFall: s.cfg.Health.Fall, PreFailover: s.hooks.preFailover,
		ValidateProbe: probeValidator(s.cfg.Health),
	})
	if err != nil {
		return fmt.Errorf("starting the engine: %w", err)
	}
	s.eng = eng
	s.metrics = newMetrics(eng)
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
	return nil
}

func (s *Server) applyConfig(ctx context.Context) error {
	var keep []string
	if s.cfg.Demo {
		d, err := startDemo(ctx, s.eng, s.log.With("part", "demo"))
		if err != nil {
			return err
		}
		s.demo, keep = d, d.declared()
	}
	rep, err := s.cfg.apply(ctx, s.eng, s.log, keep)
	if err == nil && len(rep.Created)+len(rep.Updated) > 0 {
		s.log.Info("configuration applied", "created", len(rep.Created), "updated", len(rep.Updated))
	}
	s.applied = rep
	return err
}

// Applied reports what applying the configuration at start created,
// updated and would delete.
func (s *Server) Applied() ApplyReport { return s.applied }

// buildHandlers compiles the schema, registers the providers and mounts
// every protocol.
func (s *Server) buildHandlers(context.Context) error {
	repo := mof.NewRepository()
	if err := mof.LoadNamespaces(repo, schema.FS, schema.Namespaces); err != nil {
		return fmt.Errorf("compiling the embedded schema: %w", err)
	}
	disp := cimom.NewDispatcher(repo, cimom.Options{
		Logger: s.log.With("part", "cimom"), MaxEnumerations: s.cfg.Limits.MaxEnumerations,
		OperationTimeout: s.cfg.Limits.EnumerationExpiry.D(),
	})
	err := provider.Register(disp, s.eng, provider.Options{ProductVersion: Version, Logger: s.log.With("part", "provider")})
	if err != nil {
		return fmt.Errorf("registering providers: %w", err)
	}
	cim := cimom.Chain(disp, s.metrics.cimMiddleware)
	s.handler = s.routes(cim)
	if s.cfg.TLS.Cert != "" {
		s.tls, err = auth.TLSConfig(s.cfg.TLS.Cert, s.cfg.TLS.Key)
	}
	return err
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

// Start listens on every configured address and starts the probes. It
// returns once the listeners are open; serving goes on until Close.
func (s *Server) Start(ctx context.Context) error {
	lns, err := listenAll(s.cfg.Listen)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.listeners = lns
	base, stop := context.WithCancel(context.Background())
	s.stopReqs = stop
	s.http = &http.Server{Handler: s.handler, TLSConfig: s.tls, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext: func(net.Listener) context.Context { return base }}
	s.mu.Unlock()
	for _, ln := range lns {
		go s.serve(ln)
	}
	s.subs = append(s.subs, s.eng.Bus().Subscribe(event.DefaultBuffer, nil))
	go s.metrics.countEvents(s.subs[0])
	if err := s.hooks.start(s.eng); err != nil {
		return err
	}
	s.probes = newProbes(s.eng, s.cfg.Health, s.log.With("part", "health"), s.metrics.observeProbe)
	if err := s.probes.start(); err != nil {
		return err
	}
	s.ready.Store(true)
	return nil
}

func (s *Server) serve(ln net.Listener) {
	var err error
	if s.tls != nil {
		err = s.http.ServeTLS(ln, "", "")
	} else {
		err = s.http.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("listener stopped", "addr", ln.Addr().String(), "err", err)
	}
}

func listenAll(addrs []string) ([]net.Listener, error) {
	var lns []net.Listener
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("listening on %s: %w", a, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
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

// Ready reports whether the server has started and not been closed.
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
	if srv != nil {
		stop() // long-lived answers (event streams) end now instead of holding Shutdown
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return s.release()
}

func (s *Server) release() error {
	if s.probes != nil {
		s.probes.close()
	}
	if s.hooks != nil {
		s.hooks.close()
	}
	for _, sub := range s.subs {
		sub.Close()
	}
	if s.demo != nil {
		s.demo.close()
	}
	var errs []error
	if s.eng != nil {
		errs = append(errs, s.eng.Close())
	}
	if s.st != nil {
		errs = append(errs, s.st.Close())
	}
	return errors.Join(errs...)
}
