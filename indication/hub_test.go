package indication

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/event"
)

func TestHubKeepsOrderPerDestination(t *testing.T) {
	one, two := newListener(t, nil), newListener(t, nil)
	f := newHub(t, nil)
	f.hub.Put(testSub("a", one.url(), PolicyIgnore))
	f.hub.Put(testSub("b", one.url(), PolicyIgnore))
	f.hub.Put(testSub("c", two.url(), PolicyIgnore))
	const n = 50
	for i := range n {
		f.hub.Handle(failoverRecord(uint64(i+1), "redset:s"+itoa(i)))
	}
	eventually(t, "every delivery", func() bool { return len(one.received()) == 2*n && len(two.received()) == n })
	var want []received
	for i := range n {
		set := "redset:s" + itoa(i)
		want = append(want, received{Sub: "a", Context: "ctx-a", Seq: int64(i), Filter: "f-a", Set: set},
			received{Sub: "b", Context: "ctx-b", Seq: int64(i), Filter: "f-b", Set: set})
	}
	if diff := cmp.Diff(want, one.received()); diff != "" {
		t.Errorf("the shared destination got (-want +got):\n%s", diff)
	}
	if got := seqs(two.received()); !slices.IsSorted(got) || got[0] != 0 || got[n-1] != n-1 {
		t.Errorf("the other destination got sequence numbers %v", got)
	}
	eventually(t, "the counters", func() bool {
		st := f.hub.Stats()
		return len(st) == 1 && st[0].Delivered == 3*n
	})
	if st := f.status(t, "c"); st.Queued != 0 || st.Delivered != n || st.NextSequence != n || st.State != "enabled" {
		t.Errorf("status of c = %+v", st)
	}
	if got := f.hub.Stats(); len(got) != 1 || got[0].Delivered != 3*n || got[0].Queued != 0 {
		t.Errorf("Stats = %+v", got)
	}
}

func TestHubRetriesThenPolicy(t *testing.T) {
	down := func(failures int) func(int) int {
		return func(n int) int {
			if n <= failures {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}
	}
	tests := []struct {
		name      string
		policy    Policy
		failures  int // answers 503 before it answers 200
		ended     []string
		outcome   string
		state     string
		delivered []int64 // sequence numbers received after the second record
	}{
		{"up again within the retries", PolicyDisable, 2, nil, "", "enabled", []int64{0, 1}},
		{"ignore", PolicyIgnore, 3, nil, event.IndicationFailed, "enabled", []int64{1}},
		{"disable", PolicyDisable, 3, []string{"s disabled"}, event.IndicationDisabled, "disabled", nil},
		{"remove", PolicyRemove, 3, []string{"s removed"}, event.IndicationRemoved, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newListener(t, down(tt.failures))
			f := newHub(t, nil) // 2 retries, 1 s apart
			f.hub.Put(testSub("s", l.url(), tt.policy))
			f.hub.Handle(failoverRecord(1, "redset:a"))
			for range 2 {
				advanceWhenWaiting(t, f.clock, time.Second)
			}
			eventually(t, "three attempts", func() bool { return l.requests() == 3 })
			eventually(t, "the first delivery settled", func() bool { return f.settled() })
			f.hub.Handle(failoverRecord(2, "redset:a"))
			if tt.state != "disabled" && tt.state != "" {
				eventually(t, "the second delivery", func() bool { return len(l.received()) == len(tt.delivered) })
			}
			if got := seqs(l.received()); !cmp.Equal(got, tt.delivered, cmpEmpty) {
				t.Errorf("received sequence numbers %v, want %v", got, tt.delivered)
			}
			if got := f.endedList(); !cmp.Equal(got, tt.ended, cmpEmpty) {
				t.Errorf("ended %v, want %v", got, tt.ended)
			}
			f.checkOutcome(t, tt.outcome)
			f.checkState(t, "s", tt.state)
			f.checkLastError(t, "s", tt.state == "disabled")
		})
	}
}

// checkLastError: a subscription whose last delivery failed says why and
// when; one whose last delivery succeeded says nothing.
func (f *hubFixture) checkLastError(t *testing.T, id string, failed bool) {
	t.Helper()
	for _, st := range f.hub.Status() {
		if st.ID == id && ((st.LastError != "") != failed || st.LastErrorTime.IsZero() == failed) {
			t.Errorf("status %+v, want a last error: %v", st, failed)
		}
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []int64) bool { return slices.Equal(a, b) })

