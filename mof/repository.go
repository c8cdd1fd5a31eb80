package mof

import (
	"slices"
	"strings"
	"sync"

	"github.com/redset/redset/cim"
)

// Sink receives what a compilation produces, in source order. The compiler
// also reads back through it: a class's superclass and the qualifier
// declarations in force are looked up with Class and QualifierDecl, so a
// sink must answer for everything it has accepted earlier. Namespace and
// element names compare ignoring case.
//
// The compiler calls a sink from one goroutine at a time. An Add method
// that returns an error must leave the sink unchanged; the compiler reports
// the error at the element's position and goes on.
type Sink interface {
	// AddQualifierDecl declares a qualifier type in namespace ns.
	AddQualifierDecl(ns string, d cim.QualifierDecl) error
	// QualifierDecl returns the declaration of the qualifier named name.
	QualifierDecl(ns, name string) (cim.QualifierDecl, bool)
	// AddClass adds a class as declared (holding only its own elements).
	AddClass(ns string, local *cim.Class) error
	// Class returns the effective class (with inherited elements, see
	// cim.Derive) named name. The result is shared: do not modify it.
	Class(ns, name string) (*cim.Class, bool)
	// AddInstance adds an instance of a class already added.
	AddInstance(ns string, inst cim.Instance) error
}

// Repository is an in-memory Sink holding qualifier declarations, classes
// and instances per namespace. It keeps each class both as declared and as
// derived (computed once, when the class is added), so lookups cost one
// map access.
//
// A Repository is safe for concurrent use: any number of readers may run
// alongside one another and alongside writers. Classes and declarations it
// returns are shared and must be treated as read-only (cim.Class.Clone
// gives a private copy).
type Repository struct {
	mu  sync.RWMutex
	nss map[string]*namespace // key: normalized, lower-case namespace
}

type namespace struct {
	name      string
	decls     map[string]cim.QualifierDecl // key: lower-case name
	declsByID map[string]cim.QualifierDecl // key: declared spelling, for cim.Derive
	declOrder []string                     // lower-case names in declaration order
	classes   map[string]*classEntry       // key: lower-case name
	order     []*classEntry                // in the order they were added
	instances []cim.Instance
}

type classEntry struct {
	local, derived *cim.Class
	children       []*classEntry
}

// NewRepository returns an empty repository.
func NewRepository() *Repository {
	return &Repository{nss: make(map[string]*namespace)}
}

func nsKey(ns string) string { return strings.ToLower(cim.NormalizeNamespace(ns)) }

// space returns the namespace ns; with create it is made when missing.
// The caller holds the lock (a write lock when create is set).
func (r *Repository) space(ns string, create bool) *namespace {
	key := nsKey(ns)
	n := r.nss[key]
	if n == nil && create {
		n = &namespace{
			name:      cim.NormalizeNamespace(ns),
			decls:     make(map[string]cim.QualifierDecl),
			declsByID: make(map[string]cim.QualifierDecl),
			classes:   make(map[string]*classEntry),
		}
		r.nss[key] = n
	}
	return n
}

// Namespaces returns the names of the namespaces that hold anything, sorted.
func (r *Repository) Namespaces() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.nss))
	for _, n := range r.nss {
		names = append(names, n.name)
	}
	slices.Sort(names)
	return names
}

// AddQualifierDecl declares a qualifier. Declaring it again with the same
// type replaces the earlier declaration (so a file may repeat the standard
// declarations); another type is refused with StatusAlreadyExists.
func (r *Repository) AddQualifierDecl(ns string, d cim.QualifierDecl) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.space(ns, true)
	key := strings.ToLower(d.Name)
	if old, ok := n.decls[key]; ok {
		if old.Type != d.Type || old.IsArray != d.IsArray {
			return cim.Errorf(cim.StatusAlreadyExists, "qualifier %s is already declared as %s", old.Name, declTypeName(old))
		}
		delete(n.declsByID, old.Name)
	} else {
		n.declOrder = append(n.declOrder, key)
	}
	n.decls[key] = d
	n.declsByID[d.Name] = d
	return nil
}

func declTypeName(d cim.QualifierDecl) string {
	if d.IsArray {
		return d.Type.String() + "[]"
	}
	return d.Type.String()
}

// QualifierDecl returns the declaration of the qualifier named name.
func (r *Repository) QualifierDecl(ns, name string) (cim.QualifierDecl, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := r.space(ns, false)
	if n == nil {
		return cim.QualifierDecl{}, false
	}
	if d, ok := n.declsByID[name]; ok {
		return d, true
	}
	d, ok := n.decls[strings.ToLower(name)]
	return d, ok
}

// QualifierDecls returns the declarations of ns in declaration order.
func (r *Repository) QualifierDecls(ns string) []cim.QualifierDecl {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := r.space(ns, false)
	if n == nil {
		return nil
	}
	out := make([]cim.QualifierDecl, len(n.declOrder))
	for i, k := range n.declOrder {
		out[i] = n.decls[k]
	}
	return out
}
