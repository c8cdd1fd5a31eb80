package indication

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/event"
	"github.com/redset/redset/store/bolt"
)

// fakeHub records the subscriptions it is given.
type fakeHub struct {
	mu   sync.Mutex
	subs map[string]Subscription
	puts chan string // the id of each Put, for tests that wait for one
	rems chan string // the id of each Remove
}

func newFakeHub() *fakeHub {
	return &fakeHub{subs: map[string]Subscription{}, puts: make(chan string, 100), rems: make(chan string, 100)}
}

func (h *fakeHub) Put(s Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[s.ID] = s
	h.puts <- s.ID
}

func (h *fakeHub) Remove(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, id)
	h.rems <- id
}

func (h *fakeHub) get(id string) (Subscription, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.subs[id]
	return s, ok
}

// recorder collects what a WSEventing sends: push deliveries, heartbeats
// and SubscriptionEnd messages.
type recorder struct {
	mu    sync.Mutex
	sent  []Delivery
	beats []string
	ends  []WSEnd
	fail  error
}

func (r *recorder) Send(_ context.Context, dest Destination, ds []Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.sent = append(r.sent, ds...)
	return nil
}

func (r *recorder) heartbeat(_ context.Context, dest Destination) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.beats = append(r.beats, dest.ID)
	return nil
}

func (r *recorder) end(_ context.Context, e WSEnd) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ends = append(r.ends, e)
}

func (r *recorder) counts() (sent, beats, ends int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent), len(r.beats), len(r.ends)
}

type wsFixture struct {
	w     *WSEventing
	hub   *fakeHub
	clock *registryClock
	rec   *recorder
	opts  WSEventingOptions
}

func newWSFixture(t *testing.T, edit func(*WSEventingOptions)) *wsFixture {
	t.Helper()
	f := &wsFixture{hub: newFakeHub(), clock: &registryClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, rec: &recorder{}}
	f.opts = WSEventingOptions{Hub: f.hub, Push: f.rec, Heartbeat: f.rec.heartbeat, End: f.rec.end, Clock: f.clock.Now,
		History: testHistory, Source: wsTestSource, Matches: classMatches}
	if edit != nil {
		edit(&f.opts)
	}
	f.w = NewWSEventing(f.opts)
	return f
}

// testHistory holds records 1 to 5; each makes one indication of class
// Msvm_FailoverIndication.
func testHistory(after uint64) []event.Record {
	var rs []event.Record
	for seq := after + 1; seq <= 5; seq++ {
		rs = append(rs, event.Record{Seq: seq})
	}
	return rs
}

func wsTestSource(_ context.Context, r event.Record) []Indication {
	return []Indication{testIndication(r.Seq)}
}

func testIndication(seq uint64) Indication {
	return Indication{Seq: seq, Namespace: "root/hypervcluster/v2", Instance: cim.Instance{ClassName: "Msvm_FailoverIndication"}}
}

// classMatches selects by the FROM class alone (the Hub's filter does the
// rest).
func classMatches(f Filter, ind Indication) bool {
	return strings.EqualFold(f.Query.ClassName(), ind.Instance.ClassName)
}

func pushRequest(owner string) WSSubscribe {
	return WSSubscribe{Owner: owner, Mode: "push", Namespace: "root/hypervcluster/v2", NotifyTo: "http://127.0.0.1:9/e", EndTo: "http://127.0.0.1:9/end",
		Dialect: "WQL", Query: "SELECT * FROM Msvm_FailoverIndication"}
}

func pullRequest(owner string) WSSubscribe {
	r := pushRequest(owner)
	r.Mode, r.NotifyTo = "pull", ""
	return r
}

func kindOf(err error) WSErrorKind {
	var we *WSError
	if errors.As(err, &we) {
		return we.Kind
	}
	return 0
}