// settled reports whether nothing is queued or being retried.
func (f *hubFixture) settled() bool {
	for _, st := range f.hub.Status() {
		if st.Queued != 0 || st.State == "retrying" {
			return false
		}
	}
	return true
}

func (f *hubFixture) checkOutcome(t *testing.T, outcome string) {
	t.Helper()
	recs := f.recorded()
	if outcome == "" {
		if len(recs) != 0 {
			t.Errorf("recorded %+v, want nothing", recs)
		}
		return
	}
	if len(recs) != 1 || recs[0].Outcome != outcome || recs[0].Attempts != 3 || recs[0].Count != 1 ||
		recs[0].Subscription != "s" || recs[0].Error == "" {
		t.Errorf("recorded %+v, want one %s after 3 attempts", recs, outcome)
	}
}

func (f *hubFixture) checkState(t *testing.T, id, state string) {
	t.Helper()
	var got string
	for _, st := range f.hub.Status() {
		if st.ID == id {
			got = st.State
		}
	}
	if got != state {
		t.Errorf("state %q, want %q", got, state)
	}
}

func TestHubDisabledSubscriptionPutAgainDelivers(t *testing.T) {
	l := newListener(t, nil)
	f := newHub(t, nil)
	s := testSub("s", l.url(), PolicyDisable)
	s.Disabled = true
	f.hub.Put(s)
	f.hub.Handle(failoverRecord(1, "redset:a"))
	s.Disabled = false
	f.hub.Put(s)
	f.hub.Handle(failoverRecord(2, "redset:a"))
	eventually(t, "the delivery", func() bool { return len(l.received()) == 1 })
	if got := l.received()[0]; got.Seq != 0 || got.Set != "redset:a" {
		t.Errorf("received %+v, want sequence number 0", got)
	}
}

func TestHubBurstToSlowListener(t *testing.T) {
	l := newListener(t, nil)
	l.delay = time.Millisecond
	f := newHub(t, func(o *HubOptions) { o.QueueSize = 1000 })
	f.hub.Put(testSub("s", l.url(), PolicyIgnore))
	const n = 10000
	start := time.Now()
	for i := range n {
		f.hub.Handle(failoverRecord(uint64(i+1), "redset:a"))
	}
	t.Logf("queued %d indications in %v (%v each)", n, time.Since(start), time.Since(start)/n)
	eventually(t, "the queue empties", func() bool { return f.status(t, "s").Queued == 0 })
	st := f.status(t, "s")
	got := seqs(l.received())
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatalf("the listener got the indications out of order")
	}
	if uint64(len(got))+st.Dropped != n || st.Delivered != uint64(len(got)) || st.Dropped == 0 {
		t.Errorf("received %d, status %+v: want %d in all, some dropped", len(got), st, n)
	}
	if recs := f.recorded(); len(recs) != 1 || recs[0].Outcome != event.IndicationDropped {
		t.Errorf("recorded %+v, want one drop record within the interval", recs)
	}
	f.hub.Close()
	var counted int
	for _, r := range f.recorded() {
		counted += r.Count
	}
	if recs := f.recorded(); len(recs) != 2 || uint64(counted) != st.Dropped {
		t.Errorf("after Close recorded %d records counting %d drops, want 2 counting %d", len(recs), counted, st.Dropped)
	}
}

func TestHubSequenceContinuesAfterRestart(t *testing.T) {
	path := tempStorePath(t)
	l := newListener(t, nil)
	st := openBolt(t, path)
	f := newHub(t, func(o *HubOptions) { o.Store = st })
	f.hub.Put(testSub("s", l.url(), PolicyIgnore))
	for i := range 5 {
		f.hub.Handle(failoverRecord(uint64(i+1), "redset:a"))
	}
	eventually(t, "five deliveries", func() bool { return len(l.received()) == 5 })
	if err := f.hub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openBolt(t, path)
	defer st.Close()
	again := newHub(t, func(o *HubOptions) { o.Store = st })
	again.hub.Put(testSub("s", l.url(), PolicyIgnore))
	again.hub.Handle(failoverRecord(6, "redset:a"))
	eventually(t, "a sixth delivery", func() bool { return len(l.received()) == 6 })
	if got := seqs(l.received()); !slices.Equal(got, []int64{0, 1, 2, 3, 4, 5}) {
		t.Errorf("after a clean restart, sequence numbers %v", got)
	}

	// A crash: the running Hub's block is not given back; the next one
	// skips the rest of it and reuses nothing.
	crashed := newHub(t, func(o *HubOptions) { o.Store = st })
	crashed.hub.Put(testSub("s", l.url(), PolicyIgnore))
	crashed.hub.Handle(failoverRecord(7, "redset:a"))
	eventually(t, "a seventh delivery", func() bool { return len(l.received()) == 7 })
	if got := l.received()[6].Seq; got != 6+DefaultSeqBlock {
		t.Errorf("after a crash, sequence number %d, want %d", got, 6+DefaultSeqBlock)
	}
}

