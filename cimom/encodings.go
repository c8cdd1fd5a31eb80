package cimom

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/redset/redset/cim"
)

// maxEncodings is how many encodings an Encodings keeps; past it, the
// oldest is dropped. A few cover every protocol and option in use.
const maxEncodings = 4

// The bytes every Encodings keeps together are bounded by a budget that
// grows with the number of live Encodings (the objects providers keep):
// keptPerObject for each, but at least minKeptBytes and at most
// maxKeptBytes. Past the budget, Put keeps nothing more (objects are then
// encoded for each answer) until Encodings that are no longer used are
// collected. keptPerObject holds maxEncodings encodings of a set's
// instance (about 1.3 KB each over CIM-XML); the budget stops growing at
// 131,072 live Encodings.
var (
	minKeptBytes  int64 = 64 << 20
	keptPerObject int64 = 8 << 10
	maxKeptBytes  int64 = 1 << 30
)

var (
	keptBytes     atomic.Int64 // what every live Encodings keeps
	liveEncodings atomic.Int64 // how many Encodings are live
)

// keptBudget is the bound on keptBytes now.
func keptBudget() int64 {
	return min(max(minKeptBytes, liveEncodings.Load()*keptPerObject), maxKeptBytes)
}

// Encodings keeps the wire encodings of one result object, so that an
// object a provider serves unchanged to many requests is encoded once per
// protocol and options instead of once per request. A provider that keeps
// an object between requests gives it a new Encodings
// (NewEncodings(instance, path)) whenever it builds the object anew, that
// is whenever anything the instance or path shows changed; the object and
// its Encodings are never changed afterwards.
//
// An encoder looks an encoding up by a key naming everything else its
// bytes depend on (the protocol, the element written, the options and
// defaults of the request), and stores the bytes it wrote under that key.
// An Encodings belongs to the instance and path it was made for: For
// reports whether it still describes an object, so that an object whose
// instance a filter replaced (a property list, a query) is encoded afresh.
type Encodings struct {
	inst *cim.Instance
	path cim.ObjectPath
	size *atomic.Int64 // bytes kept, counted in keptBytes until e is collected

	mu  sync.Mutex                 // serializes Put
	enc atomic.Pointer[[]encoding] // never changed once stored: Get reads without a lock
}

type encoding struct {
	key string
	b   []byte
}

// NewEncodings returns an empty Encodings for the object made of inst
// and path.
func NewEncodings(inst *cim.Instance, path cim.ObjectPath) *Encodings {
	e := &Encodings{inst: inst, path: path, size: new(atomic.Int64)}
	liveEncodings.Add(1)
	runtime.AddCleanup(e, func(size *atomic.Int64) {
		keptBytes.Add(-size.Load())
		liveEncodings.Add(-1)
	}, e.size)
	return e
}

// For reports whether e may serve o: o carries e, and the instance and
// path e was made for.
func (e *Encodings) For(o *Object) bool {
	if e == nil || o.Encodings != e || o.Instance != e.inst {
		return false
	}
	p, q := o.Path, e.path
	return p.Host == q.Host && p.Namespace == q.Namespace && p.ClassName == q.ClassName && sameKeys(p.Keys, q.Keys)
}

// sameKeys reports whether a and b are the same slice.
func sameKeys(a, b []cim.KeyBinding) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// Get returns the encoding stored under key. The bytes must not be
// changed.
func (e *Encodings) Get(key string) ([]byte, bool) {
	if enc := e.enc.Load(); enc != nil {
		for i := range *enc {
			if (*enc)[i].key == key {
				return (*enc)[i].b, true
			}
		}
	}
	return nil, false
}

// Put stores a copy of b under key, replacing what key held; it keeps
// nothing when every Encodings together would keep more than their budget
// (keptBudget).
func (e *Encodings) Put(key string, b []byte) {
	if keptBytes.Load()+int64(len(b)) > keptBudget() {
		return
	}
	c := append([]byte(nil), b...)
	e.mu.Lock()
	defer e.mu.Unlock()
	var old []encoding
	if p := e.enc.Load(); p != nil {
		old = *p
	}
	next := make([]encoding, 0, min(len(old)+1, maxEncodings))
	dropped := 0
	for i, x := range old {
		switch {
		case x.key == key:
			dropped += len(x.b)
		case len(old) == maxEncodings && i == 0 && !hasKey(old, key):
			dropped += len(x.b) // the oldest makes room
		default:
			next = append(next, x)
		}
	}
	next = append(next, encoding{key, c})
	e.enc.Store(&next)
	e.size.Add(int64(len(c) - dropped))
	keptBytes.Add(int64(len(c) - dropped))
}

// hasKey reports whether enc holds an encoding under key.
func hasKey(enc []encoding, key string) bool {
	for i := range enc {
		if enc[i].key == key {
			return true
		}
	}
	return false
}
