package indication

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
	"github.com/redset/redset/wql"
)

// WSEventing keeps the WS-Eventing subscriptions (WS-Management's, DSP0226
// clause 10) on top of the Hub: each is a Subscription the Hub delivers,
// to the destination protocol "wsman" (push: the deliveries go through
// WSEventingOptions.Push) or "wsman-pull" (WSEventing itself is the
// Sender, keeping a bounded queue that Pull empties).
//
// Push subscriptions are durable: kept in the store under indication/wsman/,
// given to the Hub again by Load after a restart, and followed (Follow) by
// every server of a cluster, so that a new leader delivers them. Pull subscriptions
// live in memory only: their queue would be lost anyway, and a client
// that pulls notices the end (its context is unknown) and subscribes
// again, with its last bookmark to miss nothing.
//
// A subscription belongs to the user who made it: only that user or an
// admin renews, reads, pulls or ends it. Each user has at most
// MaxPerUser subscriptions. Every subscription expires (at most MaxExpires
// after it was made or renewed); Tick ends the expired ones and sends the
// heartbeats that are due.
type WSEventing struct {
	o WSEventingOptions

	mu   sync.Mutex
	subs map[string]*wsSub
}

// WSEventingOptions configure a WSEventing. Hub is required; the others
// have defaults or are left out when nil.
type WSEventingOptions struct {
	Hub interface {
		Put(Subscription)
		Remove(id string)
	}
	Store store.Store // push subscriptions; nil keeps them in memory
	// Push sends the deliveries of push subscriptions (the "wsman"
	// destinations); Heartbeat sends one heartbeat to a destination.
	Push      Sender
	Heartbeat func(ctx context.Context, dest Destination) error
	// End sends a SubscriptionEnd to a subscription that asked for one.
	End func(ctx context.Context, e WSEnd)
	// History returns the event records after a sequence number that the
	// server still holds, in order; Source makes their indications and
	// Matches tells which a filter selects. Together they replay what a
	// bookmark asks for; without them bookmarks other than none are
	// refused.
	History func(afterSeq uint64) []event.Record
	Source  Source
	Matches func(f Filter, ind Indication) bool
	// IndicationClass, when set, tells whether a filter's FROM names an
	// indication class redset knows.
	IndicationClass func(name string) bool
	// Active tells whether this server delivers (a cluster's leader);
	// nil: always. Only then does Tick end expired subscriptions and send
	// heartbeats.
	Active     func() bool
	Clock      func() time.Time
	MaxExpires time.Duration // default 24h: the longest expiry granted
	MaxPerUser int           // default 100
	PullQueue  int           // default 1000 events per pull subscription
	Logger     *slog.Logger
}

// Defaults of WSEventingOptions.
const (
	defaultWSMaxExpires = 24 * time.Hour
	defaultWSMaxPerUser = 100
	defaultWSPullQueue  = 1000
	wsKeyPrefix         = "indication/wsman/"
)

// The destination protocols of WS-Eventing subscriptions.
const (
	ProtocolWSManPush = "wsman"
	ProtocolWSManPull = "wsman-pull"
)

// wsRecord is a subscription as stored (JSON under indication/wsman/<id>).
type wsRecord struct {
	ID            string        `json:"id"`
	Owner         string        `json:"owner"`
	Mode          string        `json:"mode"`
	ResourceURI   string        `json:"resourceURI"`
	Namespace     string        `json:"namespace,omitempty"`
	Manager       string        `json:"manager,omitempty"`
	NotifyTo      string        `json:"notifyTo,omitempty"`
	NotifyParams  string        `json:"notifyParams,omitempty"`
	EndTo         string        `json:"endTo,omitempty"`
	EndParams     string        `json:"endParams,omitempty"`
	Dialect       string        `json:"dialect"`
	Query         string        `json:"query"`
	Heartbeats    time.Duration `json:"heartbeats,omitempty"`
	SendBookmarks bool          `json:"sendBookmarks,omitempty"`
	MaxElements   int           `json:"maxElements,omitempty"`
	Expires       time.Time     `json:"expires"`
	Created       time.Time     `json:"created"`
}

// wsSub is a live subscription.
type wsSub struct {
	rec      wsRecord
	query    *wql.Query
	lastSent time.Time
	queue    *pullQueue // pull mode only
}

func (s *wsSub) pull() bool { return s.rec.Mode == "pull" }

