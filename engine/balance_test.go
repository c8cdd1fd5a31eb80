package engine

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
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
		l, err := b.Acquire(among(v), client(i), bytes(i))
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
			b.Acquire(among(lbView(LBNone)), "", 0)       // m1
			b.Acquire(among(lbView(LBRoundRobin)), "", 0) // round robin turn 0: m1
			b.Acquire(among(lbView(LBLeastIO)), "", 0)    // m2
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
		l, _ := b.Acquire(among(v), client, 0)
		first[client] = l.Member
		spread[l.Member]++
	}
	for client, member := range first {
		if l, _ := b.Acquire(among(v), client, 0); l.Member != member {
			t.Errorf("client %s moved from %s to %s", client, member, l.Member)
		}
	}
	if len(spread) != 3 {
		t.Errorf("clients spread over %v, want all three candidates", spread)
	}
	// Losing m4 moves only m4's clients.
	v.Members[3].Health.State = HealthFailed
	for client, member := range first {
		l, _ := b.Acquire(among(v), client, 0)
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
	l, _ := b.Acquire(among(lbView(LBLeastBlocks)), "", 500)
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
	if _, err := b.Acquire(among(v), "", 0); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Acquire with no candidate: %v, want ErrUnavailable", err)
	}
}

// TestBalancerSkipsTriedMembers: a member whose connection failed is left
// out of the next pick for the same work, by every algorithm.
func TestBalancerSkipsTriedMembers(t *testing.T) {
	tests := []struct {
		alg  uint16
		skip []string
		want string
	}{
		{LBNone, []string{"m1"}, "m2"},
		{LBNone, []string{"m1", "m2"}, "m4"},
		{LBRoundRobin, []string{"m1"}, "m2"},
		{LBLeastIO, []string{"m1", "m2"}, "m4"},
		{LBLeastBlocks, []string{"m1"}, "m2"},
	}
	for _, tt := range tests {
		b := NewBalancer()
		l, err := b.Acquire(among(lbView(tt.alg), tt.skip...), "10.0.0.1", 0)
		if err != nil || l.Member != tt.want {
			t.Errorf("algorithm %d skipping %v: %q, %v; want %q", tt.alg, tt.skip, l.Member, err, tt.want)
		}
	}
	b := NewBalancer()
	if _, err := b.Acquire(among(lbView(LBRoundRobin), "m1", "m2", "m4"), "", 0); !errors.Is(err, ErrUnavailable) {
		t.Errorf("every candidate skipped: %v, want ErrUnavailable", err)
	}
	// Address Region: skipping a client's member gives the member it would
	// get if that one were gone.
	v := lbView(LBAddressRegion)
	for i := range 50 {
		client := fmt.Sprintf("198.51.100.%d", i)
		first, _ := b.Acquire(among(v), client, 0)
		skipped, _ := b.Acquire(among(v, first.Member), client, 0)
		gone := v
		gone.Members = nil
		for _, m := range v.Members {
			if m.Name != first.Member {
				gone.Members = append(gone.Members, m)
			}
		}
		without, _ := b.Acquire(among(gone), client, 0)
		if skipped.Member == first.Member || skipped.Member != without.Member {
			t.Errorf("client %s: first %s, skipping it %s, without it %s", client, first.Member, skipped.Member, without.Member)
		}
	}
}

// TestBalancerLeastBlocksSlowAndFast scripts a proxy's counts: a slow
// member keeps the bytes it was sent outstanding, a fast one takes them at
// once, so new work goes to the fast one although both hold a connection.
func TestBalancerLeastBlocksSlowAndFast(t *testing.T) {
	b := NewBalancer()
	v := lbView(LBLeastBlocks)
	v.Members = v.Members[:2] // m1, m2
	var got []string
	acquire := func() Lease {
		l, err := b.Acquire(among(v), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l.Member)
		return l
	}
	slow := acquire() // m1: a tie, name order
	fast := acquire() // m2: fewer requests
	b.AddBytes(slow, 64<<10)
	b.AddBytes(fast, 64<<10)
	b.AddBytes(fast, -64<<10) // the fast member took it
	acquire()                 // m2: 0 bytes outstanding against 64 KiB
	third := acquire()        // m2 again: still 0 bytes, though 2 requests
	b.AddBytes(third, 128<<10)
	acquire()                 // m1: 64 KiB against 128 KiB
	b.AddBytes(slow, -64<<10) // the slow member caught up
	acquire()                 // m1: both 0 bytes, m1 has 2 requests and m2 3
	if diff := cmp.Diff([]string{"m1", "m2", "m2", "m2", "m1", "m1"}, got); diff != "" {
		t.Errorf("picks (-want +got):\n%s", diff)
	}
	if r, by := b.Outstanding("m2"); r != 3 || by != 128<<10 {
		t.Errorf("m2 outstanding %d, %d; want 3, %d", r, by, 128<<10)
	}
	b.Release(third) // releases what it had outstanding, whatever it was acquired with
	if r, by := b.Outstanding("m2"); r != 2 || by != 0 {
		t.Errorf("m2 after release %d, %d; want 2, 0", r, by)
	}
}

