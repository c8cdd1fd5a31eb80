package server

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineIndex maps a field path ("sets[0].members[1].role") to the line of
// the configuration file where it was written.
type lineIndex map[string]int

func indexLines(root *yaml.Node) lineIndex {
	idx := lineIndex{}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		walkLines(idx, "", root.Content[0])
	}
	return idx
}

func walkLines(idx lineIndex, path string, n *yaml.Node) {
	idx[path] = n.Line
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			child := key.Value
			if path != "" {
				child = path + "." + key.Value
			}
			idx[child] = key.Line
			walkLines(idx, child, n.Content[i+1])
			idx[child] = key.Line
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
		if l, ok := idx[p]; ok {
			return l
		}
		cut := strings.LastIndexAny(p, ".[")
		if cut < 0 {
			return idx[""]
		}
		p = p[:cut]
	}
}

// fieldAt names the field written on a line ("" when none is known), so
// that errors the YAML decoder reports by line name a field: the key named
// hint when there is one, else the outermost key that starts on the line.
func (idx lineIndex) fieldAt(line int, hint string) string {
	best := ""
	for p, l := range idx {
		if l != line || p == "" || strings.HasSuffix(p, "]") {
			continue
		}
		if hint != "" && (p == hint || strings.HasSuffix(p, "."+hint)) {
			return p
		}
		if best == "" || len(p) < len(best) || len(p) == len(best) && p < best {
			best = p
		}
	}
	return best
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
	for _, m := range msgs {
		line, msg := splitLine(strings.TrimPrefix(m, "yaml: "))
		name := unknownField(msg)
		errs = append(errs, &FieldError{File: file, Line: line, Field: idx.fieldAt(line, name), Msg: friendlier(msg, name)})
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

// FieldError is a configuration error at a field.
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

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
