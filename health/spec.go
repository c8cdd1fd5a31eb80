package health

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The probe types a Spec can name.
const (
	TypeTCP       = "tcp"
	TypeHTTP      = "http"
	TypeExec      = "exec"
	TypeHeartbeat = "heartbeat" // reports are pushed, not probed; TTL is required
)

// Timing defaults and limits of a Spec.
const (
	DefaultInterval = 5 * time.Second
	DefaultTimeout  = 2 * time.Second
	MinInterval     = 50 * time.Millisecond
)

// Spec is the configuration of one member's probe, as written in redset's
// configuration file. Field names in errors are the yaml keys.
//
// Type chooses the probe and which other fields apply: "tcp" uses Address;
// "http" uses URL, Expect, BodyMatch, BodyRegexp, Headers and, for https
// URLs, InsecureSkipVerify or CAFile; "exec" uses Command and Env (extra
// variables for the command, see ExecProbe). A field that does not apply to
// the type is an error. "heartbeat" uses none of them but needs TTL: its
// reports are pushed, and silence beyond TTL counts as a failure. An empty
// Type with no type-specific field is no probe at all. Zero Interval,
// Timeout and Expect take their defaults (see WithDefaults). Rise and fall
// (dampening) and TTL are applied by the consumer of the results.
type Spec struct {
	Type               string            `yaml:"type"`
	Address            string            `yaml:"address,omitempty"`
	URL                string            `yaml:"url,omitempty"`
	Expect             string            `yaml:"expect,omitempty"`
	BodyMatch          string            `yaml:"bodyMatch,omitempty"`
	BodyRegexp         string            `yaml:"bodyRegexp,omitempty"`
	Headers            map[string]string `yaml:"headers,omitempty"`
	InsecureSkipVerify bool              `yaml:"insecureSkipVerify,omitempty"`
	CAFile             string            `yaml:"caFile,omitempty"`
	Command            []string          `yaml:"command,omitempty"`
	Env                map[string]string `yaml:"env,omitempty"`
	Interval           time.Duration     `yaml:"interval,omitempty"`
	Timeout            time.Duration     `yaml:"timeout,omitempty"`
	TTL                time.Duration     `yaml:"ttl,omitempty"`
}

// FieldError names the field of a Spec (or Task) that is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	return "health: " + e.Field + ": " + e.Reason
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// WithDefaults returns s with its zero fields defaulted: Interval
// DefaultInterval, Timeout the smaller of DefaultTimeout and the interval,
// and for HTTP probes Expect DefaultExpect.
func (s Spec) WithDefaults() Spec {
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	if s.Timeout == 0 {
		s.Timeout = min(DefaultTimeout, s.Interval)
	}
	if s.Type == TypeHTTP && s.Expect == "" {
		s.Expect = DefaultExpect
	}
	return s
}

// Validate reports the first problem of s (after defaults) as a
// *FieldError. It reads no files and opens no connections.
func (s Spec) Validate() error {
	if s.TTL < 0 {
		return fieldErr("ttl", "%v is negative", s.TTL)
	}
	var err error
	switch s.Type {
	case TypeTCP:
		err = s.validateTCP()
	case TypeHTTP:
		err = s.validateHTTP()
	case TypeExec:
		err = s.validateExec()
	case TypeHeartbeat:
		return s.validateHeartbeat()
	case "":
		return s.validateNone()
	default:
		return fieldErr("type", "%q is not %s", s.Type, typeList)
	}
	if err != nil {
		return err
	}
	return s.WithDefaults().validateTiming()
}

const typeList = "tcp, http, exec or heartbeat"

// Scheduled reports whether s names a probe the Scheduler runs (tcp,
// http, exec); heartbeats and "no probe" are not run.
func (s Spec) Scheduled() bool {
	return s.Type == TypeTCP || s.Type == TypeHTTP || s.Type == TypeExec
}

