package engine

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/event"
)

func TestDampening(t *testing.T) {
	tests := []struct {
		name    string
		reports []Health
		want    []Health // counted state after each report
	}{
		{"first report counts at once", []Health{HealthFailed}, []Health{HealthFailed}},
		{"fall needs 3 failures", []Health{HealthOK, HealthFailed, HealthFailed, HealthFailed},
			[]Health{HealthOK, HealthOK, HealthOK, HealthFailed}},
		{"a success resets the fall streak", []Health{HealthOK, HealthFailed, HealthFailed, HealthOK, HealthFailed, HealthFailed},
			[]Health{HealthOK, HealthOK, HealthOK, HealthOK, HealthOK, HealthOK}},
		{"rise needs 2 successes", []Health{HealthFailed, HealthOK, HealthOK}, []Health{HealthFailed, HealthFailed, HealthOK}},
		{"a failure resets the rise streak", []Health{HealthFailed, HealthOK, HealthFailed, HealthOK},
			[]Health{HealthFailed, HealthFailed, HealthFailed, HealthFailed}},
		{"rise ends in the last success state", []Health{HealthFailed, HealthOK, HealthDegraded},
			[]Health{HealthFailed, HealthFailed, HealthDegraded}},
		{"OK and Degraded switch at once", []Health{HealthOK, HealthDegraded, HealthOK},
			[]Health{HealthOK, HealthDegraded, HealthOK}},
		{"degraded reports are successes", []Health{HealthDegraded, HealthFailed, HealthFailed, HealthDegraded, HealthFailed},
			[]Health{HealthDegraded, HealthDegraded, HealthDegraded, HealthDegraded, HealthDegraded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if _, err := h.e.PutMember(context.Background(), Member{Name: "m"}); err != nil { // defaults: rise 2, fall 3
				t.Fatal(err)
			}
			var got []Health
			for _, r := range tt.reports {
				h.report("m", r)
				info, _ := h.e.GetMember("m")
				got = append(got, info.Health.State)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counted states (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDampeningPerMember(t *testing.T) {
	h := newHarness(t)
	if _, err := h.e.PutMember(context.Background(), Member{Name: "m", Probe: Probe{Rise: 1, Fall: 5}}); err != nil {
		t.Fatal(err)
	}
	h.report("m", HealthOK)
	for i := range 4 {
		h.report("m", HealthFailed)
		if info, _ := h.e.GetMember("m"); info.Health.State != HealthOK || info.Health.Pending != i+1 {
			t.Fatalf("after %d failures: %s pending %d, want OK pending %d", i+1, info.Health.State, info.Health.Pending, i+1)
		}
	}
	h.report("m", HealthFailed)
	h.report("m", HealthOK) // rise 1
	if info, _ := h.e.GetMember("m"); info.Health.State != HealthOK {
		t.Errorf("state = %s, want OK after one success with rise 1", info.Health.State)
	}
}

func TestHealthTTL(t *testing.T) {
	h := newHarness(t)
	h.member("m")
	sub := h.bus.Subscribe(100, func(r event.Record) bool { return r.Kind == event.KindHealthChanged })
	if err := h.e.ReportHealth("m", Report{State: HealthOK, TTL: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(9 * time.Second)
	if err := h.e.ReportHealth("m", Report{State: HealthOK, TTL: 10 * time.Second}); err != nil { // heartbeat renews
		t.Fatal(err)
	}
	h.clock.Advance(9 * time.Second)
	if info, _ := h.e.GetMember("m"); info.Health.State != HealthOK {
		t.Fatalf("state after renewed heartbeat = %s, want OK", info.Health.State)
	}
	h.clock.Advance(2 * time.Second)
	info, _ := h.e.GetMember("m")
	if info.Health.State != HealthFailed || info.Health.Source != "ttl" {
		t.Errorf("after TTL: %s from %q, want Failed from ttl", info.Health.State, info.Health.Source)
	}
	var got []string
	for range 2 {
		r := <-sub.C()
		got = append(got, r.Health.From+">"+r.Health.To)
	}
	if diff := cmp.Diff([]string{"Unknown>OK", "OK>Failed"}, got); diff != "" {
		t.Errorf("health events (-want +got):\n%s", diff)
	}
}

func TestHealthTTLFromProbe(t *testing.T) {
	h := newHarness(t)
	if _, err := h.e.PutMember(context.Background(), Member{Name: "m", Probe: Probe{TTL: Duration(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	h.report("m", HealthOK)
	info, _ := h.e.GetMember("m")
	if want := h.clock.Now().Add(time.Minute); !info.Health.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", info.Health.Expires, want)
	}
	h.clock.Advance(time.Minute)
	if info, _ := h.e.GetMember("m"); info.Health.State != HealthFailed {
		t.Errorf("state = %s, want Failed after the probe TTL", info.Health.State)
	}
}

// TestHealthOnlyTouchesOwnSets: a health change recomputes only the sets
// of the member, and each of them publishes its status change.
func TestHealthOnlyTouchesOwnSets(t *testing.T) {
	h := newHarness(t)
	h.member("shared")
	h.member("other")
	for i := range 20 {
		id := h.e.InstanceIDFor("s" + string(rune('a'+i)))
		h.set(typedSet(id, TypeNPlus1, 1))
		name := "shared"
		if i%2 == 1 {
			name = "other"
		}
		h.add(id, name, inService)
	}
	sub := h.bus.Subscribe(100, func(r event.Record) bool { return r.Kind == event.KindStatusChanged })
	h.report("shared", HealthOK)
	sets, _ := h.e.SetsOfMember("shared")
	for range sets {
		r := <-sub.C()
		if r.Status.To != StatusRedundancyLost {
			t.Errorf("set %s status -> %d, want 4", r.SetID, r.Status.To)
		}
	}
	sub.Close()
	if extra := len(sub.C()); extra != 0 {
		t.Errorf("%d status events for sets without the member", extra)
	}
	if len(sets) != 10 {
		t.Errorf("SetsOfMember = %d sets, want 10", len(sets))
	}
}

func TestHealthUnknownAfterRestart(t *testing.T) {
	h := newHarness(t)
	h.set(typedSet("redset:s", TypeNPlus1, 1))
	h.member("m")
	h.add("redset:s", "m", inService)
	h.report("m", HealthOK)
	if got := h.status("redset:s"); got != StatusRedundancyLost {
		t.Fatalf("status = %d, want 4", got)
	}
	h.restart()
	v := h.view("redset:s")
	if v.Members[0].Health.State != HealthUnknown || v.RedundancyStatus != StatusUnknown {
		t.Errorf("after restart: health %s status %d, want Unknown and 0", v.Members[0].Health.State, v.RedundancyStatus)
	}
}
