package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/hook"
)

// Defaults for fields left zero.
const (
	DefaultData          = "./redset-data"
	DefaultOrgID         = "redset"
	DefaultHistory       = 10000
	DefaultProbeInterval = 2 * time.Second
	DefaultProbeTimeout  = time.Second
	DefaultDemoWeb       = "127.0.0.1:15080"
	DefaultDemoLB        = "127.0.0.1:15081"
)

// Default fills every field left zero with its default.
func (c *Config) Default() {
	if len(c.Listen) == 0 {
		c.Listen = append([]string(nil), DefaultListen...)
	}
	setDefault(&c.Data, DefaultData)
	setDefault(&c.OrgID, DefaultOrgID)
	setDefault(&c.Log.Format, "text")
	setDefault(&c.Log.Level, "info")
	setDefault(&c.DemoFrontends.Web, DefaultDemoWeb)
	setDefault(&c.DemoFrontends.LB, DefaultDemoLB)
	if c.History <= 0 {
		c.History = DefaultHistory
	}
	c.Limits.fill()
	if c.Health.Interval <= 0 {
		c.Health.Interval = Dur(DefaultProbeInterval)
	}
	if c.Health.Timeout <= 0 {
		c.Health.Timeout = Dur(DefaultProbeTimeout)
	}
	c.Auth.defaults()
	c.defaultCluster()
	c.Indications.defaults()
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// Validate checks the configuration and returns every problem found, each
// naming the file, line and field.
func (c *Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.validateServer())
	add(c.validateLimits())
	storeErr := c.validateStore()
	add(storeErr)
	add(c.validateCluster(storeErr == nil))
	add(c.validateUsers())
	add(c.validateAuth())
	members := c.validateMembers(add)
	ids := map[string]bool{}
	for i := range c.Sets {
		add(c.validateSet(i, members, ids))
	}
	add(c.validateFrontends())
	add(c.validateIndicationDelivery())
	for i := range c.Hooks {
		add(c.validateHook(i))
	}
	return errors.Join(errs...)
}

func (c *Config) validateServer() error {
	errs := c.validateListen()
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		errs = append(errs, c.fieldErr("tls", "cert and key go together"))
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		errs = append(errs, c.fieldErr("log.format", "%q is neither text nor json", c.Log.Format))
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		errs = append(errs, c.fieldErr("log.level", "%v", err))
	}
	if strings.Contains(c.OrgID, ":") {
		errs = append(errs, c.fieldErr("orgID", "%q must not contain a colon", c.OrgID))
	}
	for i, p := range c.TrustedProxies {
		if _, err := parseProxy(p); err != nil {
			errs = append(errs, c.fieldErr(fmt.Sprintf("trustedProxies[%d]", i), "%v", err))
		}
	}
	return errors.Join(errs...)
}

// validateListen checks that each address is host:port and that none is
// listed twice (port 0, "any free port", may repeat).
func (c *Config) validateListen() []error {
	var errs []error
	seen := map[string]int{}
	for i, addr := range c.Listen {
		f := fmt.Sprintf("listen[%d]", i)
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			errs = append(errs, c.fieldErr(f, "%q is not host:port", addr))
			continue
		}
		if ip := net.ParseIP(host); ip != nil {
			host = ip.String() // [0:0::1] is [::1]
		}
		key := net.JoinHostPort(host, port)
		if j, dup := seen[key]; dup && port != "0" {
			errs = append(errs, c.fieldErr(f, "%s is listed twice (also listen[%d])", addr, j))
			continue
		}
		seen[key] = i
	}
	return errs
}

func (c *Config) validateUsers() error {
	var errs []error
	seen := map[string]bool{auth.AdminUser: true}
	for i, u := range c.Users {
		f := fmt.Sprintf("users[%d]", i)
		switch {
		case u.Name == "":
			errs = append(errs, c.fieldErr(f+".name", "a user needs a name"))
		case seen[u.Name]:
			errs = append(errs, c.fieldErr(f+".name", "user %q is declared twice (admin is built in)", u.Name))
		case !auth.Role(u.Role).Valid():
			errs = append(errs, c.fieldErr(f+".role", "%q is not reader, operator or admin", u.Role))
		case !strings.HasPrefix(u.PasswordHash, "$2"):
			errs = append(errs, c.fieldErr(f+".passwordHash", "a bcrypt hash is required (redset hash-password prints one)"))
		}
		seen[u.Name] = true
	}
	return errors.Join(errs...)
}

// validateMembers checks members, their probes by the same rules the
// engine applies to probes written through the API, and returns the set of
// declared names.
func (c *Config) validateMembers(add func(error)) map[string]bool {
	names := map[string]bool{}
	for i, m := range c.Members {
		f := fmt.Sprintf("members[%d]", i)
		em := engineMember(m, c.Health)
		switch {
		case m.Name == "":
			add(c.fieldErr(f+".name", "a member needs a name"))
		case names[m.Name]:
			add(c.fieldErr(f+".name", "member %q is declared twice", m.Name))
		default:
			add(c.engineErr(f, engine.ValidateMember(&em)))
		}
		names[m.Name] = true
		add(c.engineErr(f, probeValidator(c.Health)(em.Probe)))
	}
	return names
}