// NewWSEventing returns a WSEventing with no subscriptions; Load brings
// back the stored ones.
func NewWSEventing(o WSEventingOptions) *WSEventing {
	if o.MaxExpires <= 0 {
		o.MaxExpires = defaultWSMaxExpires
	}
	if o.MaxPerUser <= 0 {
		o.MaxPerUser = defaultWSMaxPerUser
	}
	if o.PullQueue <= 0 {
		o.PullQueue = defaultWSPullQueue
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &WSEventing{o: o, subs: map[string]*wsSub{}}
}

// Subscribe makes a subscription. It returns the new identifier and the
// expiry granted; the caller's request was checked for form already.
func (w *WSEventing) Subscribe(ctx context.Context, r WSSubscribe) (string, WSGrant, error) {
	q, err := w.compile(r.Dialect, r.Query)
	if err != nil {
		return "", WSGrant{}, err
	}
	now := w.o.Clock()
	grant, err := w.grant(now, r.Expires, r.ExpiresAt)
	if err != nil {
		return "", WSGrant{}, err
	}
	after, err := w.bookmarkSeq(r.Bookmark)
	if err != nil {
		return "", WSGrant{}, err
	}
	s := &wsSub{query: q, lastSent: now, rec: wsRecord{ID: newWSID(), Owner: r.Owner, Mode: r.Mode,
		ResourceURI: r.ResourceURI, Namespace: r.Namespace, Manager: r.Manager, NotifyTo: r.NotifyTo, NotifyParams: r.NotifyParams,
		EndTo: r.EndTo, EndParams: r.EndParams, Dialect: r.Dialect, Query: r.Query, Heartbeats: r.Heartbeats,
		SendBookmarks: r.SendBookmarks, MaxElements: r.MaxElements, Expires: grant.At, Created: now}}
	if s.pull() {
		s.queue = newPullQueue(w.o.PullQueue)
	}
	if err := w.add(ctx, s); err != nil {
		return "", WSGrant{}, err
	}
	replay := w.replay(ctx, s, r.Bookmark != "", after)
	w.start(s, replay)
	return s.rec.ID, grant, nil
}

// compile parses the filter and checks its class.
func (w *WSEventing) compile(dialect, query string) (*wql.Query, error) {
	q, err := wql.ParseLanguage(dialect, query)
	if err != nil {
		return nil, wsErr(WSBadFilter, "%v", err)
	}
	if w.o.IndicationClass != nil && !w.o.IndicationClass(q.ClassName()) {
		return nil, wsErr(WSBadFilter, "%s is not an indication class of this server", q.ClassName())
	}
	return q, nil
}

// grant decides an expiry: what was asked, at most MaxExpires; nothing
// asked is MaxExpires.
func (w *WSEventing) grant(now time.Time, d time.Duration, at time.Time) (WSGrant, error) {
	if !at.IsZero() {
		if !at.After(now) {
			return WSGrant{}, wsErr(WSBadExpiry, "the expiry %s has passed", at.UTC().Format(time.RFC3339))
		}
		d = at.Sub(now)
	}
	if d <= 0 || d > w.o.MaxExpires {
		d = w.o.MaxExpires
	}
	return WSGrant{At: now.Add(d), Duration: d}, nil
}

// bookmarkSeq reads a bookmark: the sequence number of the last event
// record delivered, or 0 for the earliest.
func (w *WSEventing) bookmarkSeq(b string) (uint64, error) {
	if b == "" {
		return 0, nil
	}
	if w.o.History == nil || w.o.Source == nil || w.o.Matches == nil {
		return 0, wsErr(WSBadBookmark, "bookmarks are not available on this server")
	}
	if b == WSBookmarkEarliest {
		return 0, nil
	}
	n, err := strconv.ParseUint(b, 10, 64)
	if err != nil {
		return 0, wsErr(WSBadBookmark, "the bookmark %q was not sent by this server", b)
	}
	return n, nil
}

// add stores (push mode) and records a new subscription, within the
// owner's cap.
func (w *WSEventing) add(ctx context.Context, s *wsSub) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, o := range w.subs {
		if o.rec.Owner == s.rec.Owner {
			n++
		}
	}
	if n >= w.o.MaxPerUser {
		return wsErr(WSQuota, "%s already has %d subscriptions, the most one user may have", s.rec.Owner, n)
	}
	if !s.pull() {
		if err := w.save(ctx, s.rec); err != nil {
			return err
		}
	}
	w.subs[s.rec.ID] = s
	return nil
}

