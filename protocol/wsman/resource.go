package wsman

import (
	"strings"

	"github.com/redset/redset/cim"
)

// URIStyle is the form of resource URI a client addressed a class with.
// Answers name classes (instance namespaces, endpoint references) in the
// same style.
type URIStyle uint8

// The resource URI forms served.
const (
	// StyleWMI is Microsoft's form (MS-WSMV 3.1.4.1.1): the prefix
	// http://schemas.microsoft.com/wbem/wsman/1/wmi/, the CIM namespace
	// with "/" separators, "/", and the class name or "*".
	StyleWMI URIStyle = iota
	// StyleDMTF is DSP0227's form (clause 6.1):
	// http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/<Class>, or
	// http://schemas.dmtf.org/wbem/wscim/1/* for all classes; the namespace
	// is the __cimnamespace selector (clause 6.3).
	StyleDMTF
)

// Resource is what a resource URI (with the __cimnamespace selector)
// addresses: a class, or every class ("*"), in a CIM namespace.
type Resource struct {
	URI       string // as the client wrote it
	Style     URIStyle
	Namespace string // normalized with cim.NormalizeNamespace
	ClassName string // "" for the all-classes URI
}

// ParseResourceURI resolves a resource URI and the request's selectors.
// The __cimnamespace selector is consumed: it names the namespace of a DMTF
// URI (defaultNamespace when absent) and, with a WMI URI, must agree with
// the namespace in the URI. The other selectors are returned. An unknown
// URI is wsa:DestinationUnreachable (DSP0226 clause 14.6, detail
// InvalidResourceURI).
func ParseResourceURI(uri string, sels []Selector, defaultNamespace string) (Resource, []Selector, error) {
	res := Resource{URI: uri}
	nsSel, rest, err := splitNamespaceSelector(sels)
	if err != nil {
		return res, rest, err
	}
	switch {
	case hasPrefixFold(uri, prefixWMI):
		err = res.parseWMI(uri[len(prefixWMI):], nsSel)
	case hasPrefixFold(uri, prefixDMTF) || strings.EqualFold(uri, uriAllClasses):
		err = res.parseDMTF(uri, nsSel, defaultNamespace)
	default:
		err = newFault(FaultDestinationUnreachable, DetailInvalidResourceURI, "unknown resource URI %q", uri)
	}
	return res, rest, err
}

func (r *Resource) parseWMI(path string, nsSel *Selector) error {
	slash := strings.LastIndexByte(path, '/')
	if slash <= 0 {
		return newFault(FaultDestinationUnreachable, DetailInvalidResourceURI, "the resource URI %q names no namespace and class", r.URI)
	}
	r.Style, r.Namespace = StyleWMI, cim.NormalizeNamespace(path[:slash])
	if err := r.setClass(path[slash+1:]); err != nil {
		return err
	}
	if nsSel != nil && !cim.SameNamespace(nsSel.Value, r.Namespace) {
		return newFault(FaultInvalidSelectors, DetailUnexpectedSelectors,
			"the __cimnamespace selector %q disagrees with the resource URI's namespace %q", nsSel.Value, r.Namespace)
	}
	return nil
}

func (r *Resource) parseDMTF(uri string, nsSel *Selector, defaultNamespace string) error {
	r.Style, r.Namespace = StyleDMTF, cim.NormalizeNamespace(defaultNamespace)
	if nsSel != nil {
		r.Namespace = cim.NormalizeNamespace(nsSel.Value)
	}
	if strings.EqualFold(uri, uriAllClasses) {
		return nil
	}
	return r.setClass(uri[len(prefixDMTF):])
}

// setClass takes the last segment of a resource URI: a class name, or "*"
// for all classes.
func (r *Resource) setClass(name string) error {
	if name == "*" {
		return nil
	}
	if !isClassName(name) {
		return newFault(FaultDestinationUnreachable, DetailInvalidResourceURI, "the resource URI %q names no valid class", r.URI)
	}
	r.ClassName = name
	return nil
}

// splitNamespaceSelector removes the __cimnamespace selector.
func splitNamespaceSelector(sels []Selector) (*Selector, []Selector, error) {
	var ns *Selector
	rest := make([]Selector, 0, len(sels))
	for i := range sels {
		if !strings.EqualFold(sels[i].Name, selNamespace) {
			rest = append(rest, sels[i])
			continue
		}
		if sels[i].EPR != nil {
			return nil, rest, newFault(FaultInvalidSelectors, DetailTypeMismatch, "the __cimnamespace selector must be text")
		}
		ns = &sels[i]
	}
	return ns, rest, nil
}

// isClassName reports whether s is a CIM identifier (DSP0004: a letter or
// underscore, then letters, digits and underscores).
func isClassName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 0x7F
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// ClassURI returns the resource URI of class in namespace ns, in the
// resource's style. It names the XML namespace of instances (DSP0230
// clause 7) and the w:ResourceURI of endpoint references.
func (r Resource) ClassURI(ns, class string) string {
	if r.Style == StyleDMTF {
		return prefixDMTF + class
	}
	if ns == "" {
		ns = r.Namespace
	}
	return prefixWMI + cim.NormalizeNamespace(ns) + "/" + class
}

// path builds the object path a resource and its key selectors address.
func (r Resource) path(sels []Selector) (cim.ObjectPath, error) {
	keys, err := selectorKeys(sels, r.Namespace)
	if err != nil {
		return cim.ObjectPath{}, err
	}
	return cim.NewObjectPath(r.Namespace, r.ClassName, keys...), nil
}

// selectorKeys turns selectors into key bindings. Selector values are
// untyped text on the wire, so a text selector becomes a string value; the
// object manager converts it to the key's declared type (cim.Convert). An
// endpoint reference becomes a reference value.
func selectorKeys(sels []Selector, ns string) ([]cim.KeyBinding, error) {
	keys := make([]cim.KeyBinding, 0, len(sels))
	for _, s := range sels {
		if s.EPR == nil {
			keys = append(keys, cim.KeyBinding{Name: s.Name, Value: cim.NewString(s.Value)})
			continue
		}
		p, err := s.EPR.path(ns)
		if err != nil {
			return nil, err
		}
		keys = append(keys, cim.KeyBinding{Name: s.Name, Value: cim.NewReference(p)})
	}
	return keys, nil
}

// path resolves an endpoint reference to the object path it names. Its
// namespace comes from its own resource URI and selectors; a DMTF URI
// without __cimnamespace gives a path in namespace ns (the request's).
func (e EPR) path(ns string) (cim.ObjectPath, error) {
	res, rest, err := ParseResourceURI(e.ResourceURI, e.Selectors, ns)
	if err != nil {
		return cim.ObjectPath{}, err
	}
	if res.ClassName == "" {
		return cim.ObjectPath{}, newFault(FaultInvalidSelectors, DetailInvalidValue, "the endpoint reference %q names no class", e.ResourceURI)
	}
	return res.path(rest)
}
