package event

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func statusRecord(seq uint64) Record {
	return Record{Seq: seq, Kind: KindStatusChanged, SetID: "redset:a", Status: &StatusChanged{From: 2, To: 4}}
}

func drain(s *Subscription) []uint64 {
	var got []uint64
	for r := range s.C() {
		got = append(got, r.Seq)
	}
	return got
}

func TestBusDeliversInPublishOrder(t *testing.T) {
	b := NewBus()
	s1 := b.Subscribe(10, nil)
	s2 := b.Subscribe(10, nil)
	for i := uint64(1); i <= 5; i++ {
		b.Publish(statusRecord(i))
	}
	b.Close()
	want := []uint64{1, 2, 3, 4, 5}
	for i, s := range []*Subscription{s1, s2} {
		if diff := cmp.Diff(want, drain(s)); diff != "" {
			t.Errorf("subscriber %d: seqs (-want +got):\n%s", i, diff)
		}
	}
}

func TestBusDropsLaggingSubscriberOnly(t *testing.T) {
	b := NewBus()
	slow := b.Subscribe(2, nil)
	fast := b.Subscribe(100, nil)
	for i := uint64(1); i <= 5; i++ {
		b.Publish(statusRecord(i)) // never blocks even though slow is full
	}
	if got := drain(slow); !cmp.Equal(got, []uint64{1, 2}) {
		t.Errorf("slow got %v, want [1 2] then closed", got)
	}
	if !slow.Lagged() {
		t.Error("slow.Lagged() = false, want true")
	}
	if fast.Lagged() {
		t.Error("fast.Lagged() = true, want false")
	}
	if got, want := b.Subscribers(), 1; got != want {
		t.Errorf("Subscribers() = %d, want %d", got, want)
	}
	fast.Close()
	if got := len(drain(fast)); got != 5 {
		t.Errorf("fast got %d records, want 5", got)
	}
}

func TestBusFilterAndClose(t *testing.T) {
	b := NewBus()
	s := b.Subscribe(0, func(r Record) bool { return r.Seq%2 == 0 })
	for i := uint64(1); i <= 6; i++ {
		b.Publish(statusRecord(i))
	}
	s.Close()
	s.Close() // idempotent
	b.Publish(statusRecord(7))
	if diff := cmp.Diff([]uint64{2, 4, 6}, drain(s)); diff != "" {
		t.Errorf("filtered seqs (-want +got):\n%s", diff)
	}
	if s.Lagged() {
		t.Error("closed subscriber reported lagged")
	}
	b.Close()
	late := b.Subscribe(1, nil)
	if _, ok := <-late.C(); ok {
		t.Error("subscription on closed bus is open, want closed")
	}
}

func TestBusConcurrentPublishKeepsOneOrder(t *testing.T) {
	b := NewBus()
	s1 := b.Subscribe(4000, nil)
	s2 := b.Subscribe(4000, nil)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				b.Publish(statusRecord(uint64(g*1000 + i)))
			}
		})
	}
	wg.Wait()
	b.Close()
	a, c := drain(s1), drain(s2)
	if len(a) != 2000 {
		t.Fatalf("got %d records, want 2000", len(a))
	}
	if diff := cmp.Diff(a, c); diff != "" {
		t.Errorf("subscribers saw different orders (-s1 +s2):\n%s", diff)
	}
}

func TestRecordValidate(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
		ok   bool
	}{
		{"status", statusRecord(1), true},
		{"failover", Record{Kind: KindFailoverRefused, Failover: &Failover{Code: 4, Reason: "x"}}, true},
		{"frontend", Record{Kind: KindFrontend, Frontend: &FrontendChanged{Listen: ":80", State: FrontendStopped}}, true},
		{"unknown kind", Record{Kind: "Nope"}, false},
		{"missing payload", Record{Kind: KindHealthChanged}, false},
		{"wrong payload", Record{Kind: KindHealthChanged, Status: &StatusChanged{}}, false},
		{"two payloads", Record{Kind: KindConfigChanged, Config: &ConfigChanged{}, Flap: &FlapGuardTripped{}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rec.Validate()
			if got := err == nil; got != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	in := Record{
		Seq: 42, Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Kind: KindFailoverSucceeded,
		SetID: "redset:web", Member: "web-b",
		Failover: &Failover{Planned: true, From: "web-a", To: "web-b", Duration: 3 * time.Millisecond},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Record
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	if got := in.String(); got != fmt.Sprintf("#42 FailoverSucceeded set=%q member=%q", "redset:web", "web-b") {
		t.Errorf("String() = %q", got)
	}
}

func FuzzRecordDecode(f *testing.F) {
	f.Add([]byte(`{"seq":1,"kind":"StatusChanged","status":{"from":2,"to":4}}`))
	f.Add([]byte(`{"kind":"FailoverRefused","failover":{"code":3}}`))
	f.Add([]byte(`{"kind":"Nope"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		if json.Unmarshal(data, &r) != nil || r.Validate() != nil {
			return
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var r2 Record
		if err := json.Unmarshal(again, &r2); err != nil || r2.Validate() != nil {
			t.Fatalf("valid record does not survive a round trip: %v", err)
		}
	})
}
