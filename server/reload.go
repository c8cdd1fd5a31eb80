package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/hook"
)

// ReloadReport says what a reload changed.
type ReloadReport struct {
	ApplyReport
	Users bool // the configured users changed
	Hooks bool // the hooks changed
	TLS   bool // the TLS certificate changed
	// Metrics: metrics.public changed.
	Metrics bool
	// Proxies: trustedProxies changed.
	Proxies bool
	// Restart names the fields that changed in the file but take effect
	// only at the next start; the running server keeps their old values.
	Restart []string
}

// Changed reports whether the reload applied anything.
func (r ReloadReport) Changed() bool {
	return len(r.Created)+len(r.Updated)+len(r.Added) > 0 || r.Users || r.Hooks || r.TLS || r.Metrics || r.Proxies
}

// Summary names what the reload changed on one line.
func (r ReloadReport) Summary() string {
	var parts []string
	if len(r.Created)+len(r.Updated)+len(r.Added) > 0 {
		parts = append(parts, r.ApplyReport.Summary())
	}
	for _, p := range []struct {
		on   bool
		text string
	}{{r.Users, "users replaced"}, {r.Hooks, "hooks replaced"}, {r.TLS, "TLS certificate replaced"}, {r.Metrics, "metrics access changed"},
		{r.Proxies, "trusted proxies changed"}} {
		if p.on {
			parts = append(parts, p.text)
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing changed")
	}
	if len(r.Restart) > 0 {
		parts = append(parts, "at the next start: "+strings.Join(r.Restart, ", "))
	}
	return strings.Join(parts, "; ")
}

// SetLoader sets how Reload reads the configuration: the same file and
// command-line overrides as at start. Without one, Reload reads the file
// the configuration was loaded from (LoadConfig), if any.
func (s *Server) SetLoader(load func() (Config, error)) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	s.load = load
}

// invalidConfig is a reload refused because the configuration is
// invalid: errors.Is(err, api.ErrInvalidConfig) holds, so the API answers
// it with 422.
type invalidConfig struct{ err error }

func (e *invalidConfig) Error() string        { return e.err.Error() }
func (e *invalidConfig) Unwrap() error        { return e.err }
func (e *invalidConfig) Is(target error) bool { return target == api.ErrInvalidConfig }

// Reload re-reads the configuration, checks it whole (every rule, the TLS
// files, and against the stored state) and only then applies the
// differences: members and sets, users, hooks, the TLS certificate,
// metrics.public and the trusted proxies.
// Fields that cannot change while running are reported in Restart. A
// configuration that fails a check changes nothing; the error is then an
// api.ErrInvalidConfig naming every problem. The outcome is logged, and a
// change is recorded as one ConfigChanged event with the summary.
//
// The records name the actor of ctx (an admin reloading through the API),
// else the configuration file (a reload by SIGHUP); a refused reload goes
// to the audit stream.
func (s *Server) Reload(ctx context.Context) (ReloadReport, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if _, ok := engine.ActorFrom(ctx); !ok {
		ctx = engine.WithActor(ctx, engine.Actor{Protocol: engine.ProtocolConfig, Address: s.cfg.file})
	}
	rep, err := s.reload(context.WithoutCancel(ctx))
	switch {
	case err != nil:
		s.eng.AuditRefusal(ctx, "configuration reloaded", "", "", err)
		s.log.Error("configuration reload refused; nothing changed", "err", err)
	case !rep.Changed():
		s.log.Info("configuration reloaded: nothing changed")
	}
	for _, f := range rep.Restart {
		s.log.Warn("configuration field changed; it takes effect at the next start", "field", f)
	}
	return rep, err
}

// staged is a checked configuration with everything built that applying
// it needs, so that applying cannot fail on the configuration itself.
type staged struct {
	cfg     Config
	plan    *plan
	users   []auth.User      // nil: unchanged
	runner  *hook.Runner     // nil: unchanged
	cert    *tls.Certificate // nil: unchanged
	proxies proxyList
	restart []string
}

func (s *Server) reload(ctx context.Context) (ReloadReport, error) {
	st, err := s.stage()
	if err != nil {
		return ReloadReport{}, err
	}
	rep := ReloadReport{Restart: st.restart, Users: st.users != nil, Hooks: st.runner != nil, TLS: st.cert != nil,
		Metrics: st.cfg.Metrics != s.cfg.Metrics, Proxies: !slices.Equal(st.cfg.TrustedProxies, s.cfg.TrustedProxies)}
	rep.ApplyReport, err = st.plan.apply(ctx)
	if err != nil {
		return rep, fmt.Errorf("applying the configuration (the changes made before this failure stay): %w", err)
	}
	if err := s.install(ctx, st); err != nil {
		return rep, err
	}
	if rep.Changed() {
		_, err = s.eng.RecordConfig(ctx, "configuration reloaded", rep.Summary())
	}
	return rep, err
}

// stage reads and checks the configuration and prepares its parts (the
// TLS files are loaded by stageCertificate).
func (s *Server) stage() (*staged, error) {
	next, err := s.loadNext()
	switch {
	case errors.Is(err, engine.ErrUnsupported):
		return nil, err // nothing to reload, rather than an invalid file
	case err != nil:
		return nil, &invalidConfig{err}
	}
	next.Default()
	if err := next.Validate(); err != nil {
		return nil, &invalidConfig{err}
	}
	st := &staged{cfg: next}
	st.restart = st.cfg.keepRestartFields(s.cfg)
	if err := s.stageParts(st); err != nil {
		return nil, &invalidConfig{err}
	}
	return st, nil
}

