package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/event"
)

// durableView is a set without runtime state (health, status).
func durableView(v SetView) SetView {
	v.RedundancyStatus = 0
	v.FlapGuardTripped = false
	for i := range v.Members {
		v.Members[i].Health = HealthInfo{}
	}
	return v
}

func durableState(t *testing.T, h *harness) ([]SetView, []MemberInfo) {
	t.Helper()
	sets, err := h.e.ListSets()
	if err != nil {
		t.Fatal(err)
	}
	for i := range sets {
		sets[i] = durableView(sets[i])
	}
	members, err := h.e.ListMembers()
	if err != nil {
		t.Fatal(err)
	}
	for i := range members {
		members[i].Health = HealthInfo{}
	}
	return sets, members
}

func TestRestartRebuildsAcknowledgedState(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.set(Set{InstanceID: "redset:web", Caption: "web", Description: "front end", ElementName: "Web",
		TypeOfSet: []uint16{TypeSparing, TypeOther}, OtherTypeOfSet: []string{"", "geo"}, MinNumberNeeded: 1,
		MaxNumberSupported: 4, VendorIdentifyingInfo: "redset", Policy: Policy{Failback: true, MaxFailovers: 7}})
	h.set(typedSet("redset:db", TypeNPlus1, 1))
	h.set(typedSet("redset:gone", TypeNPlus1, 1))
	if _, err := h.e.PutMember(ctx, Member{Name: "a", DisplayName: "A", Labels: map[string]string{"zone": "1"},
		Probe: Probe{Type: "http", URL: "http://127.0.0.1:1/", Headers: map[string]string{"X-A": "1"}, Rise: 1, Fall: 1, Interval: Duration(1e9)}}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"b", "d1", "d2", "tmp"} {
		h.member(n)
		h.report(n, HealthOK)
	}
	h.report("a", HealthOK)
	h.add("redset:web", "a", inService)
	h.add("redset:web", "b", spare(SpareCold, FailoverManual, 3))
	h.add("redset:db", "d1", inService)
	h.add("redset:db", "d2", inService)
	h.add("redset:gone", "tmp", inService)
	mustOK(t, h.e.Failover(ctx, "redset:web", "a", "b"))
	mustOK(t, h.e.Failover(ctx, "redset:db", "d1", "d2"))
	if _, err := h.e.SetLoadBalance(ctx, "redset:db", LBRoundRobin, ""); err != nil {
		t.Fatal(err)
	}
	if err := h.e.DeleteSet(ctx, "redset:gone"); err != nil {
		t.Fatal(err)
	}
	if err := h.e.DeleteMember(ctx, "tmp"); err != nil {
		t.Fatal(err)
	}
	wantSets, wantMembers := durableState(t, h)
	h.restart()
	gotSets, gotMembers := durableState(t, h)
	if diff := cmp.Diff(wantSets, gotSets); diff != "" {
		t.Errorf("sets after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantMembers, gotMembers); diff != "" {
		t.Errorf("members after restart (-before +after):\n%s", diff)
	}
}

func mustOK(t testing.TB, res FailoverResult) {
	t.Helper()
	if res.Code != 0 {
		t.Fatalf("Failover %+v = %d: %s", res.Request, res.Code, res.Reason)
	}
}

func TestHistoryAcrossRestartAndLimit(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.HistoryLimit = 5 })
	for i := range 12 {
		h.member(fmt.Sprintf("m%02d", i))
	}
	h.settle()
	hist, err := h.e.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range hist {
		got = append(got, r.Member)
	}
	if diff := cmp.Diff([]string{"m07", "m08", "m09", "m10", "m11"}, got); diff != "" {
		t.Errorf("history keeps the newest 5 (-want +got):\n%s", diff)
	}
	kvs, _, _ := h.st.List(context.Background(), prefixHistory)
	if len(kvs) != 5 {
		t.Errorf("store holds %d history records, want 5", len(kvs))
	}
	last := hist[len(hist)-1].Seq
	h.restart()
	h.member("after")
	hist, _ = h.e.History(context.Background(), 2)
	if len(hist) != 2 || hist[0].Member != "m11" || hist[1].Member != "after" || hist[1].Seq <= last {
		t.Errorf("after restart: %v, want m11 then a newer record for 'after'", hist)
	}
}

