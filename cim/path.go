package cim

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// ObjectPath names a class or an instance (DSP0004 clause 8.2, written as
// an untyped WBEM URI of DSP0207):
//
//	//host/root/hypervcluster/v2:Msvm_RedundancySet.InstanceID="redset:a"
//	/root/interop:CIM_Namespace.Name="root/hypervcluster/v2"
//	Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="web-a"
//	CIM_ObjectManager=@          (a singleton instance)
//	CIM_ManagedElement           (a class)
//
// Host and Namespace may be empty. Keys are kept in canonical order
// (sorted by name ignoring case) by ParseObjectPath, NewObjectPath and
// Canonical; String writes them in that order whatever order the slice
// holds. Names of classes, keys and namespaces compare ignoring case.
type ObjectPath struct {
	Host      string
	Namespace string
	ClassName string
	Keys      []KeyBinding
	// Singleton marks the instance path of a keyless class (Class=@).
	Singleton bool
}

// KeyBinding is one key property of an instance path and its value.
type KeyBinding struct {
	Name  string
	Value Value
}

// NewObjectPath returns the instance path of class in namespace with the
// given keys in canonical order; with no keys it is a class path.
func NewObjectPath(namespace, class string, keys ...KeyBinding) ObjectPath {
	p := ObjectPath{Namespace: namespace, ClassName: class, Keys: slices.Clone(keys)}
	sortKeys(p.Keys)
	return p
}

// IsInstance reports whether p names an instance (it has keys or is a
// singleton) rather than a class.
func (p ObjectPath) IsInstance() bool { return len(p.Keys) > 0 || p.Singleton }

// Key returns the value of the key named name, ignoring case.
func (p ObjectPath) Key(name string) (Value, bool) {
	for _, k := range p.Keys {
		if strings.EqualFold(k.Name, name) {
			return k.Value, true
		}
	}
	return Value{}, false
}

// Canonical returns a copy of p with the namespace normalised (see
// NormalizeNamespace) and the keys sorted by name ignoring case. Names
// keep their spelling.
func (p ObjectPath) Canonical() ObjectPath {
	c := p.clone()
	c.Namespace = NormalizeNamespace(c.Namespace)
	sortKeys(c.Keys)
	return c
}

// WithoutHost returns a copy of p with the host removed.
func (p ObjectPath) WithoutHost() ObjectPath {
	c := p.clone()
	c.Host = ""
	return c
}

// WithNamespace returns a copy of p in namespace ns.
func (p ObjectPath) WithNamespace(ns string) ObjectPath {
	c := p.clone()
	c.Namespace = ns
	return c
}

func (p ObjectPath) clone() ObjectPath {
	p.Keys = slices.Clone(p.Keys)
	return p
}

func sortKeys(keys []KeyBinding) {
	slices.SortStableFunc(keys, func(a, b KeyBinding) int {
		return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
}

// Equal reports whether p and o name the same object: hosts, class names
// and key names compare ignoring case, namespaces with SameNamespace, and
// key values with loose typing (see KeyValuesEqual) in any order.
func (p ObjectPath) Equal(o ObjectPath) bool {
	if !strings.EqualFold(p.Host, o.Host) || !SameNamespace(p.Namespace, o.Namespace) ||
		!strings.EqualFold(p.ClassName, o.ClassName) || p.Singleton != o.Singleton ||
		len(p.Keys) != len(o.Keys) {
		return false
	}
	for _, k := range p.Keys {
		v, ok := o.Key(k.Name)
		if !ok || !KeyValuesEqual(k.Value, v) {
			return false
		}
	}
	return true
}

// KeyValuesEqual compares two key values the way an untyped object path
// must: values of the same type compare with Value.Equal; integers of any
// width compare by numeric value; a string compares equal to a reference
// when it parses to an equal object path, and to a char16 or datetime
// when the texts are equal.
func KeyValuesEqual(a, b Value) bool {
	switch {
	case a.typ == b.typ || a.array || b.array || a.IsNull() || b.IsNull():
		return a.Equal(b)
	case a.typ.IsInteger() && b.typ.IsInteger():
		return integersEqual(a, b)
	case a.typ == String:
		return stringMatches(a.str, b)
	case b.typ == String:
		return stringMatches(b.str, a)
	}
	return false
}

func integersEqual(a, b Value) bool {
	if a.typ.IsSigned() && a.Sint() < 0 || b.typ.IsSigned() && b.Sint() < 0 {
		return a.Sint() == b.Sint() && a.typ.IsSigned() && b.typ.IsSigned()
	}
	return a.Uint() == b.Uint()
}

// stringMatches reports whether the text s denotes the same value as v.
func stringMatches(s string, v Value) bool {
	switch v.typ {
	case Reference:
		p, err := ParseObjectPath(s)
		return err == nil && p.Equal(v.Ref())
	case Char16, Datetime:
		return s == v.scalarText()
	}
	return false
}

// String writes p as an untyped WBEM URI (see ObjectPath). String keys,
// references, datetimes and char16 values are double-quoted with '"' and
// '\' escaped by a backslash; numbers and booleans are bare.
func (p ObjectPath) String() string {
	var b strings.Builder
	if p.Host != "" {
		b.WriteString("//" + p.Host + "/")
	}
	if ns := NormalizeNamespace(p.Namespace); ns != "" || p.Host != "" {
		if p.Host == "" {
			b.WriteByte('/')
		}
		b.WriteString(ns + ":")
	}
	b.WriteString(p.ClassName)
	p.writeKeys(&b)
	return b.String()
}

func (p ObjectPath) writeKeys(b *strings.Builder) {
	if len(p.Keys) == 0 {
		if p.Singleton {
			b.WriteString("=@")
		}
		return
	}
	keys := slices.Clone(p.Keys)
	sortKeys(keys)
	for i, k := range keys {
		b.WriteByte(",."[btoi(i == 0)])
		b.WriteString(k.Name + "=")
		b.WriteString(keyText(k.Value))
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// keyText formats one key value for an object path.
func keyText(v Value) string {
	switch {
	case v.IsNull() || v.array:
		return v.String()
	case v.typ == Boolean || v.typ.IsInteger():
		return v.scalarText()
	case v.typ.IsReal():
		return realKeyText(math.Float64frombits(v.bits))
	}
	return quotePathString(v.scalarText())
}

// realKeyText writes a real so that it reads back as a real, not an
// integer.
func realKeyText(f float64) string {
	return realMOF(formatReal(Real64, f))
}

func quotePathString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// NormalizeNamespace writes a namespace name in its canonical form:
// backslashes become slashes, runs of slashes collapse and leading and
// trailing slashes are removed, so `Root\HyperVCluster\v2` becomes
// "Root/HyperVCluster/v2". Case is kept.
func NormalizeNamespace(s string) string {
	s = strings.ReplaceAll(s, `\`, "/")
	if !strings.Contains(s, "//") {
		return strings.Trim(s, "/")
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' })
	return strings.Join(parts, "/")
}

// SameNamespace reports whether a and b name the same namespace: equal
// after NormalizeNamespace, ignoring case.
func SameNamespace(a, b string) bool {
	return strings.EqualFold(NormalizeNamespace(a), NormalizeNamespace(b))
}