func TestHubSequenceContextChangeStartsAgain(t *testing.T) {
	l := newListener(t, nil)
	st := openBolt(t, tempStorePath(t))
	defer st.Close()
	f := newHub(t, func(o *HubOptions) { o.Store = st })
	s := testSub("s", l.url(), PolicyIgnore)
	f.hub.Put(s)
	f.hub.Handle(failoverRecord(1, "redset:a"))
	f.hub.Handle(failoverRecord(2, "redset:a"))
	s.SequenceContext = "another"
	f.hub.Put(s)
	f.hub.Handle(failoverRecord(3, "redset:a"))
	eventually(t, "three deliveries", func() bool { return len(l.received()) == 3 })
	if got := seqs(l.received()); !slices.Equal(got, []int64{0, 1, 0}) {
		t.Errorf("sequence numbers %v, want 0 1 then 0 in the new context", got)
	}
	f.hub.Remove("s")
	f.hub.Put(s)
	f.hub.Handle(failoverRecord(4, "redset:a"))
	eventually(t, "a fourth delivery", func() bool { return len(l.received()) == 4 })
	if got := l.received()[3].Seq; got != 0 {
		t.Errorf("after Remove and Put, sequence number %d, want 0", got)
	}
}

func TestHubDeliversOnlyWhileActive(t *testing.T) {
	l := newListener(t, nil)
	var active atomic.Bool
	f := newHub(t, func(o *HubOptions) { o.Active = active.Load })
	f.hub.Put(testSub("s", l.url(), PolicyIgnore))
	f.hub.Handle(failoverRecord(1, "redset:a"))
	if st := f.status(t, "s"); st.Queued != 0 || st.NextSequence != -1 {
		t.Errorf("while not active: %+v", st)
	}
	active.Store(true)
	f.hub.Handle(failoverRecord(2, "redset:a"))
	eventually(t, "the delivery", func() bool { return len(l.received()) == 1 })
	if got := l.received()[0]; got.Seq != 0 {
		t.Errorf("first delivery %+v, want sequence number 0", got)
	}
	if l.requests() != 1 {
		t.Errorf("%d requests, want 1", l.requests())
	}
}

func TestHubExpiry(t *testing.T) {
	l := newListener(t, nil)
	f := newHub(t, nil)
	s := testSub("s", l.url(), PolicyIgnore)
	s.Expires = f.clock.Now().Add(time.Minute)
	f.hub.Put(s)
	f.clock.Advance(59 * time.Second)
	if len(f.hub.Status()) != 1 {
		t.Fatal("expired early")
	}
	f.clock.Advance(time.Second)
	if got := f.endedList(); !slices.Equal(got, []string{"s expired"}) {
		t.Errorf("ended %v", got)
	}
	if len(f.hub.Status()) != 0 {
		t.Error("the expired subscription is still in the Hub")
	}
	if recs := f.recorded(); len(recs) != 1 || recs[0].Outcome != event.IndicationExpired {
		t.Errorf("recorded %+v", recs)
	}
	f.hub.Handle(failoverRecord(1, "redset:a"))
	if l.requests() != 0 {
		t.Error("delivered to an expired subscription")
	}
}

func TestHubUnknownProtocolFailsAtOnce(t *testing.T) {
	f := newHub(t, nil)
	s := testSub("s", "http://127.0.0.1:1/", PolicyRemove)
	s.Destination.Protocol = "nope"
	f.hub.Put(s)
	f.hub.Handle(failoverRecord(1, "redset:a"))
	eventually(t, "the policy", func() bool { return len(f.endedList()) == 1 })
	if recs := f.recorded(); len(recs) != 1 || recs[0].Attempts != 1 || recs[0].Outcome != event.IndicationRemoved {
		t.Errorf("recorded %+v, want removed after 1 attempt", recs)
	}
}

