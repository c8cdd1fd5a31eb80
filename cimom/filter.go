package cimom

import (
	"slices"
	"strings"

	"github.com/redset/redset/cim"
)

// propFilter decides which properties of an instance are returned. The
// zero value keeps everything.
type propFilter struct {
	list  []string   // the PropertyList; nil keeps all
	class *cim.Class // when set, only properties this class declares
}

// newPropFilter builds the filter of a PropertyList (nil keeps all, an
// empty list keeps none). Names the class does not have are ignored, as
// DSP0200 asks.
func newPropFilter(list []string) propFilter {
	if list == nil {
		return propFilter{}
	}
	return propFilter{list: slices.Clip(list)}
}

func (f propFilter) keepsAll() bool { return f.list == nil && f.class == nil }

func (f propFilter) keep(name string) bool {
	if f.list != nil && !slices.ContainsFunc(f.list, func(n string) bool { return strings.EqualFold(n, name) }) {
		return false
	}
	if f.class != nil {
		_, ok := f.class.Property(name)
		return ok
	}
	return true
}

// apply returns inst restricted to the kept properties: inst itself when
// all are kept, else a new instance sharing no slice with it.
func (f propFilter) apply(inst *cim.Instance) *cim.Instance {
	if inst == nil || f.keepsAll() {
		return inst
	}
	out := &cim.Instance{ClassName: inst.ClassName, Properties: make([]cim.PropertyValue, 0, len(inst.Properties))}
	for _, pv := range inst.Properties {
		if f.keep(pv.Name) {
			out.Properties = append(out.Properties, pv)
		}
	}
	return out
}

// mapObjects returns a sequence that transforms each object of objs with
// f; f returns false to drop an object, or an error to end the sequence.
func mapObjects(objs Objects, f func(Object) (Object, bool, error)) Objects {
	return func(yield func(Object, error) bool) {
		for obj, err := range objs {
			if err == nil {
				var keep bool
				obj, keep, err = f(obj)
				if err == nil && !keep {
					continue
				}
			}
			if !yield(obj, err) || err != nil {
				return
			}
		}
	}
}

// concat yields the objects of each sequence in turn.
func concat(seqs []func() Objects) Objects {
	return func(yield func(Object, error) bool) {
		for _, seq := range seqs {
			for obj, err := range seq() {
				if !yield(obj, err) || err != nil {
					return
				}
			}
		}
	}
}

// sliceObjects yields the objects of a slice.
func sliceObjects(objs []Object) Objects {
	return func(yield func(Object, error) bool) {
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

// namesOnly drops the instances, keeping the paths.
func namesOnly(objs Objects) Objects {
	return mapObjects(objs, func(o Object) (Object, bool, error) {
		return Object{Path: o.Path}, true, nil
	})
}

// pathKey is a map key identifying an instance path: namespace, class and
// key names ignoring case, key values exactly.
func pathKey(p cim.ObjectPath) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(cim.NormalizeNamespace(p.Namespace)))
	b.WriteByte(':')
	b.WriteString(strings.ToLower(p.ClassName))
	for _, k := range p.Canonical().Keys {
		b.WriteByte(',')
		b.WriteString(strings.ToLower(k.Name))
		b.WriteByte('=')
		b.WriteString(k.Value.MOF())
	}
	return b.String()
}
