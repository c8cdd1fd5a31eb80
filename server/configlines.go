package server

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineIndex maps a field path ("sets[0].members[1].role") to where it was
// written in the configuration file.
type lineIndex map[string]position

// position is a line and column of the file (both 1-based).
type position struct{ line, col int }

func indexLines(root *yaml.Node) lineIndex {
	idx := lineIndex{}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		walkLines(idx, "", root.Content[0])
	}
	return idx
}

func walkLines(idx lineIndex, path string, n *yaml.Node) {
	idx[path] = position{n.Line, n.Column}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			child := key.Value
			if path != "" {
				child = path + "." + key.Value
			}
			walkLines(idx, child, n.Content[i+1])
			idx[child] = position{key.Line, key.Column}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkLines(idx, fmt.Sprintf("%s[%d]", path, i), c)
		}
	}
}

// line finds the line of path, or of its nearest written parent (a field
// left out is reported where its parent is).
func (idx lineIndex) line(path string) int {
	for p := path; ; {
		if pos, ok := idx[p]; ok {
			return pos.line
		}
		cut := strings.LastIndexAny(p, ".[")
		if cut < 0 {
			return idx[""].line
		}
		p = p[:cut]
	}
}

// fieldAt names the field written on a line ("" when none is known), so
// that errors the YAML decoder reports by line name a field: for an unknown
// field named hint, the path of that key where it is not a field of the
// surrounding object; else the outermost key that starts on the line.
// taken counts the paths already given to earlier errors on the line, so
// that two unknown keys of one line get one path each.
func (idx lineIndex) fieldAt(line int, hint string, taken map[string]bool) string {
	if hint != "" {
		if p := idx.unknownAt(line, hint, taken); p != "" {
			return p
		}
	}
	best := ""
	for p, pos := range idx {
		if pos.line != line || p == "" || strings.HasSuffix(p, "]") {
			continue
		}
		if best == "" || len(p) < len(best) || len(p) == len(best) && p < best {
			best = p
		}
	}
	return best
}

// unknownAt finds, on line, the first key (by column) named key that the
// configuration does not know where it stands and no earlier error took.
// One-line mappings such as {name: a, address: x, probe: {address: y}}
// hold the same key at several depths; only one of them is unknown.
func (idx lineIndex) unknownAt(line int, key string, taken map[string]bool) string {
	var found []string
	for p, pos := range idx {
		parent, ok := strings.CutSuffix(p, "."+key)
		if p == key {
			parent, ok = "", true
		}
		if ok && pos.line == line && !taken[p] && !knownField(parent, key) {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return ""
	}
	slices.SortFunc(found, func(a, b string) int { return cmp.Compare(idx[a].col, idx[b].col) })
	taken[found[0]] = true
	return found[0]
}

// knownField reports whether the object at path (a Config field path) has
// a field key: a struct field with that YAML name, or any key of a map.
func knownField(path, key string) bool {
	t := typeAt(path)
	switch {
	case t == nil:
		return false
	case t.Kind() == reflect.Map:
		return true
	}
	return yamlField(t, key) != nil
}

// typeAt is the Go type of the configuration value at path, or nil when
// path names nothing of Config.
func typeAt(path string) reflect.Type {
	t := reflect.TypeFor[Config]()
	if path == "" {
		return t
	}
	for _, seg := range strings.Split(path, ".") {
		name, _, _ := strings.Cut(seg, "[")
		switch t.Kind() {
		case reflect.Map:
			t = t.Elem()
		case reflect.Struct:
			if t = yamlField(t, name); t == nil {
				return nil
			}
		default:
			return nil
		}
		for range strings.Count(seg, "[") {
			if t.Kind() != reflect.Slice {
				return nil
			}
			t = t.Elem()
		}
	}
	return t
}

// yamlField is the type of struct t's field written key in YAML (pointers
// followed), or nil.
func yamlField(t reflect.Type, key string) reflect.Type {
	if t.Kind() != reflect.Struct {
		return nil
	}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name == key {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			return ft
		}
	}
	return nil
}

// yamlError turns an error of the YAML decoder ("line N: message", one per
// problem for type errors) into FieldErrors naming the file, line and field.
func yamlError(file string, idx lineIndex, err error) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	errs := make([]error, 0, len(msgs))
	taken := map[string]bool{}
	for _, m := range msgs {
		line, msg := splitLine(strings.TrimPrefix(m, "yaml: "))
		name := unknownField(msg)
		errs = append(errs, &FieldError{File: file, Line: line, Field: idx.fieldAt(line, name, taken), Msg: friendlier(msg, name)})
	}
	return errors.Join(errs...)
}

// splitLine splits "line N: message"; without that prefix the line is 0.
func splitLine(m string) (int, string) {
	rest, ok := strings.CutPrefix(m, "line ")
	num, msg, found := strings.Cut(rest, ": ")
	n, err := strconv.Atoi(num)
	if !ok || !found || err != nil {
		return 0, m
	}
	return n, msg
}

// unknownField is the field named by the decoder's message about a field
// it does not know, or "".
func unknownField(msg string) string {
	rest, ok := strings.CutPrefix(msg, "field ")
	name, _, found := strings.Cut(rest, " not found in type ")
	if !ok || !found {
		return ""
	}
	return name
}

// friendlier rewords the decoder's messages about an unknown field and a
// bad duration, which name Go types an operator never sees.
func friendlier(msg, unknown string) string {
	if unknown != "" {
		return fmt.Sprintf("unknown field %q (misspelt, or not valid here)", unknown)
	}
	if v, ok := badDuration(msg); ok {
		return fmt.Sprintf("%q is not a duration like 500ms, 2s or 1m", v)
	}
	return msg
}

// badDuration is the value of the decoder's message "cannot unmarshal
// !!str `5 sec` into time.Duration".
func badDuration(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "cannot unmarshal !!")
	_, rest, quoted := strings.Cut(rest, " `")
	value, tail, closed := strings.Cut(rest, "` into ")
	if !ok || !quoted || !closed || tail != "time.Duration" {
		return "", false
	}
	return value, true
}

// FieldError is a configuration error at a field. Err, when set, is the
// underlying error (a listener that could not be bound, a TLS file that
// could not be read), so that errors.Is sees through it.
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
	Err   error
}

// Unwrap returns the underlying error, if any.
func (e *FieldError) Unwrap() error { return e.Err }

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.place() + e.Msg
	}
	return e.place() + e.Field + ": " + e.Msg
}

// place is "file:line: ", "file: " or "config: ".
func (e *FieldError) place() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: ", e.File, e.Line)
	case e.File != "":
		return e.File + ": "
	}
	return "config: "
}

// fieldErr builds the error for field, placed at its line.
func (c *Config) fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{File: c.file, Line: c.lines.line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}
