package engine

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// Probe types a member's Probe can name.
const (
	ProbeTCP       = "tcp"       // connect to Address
	ProbeHTTP      = "http"      // GET URL
	ProbeExec      = "exec"      // run Command
	ProbeHeartbeat = "heartbeat" // reports are pushed; TTL turns silence into Failed
)

// Probe is how a member's health is observed: the one shape of a probe in
// the configuration file, the JSON API and the store. Type chooses which of
// the type-specific fields apply: tcp uses Address; http uses URL, Expect,
// BodyMatch, BodyRegexp, Headers, InsecureSkipVerify and CAFile; exec uses
// Command (the program and its arguments, not run by a shell) and Env. An
// empty Type means no probe runs: health comes only from pushed reports.
//
// The engine itself uses Rise, Fall and TTL; the health checker runs the
// rest. The engine checks the shape (ValidateMember) and, through
// Options.ValidateProbe, the health checker's rules; it never runs probes.
type Probe struct {
	Type               string            `json:"type,omitempty" yaml:"type,omitempty"`
	Address            string            `json:"address,omitempty" yaml:"address,omitempty"`
	URL                string            `json:"url,omitempty" yaml:"url,omitempty"`
	Expect             string            `json:"expect,omitempty" yaml:"expect,omitempty"`         // HTTP status ranges, e.g. "200-299"
	BodyMatch          string            `json:"bodyMatch,omitempty" yaml:"bodyMatch,omitempty"`   // the HTTP body must contain this
	BodyRegexp         string            `json:"bodyRegexp,omitempty" yaml:"bodyRegexp,omitempty"` // the HTTP body must match this
	Headers            map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	InsecureSkipVerify bool              `json:"insecureSkipVerify,omitempty" yaml:"insecureSkipVerify,omitempty"`
	CAFile             string            `json:"caFile,omitempty" yaml:"caFile,omitempty"`
	Command            []string          `json:"command,omitempty" yaml:"command,omitempty"`
	Env                map[string]string `json:"env,omitempty" yaml:"env,omitempty"` // added to an exec probe's minimal environment
	Interval           Duration          `json:"interval,omitempty" yaml:"interval,omitempty"`
	Timeout            Duration          `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// TTL: reports expire to Failed after this; 0 means no expiry unless a
	// report sets one. A heartbeat needs it.
	TTL  Duration `json:"ttl,omitempty" yaml:"ttl,omitempty"`
	Rise int      `json:"rise,omitempty" yaml:"rise,omitempty"` // successes that count a recovery; 0: default
	Fall int      `json:"fall,omitempty" yaml:"fall,omitempty"` // failures that count a failure; 0: default
}

// Target is where the probe looks, for display: its address, URL or
// command line (arguments quoted where needed), or "".
func (p Probe) Target() string {
	switch {
	case p.Address != "":
		return p.Address
	case p.URL != "":
		return p.URL
	}
	out := ""
	for i, arg := range p.Command {
		if i > 0 {
			out += " "
		}
		out += quoteArg(arg)
	}
	return out
}

func quoteArg(s string) string {
	for _, c := range s {
		if c <= ' ' || c == '"' || c == '\'' || c == '\\' {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

func cloneProbe(p Probe) Probe {
	p.Headers = maps.Clone(p.Headers)
	p.Env = maps.Clone(p.Env)
	p.Command = slices.Clone(p.Command)
	return p
}

// Duration is a time.Duration written as a Go duration string ("500ms",
// "2s", "1m30s") in JSON and YAML alike. Numbers are refused: a bare 5
// could mean seconds or nanoseconds.
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes the duration as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a JSON string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a JSON string holding a Go duration. The error is a
// *json.UnmarshalTypeError, so that decoders name the field it is in.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(data), Type: reflect.TypeFor[Duration]()}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "string " + strconv.Quote(s), Type: reflect.TypeFor[Duration]()}
	}
	*d = Duration(v)
	return nil
}

// jsonKind names the kind of a JSON value as encoding/json's errors do.
func jsonKind(data []byte) string {
	if len(data) == 0 {
		return "value"
	}
	switch data[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// MarshalYAML writes the duration as a string (go.yaml.in/yaml/v3 calls
// it; the engine does not import YAML).
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a Go duration string. It is the function-style hook
// that go.yaml.in/yaml/v3 still calls; decoding into a time.Duration lets
// the YAML decoder itself parse the value and report a bad one with its
// line, like every other type error.
func (d *Duration) UnmarshalYAML(unmarshal func(any) error) error {
	var v time.Duration
	if err := unmarshal(&v); err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