// TestWSSubscribeGivesTheHub checks that a subscription reaches the Hub
// with its filter and destination, and the expiry granted.
func TestWSSubscribeGivesTheHub(t *testing.T) {
	f := newWSFixture(t, func(o *WSEventingOptions) { o.MaxExpires = time.Hour })
	ctx := context.Background()
	tests := []struct {
		name    string
		req     WSSubscribe
		want    time.Duration
		proto   string
		ack     bool
		address string
	}{
		{"push, none asked", pushRequest("alice"), time.Hour, ProtocolWSManPush, false, "http://127.0.0.1:9/e"},
		{"pull, ten minutes", with(pullRequest("alice"), func(r *WSSubscribe) { r.Expires = 10 * time.Minute }), 10 * time.Minute, ProtocolWSManPull, false, ""},
		{"ack, too long", with(pushRequest("alice"), func(r *WSSubscribe) { r.Mode, r.Expires = "pushwithack", 48*time.Hour }), time.Hour, ProtocolWSManPush, true, "http://127.0.0.1:9/e"},
		{"events, at a time", with(pushRequest("alice"), func(r *WSSubscribe) { r.Mode, r.ExpiresAt = "events", f.clock.Now().Add(30*time.Minute) }), 30 * time.Minute, ProtocolWSManPush, true, "http://127.0.0.1:9/e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, g, err := f.w.Subscribe(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if g.Duration != tt.want || !g.At.Equal(f.clock.Now().Add(tt.want)) {
				t.Errorf("granted %+v, want %v", g, tt.want)
			}
			s, ok := f.hub.get(id)
			if !ok {
				t.Fatalf("the Hub has no %s", id)
			}
			d := s.Destination
			if d.Protocol != tt.proto || d.Ack != tt.ack || d.Address != tt.address || s.Owner != "alice" || s.Filter.Query.ClassName() != "Msvm_FailoverIndication" || !s.Expires.Equal(g.At) ||
				len(s.Filter.SourceNamespaces) != 1 || s.Filter.SourceNamespaces[0] != "root/hypervcluster/v2" {
				t.Errorf("subscription %+v", s)
			}
		})
	}
}

// waitPut waits for the Hub to be given id.
func waitPut(t *testing.T, h *fakeHub, id string) {
	t.Helper()
	waitID(t, h.puts, id)
}

// waitID waits for id on ch, skipping others.
func waitID(t *testing.T, ch chan string, id string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case got := <-ch:
			if got == id {
				return
			}
		case <-timeout:
			t.Fatalf("%s never came", id)
		}
	}
}

func with(r WSSubscribe, edit func(*WSSubscribe)) WSSubscribe {
	edit(&r)
	return r
}

// TestWSRefusals checks each refusal of the subscription manager.
func TestWSRefusals(t *testing.T) {
	ctx := context.Background()
	f := newWSFixture(t, func(o *WSEventingOptions) {
		o.MaxPerUser = 1
		o.IndicationClass = func(n string) bool { return strings.HasSuffix(n, "Indication") || strings.HasPrefix(n, "CIM_Inst") }
	})
	id, _, err := f.w.Subscribe(ctx, pushRequest("alice"))
	if err != nil {
		t.Fatal(err)
	}
	pushID := id
	tests := []struct {
		name string
		do   func() error
		want WSErrorKind
	}{
		{"bad query", func() error {
			_, _, err := f.w.Subscribe(ctx, with(pushRequest("bob"), func(r *WSSubscribe) { r.Query = "SELECT FROM" }))
			return err
		}, WSBadFilter},
		{"not an indication class", func() error {
			_, _, err := f.w.Subscribe(ctx, with(pushRequest("bob"), func(r *WSSubscribe) { r.Query = "SELECT * FROM Msvm_RedundancySet" }))
			return err
		}, WSBadFilter},
		{"unknown dialect", func() error {
			_, _, err := f.w.Subscribe(ctx, with(pushRequest("bob"), func(r *WSSubscribe) { r.Dialect = "XPath" }))
			return err
		}, WSBadFilter},
		{"past expiry", func() error {
			_, _, err := f.w.Subscribe(ctx, with(pushRequest("bob"), func(r *WSSubscribe) { r.ExpiresAt = f.clock.Now().Add(-time.Second) }))
			return err
		}, WSBadExpiry},
		{"bookmark of another server", func() error {
			_, _, err := f.w.Subscribe(ctx, with(pushRequest("bob"), func(r *WSSubscribe) { r.Bookmark = "abc" }))
			return err
		}, WSBadBookmark},
		{"over the cap", func() error {
			_, _, err := f.w.Subscribe(ctx, pushRequest("alice"))
			return err
		}, WSQuota},
		{"renew another's", func() error {
			_, err := f.w.Renew(ctx, "bob", false, pushID, time.Minute, time.Time{})
			return err
		}, WSNotOwner},
		{"status of unknown", func() error {
			_, err := f.w.Status("alice", false, "uuid:nope")
			return err
		}, WSUnknown},
		{"unsubscribe another's", func() error { return f.w.Unsubscribe(ctx, "bob", false, pushID) }, WSNotOwner},
		{"pull a push subscription", func() error {
			_, err := f.w.Pull(ctx, "alice", false, pushID, 1, 0)
			return err
		}, WSBadMode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kindOf(tt.do()); got != tt.want {
				t.Errorf("refusal kind %d, want %d", got, tt.want)
			}
		})
	}
	if _, err := f.w.Status("root", true, pushID); err != nil {
		t.Errorf("an admin reads any subscription: %v", err)
	}
	if _, ok := f.hub.get(pushID); !ok {
		t.Error("refused requests changed the first subscription")
	}
}

