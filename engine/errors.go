package engine

import (
	"errors"
	"fmt"
)

// Sentinel error kinds. Every error the engine returns matches at most one
// of them with errors.Is (store errors are passed through wrapped), except
// that ErrSetNotFound, the refinement "the set does not exist", also
// matches ErrNotFound.
var (
	ErrNotFound    = errors.New("engine: not found")
	ErrSetNotFound = &subKind{text: "engine: not found", kind: ErrNotFound}
	ErrExists      = errors.New("engine: already exists")
	ErrInvalid     = errors.New("engine: invalid")
	ErrBusy        = errors.New("engine: busy")
	ErrInUse       = errors.New("engine: in use")
	ErrUnsupported = errors.New("engine: not supported")
	ErrUnavailable = errors.New("engine: unavailable")
	ErrClosed      = errors.New("engine: closed")
	// ErrNotLeader: this server does not lead its cluster (or lost the
	// lead during the change); writes go to the leader. Nothing changed.
	ErrNotLeader = errors.New("engine: not the leader")
)

// ValidationError names the field and the rule a value broke. It matches
// ErrInvalid with errors.Is.
type ValidationError struct {
	Field string // e.g. "Caption" or "TypeOfSet[1]"
	Rule  string // e.g. "at most 64 characters"
	Value string // the offending value, quoted or formatted
}

func (e *ValidationError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("engine: invalid %s: %s", e.Field, e.Rule)
	}
	return fmt.Sprintf("engine: invalid %s: %s (got %s)", e.Field, e.Rule, e.Value)
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(field, rule string, value any) error {
	v := ""
	if value != nil {
		v = fmt.Sprintf("%#v", value)
	}
	return &ValidationError{Field: field, Rule: rule, Value: v}
}

func notFound(what, name string) error {
	if what == "set" {
		return fmt.Errorf("%w: set %q", ErrSetNotFound, name)
	}
	return fmt.Errorf("%w: %s %q", ErrNotFound, what, name)
}

func busy(what, name string) error {
	return fmt.Errorf("%w: another change of %s %q is under way", ErrBusy, what, name)
}

// subKind is an error kind that refines another: its text is the broader
// kind's, and errors.Is matches both.
type subKind struct {
	text string
	kind error
}

func (k *subKind) Error() string { return k.text }
func (k *subKind) Unwrap() error { return k.kind }
