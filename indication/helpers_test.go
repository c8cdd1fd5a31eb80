package indication

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/event"
	"github.com/redset/redset/internal/clock"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
	"github.com/redset/redset/wql"
)

const testNamespace = "root/hypervcluster/v2"

// newFakeClock is the tests' hand-moved clock.
func newFakeClock() *clock.Manual {
	return clock.NewManual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

// advanceWhenWaiting waits until something waits d on the clock (a retry),
// then lets d pass.
func advanceWhenWaiting(t *testing.T, c *clock.Manual, d time.Duration) {
	t.Helper()
	eventually(t, "a timer of "+d.String(), func() bool { return c.PendingAt(d) })
	c.Advance(d)
}

// eventually polls cond until it holds or 10 seconds pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		<-tick.C
	}
}

// testSource indicates one FailoverIndication per FailoverSucceeded
// record, with the record's member as its Member property and SetID as
// SetID.
func testSource(_ context.Context, r event.Record) []Indication {
	if r.Kind != event.KindFailoverSucceeded {
		return nil
	}
	inst := cim.Instance{ClassName: "Test_FailoverIndication", Properties: []cim.PropertyValue{
		{Name: "SetID", Value: cim.NewString(r.SetID)},
		{Name: "Member", Value: cim.NewString(r.Member)},
	}}
	return []Indication{{Seq: r.Seq, Time: r.Time, Namespace: testNamespace, Instance: inst}}
}

func failoverRecord(seq uint64, set string) event.Record {
	return event.Record{Seq: seq, Time: time.Now(), Kind: event.KindFailoverSucceeded, SetID: set, Member: "m",
		Failover: &event.Failover{Planned: true, From: "a", To: "b"}}
}

// testIsa: Test_FailoverIndication is a CIM_Indication.
func testIsa(class, target string) bool {
	return strings.EqualFold(class, target) ||
		strings.EqualFold(target, "CIM_Indication") && strings.EqualFold(class, "Test_FailoverIndication")
}

func mustQuery(t testing.TB, q string) *wql.Query {
	t.Helper()
	parsed, err := wql.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

// received is one delivery as the test listener read it.
type received struct {
	Sub     string `json:"sub"`
	Context string `json:"context"`
	Seq     int64  `json:"seq"`
	Filter  string `json:"filter"`
	Set     string `json:"set"`
}

// testEncoding writes deliveries as a JSON array of received.
func testEncoding(batch int) Encoding {
	return Encoding{MaxBatch: batch, Encode: func(_ Destination, ds []Delivery) (Message, error) {
		out := make([]received, len(ds))
		for i, d := range ds {
			set, _ := d.Instance.Get("SetID")
			out[i] = received{Sub: d.Subscription, Context: d.SequenceContext, Seq: d.SequenceNumber, Filter: d.FilterName, Set: set.Str()}
		}
		body, err := json.Marshal(out)
		return Message{Header: http.Header{"Content-Type": {"application/json"}}, Body: body}, err
	}}
}

// listener is a loopback HTTP listener that keeps what it receives; answer
// decides each request's status (nil: 200).
type listener struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	posts  int
	answer func(n int) int // status of the n-th request (from 1)
	delay  time.Duration
}

func newListener(t testing.TB, answer func(n int) int) *listener {
	l := &listener{answer: answer}
	l.srv = httptest.NewServer(http.HandlerFunc(l.serve))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *listener) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if l.delay > 0 {
		time.Sleep(l.delay) // the slow listener's own work, not a wait for a condition
	}
	l.mu.Lock()
	l.posts++
	code := http.StatusOK
	if l.answer != nil {
		code = l.answer(l.posts)
	}
	if code == http.StatusOK {
		var rs []received
		if json.Unmarshal(body, &rs) == nil {
			l.got = append(l.got, rs...)
		}
	}
	l.mu.Unlock()
	w.WriteHeader(code)
}

func (l *listener) received() []received {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got)
}

func (l *listener) requests() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.posts
}

func (l *listener) url() string { return l.srv.URL + "/" }

func testSub(id, addr string, policy Policy) Subscription {
	return Subscription{ID: id, Owner: "admin", OnFatalError: policy, SequenceContext: "ctx-" + id,
		Filter:      Filter{Name: "f-" + id, Query: mustQueryOnce("SELECT * FROM CIM_Indication")},
		Destination: Destination{ID: addr, Protocol: "test", Address: addr}}
}

func mustQueryOnce(q string) *wql.Query {
	parsed, err := wql.Parse(q)
	if err != nil {
		panic(err)
	}
	return parsed
}

// hubFixture is a Hub with a test sender, a fake clock and what it ended
// and recorded.
type hubFixture struct {
	hub     *Hub
	clock   *clock.Manual
	mu      sync.Mutex
	ended   []string // "id reason"
	records []event.IndicationDelivery
}

func newHub(t testing.TB, edit func(*HubOptions)) *hubFixture {
	f := &hubFixture{clock: newFakeClock()}
	o := HubOptions{
		Source: testSource, Isa: testIsa, Clock: f.clock,
		Senders:       map[string]Sender{"test": NewHTTPSender(testEncoding(1), SendOptions{Timeout: 5 * time.Second})},
		RetryAttempts: 2, RetryInterval: time.Second,
		Ended:  f.end,
		Record: f.record,
	}
	if edit != nil {
		edit(&o)
	}
	f.hub = NewHub(o)
	t.Cleanup(func() { f.hub.Close() })
	return f
}

func (f *hubFixture) end(id string, why EndReason) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended = append(f.ended, id+" "+why.String())
}

func (f *hubFixture) record(d event.IndicationDelivery) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = append(f.records, d)
}

func (f *hubFixture) endedList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ended)
}

func (f *hubFixture) recorded() []event.IndicationDelivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.records)
}

func (f *hubFixture) status(t testing.TB, id string) SubscriptionStatus {
	t.Helper()
	for _, s := range f.hub.Status() {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no status of subscription %s", id)
	return SubscriptionStatus{}
}

// openBolt opens a bbolt store at path; the caller closes it.
func openBolt(t testing.TB, path string) store.Store {
	t.Helper()
	st, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func tempStorePath(t testing.TB) string { return filepath.Join(t.TempDir(), "redset.db") }

func seqs(rs []received) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.Seq
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// senderFunc is a Sender that runs f and succeeds.
type senderFunc func()

func (f senderFunc) Send(context.Context, Destination, []Delivery) error {
	f()
	return nil
}