func TestDeleteMemberInUse(t *testing.T) {
	h := newHarness(t)
	h.set(typedSet("redset:s", TypeNPlus1, 0))
	h.member("a")
	h.add("redset:s", "a", inService)
	before := h.dump()
	if err := h.e.DeleteMember(context.Background(), "a"); !errors.Is(err, ErrInUse) {
		t.Errorf("DeleteMember = %v, want ErrInUse", err)
	}
	h.assertUnchanged(before)
	if _, err := h.e.RemoveFromSet(context.Background(), "redset:s", "a"); err != nil {
		t.Fatal(err)
	}
	if err := h.e.DeleteMember(context.Background(), "a"); err != nil {
		t.Errorf("DeleteMember after removal: %v", err)
	}
	if _, err := h.e.GetMember("a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetMember after delete: %v, want ErrNotFound", err)
	}
}

func TestConfigEventsInHistory(t *testing.T) {
	h := newHarness(t)
	h.set(typedSet("redset:s", TypeNPlus1, 0))
	h.member("a")
	h.add("redset:s", "a", inService)
	hist, _ := h.e.History(context.Background(), 0)
	var got []string
	for _, r := range hist {
		if r.Kind == event.KindConfigChanged {
			got = append(got, r.Config.Action)
		}
	}
	if diff := cmp.Diff([]string{"set created", "member created", "member added"}, got); diff != "" {
		t.Errorf("config records (-want +got):\n%s", diff)
	}
}

func TestClosedEngine(t *testing.T) {
	h := newHarness(t)
	h.set(typedSet("redset:s", TypeNPlus1, 0))
	h.e.Close()
	if _, err := h.e.GetSet("redset:s"); !errors.Is(err, ErrClosed) {
		t.Errorf("GetSet after Close: %v, want ErrClosed", err)
	}
	if res := h.e.Failover(context.Background(), "redset:s", "a", "b"); res.Code != CodeError || !errors.Is(res.Err, ErrClosed) {
		t.Errorf("Failover after Close = %d %v, want 2 ErrClosed", res.Code, res.Err)
	}
	if err := h.e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNewRequiresStore(t *testing.T) {
	if _, err := New(context.Background(), Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("New without store: %v, want ErrInvalid", err)
	}
}

func TestHookDeliveryInHistoryAcrossRestart(t *testing.T) {
	h := newHarness(t)
	sub := h.e.Bus().Subscribe(8, nil)
	defer sub.Close()
	d := event.HookDelivered{Hook: "move-vip", Event: "failover", EventSeq: 7, Attempts: 2, Outcome: "ok"}
	h.e.RecordHookDelivery("redset:s", d)
	got := <-sub.C()
	if got.Kind != event.KindHookDelivered || got.Hook == nil || *got.Hook != d || got.SetID != "redset:s" {
		t.Errorf("published %+v, want a HookDelivered record of %+v for redset:s", got, d)
	}
	h.settle()
	h.restart()
	hist, err := h.e.History(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Hook == nil || *hist[0].Hook != d {
		t.Errorf("history after restart = %+v, want the hook delivery", hist)
	}
}

func TestIndicationDeliveryInHistoryAcrossRestart(t *testing.T) {
	h := newHarness(t)
	sub := h.e.Bus().Subscribe(8, nil)
	defer sub.Close()
	d := event.IndicationDelivery{Subscription: "s1", Destination: "http://127.0.0.1:9/", Protocol: "cimxml",
		Outcome: event.IndicationFailed, Count: 3, Attempts: 4, Error: "answered 503"}
	h.e.RecordIndicationDelivery(d)
	got := <-sub.C()
	if got.Kind != event.KindIndication || got.Indication == nil || *got.Indication != d || got.Validate() != nil {
		t.Errorf("published %+v, want an IndicationDelivery record of %+v", got, d)
	}
	h.settle()
	h.restart()
	hist, err := h.e.History(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Indication == nil || *hist[0].Indication != d {
		t.Errorf("history after restart = %+v, want the indication delivery", hist)
	}
}
