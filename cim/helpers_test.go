package cim

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cmpOpts lets go-cmp compare the package's types with unexported fields.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b Value) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b DateTime) bool { return a.String() == b.String() }),
}

// must returns a function that passes a value through, failing the test
// when the error is not nil: must(t)(NewUint(Uint8, 1)).
func must(t testing.TB) func(Value, error) Value {
	return func(v Value, err error) Value {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// wantError checks err is an *Error with status and a message holding
// every fragment.
func wantError(t *testing.T, err error, status Status, fragments ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want *Error with %s", err, status)
	}
	if e.Status != status {
		t.Errorf("got status %s, want %s (message %q)", e.Status, status, e.Message)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Message, f) {
			t.Errorf("message %q does not contain %q", e.Message, f)
		}
	}
}

// mustPath parses an object path or fails the test.
func mustPath(t testing.TB, s string) ObjectPath {
	t.Helper()
	p, err := ParseObjectPath(s)
	if err != nil {
		t.Fatalf("ParseObjectPath(%q): %v", s, err)
	}
	return p
}
