package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// field is one property a provider fills, with the type the provider
// produces for it. The schema must declare exactly this type.
type field struct {
	name  string
	typ   cim.Type
	array bool
}

// layout is a class's spelling of the fields a provider fills, checked
// once against the class at registration so that building an instance
// needs no lookups: names[i] is the name of field i.
type layout struct {
	class string
	names []string
}

// newLayout checks that class declares every field with the field's type
// and array-ness, and records the class's spelling of the names.
func newLayout(class *cim.Class, fields []field) (layout, error) {
	l := layout{class: class.Name, names: make([]string, len(fields))}
	for i, f := range fields {
		p, ok := class.Property(f.name)
		if !ok {
			return layout{}, fmt.Errorf("provider: class %s has no property %s", class.Name, f.name)
		}
		if p.Type != f.typ || p.IsArray != f.array {
			return layout{}, fmt.Errorf("provider: %s.%s is declared %s, the provider serves %s",
				class.Name, p.Name, typeText(p.Type, p.IsArray), typeText(f.typ, f.array))
		}
		l.names[i] = p.Name
	}
	return l, nil
}

func typeText(t cim.Type, array bool) string {
	if array {
		return t.String() + "[]"
	}
	return t.String()
}

// serves reports whether class is the class of the layout. A provider
// registered for a class may be asked for a subclass that has no provider
// of its own; it has no instances of that subclass.
func (l layout) serves(class *cim.Class) bool {
	return class != nil && strings.EqualFold(class.Name, l.class)
}

// lineage is a class and its superclasses, nearest first: the class names
// under which a reference may name an instance of the class.
type lineage []string

// has reports whether name is the class or one of its superclasses.
func (l lineage) has(name string) bool {
	for _, n := range l {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// classes reads effective classes (with qualifiers) through a
// dispatcher's GetClass, so that providers see the schema exactly as
// clients do.
type classes struct {
	d  *cimom.Dispatcher
	ns string
}

func (c classes) get(name string) (*cim.Class, error) {
	resp, err := c.d.Handle(context.Background(), &cimom.Request{
		Op: cimom.GetClass, Namespace: c.ns, ClassName: name, IncludeQualifiers: true,
	})
	if err != nil {
		return nil, fmt.Errorf("provider: class %s of namespace %s: %w", name, c.ns, err)
	}
	if resp == nil || resp.Class == nil {
		return nil, fmt.Errorf("provider: class %s of namespace %s: no class returned", name, c.ns)
	}
	return resp.Class, nil
}

// lineage returns class and its superclasses.
func (c classes) lineage(class *cim.Class) (lineage, error) {
	out := lineage{class.Name}
	for super := class.SuperClass; super != ""; {
		if len(out) > maxDepth {
			return nil, fmt.Errorf("provider: class %s: superclass chain too deep", class.Name)
		}
		sc, err := c.get(super)
		if err != nil {
			return nil, err
		}
		out = append(out, sc.Name)
		super = sc.SuperClass
	}
	return out, nil
}

// maxDepth bounds walks up a class hierarchy.
const maxDepth = 64

// domain is the schema of the redundancy namespace as the providers of
// that namespace need it: the served classes' layouts and the lineages
// that references to sets and members may use.
type domain struct {
	ns      string
	set     layout
	system  layout
	member  layout // Msvm_MemberOfCollection
	spare   layout // CIM_IsSpare
	sets    lineage
	systems lineage
}

// The classes of the redundancy namespace that redset serves.
const (
	classRedundancySet      = "Msvm_RedundancySet"
	classComputerSystem     = "Msvm_ComputerSystem"
	classMemberOfCollection = "Msvm_MemberOfCollection"
	classIsSpare            = "CIM_IsSpare"
)

// loadDomain reads and checks the classes of the redundancy namespace.
func loadDomain(c classes) (*domain, error) {
	dom := &domain{ns: c.ns}
	steps := []struct {
		class  string
		fields []field
		lay    *layout
		lin    *lineage
	}{
		{classRedundancySet, setFields[:], &dom.set, &dom.sets},
		{classComputerSystem, systemFields[:], &dom.system, &dom.systems},
		{classMemberOfCollection, memberFields[:], &dom.member, nil},
		{classIsSpare, spareFields[:], &dom.spare, nil},
	}
	for _, s := range steps {
		if err := loadClass(c, s.class, s.fields, s.lay, s.lin); err != nil {
			return nil, err
		}
	}
	return dom, nil
}

func loadClass(c classes, name string, fields []field, lay *layout, lin *lineage) error {
	class, err := c.get(name)
	if err != nil {
		return err
	}
	if *lay, err = newLayout(class, fields); err != nil {
		return err
	}
	if lin != nil {
		*lin, err = c.lineage(class)
	}
	return err
}
