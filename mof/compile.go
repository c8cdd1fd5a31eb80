package mof

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/redset/redset/cim"
)

// DefaultNamespace is the namespace compiled into when Options names none
// and no #pragma namespace says otherwise.
const DefaultNamespace = "root/cimv2"

// maxIncludeDepth bounds how deeply #pragma include may nest.
const maxIncludeDepth = 32

// Options adjusts a compilation.
type Options struct {
	// Namespace is the namespace productions go to until a
	// #pragma namespace changes it; DefaultNamespace when empty.
	Namespace string
}

// Compile reads each file from fsys (slash-separated paths as io/fs
// wants; an embed.FS and a *zip.Reader both work), parses it, and sends its
// qualifier declarations, classes and instances to sink in order.
//
// #pragma include("name") compiles name, resolved relative to the
// directory of the including file, at that point. #pragma namespace
// switches the namespace for everything after it, across includes;
// #pragma locale and instancelocale are accepted and ignored.
//
// Besides syntax, Compile checks what DSP0221 and DSP0004 require: every
// qualifier is declared, allowed in its scope and has a value of its type;
// superclasses and referenced classes exist; names are unique; defaults
// and instance values fit their types; instance properties exist; aliases
// are defined before use. It reports every problem it finds (up to
// MaxErrors) as an *ErrorList of "file:line:col: message" diagnostics, and
// skips the faulty element, so sink receives only elements that passed.
func Compile(sink Sink, fsys fs.FS, opts Options, files ...string) error {
	c := newCompiler(sink, fsys, opts)
	for _, f := range files {
		if c.errs.full() {
			break
		}
		name := path.Clean(f)
		if !fs.ValidPath(name) {
			c.errs.add(Pos{File: f}, "not a valid file name in the file system")
			continue
		}
		c.compileFile(name, nil)
	}
	return c.errs.err()
}

// compiler holds the state of one compilation.
type compiler struct {
	sink    Sink
	fsys    fs.FS
	ns      string
	errs    ErrorList
	names   map[string]string // identifiers interned across files
	stack   []string          // files being compiled, outermost first
	aliases map[string]cim.ObjectPath
}

func newCompiler(sink Sink, fsys fs.FS, opts Options) *compiler {
	ns := opts.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	return &compiler{
		sink: sink, fsys: fsys, ns: ns,
		names:   make(map[string]string),
		aliases: make(map[string]cim.ObjectPath),
	}
}

// errorf records a diagnostic.
func (c *compiler) errorf(pos Pos, msg string) { c.errs.add(pos, msg) }

// compileFile parses and compiles one file. from is the include pragma
// that named it, nil for the files given to Compile.
func (c *compiler) compileFile(name string, from *Pragma) {
	at := Pos{File: name}
	if from != nil {
		at = from.Pos
	}
	if len(c.stack) >= maxIncludeDepth {
		c.errorf(at, "includes nested more than 32 deep")
		return
	}
	for _, open := range c.stack {
		if open == name {
			c.errorf(at, "include cycle: "+name+" is already being compiled")
			return
		}
	}
	src, err := fs.ReadFile(c.fsys, name)
	if err != nil {
		c.errorf(at, "cannot read "+name+": "+errText(err))
		return
	}
	c.stack = append(c.stack, name)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	p := newParser(name, src, &c.errs, c.names)
	for !c.errs.full() {
		prod, ok := p.nextProduction()
		if !ok {
			return
		}
		c.production(prod)
	}
}

// errText returns an error's message without a CIM status prefix or an
// fs.PathError's operation and path.
func errText(err error) string {
	var ce *cim.Error
	if errors.As(err, &ce) {
		return ce.Message
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (c *compiler) production(prod Production) {
	switch p := prod.(type) {
	case *Pragma:
		c.pragma(p)
	case *QualifierDeclNode:
		c.qualifierDecl(p)
	case *ClassNode:
		c.class(p)
	case *InstanceNode:
		c.instance(p)
	}
}

// pragma carries out a compiler directive (DSP0221 clause 7.3).
func (c *compiler) pragma(p *Pragma) {
	switch strings.ToLower(p.Name) {
	case "include":
		c.include(p)
	case "namespace":
		ns := cim.NormalizeNamespace(p.Value)
		if ns == "" {
			c.errorf(p.Pos, "#pragma namespace needs a namespace name")
			return
		}
		c.ns = ns
	case "locale", "instancelocale":
	default:
		c.errorf(p.Pos, "unknown pragma "+p.Name)
	}
}

// include compiles the file an include pragma names, relative to the
// including file.
func (c *compiler) include(p *Pragma) {
	rel := strings.ReplaceAll(p.Value, `\`, "/")
	if rel == "" || strings.HasPrefix(rel, "/") {
		c.errorf(p.Pos, "include path must be relative: "+p.Value)
		return
	}
	name := path.Join(path.Dir(p.Pos.File), rel)
	if !fs.ValidPath(name) {
		c.errorf(p.Pos, "include path leaves the file system: "+p.Value)
		return
	}
	c.compileFile(name, p)
}
