package cimom

import (
	"crypto/rand"
	"encoding/hex"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/redset/redset/cim"
)

// EnumerationKind is what an enumeration context yields; every pull must
// ask for the kind the context was opened with (DSP0200).
type EnumerationKind uint8

// The kinds of enumeration contexts.
const (
	// KindInstancesWithPath: OpenEnumerateInstances, OpenAssociatorInstances,
	// OpenReferenceInstances; pulled with PullInstancesWithPath.
	KindInstancesWithPath EnumerationKind = iota + 1
	// KindInstancePaths: the Open*Paths operations; pulled with
	// PullInstancePaths.
	KindInstancePaths
	// KindInstances: OpenQueryInstances; pulled with PullInstances.
	KindInstances
)

// Binding is what an enumeration context is bound to: pulls from another
// namespace or of another kind are refused.
type Binding struct {
	Namespace string
	Kind      EnumerationKind
}

// OpenOptions describes a new enumeration context.
type OpenOptions struct {
	Binding
	// Timeout is how long the context lives between two requests; zero
	// or less ends it at the next call.
	Timeout time.Duration
	// Cancel, if set, is called once when the context ends (exhausted,
	// closed, expired or failed), after the sequence has been stopped.
	Cancel func()
	// Owner is who opened the context (a user name), for the per-owner
	// cap; "" is an owner like any other.
	Owner string
}

// maxCountBuffer bounds how many objects Count reads ahead to learn the
// remaining count; beyond it the count is unknown.
const maxCountBuffer = 10000

// Enumerations holds open enumeration contexts: server-side cursors over
// lazily produced Objects, named by opaque random IDs, used by the pull
// operations of CIM-XML and by WS-Management's Enumerate, Pull and
// Release.
//
// Rules: a context expires when Timeout passes with no request on it
// (measured by the Clock from the end of the last request; a context is
// never expired while a request uses it). At most max contexts are open at
// once. One request at a time may use a context: a second one meanwhile
// is refused. Expired contexts are swept on every call. The sequence of
// a context is consumed only by the request holding it, so providers see
// their iterator driven by one goroutine at a time. Enumerations is safe
// for concurrent use.
type Enumerations struct {
	clock    Clock
	max      int
	perOwner int // 0: no cap but max
	log      *slog.Logger

	mu   sync.Mutex
	open map[string]*enumeration
}

// enumeration is one open context.
type enumeration struct {
	OpenOptions
	deadline time.Time
	busy     bool // a request is using it
	closing  bool // end it when the current request finishes

	next  func() (error, bool) // resumes the sequence (see chunks)
	stop  func()
	chunk []Object // where the sequence appends, while it runs
	want  int      // how long chunk may grow before the sequence pauses
	buf   []Object // objects read ahead
	err   error    // an error read ahead, returned by the next pull
	done  bool     // the sequence has ended
}

// NewEnumerations returns an empty set of contexts with room for limit of
// them (at least 1), timed by clock. A nil logger discards.
func NewEnumerations(clock Clock, limit int, log *slog.Logger) *Enumerations {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = systemClock{}
	}
	return &Enumerations{clock: clock, max: max(limit, 1), log: log, open: map[string]*enumeration{}}
}

// LimitPerOwner caps the contexts one Owner may have open at once (n < 1:
// no cap but the total) and returns e. Call it before the first Open.
func (e *Enumerations) LimitPerOwner(n int) *Enumerations {
	e.perOwner = max(n, 0)
	return e
}

// Open starts a context over objs and returns its ID. It fails with
// CIM_ERR_SERVER_LIMITS_EXCEEDED when the cap, or the cap of o.Owner, is
// reached; then objs is not started and Cancel is not called.
func (e *Enumerations) Open(objs Objects, o OpenOptions) (string, error) {
	if objs == nil {
		objs = sliceObjects(nil)
	}
	e.mu.Lock()
	ended := e.sweep()
	err := e.room(o.Owner)
	var id string
	if err == nil {
		id = newID()
		en := &enumeration{OpenOptions: o, deadline: e.clock.Now().Add(o.Timeout)}
		en.next, en.stop = iter.Pull(en.chunks(objs))
		e.open[id] = en
	}
	e.mu.Unlock()
	finish(ended)
	return id, err
}