// replay builds the deliveries a bookmark asks for: the matching
// indications of the records after seq that the history holds.
func (w *WSEventing) replay(ctx context.Context, s *wsSub, asked bool, after uint64) []Delivery {
	if !asked {
		return nil
	}
	f := w.subscription(s).Filter
	var ds []Delivery
	for _, r := range w.o.History(after) {
		for _, ind := range w.o.Source(ctx, r) {
			if w.o.Matches(f, ind) {
				ds = append(ds, Delivery{Indication: ind, FilterName: f.Name, Subscription: s.rec.ID})
			}
		}
	}
	return ds
}

// start hands a new subscription to the Hub, after its replayed
// deliveries: queued at once for pull, sent first for push.
func (w *WSEventing) start(s *wsSub, replay []Delivery) {
	sub := w.subscription(s)
	if s.pull() || len(replay) == 0 || w.o.Push == nil {
		if s.pull() {
			s.queue.put(replay)
		}
		w.o.Hub.Put(sub)
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		w.sendReplay(ctx, s, sub, replay)
		w.o.Hub.Put(sub)
	}()
}

// maxReplayRounds bounds how often a push replay reads the history again
// for the records made while it was sending.
const maxReplayRounds = 8

// sendReplay sends the replayed deliveries, then those of the records the
// history gained meanwhile, again until a round finds none, so that the
// window in which a record reaches neither the replay nor the Hub is as
// short as one read of the history, not as long as the sending.
func (w *WSEventing) sendReplay(ctx context.Context, s *wsSub, sub Subscription, replay []Delivery) {
	for range maxReplayRounds {
		if len(replay) == 0 {
			return
		}
		if err := w.o.Push.Send(ctx, sub.Destination, replay); err != nil {
			w.o.Logger.Warn("wsman eventing: replaying after a bookmark failed", "subscription", sub.ID, "err", err)
			return
		}
		replay = w.replay(ctx, s, true, replay[len(replay)-1].Seq)
	}
}

// subscription is what the Hub delivers for s.
func (w *WSEventing) subscription(s *wsSub) Subscription {
	r := s.rec
	dest := Destination{ID: r.ID, Protocol: ProtocolWSManPush, Address: r.NotifyTo,
		Ack:   r.Mode == "pushwithack" || r.Mode == "events",
		Extra: map[string]string{"mode": r.Mode, "resourceURI": r.ResourceURI, "params": r.NotifyParams}}
	if r.SendBookmarks {
		dest.Extra["bookmarks"] = "true"
	}
	if r.MaxElements > 0 {
		dest.Extra["maxElements"] = strconv.Itoa(r.MaxElements)
	}
	if s.pull() {
		dest.Protocol, dest.Address = ProtocolWSManPull, ""
	}
	f := Filter{Name: "wsman:" + r.ID, Query: s.query}
	if r.Namespace != "" {
		f.SourceNamespaces = []string{r.Namespace}
	}
	return Subscription{ID: r.ID, Owner: r.Owner, Filter: f,
		Destination: dest, OnFatalError: PolicyRemove, Expires: r.Expires, SequenceContext: r.ID}
}

// lookup finds a subscription its caller may act on.
func (w *WSEventing) lookup(id, user string, admin bool) (*wsSub, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.subs[id]
	switch {
	case !ok:
		return nil, wsErr(WSUnknown, "no subscription %q", id)
	case s.rec.Owner != user && !admin:
		return nil, wsErr(WSNotOwner, "the subscription %q belongs to another user", id)
	}
	return s, nil
}

// Renew sets a new expiry.
func (w *WSEventing) Renew(ctx context.Context, user string, admin bool, id string, d time.Duration, at time.Time) (WSGrant, error) {
	s, err := w.lookup(id, user, admin)
	if err != nil {
		return WSGrant{}, err
	}
	grant, err := w.grant(w.o.Clock(), d, at)
	if err != nil {
		return WSGrant{}, err
	}
	w.mu.Lock()
	rec := s.rec
	rec.Expires = grant.At
	if !s.pull() {
		if err := w.save(ctx, rec); err != nil {
			w.mu.Unlock()
			return WSGrant{}, err
		}
	}
	s.rec = rec
	sub := w.subscription(s)
	w.mu.Unlock()
	w.o.Hub.Put(sub)
	return grant, nil
}