func (c *Config) validateSet(i int, members, ids map[string]bool) error {
	f := fmt.Sprintf("sets[%d]", i)
	s := c.Sets[i]
	es, err := c.engineSet(s)
	if err != nil {
		return c.fieldErr(f+".id", "%v", err)
	}
	if err := engine.ValidateSet(&es); err != nil {
		if s.InstanceID == "" && setField(err) == "instanceID" {
			return c.fieldErr(f+".id", "%v", err)
		}
		return c.engineErr(f, err)
	}
	if ids[es.InstanceID] {
		return c.fieldErr(f+".id", "set %q is declared twice", es.InstanceID)
	}
	ids[es.InstanceID] = true
	if n := len(s.Members); s.MaxNumberSupported > 0 && n > int(s.MaxNumberSupported) {
		return c.fieldErr(f+".members", "%d members exceed maxNumberSupported (%d)", n, s.MaxNumberSupported)
	}
	return c.validateSetMembers(f, s.Members, members)
}

// validateFrontends checks that no two sets' frontends, and no frontend
// and the server itself, listen on overlapping addresses (see
// engine.ListenOverlaps; port 0, "any free port", may repeat).
func (c *Config) validateFrontends() error {
	var errs []error
	type claim struct{ addr, by string }
	byPort := map[string][]claim{} // the addresses claimed so far, by port
	claimed := func(addr string) (string, bool) {
		_, port, _ := net.SplitHostPort(addr)
		for _, cl := range byPort[port] {
			if engine.ListenOverlaps(cl.addr, addr) {
				return fmt.Sprintf("%s (%s)", cl.by, cl.addr), true
			}
		}
		return "", false
	}
	claim1 := func(addr, by string) {
		_, port, _ := net.SplitHostPort(addr)
		byPort[port] = append(byPort[port], claim{addr, by})
	}
	for i, addr := range c.Listen {
		claim1(addr, fmt.Sprintf("listen[%d], the server's own", i))
	}
	for i, s := range c.Sets {
		if s.Frontend == nil || isPortZero(s.Frontend.Listen) {
			continue
		}
		f := fmt.Sprintf("sets[%d].frontend.listen", i)
		if other, dup := claimed(s.Frontend.Listen); dup {
			errs = append(errs, c.fieldErr(f, "%s overlaps the address of %s", s.Frontend.Listen, other))
			continue
		}
		claim1(s.Frontend.Listen, fmt.Sprintf("sets[%d].frontend", i))
	}
	return errors.Join(errs...)
}

func isPortZero(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}

func (c *Config) validateSetMembers(f string, list []SetMember, declared map[string]bool) error {
	seen := map[string]bool{}
	for j, m := range list {
		mf := fmt.Sprintf("%s.members[%d]", f, j)
		switch {
		case !declared[m.Name]:
			return c.fieldErr(mf+".name", "member %q is not declared under members", m.Name)
		case seen[m.Name]:
			return c.fieldErr(mf+".name", "member %q is listed twice in this set", m.Name)
		}
		seen[m.Name] = true
		var fe *FieldError
		if _, err := engineRole(m); errors.As(err, &fe) {
			return c.fieldErr(mf+"."+fe.Field, "%s", fe.Msg)
		}
	}
	return nil
}

// engineErr places an engine validation error at the field of the object
// at path f it is about.
func (c *Config) engineErr(f string, err error) error {
	var ve *engine.ValidationError
	if err == nil || !errors.As(err, &ve) {
		return err
	}
	msg := ve.Rule
	if ve.Value != "" {
		msg += " (got " + ve.Value + ")"
	}
	return c.fieldErr(f+"."+setField(err), "%s", msg)
}

// setField names the YAML field an engine validation error is about:
// "Policy.MaxFailovers" is written policy.maxFailovers.
func setField(err error) string {
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || ve.Field == "" {
		return "instanceID"
	}
	parts := strings.Split(ve.Field, ".")
	for i, p := range parts {
		parts[i] = lowerFirst(p)
	}
	return strings.Join(parts, ".")
}

func lowerFirst(s string) string {
	if rest, ok := strings.CutPrefix(s, "InstanceID"); ok {
		return "instanceID" + rest
	}
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func (c *Config) validateHook(i int) error {
	spec := hookSpecs(c.Hooks[i : i+1])[0]
	err := spec.Validate()
	var se *hook.SpecError
	if errors.As(err, &se) {
		return c.fieldErr(fmt.Sprintf("hooks[%d].%s", i, se.Field), "%s", se.Reason)
	}
	return err
}

// parseLevel reads a log level name.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	return l, nil
}
