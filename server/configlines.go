package server

import (
	"fmt"
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

// FieldError is a configuration error at a field.
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s: %s", e.File, e.Field, e.Msg)
	}
	return fmt.Sprintf("config: %s: %s", e.Field, e.Msg)
}

// fieldErr builds the error for field, placed at its line.
func (c *Config) fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{File: c.file, Line: c.lines.line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}