func (s Spec) validateHeartbeat() error {
	if err := s.onlyFields(); err != nil {
		return err
	}
	if s.TTL == 0 {
		return fieldErr("ttl", "a heartbeat needs a ttl after which the member counts as failed")
	}
	return nil
}

// validateNone accepts a spec without a type only when it sets nothing a
// probe type would use: an address without a type is a forgotten type,
// not "no probe".
func (s Spec) validateNone() error {
	for _, f := range s.usedFields() {
		if f.set {
			return fieldErr("type", "missing (%s is set); want %s", f.name, typeList)
		}
	}
	return nil
}

// Probe validates s and builds its probe. For HTTPS it reads CAFile.
// Specs that are not Scheduled have no probe to build.
func (s Spec) Probe() (Probe, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !s.Scheduled() {
		return nil, fieldErr("type", "%q is not a probe the scheduler runs", s.Type)
	}
	switch s.Type {
	case TypeTCP:
		return TCPProbe{Address: s.Address}, nil
	case TypeHTTP:
		return s.WithDefaults().httpProbe()
	}
	return ExecProbe{Command: slices.Clone(s.Command), Env: envList(s.Env)}, nil
}

// Task validates s and builds the scheduled Task of member, named after
// the probe type.
func (s Spec) Task(member string) (Task, error) {
	p, err := s.Probe()
	if err != nil {
		return Task{}, err
	}
	d := s.WithDefaults()
	t := Task{Member: member, Name: s.Type, Probe: p, Interval: d.Interval, Timeout: d.Timeout}
	return t, t.validate()
}

// usedFields lists the type-specific fields and whether s sets them.
func (s Spec) usedFields() []struct {
	name string
	set  bool
} {
	return []struct {
		name string
		set  bool
	}{
		{"address", s.Address != ""},
		{"url", s.URL != ""},
		{"expect", s.Expect != ""},
		{"bodyMatch", s.BodyMatch != ""},
		{"bodyRegexp", s.BodyRegexp != ""},
		{"headers", len(s.Headers) > 0},
		{"insecureSkipVerify", s.InsecureSkipVerify},
		{"caFile", s.CAFile != ""},
		{"command", len(s.Command) > 0},
		{"env", len(s.Env) > 0},
	}
}

// onlyFields fails on the first type-specific field set that is not in
// allowed.
func (s Spec) onlyFields(allowed ...string) error {
	for _, f := range s.usedFields() {
		if f.set && !slices.Contains(allowed, f.name) {
			return fieldErr(f.name, "not used by %s probes", s.Type)
		}
	}
	return nil
}

func (s Spec) validateTiming() error {
	switch {
	case s.Interval < MinInterval:
		return fieldErr("interval", "%v is below the minimum %v", s.Interval, MinInterval)
	case s.Timeout < 0:
		return fieldErr("timeout", "%v is negative", s.Timeout)
	case s.Timeout > s.Interval:
		return fieldErr("timeout", "%v exceeds the interval %v", s.Timeout, s.Interval)
	}
	return nil
}

func (s Spec) validateTCP() error {
	if err := s.onlyFields("address"); err != nil {
		return err
	}
	if s.Address == "" {
		return fieldErr("address", "missing; want host:port")
	}
	host, port, err := net.SplitHostPort(s.Address)
	if err != nil {
		return fieldErr("address", "%q is not host:port", s.Address)
	}
	if host == "" {
		return fieldErr("address", "%q has no host", s.Address)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fieldErr("address", "port %q is not a number from 1 to 65535", port)
	}
	return nil
}

func (s Spec) validateExec() error {
	if err := s.onlyFields("command", "env"); err != nil {
		return err
	}
	if len(s.Command) == 0 || s.Command[0] == "" {
		return fieldErr("command", "missing; want the program and its arguments")
	}
	for i, arg := range s.Command {
		if strings.IndexByte(arg, 0) >= 0 {
			return fieldErr("command", "entry %d contains a NUL byte", i)
		}
	}
	return validateEnv(s.Env)
}