// Status returns the expiry of a subscription.
func (w *WSEventing) Status(user string, admin bool, id string) (WSGrant, error) {
	s, err := w.lookup(id, user, admin)
	if err != nil {
		return WSGrant{}, err
	}
	w.mu.Lock()
	at := s.rec.Expires
	w.mu.Unlock()
	return WSGrant{At: at, Duration: max(0, at.Sub(w.o.Clock()))}, nil
}

// Unsubscribe ends a subscription at its owner's request.
func (w *WSEventing) Unsubscribe(ctx context.Context, user string, admin bool, id string) error {
	if _, err := w.lookup(id, user, admin); err != nil {
		return err
	}
	_, err := w.drop(ctx, id)
	return err
}

// drop forgets a subscription: in the Hub, in memory and in the store.
func (w *WSEventing) drop(ctx context.Context, id string) (*wsSub, error) {
	w.mu.Lock()
	s, ok := w.subs[id]
	if ok {
		delete(w.subs, id)
	}
	w.mu.Unlock()
	if !ok {
		return nil, wsErr(WSUnknown, "no subscription %q", id)
	}
	w.o.Hub.Remove(id)
	if s.queue != nil {
		s.queue.close()
	}
	if s.pull() || w.o.Store == nil {
		return s, nil
	}
	_, err := w.o.Store.Commit(ctx, store.Txn{Ops: []store.Op{{Key: wsKeyPrefix + id, Delete: true}}})
	if err != nil {
		return s, wsErr(WSUnavailable, "forgetting the subscription: %v", err)
	}
	return s, nil
}

// WSInfo describes one WS-Eventing subscription for operators.
type WSInfo struct {
	ID, Owner        string
	Mode             string // "push", "pushwithack", "events" or "pull"
	Dialect, Query   string
	NotifyTo         string // push modes
	Created, Expires time.Time
	Queued           int // pull mode: events waiting to be pulled
}

// List returns the subscriptions user may see (an admin every one), sorted
// by ID.
func (w *WSEventing) List(user string, admin bool) []WSInfo {
	w.mu.Lock()
	var out []WSInfo
	for _, s := range w.subs {
		if s.rec.Owner != user && !admin {
			continue
		}
		r := s.rec
		info := WSInfo{ID: r.ID, Owner: r.Owner, Mode: r.Mode, Dialect: r.Dialect, Query: r.Query,
			NotifyTo: r.NotifyTo, Created: r.Created, Expires: r.Expires}
		if s.queue != nil {
			info.Queued = s.queue.len()
		}
		out = append(out, info)
	}
	w.mu.Unlock()
	slices.SortFunc(out, func(a, b WSInfo) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Cancel ends a subscription at an operator's request (the JSON API, the
// command line): like Unsubscribe, but its EndTo is told
// (SourceCancelling), since its subscriber did not ask.
func (w *WSEventing) Cancel(ctx context.Context, user string, admin bool, id string) error {
	if _, err := w.lookup(id, user, admin); err != nil {
		return err
	}
	w.Ended(ctx, id, WSEndCancelling, "an operator ended the subscription")
	return nil
}

// Owns reports whether id is a WS-Eventing subscription (the Hub's Ended
// calls go to the registry otherwise).
func (w *WSEventing) Owns(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.subs[id]
	return ok
}

// Ended ends a subscription the Hub gave up on (its destination kept
// failing) or expired: it is forgotten and its EndTo told why.
func (w *WSEventing) Ended(ctx context.Context, id string, status WSEndStatus, reason string) {
	s, err := w.drop(ctx, id)
	if s == nil {
		return
	}
	if err != nil {
		w.o.Logger.Warn("wsman eventing: ending a subscription", "subscription", id, "err", err)
	}
	w.sendEnd(ctx, s, status, reason)
}

func (w *WSEventing) sendEnd(ctx context.Context, s *wsSub, status WSEndStatus, reason string) {
	if s.rec.EndTo == "" || w.o.End == nil {
		return
	}
	w.o.End(ctx, WSEnd{ID: s.rec.ID, Manager: s.rec.Manager, EndTo: s.rec.EndTo, EndParams: s.rec.EndParams,
		ResourceURI: s.rec.ResourceURI, Status: status, Reason: reason})
}

// Tick ends the subscriptions expired at the clock's time (with a
// SubscriptionEnd) and sends the heartbeats that are due.
func (w *WSEventing) Tick(ctx context.Context) {
	if w.o.Active != nil && !w.o.Active() {
		return
	}
	now := w.o.Clock()
	var expired []string
	var beats []*wsSub
	w.mu.Lock()
	for id, s := range w.subs {
		switch {
		case !s.rec.Expires.IsZero() && !now.Before(s.rec.Expires):
			expired = append(expired, id)
		case !s.pull() && s.rec.Heartbeats > 0 && now.Sub(s.lastSent) >= s.rec.Heartbeats:
			s.lastSent = now
			beats = append(beats, s)
		}
	}
	w.mu.Unlock()
	for _, id := range expired {
		w.Ended(ctx, id, WSEndCancelling, "the subscription expired")
	}
	for _, s := range beats {
		w.heartbeat(ctx, s)
	}
}

func (w *WSEventing) heartbeat(ctx context.Context, s *wsSub) {
	if w.o.Heartbeat == nil {
		return
	}
	w.mu.Lock()
	dest := w.subscription(s).Destination
	w.mu.Unlock()
	if err := w.o.Heartbeat(ctx, dest); err != nil {
		w.o.Logger.Debug("wsman eventing: heartbeat not delivered", "subscription", s.rec.ID, "err", err)
	}
}

// Run calls Tick every interval until ctx ends.
func (w *WSEventing) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.Tick(ctx)
		}
	}
}