// TestBalancerLeastIOSlowAndFast: a slow member keeps its connections open,
// a fast one ends each at once, so the fast one takes the new ones.
func TestBalancerLeastIOSlowAndFast(t *testing.T) {
	b := NewBalancer()
	v := lbView(LBLeastIO)
	v.Members = v.Members[:2]
	var got []string
	for range 5 {
		l, err := b.Acquire(among(v), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l.Member)
		if l.Member == "m2" { // fast: done before the next one comes
			b.Release(l)
		}
	}
	if diff := cmp.Diff([]string{"m1", "m2", "m2", "m2", "m2"}, got); diff != "" {
		t.Errorf("picks (-want +got):\n%s", diff)
	}
}

// TestBalancerAddressRegionLeaveAndReturn: while a member is out of service
// only its own clients move, and when it returns exactly they come back.
func TestBalancerAddressRegionLeaveAndReturn(t *testing.T) {
	b := NewBalancer()
	v := lbView(LBAddressRegion)
	pick := func(v SetView, client string) string {
		l, err := b.Acquire(among(v), client, 0)
		if err != nil {
			t.Fatal(err)
		}
		return l.Member
	}
	before := map[string]string{}
	for i := range 100 {
		client := fmt.Sprintf("203.0.113.%d", i)
		before[client] = pick(v, client)
	}
	left := v
	left.Members = slices.Clone(v.Members)
	left.Members[1].Role.Kind = RoleDrained // m2 leaves service
	moved := 0
	for client, m := range before {
		now := pick(left, client)
		switch {
		case m == "m2" && now == "m2":
			t.Errorf("client %s stays on m2, out of service", client)
		case m == "m2":
			moved++
		case now != m:
			t.Errorf("client %s of %s moved to %s when m2 left", client, m, now)
		}
	}
	if moved == 0 {
		t.Error("no client was on m2: the test proves nothing")
	}
	for client, m := range before {
		if now := pick(v, client); now != m {
			t.Errorf("client %s: %s before m2 left, %s after it returned", client, m, now)
		}
	}
}

func TestRegionHashIsFNV1a(t *testing.T) {
	for _, tc := range [][2]string{{"", ""}, {"127.0.0.1", "a"}, {"::1", "member-with-a-longer-name"}} {
		h := fnv.New64a()
		h.Write([]byte(tc[0]))
		h.Write([]byte{0})
		h.Write([]byte(tc[1]))
		if got, want := regionHash(tc[0], tc[1]), h.Sum64(); got != want {
			t.Errorf("regionHash(%q, %q) = %x, want %x", tc[0], tc[1], got, want)
		}
	}
}

func TestCandidatesAgreeWithGetSet(t *testing.T) {
	h := autoFixture(t, Policy{})
	check := func(want ...string) {
		t.Helper()
		c, err := h.e.Candidates("redset:web", make([]string, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		v, err := h.e.GetSet("redset:web")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, c.Names); diff != "" {
			t.Errorf("names (-want +got):\n%s", diff)
		}
		if !slices.Equal(c.Names, among(v).Names) || c.Revision != v.Revision ||
			c.Algorithm != v.LoadBalanceAlgorithm || c.SetID != v.InstanceID {
			t.Errorf("Candidates %+v disagree with GetSet's view (revision %d, algorithm %d)", c, v.Revision, v.LoadBalanceAlgorithm)
		}
	}
	check("a")
	h.report("a", HealthFailed)
	h.settle()
	check("c")
	h.report("c", HealthFailed)
	h.settle()
	check("b")
	if _, err := h.e.Candidates("redset:none", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("Candidates of a missing set: %v, want not found", err)
	}
}

// among is the candidates of the view v, less skip, as Engine.Candidates
// reads them from a set.
func among(v SetView, skip ...string) Candidates {
	c := Candidates{SetID: v.InstanceID, Revision: v.Revision, Algorithm: v.LoadBalanceAlgorithm}
	for _, m := range v.Members {
		if m.Role.Kind == RoleInService && m.Health.State.Operational() && !slices.Contains(skip, m.Name) {
			c.Names = append(c.Names, m.Name)
		}
	}
	return c
}
