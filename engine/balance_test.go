package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lbView is a set with members m1..m4 in service (m3 failed) and s1 spare.
func lbView(alg uint16) SetView {
	mv := func(name string, kind RoleKind, h Health) MemberView {
		return MemberView{Name: name, Role: Role{Kind: kind}, Health: HealthInfo{State: h}}
	}
	return SetView{
		Set: Set{InstanceID: "redset:lb", LoadBalanceAlgorithm: alg},
		Members: []MemberView{
			mv("m1", RoleInService, HealthOK), mv("m2", RoleInService, HealthDegraded),
			mv("m3", RoleInService, HealthFailed), mv("m4", RoleInService, HealthOK), mv("s1", RoleSpare, HealthOK),
		},
	}
}

func acquireN(t *testing.T, b *Balancer, v SetView, n int, client func(int) string, bytes func(int) int64) []string {
	t.Helper()
	var got []string
	for i := range n {
		l, err := b.Acquire(v, client(i), bytes(i))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l.Member)
	}
	return got
}

func sameClient(int) string { return "10.0.0.1" }
func oneByte(int) int64     { return 1 }

func TestBalancerAlgorithms(t *testing.T) {
	tests := []struct {
		name   string
		alg    uint16
		bytes  func(int) int64
		want   []string
		before func(*Balancer) // load placed before the run
	}{
		{"no load balancing: first operational in service", LBNone, oneByte, []string{"m1", "m1", "m1"}, nil},
		{"round robin skips failed and spares", LBRoundRobin, oneByte, []string{"m1", "m2", "m4", "m1"}, nil},
		{"least IO", LBLeastIO, oneByte, []string{"m1", "m2", "m4", "m1", "m2"}, nil},
		{"least blocks", LBLeastBlocks, func(i int) int64 { return []int64{100, 10, 10, 10}[i] }, []string{"m1", "m2", "m4", "m2"}, nil},
		{"least IO sees held leases", LBLeastIO, oneByte, []string{"m4", "m2", "m4"}, func(b *Balancer) {
			b.Acquire(lbView(LBNone), "", 0)       // m1
			b.Acquire(lbView(LBRoundRobin), "", 0) // round robin turn 0: m1
			b.Acquire(lbView(LBLeastIO), "", 0)    // m2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBalancer()
			if tt.before != nil {
				tt.before(b)
			}
			got := acquireN(t, b, lbView(tt.alg), len(tt.want), sameClient, tt.bytes)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("picks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBalancerAddressRegionIsStable(t *testing.T) {
	b := NewBalancer()
	v := lbView(LBAddressRegion)
	first := map[string]string{}
	spread := map[string]int{}
	for i := range 200 {
		client := fmt.Sprintf("192.0.2.%d", i)
		l, _ := b.Acquire(v, client, 0)
		first[client] = l.Member
		spread[l.Member]++
	}
	for client, member := range first {
		if l, _ := b.Acquire(v, client, 0); l.Member != member {
			t.Errorf("client %s moved from %s to %s", client, member, l.Member)
		}
	}
	if len(spread) != 3 {
		t.Errorf("clients spread over %v, want all three candidates", spread)
	}
	// Losing m4 moves only m4's clients.
	v.Members[3].Health.State = HealthFailed
	for client, member := range first {
		l, _ := b.Acquire(v, client, 0)
		if member != "m4" && l.Member != member {
			t.Errorf("client %s of %s moved to %s when m4 failed", client, member, l.Member)
		}
	}
}

func TestBalancerKeepsPreviousForOtherAlgorithms(t *testing.T) {
	for _, alg := range []uint16{LBUnknown, LBOther, LBProductSpecific} {
		t.Run(fmt.Sprint(alg), func(t *testing.T) {
			b := NewBalancer()
			acquireN(t, b, lbView(LBRoundRobin), 1, sameClient, oneByte) // m1, round robin in force
			got := acquireN(t, b, lbView(alg), 3, sameClient, oneByte)
			if diff := cmp.Diff([]string{"m2", "m4", "m1"}, got); diff != "" {
				t.Errorf("picks (-want +got):\n%s", diff)
			}
		})
	}
	b := NewBalancer()
	got := acquireN(t, b, lbView(LBProductSpecific), 2, sameClient, oneByte)
	if diff := cmp.Diff([]string{"m1", "m1"}, got); diff != "" {
		t.Errorf("initially No Load Balancing (-want +got):\n%s", diff)
	}
}

func TestBalancerRelease(t *testing.T) {
	b := NewBalancer()
	l, _ := b.Acquire(lbView(LBLeastBlocks), "", 500)
	if r, by := b.Outstanding(l.Member); r != 1 || by != 500 {
		t.Errorf("Outstanding = %d, %d; want 1, 500", r, by)
	}
	b.Release(l)
	b.Release(l) // second release ignored
	if r, by := b.Outstanding(l.Member); r != 0 || by != 0 {
		t.Errorf("after Release: %d, %d; want 0, 0", r, by)
	}
	v := lbView(LBNone)
	for i := range v.Members {
		v.Members[i].Health.State = HealthFailed
	}
	if _, err := b.Acquire(v, "", 0); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Acquire with no candidate: %v, want ErrUnavailable", err)
	}
}
