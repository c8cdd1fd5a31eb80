package cim

import (
	"errors"
	"fmt"
	"testing"
)

func TestStatusString(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{StatusFailed, "CIM_ERR_FAILED"},
		{StatusNotFound, "CIM_ERR_NOT_FOUND"},
		{StatusInvalidNamespace, "CIM_ERR_INVALID_NAMESPACE"},
		{StatusNoSuchProperty, "CIM_ERR_NO_SUCH_PROPERTY"},
		{StatusNamespaceNotEmpty, "CIM_ERR_NAMESPACE_NOT_EMPTY"},
		{StatusServerIsShuttingDown, "CIM_ERR_SERVER_IS_SHUTTING_DOWN"},
		{Status(99), "CIM_ERR_99"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStatusCodes(t *testing.T) {
	// The numeric values are on the wire; pin a few of them.
	tests := []struct {
		s    Status
		want uint16
	}{
		{StatusAccessDenied, 2}, {StatusInvalidParameter, 4}, {StatusInvalidClass, 5},
		{StatusNotSupported, 7}, {StatusTypeMismatch, 13}, {StatusMethodNotFound, 17},
		{StatusInvalidEnumerationContext, 21}, {StatusServerLimitsExceeded, 27},
	}
	for _, tt := range tests {
		t.Run(tt.s.String(), func(t *testing.T) {
			if uint16(tt.s) != tt.want {
				t.Errorf("got %d, want %d", tt.s, tt.want)
			}
		})
	}
}

func TestErrorAndStatusOf(t *testing.T) {
	base := Errorf(StatusNotFound, "no instance %s", "x")
	tests := []struct {
		name string
		err  error
		want Status
	}{
		{"nil", nil, StatusOK},
		{"plain", errors.New("boom"), StatusFailed},
		{"cim", base, StatusNotFound},
		{"wrapped", fmt.Errorf("get: %w", base), StatusNotFound},
		{"ok status", &Error{}, StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatusOf(tt.err); got != tt.want {
				t.Errorf("StatusOf = %s, want %s", got, tt.want)
			}
		})
	}
	if got, want := base.Error(), "CIM_ERR_NOT_FOUND: no instance x"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&Error{Status: StatusFailed}).Error(), "CIM_ERR_FAILED"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("wrap: %w", Errorf(StatusNotFound, "gone"))
	if !errors.Is(err, &Error{Status: StatusNotFound}) {
		t.Errorf("errors.Is by status = false, want true")
	}
	if errors.Is(err, &Error{Status: StatusFailed}) {
		t.Errorf("errors.Is with other status = true, want false")
	}
	if errors.Is(err, &Error{Status: StatusNotFound, Message: "other"}) {
		t.Errorf("errors.Is with other message = true, want false")
	}
}
