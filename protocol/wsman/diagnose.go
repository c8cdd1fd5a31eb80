package wsman

import (
	"context"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// diagnoseSelectors compares the selectors of a failed request with the
// keys of its class (read with GetClass) and names what is wrong, as the
// w:InvalidSelectors fault details of DSP0226 clause 14.6 say: a key
// without selector (InsufficientSelectors), a selector that is no key
// (UnexpectedSelectors), or a value that cannot be a key's type
// (TypeMismatch). A method call without selectors is a static call: its
// selectors are at fault only when the method is not static, as the
// instance it needs is then missing. bad is false when the selectors fit,
// or the class cannot be read, and the original error stands.
func (x *exchange) diagnoseSelectors(ctx context.Context, req *cimom.Request) (detail string, bad bool) {
	path := req.ObjectName
	resp, err := x.h.next.Handle(ctx, &cimom.Request{Op: cimom.GetClass, Namespace: req.Namespace,
		ClassName: path.ClassName, IncludeQualifiers: true})
	if err != nil || resp == nil || resp.Class == nil {
		return "", false
	}
	if req.Op == cimom.InvokeMethod && len(path.Keys) == 0 {
		return staticMismatch(resp.Class, req.Method)
	}
	return keyMismatch(resp.Class, path.Keys)
}

// staticMismatch reports a method called without selectors that needs an
// instance: a method of a class with keys that is not Static.
func staticMismatch(class *cim.Class, method string) (string, bool) {
	m, ok := class.Method(method)
	if !ok || m.Qualifiers.Has("Static") || len(class.KeyNames()) == 0 {
		return "", false
	}
	return DetailInsufficientSelectors, true
}

// keyMismatch finds the first way keys do not fit class's key properties.
func keyMismatch(class *cim.Class, keys []cim.KeyBinding) (string, bool) {
	for _, k := range keys {
		prop, ok := class.Property(k.Name)
		if !ok || !prop.IsKey() {
			return DetailUnexpectedSelectors, true
		}
		if !keyFits(prop, k.Value) {
			return DetailTypeMismatch, true
		}
	}
	for _, name := range class.KeyNames() {
		if !hasKey(keys, name) {
			return DetailInsufficientSelectors, true
		}
	}
	return "", false
}

// keyFits reports whether a selector's value can be the key's value.
func keyFits(prop *cim.Property, v cim.Value) bool {
	_, err := cim.Convert(v, prop.Type)
	return err == nil
}

func hasKey(keys []cim.KeyBinding, name string) bool {
	for _, k := range keys {
		if strings.EqualFold(k.Name, name) {
			return true
		}
	}
	return false
}
