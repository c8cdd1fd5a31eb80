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
	DefaultMaxBodyBytes  = 16 << 20
	DefaultProbeInterval = 2 * time.Second
	DefaultProbeTimeout  = time.Second
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
	if c.History <= 0 {
		c.History = DefaultHistory
	}
	if c.Limits.MaxBodyBytes <= 0 {
		c.Limits.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Health.Interval <= 0 {
		c.Health.Interval = Dur(DefaultProbeInterval)
	}
	if c.Health.Timeout <= 0 {
		c.Health.Timeout = Dur(DefaultProbeTimeout)
	}
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
	add(c.validateUsers())
	members := c.validateMembers(add)
	for i := range c.Sets {
		add(c.validateSet(i, members))
	}
	for i := range c.Hooks {
		add(c.validateHook(i))
	}
	return errors.Join(errs...)
}

func (c *Config) validateServer() error {
	var errs []error
	for i, addr := range c.Listen {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, c.fieldErr(fmt.Sprintf("listen[%d]", i), "%q is not host:port", addr))
		}
	}
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
	return errors.Join(errs...)
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

// validateMembers checks members and returns the set of declared names.
func (c *Config) validateMembers(add func(error)) map[string]bool {
	names := map[string]bool{}
	for i, m := range c.Members {
		f := fmt.Sprintf("members[%d]", i)
		switch {
		case m.Name == "":
			add(c.fieldErr(f+".name", "a member needs a name"))
		case names[m.Name]:
			add(c.fieldErr(f+".name", "member %q is declared twice", m.Name))
		}
		names[m.Name] = true
		add(c.validateProbe(f+".probe", m.Probe))
	}
	return names
}

func (c *Config) validateProbe(f string, p Probe) error {
	switch p.Type {
	case "":
		return nil
	case "tcp":
		if _, _, err := net.SplitHostPort(p.Address); err != nil {
			return c.fieldErr(f+".address", "a tcp probe needs host:port, got %q", p.Address)
		}
	case "http":
		if !strings.HasPrefix(p.URL, "http://") && !strings.HasPrefix(p.URL, "https://") {
			return c.fieldErr(f+".url", "an http probe needs an http:// or https:// URL, got %q", p.URL)
		}
	case "exec":
		if len(p.Command) == 0 {
			return c.fieldErr(f+".command", "an exec probe needs a command")
		}
	case "heartbeat":
		if p.TTL <= 0 {
			return c.fieldErr(f+".ttl", "a heartbeat needs a ttl after which the member counts as failed")
		}
	default:
		return c.fieldErr(f+".type", "%q is not tcp, http, exec or heartbeat", p.Type)
	}
	return nil
}

func (c *Config) validateSet(i int, members map[string]bool) error {
	f := fmt.Sprintf("sets[%d]", i)
	s := c.Sets[i]
	es, err := c.engineSet(s)
	if err != nil {
		return c.fieldErr(f+".instanceID", "%v", err)
	}
	if err := engine.ValidateSet(&es); err != nil {
		return c.fieldErr(f+"."+setField(err), "%v", err)
	}
	for j, m := range s.Members {
		mf := fmt.Sprintf("%s.members[%d]", f, j)
		if !members[m.Name] {
			return c.fieldErr(mf+".name", "member %q is not declared under members", m.Name)
		}
		if _, err := engineRole(m); err != nil {
			return c.fieldErr(mf, "%v", err)
		}
	}
	return nil
}

// setField names the YAML field an engine validation error is about.
func setField(err error) string {
	var ve *engine.ValidationError
	if errors.As(err, &ve) && ve.Field != "" {
		return lowerFirst(ve.Field)
	}
	return "instanceID"
}

func lowerFirst(s string) string {
	if s == "" || s == "InstanceID" {
		return "instanceID"
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