// TestWSRenewStatusUnsubscribe follows one subscription's life.
func TestWSRenewStatusUnsubscribe(t *testing.T) {
	ctx := context.Background()
	f := newWSFixture(t, nil)
	id, _, err := f.w.Subscribe(ctx, with(pushRequest("alice"), func(r *WSSubscribe) { r.Expires = time.Minute }))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second)
	g, err := f.w.Renew(ctx, "alice", false, id, 5*time.Minute, time.Time{})
	if err != nil || g.Duration != 5*time.Minute {
		t.Fatalf("renew: %+v %v", g, err)
	}
	if s, _ := f.hub.get(id); !s.Expires.Equal(g.At) {
		t.Errorf("the Hub's expiry %v, want the renewed %v", s.Expires, g.At)
	}
	f.clock.Advance(time.Minute)
	st, err := f.w.Status("alice", false, id)
	if err != nil || st.Duration != 4*time.Minute {
		t.Errorf("status %+v %v, want 4m left", st, err)
	}
	if err := f.w.Unsubscribe(ctx, "alice", false, id); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.hub.get(id); ok || f.w.Owns(id) {
		t.Error("the subscription outlived Unsubscribe")
	}
	if _, _, ends := f.rec.counts(); ends != 0 {
		t.Errorf("Unsubscribe sent %d SubscriptionEnd messages, want none", ends)
	}
}

