package api

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/auth"
)

func TestCallerOf(t *testing.T) {
	tests := []struct {
		role auth.Role
		want Abilities
	}{
		{auth.Reader, Abilities{}},
		{auth.Operator, Abilities{Failover: true, LoadBalance: true}},
		{auth.Admin, Abilities{Failover: true, LoadBalance: true, Configure: true}},
		{"intruder", Abilities{}},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			got := CallerOf(auth.Identity{User: "u", Role: tt.role})
			want := Caller{User: "u", Role: string(tt.role), Can: tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("CallerOf (-want +got):\n%s", diff)
			}
		})
	}
}
