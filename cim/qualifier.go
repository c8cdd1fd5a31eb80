package cim

import "strings"

// Flavor is a set of qualifier flavors (DSP0004 clause 5.6.1). Flavors
// come in pairs; within a pair at most one bit should be set, and when
// neither is set the qualifier's declaration (or the DSP0004 default)
// decides:
//
//	EnableOverride / DisableOverride  may a subclass change the value?  default EnableOverride
//	ToSubclass / Restricted           is the qualifier inherited?       default ToSubclass
//	Translatable                      may the value be localised?       default no
//
// The zero Flavor therefore means "unspecified".
type Flavor uint8

// The flavor bits.
const (
	EnableOverride Flavor = 1 << iota
	DisableOverride
	ToSubclass
	Restricted
	Translatable
)

// DefaultFlavor is the flavor DSP0004 gives a qualifier whose declaration
// and use name none.
const DefaultFlavor = EnableOverride | ToSubclass

// Resolve fills in the pairs f leaves unspecified from def, and the pairs
// both leave unspecified from DefaultFlavor. Translatable is kept from
// either.
func (f Flavor) Resolve(def Flavor) Flavor {
	out := f & Translatable
	out |= def & Translatable
	out |= pick(f, def, EnableOverride, DisableOverride)
	out |= pick(f, def, ToSubclass, Restricted)
	return out
}

// pick returns the chosen bit of the pair (yes, no): from f, else from def,
// else yes.
func pick(f, def, yes, no Flavor) Flavor {
	for _, src := range []Flavor{f, def} {
		if src&no != 0 {
			return no
		}
		if src&yes != 0 {
			return yes
		}
	}
	return yes
}

// Overridable reports whether a subclass may give the qualifier another
// value (the resolved flavor does not have DisableOverride).
func (f Flavor) Overridable() bool { return f.Resolve(0)&DisableOverride == 0 }

// Propagates reports whether the qualifier is inherited by subclasses and
// overriding elements (the resolved flavor does not have Restricted).
func (f Flavor) Propagates() bool { return f.Resolve(0)&Restricted == 0 }

var flavorNames = []struct {
	bit  Flavor
	name string
}{
	{EnableOverride, "EnableOverride"}, {DisableOverride, "DisableOverride"},
	{ToSubclass, "ToSubclass"}, {Restricted, "Restricted"}, {Translatable, "Translatable"},
}

// String lists the set flavors in MOF spelling, comma separated.
func (f Flavor) String() string {
	var names []string
	for _, n := range flavorNames {
		if f&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// Scope is the set of schema elements a qualifier may be used on (DSP0004
// clause 5.6.1).
type Scope uint16

// The scope bits. ScopeAny is every one of them.
const (
	ScopeClass Scope = 1 << iota
	ScopeAssociation
	ScopeIndication
	ScopeProperty
	ScopeReference
	ScopeMethod
	ScopeParameter
	ScopeQualifier
	ScopeAny = ScopeClass | ScopeAssociation | ScopeIndication | ScopeProperty |
		ScopeReference | ScopeMethod | ScopeParameter | ScopeQualifier
)

var scopeNames = []struct {
	bit  Scope
	name string
}{
	{ScopeClass, "class"}, {ScopeAssociation, "association"}, {ScopeIndication, "indication"},
	{ScopeProperty, "property"}, {ScopeReference, "reference"}, {ScopeMethod, "method"},
	{ScopeParameter, "parameter"}, {ScopeQualifier, "qualifier"},
}

// String lists the scopes in MOF spelling, comma separated; "any" when all
// are set.
func (s Scope) String() string {
	if s&ScopeAny == ScopeAny {
		return "any"
	}
	var names []string
	for _, n := range scopeNames {
		if s&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// QualifierDecl declares a qualifier type (DSP0004 clause 5.6.1): its
// value type, default value, where it may be used and its default flavor.
type QualifierDecl struct {
	Name      string
	Type      Type
	IsArray   bool
	ArraySize int
	Default   Value
	Scope     Scope
	Flavor    Flavor
}

// Qualifier is one qualifier applied to a schema element. Flavor holds the
// flavors written with the use (possibly none; Derive resolves them from
// the declaration). Propagated is true when the qualifier was inherited
// rather than written on this element.
type Qualifier struct {
	Name       string
	Value      Value
	Flavor     Flavor
	Propagated bool
}

// Qualifiers is the list of qualifiers on one element. Names are unique
// ignoring case.
type Qualifiers []Qualifier

// Get returns the qualifier named name, ignoring case.
func (qs Qualifiers) Get(name string) (Qualifier, bool) {
	for _, q := range qs {
		if strings.EqualFold(q.Name, name) {
			return q, true
		}
	}
	return Qualifier{}, false
}

// Has reports whether a boolean qualifier named name is present with the
// value true. A boolean qualifier written without a value (for example
// [Key]) must be stored with the value true.
func (qs Qualifiers) Has(name string) bool {
	q, ok := qs.Get(name)
	return ok && q.Value.Bool()
}

// Set adds q, or replaces the qualifier of the same name (ignoring case).
func (qs *Qualifiers) Set(q Qualifier) {
	for i := range *qs {
		if strings.EqualFold((*qs)[i].Name, q.Name) {
			(*qs)[i] = q
			return
		}
	}
	*qs = append(*qs, q)
}

// Delete removes the qualifier named name, if present.
func (qs *Qualifiers) Delete(name string) {
	for i := range *qs {
		if strings.EqualFold((*qs)[i].Name, name) {
			*qs = append((*qs)[:i:i], (*qs)[i+1:]...)
			return
		}
	}
}

// Clone returns a copy of qs that shares no storage with it.
func (qs Qualifiers) Clone() Qualifiers {
	if qs == nil {
		return nil
	}
	return append(Qualifiers(nil), qs...)
}
