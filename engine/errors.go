package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/redset/redset/store"
)

// Kind says what sort of failure an engine error reports. The edges (the
// JSON API, the CIM providers, the command line) choose their answer from
// the kind and show the message; they never read an error's text.
type Kind uint8

// The kinds of engine errors.
const (
	KindOther          Kind = iota // none of the others: an internal failure (a failing store, a bad record)
	KindNotFound                   // the set, member or scheduled failover does not exist
	KindExists                     // it exists already
	KindInvalid                    // a value broke a rule (see ValidationError)
	KindBusy                       // another change of the same thing is under way; nothing changed
	KindInUse                      // still used (a member that belongs to a set)
	KindUnsupported                // the set's type or the member's role does not allow it
	KindUnavailable                // the store (or a member to balance to) cannot be reached; nothing changed
	KindClosed                     // the engine is shutting down
	KindNotLeader                  // this server does not lead its cluster; writes go to the leader
	KindOutcomeUnknown             // the store did not say whether the change was stored: read it back
)

var kindNames = [...]string{
	KindOther: "error", KindNotFound: "not found", KindExists: "already exists", KindInvalid: "invalid",
	KindBusy: "busy", KindInUse: "in use", KindUnsupported: "not supported", KindUnavailable: "unavailable",
	KindClosed: "closed", KindNotLeader: "not the leader", KindOutcomeUnknown: "outcome unknown",
}

// String names the kind in plain words ("not found").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind %d", k)
}

// Error is an error of the engine: its kind, and a message for people
// that names what failed ("set \"redset:web\" not found"), without a
// package prefix. Err, when set, is the cause (a store error).
type Error struct {
	Kind    Kind
	Message string
	Err     error

	setMissing bool // refines KindNotFound: the set itself does not exist
	sentinel   bool // one of the Err* values below, which match by kind
}

// Error is the message with the package prefix, as Go errors are written.
func (e *Error) Error() string { return "engine: " + e.Message }

// Unwrap gives the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrX) hold for every error of ErrX's kind;
// ErrSetNotFound matches only the errors that say the set does not exist.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.sentinel && t.Kind == e.Kind && (!t.setMissing || e.setMissing)
}

// The kinds as values to compare with errors.Is. Every error the engine
// returns matches at most one of them, except that ErrSetNotFound, the
// refinement "the set does not exist", also matches ErrNotFound.
var (
	ErrNotFound    = sentinel(KindNotFound)
	ErrSetNotFound = &Error{Kind: KindNotFound, Message: "not found", setMissing: true, sentinel: true}
	ErrExists      = sentinel(KindExists)
	ErrInvalid     = sentinel(KindInvalid)
	ErrBusy        = sentinel(KindBusy)
	ErrInUse       = sentinel(KindInUse)
	ErrUnsupported = sentinel(KindUnsupported)
	ErrUnavailable = sentinel(KindUnavailable)
	ErrClosed      = sentinel(KindClosed)
	// ErrNotLeader: this server does not lead its cluster (or lost the
	// lead during the change); writes go to the leader. Nothing changed.
	ErrNotLeader = sentinel(KindNotLeader)
	// ErrOutcomeUnknown: the store took the change but did not say whether
	// it was stored (a shared store lost its quorum meanwhile); it may be
	// stored later. Nothing else changed in the engine: read the state
	// back before trying again.
	ErrOutcomeUnknown = sentinel(KindOutcomeUnknown)
)

func sentinel(k Kind) *Error { return &Error{Kind: k, Message: k.String(), sentinel: true} }

// newError makes an error of kind k with a formatted message.
func newError(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// NewError makes an error of kind k with a formatted message, for the
// server's own refusals that the edges should answer as the engine's. (An
// ErrX wrapped with fmt.Errorf keeps its kind, but MessageOf then gives
// only the kind's name.)
func NewError(k Kind, format string, args ...any) *Error { return newError(k, format, args...) }

// KindOf is the kind of err: that of the engine error in its chain, or
// KindOther.
func KindOf(err error) Kind {
	var ee *Error
	var ve *ValidationError
	switch {
	case errors.As(err, &ve): // before *Error: a ValidationError wraps ErrInvalid
		return KindInvalid
	case errors.As(err, &ee):
		return ee.Kind
	}
	return KindOther
}

// MessageOf is err's message for people: that of the engine error in its
// chain (without the package prefix), else err's own text.
func MessageOf(err error) string {
	var ee *Error
	var ve *ValidationError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ve): // before *Error: a ValidationError wraps ErrInvalid
		return ve.message()
	case errors.As(err, &ee):
		return ee.Message
	}
	return err.Error()
}

// ValidationError names the field and the rule a value broke. It is of
// KindInvalid and matches ErrInvalid with errors.Is.
type ValidationError struct {
	Field string // e.g. "Caption" or "TypeOfSet[1]"
	Rule  string // e.g. "at most 64 characters"
	Value string // the offending value: text quoted, numbers in decimal
}

func (e *ValidationError) Error() string { return "engine: " + e.message() }

func (e *ValidationError) message() string {
	if e.Value == "" {
		return fmt.Sprintf("invalid %s: %s", e.Field, e.Rule)
	}
	return fmt.Sprintf("invalid %s: %s (got %s)", e.Field, e.Rule, e.Value)
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(field, rule string, value any) error {
	return &ValidationError{Field: field, Rule: rule, Value: formatValue(value)}
}

// formatValue writes a rule-breaking value for people and programs alike:
// text quoted, numbers in decimal, lists in brackets.
func formatValue(value any) string {
	switch v := value.(type) {
	case nil:
		return ""
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprint(value)
}

func notFound(what, name string) error {
	if what == "set" {
		return &Error{Kind: KindNotFound, Message: fmt.Sprintf("set %q not found", name), setMissing: true}
	}
	return newError(KindNotFound, "%s %q not found", what, name)
}

func busy(what, name string) error {
	return newError(KindBusy, "another change of %s %q is under way", what, name)
}

// storeError gives a failed commit its kind. The store's error stays the
// cause, so errors.Is(err, store.ErrConflict) still holds.
func storeError(err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return err // the engine's own (not the leader)
	}
	k := KindOther
	msg := "the change could not be stored: " + err.Error()
	switch {
	case errors.Is(err, store.ErrOutcomeUnknown):
		k = KindOutcomeUnknown
		msg = "the outcome is unknown: the store did not answer whether the change was stored, and may still store it; " +
			"read the state back before trying again (" + err.Error() + ")"
	case errors.Is(err, store.ErrConflict):
		k = KindBusy
		msg = "the stored record changed meanwhile: " + err.Error()
	case errors.Is(err, store.ErrClosed):
		k = KindClosed
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		k = KindUnavailable
	}
	return &Error{Kind: k, Message: msg, Err: err}
}
