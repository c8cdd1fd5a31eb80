package mof

import (
	"strconv"
	"strings"
)

// MaxErrors is how many errors one compilation collects before it stops.
const MaxErrors = 25

// Error is one diagnostic with the position it refers to.
type Error struct {
	Pos Pos
	Msg string
}

// Error returns "file:line:col: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is the error a parse or compilation returns: the diagnostics
// in the order they were found. When it reaches MaxErrors, Truncated is
// set and the parse or compilation stops there.
type ErrorList struct {
	Errors    []*Error
	Truncated bool
}

// Error returns one diagnostic per line.
func (l *ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	if l.Truncated {
		b.WriteString("\ntoo many errors: stopped after " + strconv.Itoa(len(l.Errors)))
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As access to each diagnostic.
func (l *ErrorList) Unwrap() []error {
	out := make([]error, len(l.Errors))
	for i, e := range l.Errors {
		out[i] = e
	}
	return out
}

// add records a diagnostic and reports whether more may be added.
func (l *ErrorList) add(pos Pos, msg string) bool {
	if len(l.Errors) >= MaxErrors {
		l.Truncated = true
		return false
	}
	l.Errors = append(l.Errors, &Error{Pos: pos, Msg: msg})
	l.Truncated = len(l.Errors) >= MaxErrors
	return !l.Truncated
}

// full reports whether the list has reached MaxErrors.
func (l *ErrorList) full() bool { return len(l.Errors) >= MaxErrors }

// err returns the list as an error, or nil when it is empty.
func (l *ErrorList) err() error {
	if len(l.Errors) == 0 {
		return nil
	}
	return l
}
