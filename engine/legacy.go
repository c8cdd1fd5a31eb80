package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Member records written before Probe had its typed fields described a
// probe as kind, target and a map of string params, with durations in
// nanoseconds:
//
//	{"kind":"http","target":"http://h/","interval":2000000000,
//	 "params":{"expect":"200-299","headers":"{\"X-A\":\"1\"}"}}
//
// An exec probe kept its command as a JSON array in params.command (the
// target was the command joined by spaces, for display); headers and env
// were JSON objects in params. decodeMember reads both forms; PutMember
// always writes the typed one.

// legacyProbe is the old stored form.
type legacyProbe struct {
	Kind     string            `json:"kind"`
	Target   string            `json:"target"`
	Interval time.Duration     `json:"interval"`
	Timeout  time.Duration     `json:"timeout"`
	Rise     int               `json:"rise"`
	Fall     int               `json:"fall"`
	TTL      time.Duration     `json:"ttl"`
	Params   map[string]string `json:"params"`
}

// storedMember is a member record with its probe left raw, to be read in
// either form.
type storedMember struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName"`
	Labels      map[string]string `json:"labels"`
	Probe       json.RawMessage   `json:"probe"`
}

// decodeStoredProbe reads a stored probe in the typed form, or else in
// the old form. notes lists what an old record held that has no place in
// the typed form (dropped, for the caller to log).
func decodeStoredProbe(raw json.RawMessage) (p Probe, notes []string, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil, nil
	}
	if err = strictJSON(raw, &p); err == nil {
		return p, nil, nil
	}
	var old legacyProbe
	if strictJSON(raw, &old) != nil {
		return p, nil, err // neither form: report the typed form's error
	}
	p, notes = old.probe()
	return p, notes, nil
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// probe converts an old record as the old probe scheduler read it.
func (l legacyProbe) probe() (Probe, []string) {
	p := Probe{
		Type: l.Kind, Interval: Duration(l.Interval), Timeout: Duration(l.Timeout), TTL: Duration(l.TTL),
		Rise: l.Rise, Fall: l.Fall,
	}
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	used := map[string]bool{}
	param := func(k string) string { used[k] = true; return l.Params[k] }
	switch l.Kind {
	case ProbeTCP:
		p.Address = l.Target
	case ProbeHTTP:
		p.URL, p.Expect, p.BodyMatch = l.Target, param("expect"), param("bodyMatch")
		p.BodyRegexp, p.CAFile = param("bodyRegexp"), param("caFile")
		p.InsecureSkipVerify = param("insecureSkipVerify") == "true"
		p.Headers = jsonParam[map[string]string](l.Params, "headers", used, note)
	case ProbeExec:
		p.Command = jsonParam[[]string](l.Params, "command", used, note)
		p.Env = jsonParam[map[string]string](l.Params, "env", used, note)
		if len(p.Command) == 0 && l.Target != "" {
			note("target %q was never run (an exec probe needs command as a list); dropped", l.Target)
		}
	default:
		if l.Target != "" {
			note("target %q of a %q probe has no place; dropped", l.Target, l.Kind)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(l.Params)) {
		if !used[k] {
			note("params.%s %q is not used by %q probes; dropped", k, l.Params[k], l.Kind)
		}
	}
	return p, notes
}

// jsonParam decodes an optional parameter holding JSON; a malformed one
// is noted and left out.
func jsonParam[T any](params map[string]string, k string, used map[string]bool, note func(string, ...any)) T {
	var out T
	v, ok := params[k]
	used[k] = true
	if !ok {
		return out
	}
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		var zero T
		note("params.%s %q is not valid JSON of its kind; dropped", k, v)
		return zero
	}
	return out
}
