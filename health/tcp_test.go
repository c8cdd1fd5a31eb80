package health

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestTCPProbe(t *testing.T) {
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { open.Close() })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name       string
		ctx        context.Context
		address    string
		wantState  State
		wantDetail string
	}{
		{"listening port is OK", t.Context(), open.Addr().String(), OK, "connected to " + open.Addr().String()},
		{"closed port is Failed", t.Context(), closedAddr, Failed, "refused"},
		{"cancelled check is Failed", cancelled, open.Addr().String(), Failed, "canceled"},
		{"bad address is Failed", t.Context(), "127.0.0.1", Failed, "missing port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := TCPProbe{Address: tc.address}.Check(tc.ctx)
			if got.State != tc.wantState || !strings.Contains(got.Detail, tc.wantDetail) {
				t.Errorf("Check = %v %q, want %v containing %q", got.State, got.Detail, tc.wantState, tc.wantDetail)
			}
		})
	}
}
