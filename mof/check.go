package mof

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/redset/redset/cim"
)

// LoadNamespaces compiles, for each namespace in entries, its entry file
// from fsys into that namespace of sink (in sorted namespace order). It is
// how a caller loads an embedded schema such as schema.FS with
// schema.Namespaces.
func LoadNamespaces(sink Sink, fsys fs.FS, entries map[string]string) error {
	names := make([]string, 0, len(entries))
	for ns := range entries {
		names = append(names, ns)
	}
	slices.Sort(names)
	for _, ns := range names {
		if err := Compile(sink, fsys, Options{Namespace: ns}, entries[ns]); err != nil {
			return err
		}
	}
	return nil
}

// CheckFiles compiles MOF files of the operating system's file system and
// writes one line per diagnostic to w, with file names as the caller gave
// them (includes relative to them). preload, when not nil, first fills the
// repository the files compile into (for example with the qualifier
// declarations and classes of our schema, so files can use and extend
// them); an error from it is returned as is. The result is the *ErrorList
// of the files' problems, or nil when they compiled cleanly.
func CheckFiles(w io.Writer, preload func(Sink) error, opts Options, paths ...string) error {
	repo := NewRepository()
	if preload != nil {
		if err := preload(repo); err != nil {
			return err
		}
	}
	names := make([]string, len(paths))
	display := make(map[string]string)
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		names[i] = strings.TrimPrefix(filepath.ToSlash(abs), "/")
		display[names[i]] = p
	}
	err := Compile(repo, os.DirFS("/"), opts, names...)
	var list *ErrorList
	if !errors.As(err, &list) {
		return err
	}
	for _, e := range list.Errors {
		e.Pos.File = displayName(e.Pos.File, display)
	}
	_, werr := fmt.Fprintln(w, list.Error())
	return errors.Join(list, werr)
}

// displayName turns a root-relative slash path back into what the user
// would recognise: the name they typed, or a path relative to the working
// directory when the file lies below it, or else an absolute path.
func displayName(name string, given map[string]string) string {
	if d, ok := given[name]; ok {
		return d
	}
	abs := filepath.FromSlash("/" + name)
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return abs
}

// Show writes the effective class named class as MOF to w, with every
// inherited property and method marked by a comment naming the class it
// comes from, and flavors written only where they differ from the
// qualifier's declaration. With ns empty it looks in every namespace of
// repo (sorted) and shows the first match. A class that is not there gives
// a *cim.Error with StatusNotFound.
func Show(w io.Writer, repo *Repository, ns, class string) error {
	spaces := []string{ns}
	if ns == "" {
		spaces = repo.Namespaces()
	}
	for _, space := range spaces {
		c, ok := repo.Class(space, class)
		if !ok {
			continue
		}
		decl := func(name string) (cim.QualifierDecl, bool) { return repo.QualifierDecl(space, name) }
		text := FormatClass(c, FormatOptions{Decl: decl, Inherited: true})
		_, err := fmt.Fprintf(w, "// namespace %s\n%s", cim.NormalizeNamespace(space), text)
		return err
	}
	return cim.Errorf(cim.StatusNotFound, "class %s is not defined", class)
}