// TestHubSlowDestinationHoldsOnlyItself: a destination that does not
// answer does not hold Handle or another destination.
func TestHubSlowDestinationHoldsOnlyItself(t *testing.T) {
	stuck := make(chan struct{})
	slow := newListener(t, nil)
	slow.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-stuck })
	defer close(stuck)
	fast := newListener(t, nil)
	f := newHub(t, nil)
	f.hub.Put(testSub("a", slow.url(), PolicyIgnore))
	f.hub.Put(testSub("b", fast.url(), PolicyIgnore))
	for i := range 20 {
		f.hub.Handle(failoverRecord(uint64(i+1), "redset:a"))
	}
	eventually(t, "the fast destination's deliveries", func() bool { return len(fast.received()) == 20 })
	if st := f.status(t, "a"); st.Queued == 0 {
		t.Errorf("the stuck destination's queue is empty: %+v", st)
	}
}

func TestEndReasonString(t *testing.T) {
	for r, want := range map[EndReason]string{EndDisabled: "disabled", EndRemoved: "removed", EndExpired: "expired", 0: "unknown"} {
		if got := r.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", r, got, want)
		}
	}
	if !IsPermanent(Permanent(errors.New("x"))) || IsPermanent(errors.New("x")) || Permanent(nil) != nil {
		t.Error("Permanent / IsPermanent disagree")
	}
}

func TestHubLosingLeadershipDropsTheQueue(t *testing.T) {
	stuck := make(chan struct{})
	l := newListener(t, nil)
	l.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-stuck })
	var active atomic.Bool
	active.Store(true)
	f := newHub(t, func(o *HubOptions) { o.Active = active.Load })
	s := testSub("s", l.url(), PolicyDisable)
	s.Expires = f.clock.Now().Add(time.Hour)
	f.hub.Put(s)
	for i := range 5 {
		f.hub.Handle(failoverRecord(uint64(i+1), "redset:a"))
	}
	eventually(t, "a send under way", func() bool {
		return f.status(t, "s").Queued == 5 && len(f.hub.Stats()) == 1 && f.hub.Stats()[0].Queued == 4
	})
	active.Store(false)
	f.hub.Handle(failoverRecord(6, "redset:a"))
	if st := f.hub.Stats(); st[0].Queued != 0 || st[0].Dropped != 4 {
		t.Errorf("after losing the lead: %+v, want the 4 waiting dropped", st)
	}
	close(stuck) // the send under way ends
	eventually(t, "the send settled", func() bool { return f.status(t, "s").Queued == 0 })
	f.clock.Advance(time.Hour)
	if len(f.hub.Status()) != 0 {
		t.Error("the expired subscription is still in the Hub")
	}
	if got := f.endedList(); len(got) != 0 {
		t.Errorf("a Hub that does not deliver ended %v", got)
	}
	if recs := f.recorded(); len(recs) != 0 {
		t.Errorf("a Hub that does not deliver recorded %+v", recs)
	}
}

func TestHubStartReadsAChannel(t *testing.T) {
	l := newListener(t, nil)
	f := newHub(t, nil)
	f.hub.Put(testSub("s", l.url(), PolicyIgnore))
	records := make(chan event.Record, 3)
	f.hub.Start(t.Context(), records)
	for i := range 3 {
		records <- failoverRecord(uint64(i+1), "redset:s"+itoa(i))
	}
	eventually(t, "three deliveries", func() bool { return len(l.received()) == 3 })
	if got := seqs(l.received()); !slices.Equal(got, []int64{0, 1, 2}) {
		t.Errorf("sequence numbers %v", got)
	}
	if err := f.hub.Close(); err != nil { // ends the reader
		t.Fatal(err)
	}
}

// TestHubObservesWhatNobodySees: a record read while the Hub has no
// subscription goes to Observe, not to the Source; once a subscription
// exists, records go to the Source and no longer to Observe.
func TestHubObservesWhatNobodySees(t *testing.T) {
	var mu sync.Mutex
	var built, observed []uint64
	l := newListener(t, nil)
	f := newHub(t, func(o *HubOptions) {
		o.Source = func(ctx context.Context, r event.Record) []Indication {
			mu.Lock()
			built = append(built, r.Seq)
			mu.Unlock()
			return testSource(ctx, r)
		}
		o.Observe = func(_ context.Context, r event.Record) {
			mu.Lock()
			observed = append(observed, r.Seq)
			mu.Unlock()
		}
	})
	f.hub.Handle(failoverRecord(1, "redset:a"))
	f.hub.Put(testSub("a", l.url(), PolicyIgnore))
	f.hub.Handle(failoverRecord(2, "redset:a"))
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(observed, []uint64{1}) || !slices.Equal(built, []uint64{2}) {
		t.Errorf("observed %v and built %v, want [1] and [2]", observed, built)
	}
}