// Close ends the pull subscriptions, which do not outlive the server,
// telling their EndTo the server is shutting down. Push subscriptions
// stay stored and continue after a restart.
func (w *WSEventing) Close(ctx context.Context) {
	w.mu.Lock()
	var pulls []string
	for id, s := range w.subs {
		if s.pull() {
			pulls = append(pulls, id)
		}
	}
	w.mu.Unlock()
	for _, id := range pulls {
		w.Ended(ctx, id, WSEndShuttingDown, "the server is shutting down")
	}
}

// Send is the Sender of the WS-Eventing destinations: a pull
// subscription's deliveries join its queue (those past its bound are
// dropped, counted and told to the next Pull); a push subscription's go
// to Options.Push.
func (w *WSEventing) Send(ctx context.Context, dest Destination, ds []Delivery) error {
	w.mu.Lock()
	s, ok := w.subs[dest.ID]
	w.mu.Unlock()
	if !ok {
		return nil // ended meanwhile: nothing is owed to it
	}
	if s.pull() {
		if n := s.queue.put(ds); n > 0 {
			w.o.Logger.Warn("wsman eventing: a pull subscription's queue is full; events dropped", "subscription", dest.ID, "dropped", n)
		}
		return nil
	}
	if w.o.Push == nil {
		return errors.New("wsman eventing: no push sender")
	}
	if err := w.o.Push.Send(ctx, dest, ds); err != nil {
		return err
	}
	w.mu.Lock()
	s.lastSent = w.o.Clock()
	w.mu.Unlock()
	return nil
}

// Pull takes up to max deliveries of a pull subscription, waiting up to
// wait (and while ctx lasts) for the first.
func (w *WSEventing) Pull(ctx context.Context, user string, admin bool, id string, maxN int, wait time.Duration) (WSPulled, error) {
	s, err := w.lookup(id, user, admin)
	if err != nil {
		return WSPulled{}, err
	}
	if !s.pull() {
		return WSPulled{}, wsErr(WSBadMode, "the subscription %q delivers by push, not pull", id)
	}
	ds, dropped, ok := s.queue.take(ctx, max(1, maxN), wait)
	if !ok {
		return WSPulled{}, wsErr(WSUnknown, "the subscription %q ended", id)
	}
	if len(ds) == 0 && dropped == 0 {
		return WSPulled{}, wsErr(WSTimedOut, "no event within %s", wait)
	}
	p := WSPulled{Deliveries: ds, Dropped: dropped}
	if s.rec.SendBookmarks && len(ds) > 0 {
		p.Bookmark = strconv.FormatUint(ds[len(ds)-1].Seq, 10)
	}
	return p, nil
}

// Requeue puts deliveries a Pull took but could not answer with back at
// the front of the subscription's queue, in order.
func (w *WSEventing) Requeue(id string, ds []Delivery) {
	w.mu.Lock()
	s, ok := w.subs[id]
	w.mu.Unlock()
	if ok && s.queue != nil {
		s.queue.unget(ds)
	}
}

func newWSID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