// room reports whether another context may open for owner; e.mu held.
func (e *Enumerations) room(owner string) error {
	if len(e.open) >= e.max {
		return cim.Errorf(cim.StatusServerLimitsExceeded, "%d enumeration contexts are open, the limit; close some or let them expire", e.max)
	}
	if e.perOwner == 0 {
		return nil
	}
	n := 0
	for _, en := range e.open {
		if en.Owner == owner {
			n++
		}
	}
	if n >= e.perOwner {
		return cim.Errorf(cim.StatusServerLimitsExceeded, "%d enumeration contexts of user %q are open, the limit per user; close some or let them expire", n, owner)
	}
	return nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Pull returns up to n objects of context id and whether the sequence
// has ended; an ended context is closed. The context must be bound to b.
// An error from the sequence is returned by the pull that reaches it
// (objects read before it come first) and ends the context. Unknown,
// expired and closed contexts, and ones bound otherwise or in use, give
// CIM_ERR_INVALID_ENUMERATION_CONTEXT.
func (e *Enumerations) Pull(id string, n int, b Binding) ([]Object, bool, error) {
	en, err := e.acquire(id, b)
	if err != nil {
		return nil, false, err
	}
	objs, end, err := en.take(n)
	e.release(id, en, end || err != nil)
	return objs, end, err
}

// Count returns how many objects remain in context id, or nil when that
// is unknown (more than can be read ahead, or an error ahead). The
// objects read to count them are kept for the next pulls.
func (e *Enumerations) Count(id string, b Binding) (*uint64, error) {
	en, err := e.acquire(id, b)
	if err != nil {
		return nil, err
	}
	n, known := en.count()
	e.release(id, en, false)
	if !known {
		return nil, nil
	}
	return &n, nil
}

// Close ends context id, which must be bound to namespace ns. A context in
// use by a pull cannot be closed (CIM_ERR_PULL_CANNOT_BE_ABANDONED).
func (e *Enumerations) Close(id, ns string) error {
	e.mu.Lock()
	ended := e.sweep()
	en, err := e.lookup(id, Binding{Namespace: ns})
	if err == nil && en.busy {
		err = cim.Errorf(cim.StatusPullCannotBeAbandoned, "enumeration context %s is in use by another request", short(id))
	}
	if err == nil {
		delete(e.open, id)
		ended = append(ended, en)
	}
	e.mu.Unlock()
	finish(ended)
	return err
}

// CloseAll ends every context; those in use end when their request
// finishes.
func (e *Enumerations) CloseAll() {
	e.mu.Lock()
	var ended []*enumeration
	for id, en := range e.open {
		if en.busy {
			en.closing = true
			continue
		}
		delete(e.open, id)
		ended = append(ended, en)
	}
	e.mu.Unlock()
	finish(ended)
}

// Len returns the number of open contexts, expired ones not counted.
func (e *Enumerations) Len() int {
	e.mu.Lock()
	ended := e.sweep()
	n := len(e.open)
	e.mu.Unlock()
	finish(ended)
	return n
}

// acquire finds context id, checks its binding and marks it in use.
func (e *Enumerations) acquire(id string, b Binding) (*enumeration, error) {
	e.mu.Lock()
	ended := e.sweep()
	en, err := e.lookup(id, b)
	if err == nil && en.busy {
		err = cim.Errorf(cim.StatusInvalidEnumerationContext, "enumeration context %s is in use by another request", short(id))
	}
	if err == nil {
		en.busy = true
	}
	e.mu.Unlock()
	finish(ended)
	return en, err
}

// release ends a request on en: the context ends when asked to (or when
// closing), else its timeout restarts.
func (e *Enumerations) release(id string, en *enumeration, end bool) {
	e.mu.Lock()
	en.busy = false
	end = end || en.closing
	if end {
		delete(e.open, id)
	} else {
		en.deadline = e.clock.Now().Add(en.Timeout)
	}
	e.mu.Unlock()
	if end {
		finish([]*enumeration{en})
	}
}

// lookup finds a context bound to b (a zero Kind matches any kind).
// Callers hold e.mu.
func (e *Enumerations) lookup(id string, b Binding) (*enumeration, error) {
	en, ok := e.open[id]
	switch {
	case !ok:
		return nil, cim.Errorf(cim.StatusInvalidEnumerationContext, "enumeration context %s is unknown, expired or closed", short(id))
	case !cim.SameNamespace(en.Namespace, b.Namespace):
		return nil, cim.Errorf(cim.StatusInvalidEnumerationContext, "enumeration context %s belongs to namespace %s", short(id), en.Namespace)
	case b.Kind != 0 && b.Kind != en.Kind:
		return nil, cim.Errorf(cim.StatusInvalidEnumerationContext, "enumeration context %s was opened for %s, not %s", short(id), en.Kind, b.Kind)
	}
	return en, nil
}

// sweep removes the expired contexts and returns them for finish. Callers
// hold e.mu.
func (e *Enumerations) sweep() []*enumeration {
	now := e.clock.Now()
	var ended []*enumeration
	for id, en := range e.open {
		if !en.busy && now.After(en.deadline) {
			delete(e.open, id)
			ended = append(ended, en)
			e.log.Debug("enumeration context expired", "id", short(id), "namespace", en.Namespace)
		}
	}
	return ended
}

// finish stops the sequences of ended contexts, outside the lock since
// stopping runs provider code.
func finish(ended []*enumeration) {
	for _, en := range ended {
		en.stop()
		if en.Cancel != nil {
			en.Cancel()
		}
	}
}

// short shortens an ID for messages; IDs are long random strings.
func short(id string) string {
	if len(id) > 12 {
		return id[:12] + "..."
	}
	return id
}

// String names the kind by the pull operation it needs.
func (k EnumerationKind) String() string {
	switch k {
	case KindInstancesWithPath:
		return "PullInstancesWithPath"
	case KindInstancePaths:
		return "PullInstancePaths"
	case KindInstances:
		return "PullInstances"
	}
	return "any pull"
}
