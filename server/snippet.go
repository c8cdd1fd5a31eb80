package server

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redset/redset/engine"
	"go.yaml.in/yaml/v3"
)

// SetEntry is one `sets:` entry of a configuration file, converted for a
// client that creates it through the API: the set and its members' roles
// in the entry's order. When the entry gave only an id, Set.InstanceID is
// that LocalID alone and the server adds its OrgID.
type SetEntry struct {
	Set     engine.Set
	Members []MemberRole
}

// MemberRole is a member's role in a set.
type MemberRole struct {
	Name string
	Role engine.Role
}

// placeholderOrg stands in for the server's OrgID while a LocalID-only
// entry is validated.
const placeholderOrg = "org"

// ParseSetEntries reads set entries written with the configuration file's
// field names: a document with a `sets:` list (as in the file), a list of
// entries, or a single entry. Entries are validated as the file's are,
// except that their members need not be declared in the same text (the
// server knows them). Errors name the file, the line and the field.
func ParseSetEntries(name string, data []byte) ([]SetEntry, error) {
	cfg, err := parseFragment(name, data, "sets")
	if err != nil {
		return nil, err
	}
	cfg.OrgID = placeholderOrg
	ids := map[string]bool{}
	var errs []error
	out := make([]SetEntry, 0, len(cfg.Sets))
	for i, s := range cfg.Sets {
		if err := cfg.validateSet(i, memberNames(s), ids); err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, cfg.setEntry(s))
	}
	return out, errors.Join(errs...)
}

func memberNames(s Set) map[string]bool {
	names := map[string]bool{}
	for _, m := range s.Members {
		names[m.Name] = true
	}
	return names
}

// setEntry converts a validated set.
func (c *Config) setEntry(s Set) SetEntry {
	es, _ := c.engineSet(s)
	if s.InstanceID == "" {
		es.InstanceID = s.ID
	}
	e := SetEntry{Set: es}
	for _, m := range s.Members {
		role, _ := engineRole(m)
		e.Members = append(e.Members, MemberRole{Name: m.Name, Role: role})
	}
	return e
}

// ParseMemberEntries reads member entries written with the configuration
// file's field names (a `members:` document, a list or one entry),
// validated as the file's are. Probe interval and timeout left out stay
// zero: the server's health checker then uses its defaults.
func ParseMemberEntries(name string, data []byte) ([]engine.Member, error) {
	cfg, err := parseFragment(name, data, "members")
	if err != nil {
		return nil, err
	}
	var errs []error
	cfg.validateMembers(func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make([]engine.Member, len(cfg.Members))
	for i, m := range cfg.Members {
		out[i] = engineMember(m, HealthCfg{})
	}
	return out, nil
}

// parseFragment parses text that holds entries of the configuration's list
// key: a document with that key alone, a list, or one mapping. The list
// and mapping forms are parsed as a document under key, with errors placed
// at the lines of the text as written.
func parseFragment(name string, data []byte, key string) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, yamlError(name, nil, err)
	}
	if len(root.Content) == 0 {
		return Config{}, fmt.Errorf("%s: no %s entries", name, key)
	}
	text, offset := data, 0
	switch top := root.Content[0]; {
	case top.Kind == yaml.MappingNode && len(top.Content) == 2 && top.Content[0].Value == key:
	case top.Kind == yaml.SequenceNode:
		text, offset = append([]byte(key+":\n"), data...), 1
	case top.Kind == yaml.MappingNode:
		text, offset = []byte(key+":\n  -\n"+indent(string(data), "    ")), 2
	default:
		return Config{}, fmt.Errorf("%s: want %s entries: a mapping, a list of them, or a document with a %s key", name, key, key)
	}
	cfg, err := ParseConfig(name, text)
	if err != nil {
		return cfg, shiftLines(err, offset)
	}
	cfg.lines = shiftIndex(cfg.lines, offset)
	return cfg, nil
}

func indent(text, by string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "")
}

// shiftLines moves the lines of configuration errors back by offset.
func shiftLines(err error, offset int) error {
	if offset == 0 {
		return err
	}
	if fe, ok := err.(*FieldError); ok && fe.Line > offset {
		fe.Line -= offset
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			shiftLines(e, offset)
		}
	}
	return err
}

func shiftIndex(idx lineIndex, offset int) lineIndex {
	out := make(lineIndex, len(idx))
	for k, pos := range idx {
		out[k] = position{line: max(pos.line-offset, 1), col: pos.col}
	}
	return out
}