func validateEnv(env map[string]string) error {
	for _, key := range slices.Sorted(maps.Keys(env)) {
		switch {
		case key == "" || strings.ContainsAny(key, "=\x00"):
			return fieldErr("env", "%q is not a valid variable name", key)
		case strings.IndexByte(env[key], 0) >= 0:
			return fieldErr("env", "the value of %s contains a NUL byte", key)
		}
	}
	return nil
}

func (s Spec) validateHTTP() error {
	if err := s.onlyFields("url", "expect", "bodyMatch", "bodyRegexp", "headers", "insecureSkipVerify", "caFile"); err != nil {
		return err
	}
	u, err := s.validateURL()
	if err != nil {
		return err
	}
	if err := s.validateTLS(u); err != nil {
		return err
	}
	if _, err := ParseStatusRanges(s.WithDefaults().Expect); err != nil {
		var rangeErr *StatusRangeError
		errors.As(err, &rangeErr)
		return fieldErr("expect", "%s", rangeErr.Reason)
	}
	if _, err := regexp.Compile(s.BodyRegexp); err != nil {
		return fieldErr("bodyRegexp", "%v", err)
	}
	return validateHeaders(s.Headers)
}

func (s Spec) validateURL() (*url.URL, error) {
	if s.URL == "" {
		return nil, fieldErr("url", "missing")
	}
	u, err := url.Parse(s.URL)
	switch {
	case err != nil:
		return nil, fieldErr("url", "%q does not parse", s.URL)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fieldErr("url", "%q is not an http or https URL", s.URL)
	case u.Host == "":
		return nil, fieldErr("url", "%q has no host", s.URL)
	}
	return u, nil
}

func (s Spec) validateTLS(u *url.URL) error {
	switch {
	case u.Scheme != "https" && s.InsecureSkipVerify:
		return fieldErr("insecureSkipVerify", "only used with https URLs")
	case u.Scheme != "https" && s.CAFile != "":
		return fieldErr("caFile", "only used with https URLs")
	case s.InsecureSkipVerify && s.CAFile != "":
		return fieldErr("caFile", "has no effect with insecureSkipVerify")
	}
	return nil
}

func validateHeaders(h map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if !isToken(name) {
			return fieldErr("headers", "%q is not a valid header name", name)
		}
		if strings.ContainsAny(h[name], "\r\n\x00") {
			return fieldErr("headers", "the value of %s contains a line break or NUL", name)
		}
	}
	return nil
}

// isToken reports whether s is an HTTP token (RFC 9110, section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		alnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alnum && strings.IndexByte("!#$%&'*+-.^_`|~", c) < 0 {
			return false
		}
	}
	return true
}

// envList turns variables into sorted "KEY=value" entries (nil for none).
func envList(env map[string]string) []string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(env)) {
		out = append(out, key+"="+env[key])
	}
	return out
}

// httpProbe builds the HTTP probe of a validated, defaulted spec.
func (s Spec) httpProbe() (Probe, error) {
	expect, _ := ParseStatusRanges(s.Expect)
	p := &HTTPProbe{URL: s.URL, Expect: expect, Contains: s.BodyMatch, Header: http.Header{}}
	if s.BodyRegexp != "" {
		p.Match = regexp.MustCompile(s.BodyRegexp)
	}
	for name, value := range s.Headers {
		p.Header.Set(name, value)
	}
	tlsConfig, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	p.Client = NewHTTPClient(tlsConfig)
	return p, nil
}

func (s Spec) tlsConfig() (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.InsecureSkipVerify}
	if s.CAFile == "" {
		return conf, nil
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, fieldErr("caFile", "%v", err)
	}
	conf.RootCAs = x509.NewCertPool()
	if !conf.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fieldErr("caFile", "%s holds no PEM certificate", s.CAFile)
	}
	return conf, nil
}