func (s *Server) loadNext() (Config, error) {
	if s.load != nil {
		return s.load()
	}
	if s.cfg.file == "" {
		return Config{}, engine.NewError(engine.KindUnsupported, "the server was not started from a configuration file")
	}
	return LoadConfig(s.cfg.file)
}

func (s *Server) stageParts(st *staged) error {
	var keep []string
	if s.demo != nil {
		keep = s.demo.declared()
	}
	var err error
	if st.plan, err = st.cfg.plan(s.eng, keep); err != nil {
		return err
	}
	if !reflect.DeepEqual(st.cfg.Users, s.cfg.Users) {
		st.users = authUsers(st.cfg.Users)
	}
	if !reflect.DeepEqual(st.cfg.Hooks, s.cfg.Hooks) {
		if st.runner, err = s.hooks.newRunner(st.cfg.Hooks); err != nil {
			return fmt.Errorf("hooks: %w", err)
		}
	}
	if st.proxies, err = parseProxies(st.cfg.TrustedProxies); err != nil {
		return err
	}
	st.cert, err = s.stageCertificate(st.cfg)
	return err
}

// stageCertificate loads the configured certificate; nil when it is the
// one served now (or TLS is off).
func (s *Server) stageCertificate(cfg Config) (*tls.Certificate, error) {
	cert, err := cfg.loadCertificate()
	if err != nil || cert == nil {
		return nil, err
	}
	if cur := s.cert.cur.Load(); cur != nil && slices.EqualFunc(cur.Certificate, cert.Certificate, bytes.Equal) {
		return nil, nil
	}
	return cert, nil
}

// install makes the staged parts current; the engine already holds the
// applied members and sets.
func (s *Server) install(ctx context.Context, st *staged) error {
	if st.users != nil {
		if err := s.users.SetConfigured(ctx, st.users); err != nil {
			return fmt.Errorf("replacing the users of the file: %w", err)
		}
	}
	if st.runner != nil {
		if err := s.hooks.replace(st.runner); err != nil {
			s.log.Error("the new hooks could not start; the old ones keep running", "err", err)
		}
	}
	if st.cert != nil {
		s.cert.cur.Store(st.cert)
	}
	s.metricsPublic.Store(st.cfg.Metrics.Public)
	s.setProxies(st.proxies)
	s.indications.reload(st.cfg.Indications)
	s.mu.Lock()
	s.cfg = st.cfg
	s.mu.Unlock()
	s.logWouldDelete(st.plan.report)
	return nil
}

// authUsers converts the configured users.
func authUsers(list []User) []auth.User {
	out := make([]auth.User, 0, len(list))
	for _, u := range list {
		out = append(out, auth.User{Name: u.Name, PasswordHash: u.PasswordHash, Role: auth.Role(u.Role)})
	}
	return out
}

// keepRestartFields sets the fields that cannot change while running to
// their running values and names those that differed.
func (c *Config) keepRestartFields(running Config) []string {
	var changed []string
	keep := func(name string, same bool, restore func()) {
		if !same {
			changed = append(changed, name)
			restore()
		}
	}
	keep("listen", slices.Equal(c.Listen, running.Listen), func() { c.Listen = running.Listen })
	keep("data", c.Data == running.Data, func() { c.Data = running.Data })
	keep("store", c.Store.Equal(running.Store), func() { c.Store = running.Store })
	keep("orgID", c.OrgID == running.OrgID, func() { c.OrgID = running.OrgID })
	keep("log", c.Log == running.Log, func() { c.Log = running.Log })
	keep("history", c.History == running.History, func() { c.History = running.History })
	keep("limits", c.Limits == running.Limits, func() { c.Limits = running.Limits })
	keep("auth", c.Auth == running.Auth, func() { c.Auth = running.Auth })
	keep("demo", c.Demo == running.Demo, func() { c.Demo = running.Demo })
	keep("demoFrontends", c.DemoFrontends == running.DemoFrontends, func() { c.DemoFrontends = running.DemoFrontends })
	keep("cluster", c.Cluster == running.Cluster, func() { c.Cluster = running.Cluster })
	keep("health.workers", c.Health.Workers == running.Health.Workers, func() { c.Health.Workers = running.Health.Workers })
	keep("tls", (c.TLS.Cert == "") == (running.TLS.Cert == ""), func() { c.TLS = running.TLS })
	changed = append(changed, c.keepIndicationDelivery(running)...)
	c.AdminPassword = running.AdminPassword // from the environment at start, not from the file
	return changed
}

// reloadFunc adapts Reload to the API.
func (s *Server) reloadFunc(ctx context.Context) (api.ConfigReload, error) {
	rep, err := s.Reload(ctx)
	if err != nil {
		return api.ConfigReload{}, err
	}
	return api.ConfigReload{
		Changed: rep.Changed(), Summary: rep.Summary(), Created: rep.Created, Updated: rep.Updated,
		Added: rep.Added, WouldDelete: rep.WouldDelete, RestartNeeded: rep.Restart,
	}, nil
}
