package mof

import (
	"strings"

	"github.com/redset/redset/cim"
)

// AddClass adds a class as declared and derives its effective form with
// cim.Derive against the namespace's qualifier declarations. The
// superclass must already be present (StatusInvalidSuperclass) and the
// name must be new (StatusAlreadyExists). local is kept; do not change it
// afterwards.
func (r *Repository) AddClass(ns string, local *cim.Class) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.space(ns, true)
	key := strings.ToLower(local.Name)
	if old, ok := n.classes[key]; ok {
		return cim.Errorf(cim.StatusAlreadyExists, "class %s is already defined", old.local.Name)
	}
	var parent *classEntry
	var super *cim.Class
	if local.SuperClass != "" {
		parent = n.classes[strings.ToLower(local.SuperClass)]
		if parent == nil {
			return cim.Errorf(cim.StatusInvalidSuperclass, "superclass %s of %s is not defined", local.SuperClass, local.Name)
		}
		super = parent.derived
	}
	derived, err := cim.Derive(super, local, n.declsByID)
	if err != nil {
		return err
	}
	e := &classEntry{local: local, derived: derived}
	n.classes[key] = e
	n.order = append(n.order, e)
	if parent != nil {
		parent.children = append(parent.children, e)
	}
	return nil
}

// Class returns the effective class named name.
func (r *Repository) Class(ns, name string) (*cim.Class, bool) {
	if e := r.entry(ns, name); e != nil {
		return e.derived, true
	}
	return nil, false
}

// LocalClass returns the class named name as it was declared, holding only
// its own elements.
func (r *Repository) LocalClass(ns, name string) (*cim.Class, bool) {
	if e := r.entry(ns, name); e != nil {
		return e.local, true
	}
	return nil, false
}

func (r *Repository) entry(ns, name string) *classEntry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := r.space(ns, false)
	if n == nil {
		return nil
	}
	if e, ok := n.classes[name]; ok {
		return e
	}
	return n.classes[strings.ToLower(name)]
}

// ClassNames returns the names of all classes of ns in the order they were
// added (every superclass comes before its subclasses).
func (r *Repository) ClassNames(ns string) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := r.space(ns, false)
	if n == nil {
		return nil
	}
	names := make([]string, len(n.order))
	for i, e := range n.order {
		names[i] = e.local.Name
	}
	return names
}

// SubclassNames returns the names of the direct subclasses of class, or of
// all its descendants when deep is set, in the order they were added
// (depth-first when deep). An empty class name asks for the root classes
// (and, with deep, every class), as DSP0200 EnumerateClassNames does. An
// undefined class has no subclasses. It satisfies cimom.Repository.
func (r *Repository) SubclassNames(ns, class string, deep bool) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := r.space(ns, false)
	if n == nil {
		return nil
	}
	var start []*classEntry
	if class == "" {
		for _, e := range n.order {
			if e.local.SuperClass == "" {
				start = append(start, e)
			}
		}
	} else {
		e, ok := n.classes[strings.ToLower(class)]
		if !ok {
			return nil
		}
		start = e.children
	}
	var names []string
	walkClasses(start, deep, func(e *classEntry) { names = append(names, e.local.Name) })
	return names
}

func walkClasses(list []*classEntry, deep bool, visit func(*classEntry)) {
	for _, e := range list {
		visit(e)
		if deep {
			walkClasses(e.children, deep, visit)
		}
	}
}

// AddInstance stores an instance of a class of ns (StatusInvalidClass when
// the class is not defined).
func (r *Repository) AddInstance(ns string, inst cim.Instance) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.space(ns, true)
	if _, ok := n.classes[strings.ToLower(inst.ClassName)]; !ok {
		return cim.Errorf(cim.StatusInvalidClass, "class %s is not defined", inst.ClassName)
	}
	n.instances = append(n.instances, inst.Clone())
	return nil
}

// Instances returns copies of the instances of ns in the order they were
// added.
func (r *Repository) Instances(ns string) []cim.Instance {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := r.space(ns, false)
	if n == nil {
		return nil
	}
	out := make([]cim.Instance, len(n.instances))
	for i, in := range n.instances {
		out[i] = in.Clone()
	}
	return out
}
