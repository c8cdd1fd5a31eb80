package provider

import (
	"context"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// alloc hands out instances, property slices and key bindings carved from
// larger blocks, so that an enumeration allocates once per block instead
// of once per instance. Returned slices have their capacity clipped:
// appending to one never writes into another. Not safe for concurrent use;
// each enumeration has its own.
type alloc struct {
	block int
	insts []cim.Instance
	props []cim.PropertyValue
	keys  []cim.KeyBinding
}

// maxBlock caps the number of instances one block holds.
const maxBlock = 64

// newAlloc returns an allocator for about n instances.
func newAlloc(n int) *alloc {
	return &alloc{block: min(max(n, 1), maxBlock)}
}

// instance returns a new instance of class with room for n properties.
func (a *alloc) instance(class string, n int) *cim.Instance {
	if len(a.insts) == 0 {
		a.insts = make([]cim.Instance, a.block)
	}
	in := &a.insts[0]
	a.insts = a.insts[1:]
	in.ClassName = class
	in.Properties = a.propSlice(n)
	return in
}

func (a *alloc) propSlice(n int) []cim.PropertyValue {
	if len(a.props) < n {
		a.props = make([]cim.PropertyValue, a.block*n)
	}
	s := a.props[:n:n]
	a.props = a.props[n:]
	return s
}

// keySlice returns n key bindings to fill.
func (a *alloc) keySlice(n int) []cim.KeyBinding {
	if len(a.keys) < n {
		a.keys = make([]cim.KeyBinding, a.block*n)
	}
	s := a.keys[:n:n]
	a.keys = a.keys[n:]
	return s
}

// optString is s, or null when s is empty: the engine stores an unset
// text property as the empty string.
func optString(s string) cim.Value {
	if s == "" {
		return cim.Null(cim.String, false)
	}
	return cim.NewString(s)
}

// indexedText is the string[] paired with an indexed array (such as
// OtherTypeOfSet with TypeOfSet): the entries as the engine holds them, or
// null when every entry is empty, since then none describes anything.
func indexedText(ss []string) cim.Value {
	for _, s := range ss {
		if s != "" {
			return cim.NewStringArray(ss)
		}
	}
	return cim.Null(cim.String, true)
}

// singleUint16 holds the one-element uint16[] values 0..15, shared by
// every instance that needs them (values are immutable).
var singleUint16 = func() (out [16]cim.Value) {
	for i := range out {
		out[i] = cim.MustUint16Array([]uint16{uint16(i)})
	}
	return out
}()

// uint16Array is vs as a uint16[], or null when vs is empty.
func uint16Array(vs []uint16) cim.Value {
	switch {
	case len(vs) == 0:
		return cim.Null(cim.Uint16, true)
	case len(vs) == 1 && int(vs[0]) < len(singleUint16):
		return singleUint16[vs[0]]
	}
	return cim.MustUint16Array(vs)
}

// setPath is the instance path of the redundancy set id.
func (d *domain) setPath(a *alloc, ns, id string) cim.ObjectPath {
	keys := a.keySlice(1)
	keys[0] = cim.KeyBinding{Name: d.set.names[setInstanceID], Value: cim.NewString(id)}
	return cim.ObjectPath{Namespace: ns, ClassName: d.set.class, Keys: keys}
}

// systemPath is the instance path of the member name, as an
// Msvm_ComputerSystem (keys in canonical order).
func (d *domain) systemPath(a *alloc, ns, name string) cim.ObjectPath {
	keys := a.keySlice(2)
	keys[0] = cim.KeyBinding{Name: d.system.names[sysCreationClassName], Value: cim.NewString(d.system.class)}
	keys[1] = cim.KeyBinding{Name: d.system.names[sysName], Value: cim.NewString(name)}
	return cim.ObjectPath{Namespace: ns, ClassName: d.system.class, Keys: keys}
}

// engineError turns an engine error into a *cim.Error by its kind: not
// found, invalid input, not supported and shutdown have CIM statuses of
// their own; busy, an unknown outcome and everything else are
// CIM_ERR_FAILED with the engine's message (DSP0200 has no busy status for
// intrinsic operations; the message of an unknown outcome says to read the
// instance back rather than try again).
func engineError(err error) error {
	if err == nil {
		return nil
	}
	msg := engine.MessageOf(err)
	switch engine.KindOf(err) {
	case engine.KindNotFound:
		return &cim.Error{Status: cim.StatusNotFound, Message: msg}
	case engine.KindInvalid:
		return &cim.Error{Status: cim.StatusInvalidParameter, Message: msg}
	case engine.KindUnsupported:
		return &cim.Error{Status: cim.StatusNotSupported, Message: msg}
	case engine.KindClosed:
		return &cim.Error{Status: cim.StatusServerIsShuttingDown, Message: msg}
	case engine.KindBusy:
		return &cim.Error{Status: cim.StatusFailed, Message: msg + "; try again"}
	}
	return &cim.Error{Status: cim.StatusFailed, Message: msg}
}

// yieldEach hands the items to emit in order, one enumeration step each.
// It stops when emit returns false, or when ctx ends, which it reports to
// yield as the enumeration's error.
func yieldEach[T any](ctx context.Context, items []T, yield func(cimom.Object, error) bool, emit func(*T) bool) {
	for i := range items {
		if err := ctx.Err(); err != nil {
			yield(cimom.Object{}, err)
			return
		}
		if !emit(&items[i]) {
			return
		}
	}
}

// actorContext names the CIM caller (cimom.Principal) as the engine's
// actor, so the records of what the engine does for it say who asked,
// from where and by which protocol.
func actorContext(ctx context.Context) context.Context {
	p, ok := cimom.PrincipalFrom(ctx)
	if !ok {
		return ctx
	}
	return engine.WithActor(ctx, engine.Actor{User: p.User, Address: p.Address, Protocol: p.Protocol})
}