// TestWSExpiryAndHeartbeats checks Tick: heartbeats when a push
// subscription sent nothing for its interval, and SubscriptionEnd at
// expiry.
func TestWSExpiryAndHeartbeats(t *testing.T) {
	ctx := context.Background()
	f := newWSFixture(t, nil)
	id, _, err := f.w.Subscribe(ctx, with(pushRequest("alice"), func(r *WSSubscribe) { r.Expires, r.Heartbeats = time.Minute, 10*time.Second }))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	f.w.Tick(ctx)
	if _, beats, _ := f.rec.counts(); beats != 0 {
		t.Fatalf("%d heartbeats before the interval", beats)
	}
	f.clock.Advance(5 * time.Second)
	f.w.Tick(ctx)
	if _, beats, _ := f.rec.counts(); beats != 1 {
		t.Fatalf("%d heartbeats at the interval, want 1", beats)
	}
	f.clock.Advance(5 * time.Second)
	if err := f.w.Send(ctx, Destination{ID: id, Protocol: ProtocolWSManPush}, []Delivery{{Indication: testIndication(1)}}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(9 * time.Second)
	f.w.Tick(ctx)
	if _, beats, _ := f.rec.counts(); beats != 1 {
		t.Errorf("a heartbeat within the interval after an event (%d)", beats)
	}
	f.clock.Advance(time.Minute)
	f.w.Tick(ctx)
	if _, _, ends := f.rec.counts(); ends != 1 || f.w.Owns(id) {
		t.Fatalf("expiry: %d ends, still owned %v", ends, f.w.Owns(id))
	}
	if e := f.rec.ends[0]; e.ID != id || e.Status != WSEndCancelling || e.EndTo != "http://127.0.0.1:9/end" {
		t.Errorf("SubscriptionEnd %+v", e)
	}
	if _, ok := f.hub.get(id); ok {
		t.Error("the Hub still holds the expired subscription")
	}
}

// TestWSPullQueue checks a pull subscription's queue: order, MaxElements,
// the wait, the bound (dropped events counted), bookmarks.
func TestWSPullQueue(t *testing.T) {
	ctx := context.Background()
	f := newWSFixture(t, func(o *WSEventingOptions) { o.PullQueue = 3 })
	id, _, err := f.w.Subscribe(ctx, with(pullRequest("alice"), func(r *WSSubscribe) { r.SendBookmarks = true }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.Pull(ctx, "alice", false, id, 5, time.Millisecond); kindOf(err) != WSTimedOut {
		t.Fatalf("an empty queue: %v, want timed out", err)
	}
	dest := Destination{ID: id, Protocol: ProtocolWSManPull}
	var ds []Delivery
	for seq := uint64(1); seq <= 5; seq++ {
		ds = append(ds, Delivery{Indication: testIndication(seq)})
	}
	if err := f.w.Send(ctx, dest, ds); err != nil {
		t.Fatal(err)
	}
	p, err := f.w.Pull(ctx, "alice", false, id, 2, 0)
	if err != nil || wsSeqs(p.Deliveries) != "1 2" || p.Dropped != 2 || p.Bookmark != "2" {
		t.Fatalf("first pull %s dropped %d bookmark %q, %v; want 1 2, 2 dropped, bookmark 2", wsSeqs(p.Deliveries), p.Dropped, p.Bookmark, err)
	}
	p, err = f.w.Pull(ctx, "alice", false, id, 10, 0)
	if err != nil || wsSeqs(p.Deliveries) != "3" || p.Dropped != 0 {
		t.Fatalf("second pull %s dropped %d, %v", wsSeqs(p.Deliveries), p.Dropped, err)
	}
	got := make(chan string)
	go func() {
		p, err := f.w.Pull(ctx, "alice", false, id, 10, time.Minute)
		got <- wsSeqs(p.Deliveries) + errText(err)
	}()
	// The Pull waits; an event arriving ends the wait.
	if err := f.w.Send(ctx, dest, []Delivery{{Indication: testIndication(9)}}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "9" {
			t.Errorf("a waiting pull got %q, want 9", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a waiting pull did not see the event")
	}
}

// TestWSPullEndsWithSubscription checks that a waiting Pull returns when
// its subscription ends.
func TestWSPullEndsWithSubscription(t *testing.T) {
	ctx := context.Background()
	f := newWSFixture(t, nil)
	id, _, err := f.w.Subscribe(ctx, pullRequest("alice"))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error)
	go func() {
		_, err := f.w.Pull(ctx, "alice", false, id, 1, time.Hour)
		got <- err
	}()
	f.w.Close(ctx) // ends pull subscriptions; whether the Pull waits already or not, it must end
	select {
	case err := <-got:
		if k := kindOf(err); k != WSUnknown {
			t.Errorf("pull ended with %v, want unknown subscription", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the pull outlived its subscription")
	}
	if e := f.rec.ends[0]; e.Status != WSEndShuttingDown {
		t.Errorf("end status %d, want shutting down", e.Status)
	}
}

// TestWSBookmarkReplay checks that a bookmark replays the history after
// it: at once into a pull queue, sent before the Hub takes over for push.
func TestWSBookmarkReplay(t *testing.T) {
	ctx := context.Background()
	f := newWSFixture(t, nil)
	id, _, err := f.w.Subscribe(ctx, with(pullRequest("alice"), func(r *WSSubscribe) { r.Bookmark = "3" }))
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.w.Pull(ctx, "alice", false, id, 10, 0)
	if err != nil || wsSeqs(p.Deliveries) != "4 5" {
		t.Errorf("replay after 3: %s %v, want 4 5", wsSeqs(p.Deliveries), err)
	}
	id, _, err = f.w.Subscribe(ctx, with(pushRequest("alice"), func(r *WSSubscribe) { r.Bookmark = WSBookmarkEarliest }))
	if err != nil {
		t.Fatal(err)
	}
	waitPut(t, f.hub, id)
	if sent, _, _ := f.rec.counts(); sent != 5 {
		t.Errorf("replayed %d deliveries before the Hub took over, want 5", sent)
	}
	g := newWSFixture(t, func(o *WSEventingOptions) { o.History = nil })
	if _, _, err := g.w.Subscribe(ctx, with(pushRequest("alice"), func(r *WSSubscribe) { r.Bookmark = "1" })); kindOf(err) != WSBadBookmark {
		t.Errorf("a bookmark without history: %v", err)
	}
}

// growingPush is a push sender during whose first Send two more records
// reach the history (top moves from 5 to 7).
type growingPush struct {
	rec  *recorder
	top  *atomic.Uint64
	once sync.Once
}

func (g *growingPush) Send(ctx context.Context, dest Destination, ds []Delivery) error {
	g.once.Do(func() { g.top.Store(7) })
	return g.rec.Send(ctx, dest, ds)
}

// TestWSBookmarkReplayCatchesUp checks that the records made while a push
// replay is being sent are sent too, in order, before the Hub takes over.
func TestWSBookmarkReplayCatchesUp(t *testing.T) {
	var top atomic.Uint64
	top.Store(5)
	g := &growingPush{rec: &recorder{}, top: &top}
	f := newWSFixture(t, func(o *WSEventingOptions) {
		o.Push = g
		o.History = func(after uint64) []event.Record {
			var rs []event.Record
			for seq := after + 1; seq <= top.Load(); seq++ {
				rs = append(rs, event.Record{Seq: seq})
			}
			return rs
		}
	})
	id, _, err := f.w.Subscribe(context.Background(), with(pushRequest("alice"), func(r *WSSubscribe) { r.Bookmark = "3" }))
	if err != nil {
		t.Fatal(err)
	}
	waitPut(t, f.hub, id)
	g.rec.mu.Lock()
	defer g.rec.mu.Unlock()
	if got := wsSeqs(g.rec.sent); got != "4 5 6 7" {
		t.Errorf("replayed %s before the Hub took over, want 4 5 6 7", got)
	}
}

// TestWSPushSurvivesRestart checks that push subscriptions are stored and
// given to the Hub again by Load, that pull ones are not, and that one
// expired meanwhile is ended.
func TestWSPushSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "redset.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := newWSFixture(t, func(o *WSEventingOptions) { o.Store = st })
	long, _, err := f.w.Subscribe(ctx, with(pushRequest("alice"), func(r *WSSubscribe) { r.Expires = time.Hour }))
	if err != nil {
		t.Fatal(err)
	}
	short, _, err := f.w.Subscribe(ctx, with(pushRequest("alice"), func(r *WSSubscribe) { r.Expires = time.Minute }))
	if err != nil {
		t.Fatal(err)
	}
	pull, _, err := f.w.Subscribe(ctx, pullRequest("alice"))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Minute)
	g := newWSFixture(t, func(o *WSEventingOptions) { o.Store = st; o.Clock = f.clock.Now })
	if err := g.w.Load(ctx); err != nil {
		t.Fatal(err)
	}
	g.w.Tick(ctx)
	s, ok := g.hub.get(long)
	if !ok || s.Destination.Address != "http://127.0.0.1:9/e" || s.Filter.Query == nil {
		t.Errorf("the stored push subscription came back as %+v (%v)", s, ok)
	}
	if _, ok := g.hub.get(short); ok {
		t.Error("an expired subscription came back")
	}
	if _, ok := g.hub.get(pull); ok {
		t.Error("a pull subscription came back")
	}
	if _, _, ends := g.rec.counts(); ends != 1 {
		t.Errorf("%d SubscriptionEnd for the one expired meanwhile", ends)
	}
	kvs, _, err := st.List(ctx, wsKeyPrefix)
	if err != nil || len(kvs) != 1 {
		t.Errorf("%d stored subscriptions left, want 1 (%v)", len(kvs), err)
	}
}

func wsSeqs(ds []Delivery) string {
	var b []string
	for _, d := range ds {
		b = append(b, strconv.FormatUint(d.Seq, 10))
	}
	return strings.Join(b, " ")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return " " + err.Error()
}

// TestWSFollow checks that a server following the store (a cluster's
// follower) gives its Hub the push subscriptions the leader makes, renews
// and ends, and that it neither expires them nor sends heartbeats while
// it does not lead.
func TestWSFollow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "redset.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	leader := newWSFixture(t, func(o *WSEventingOptions) { o.Store = st })
	follower := newWSFixture(t, func(o *WSEventingOptions) {
		o.Store, o.Clock, o.Active = st, leader.clock.Now, func() bool { return false }
	})
	done := make(chan struct{})
	go func() { follower.w.Follow(ctx); close(done) }()

	id, _, err := leader.w.Subscribe(ctx, with(pushRequest("alice"), func(r *WSSubscribe) { r.Expires, r.Heartbeats = time.Minute, time.Second }))
	if err != nil {
		t.Fatal(err)
	}
	waitPut(t, follower.hub, id)
	g, err := leader.w.Renew(ctx, "alice", false, id, time.Hour, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	waitPut(t, follower.hub, id)
	if s, _ := follower.hub.get(id); !s.Expires.Equal(g.At) {
		t.Errorf("the follower's expiry %v, want the renewed %v", s.Expires, g.At)
	}
	leader.clock.Advance(2 * time.Hour)
	follower.w.Tick(ctx)
	if _, beats, ends := follower.rec.counts(); beats != 0 || ends != 0 || !follower.w.Owns(id) {
		t.Errorf("a follower's Tick acted: %d heartbeats, %d ends", beats, ends)
	}
	leader.w.Tick(ctx) // the leader ends it
	waitID(t, follower.hub.rems, id)
	if follower.w.Owns(id) {
		t.Error("the follower still holds the ended subscription")
	}
	if _, _, ends := follower.rec.counts(); ends != 0 {
		t.Error("the follower sent a SubscriptionEnd for the leader's")
	}
	cancel()
	<-done
}

// TestWSListAndCancel checks what operators see and their ending of a
// subscription, which tells its EndTo.
func TestWSListAndCancel(t *testing.T) {
	ctx := context.Background()
	f := newWSFixture(t, nil)
	a, _, err := f.w.Subscribe(ctx, pushRequest("alice"))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := f.w.Subscribe(ctx, pullRequest("bob"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.w.Send(ctx, Destination{ID: b, Protocol: ProtocolWSManPull}, []Delivery{{Indication: testIndication(1)}}); err != nil {
		t.Fatal(err)
	}
	if l := f.w.List("alice", false); len(l) != 1 || l[0].ID != a || l[0].Mode != "push" || !l[0].Created.Equal(f.clock.Now()) {
		t.Errorf("alice sees %+v", l)
	}
	all := f.w.List("root", true)
	if len(all) != 2 {
		t.Fatalf("an admin sees %d subscriptions, want 2", len(all))
	}
	for _, i := range all {
		if i.ID == b && i.Queued != 1 {
			t.Errorf("bob's queue shows %d, want 1", i.Queued)
		}
	}
	if err := f.w.Cancel(ctx, "alice", false, b); kindOf(err) != WSNotOwner {
		t.Errorf("alice cancelled bob's: %v", err)
	}
	if err := f.w.Cancel(ctx, "root", true, a); err != nil {
		t.Fatal(err)
	}
	if _, _, ends := f.rec.counts(); ends != 1 || f.w.Owns(a) {
		t.Errorf("cancel: %d ends, still owned %v", ends, f.w.Owns(a))
	}
}
