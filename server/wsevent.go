package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/event"
	"github.com/redset/redset/indication"
	"github.com/redset/redset/protocol/wsman"
	"github.com/redset/redset/store"
)

// wsEventing is the server's WS-Management eventing: the subscription
// manager (indication.WSEventing), the sender of push deliveries,
// heartbeats and SubscriptionEnd messages (envelopes written by
// protocol/wsman, posted over HTTP), and the adapter the WS-Man handler
// calls (wsman.Eventing).
type wsEventing struct {
	mgr    *indication.WSEventing
	client *http.Client
	log    *slog.Logger
}

// wsEventingConfig is what the WS-Eventing side is built from.
type wsEventingConfig struct {
	Hub interface {
		Put(indication.Subscription)
		Remove(string)
	}
	Store           store.Store
	History         func(afterSeq uint64) []event.Record
	Source          indication.Source
	Matches         func(indication.Filter, indication.Indication) bool
	IndicationClass func(name string) bool
	Active          func() bool  // whether this server delivers (the Hub's Active); nil: always
	Client          *http.Client // default: indication.NewClient(nil, 0)
	Log             *slog.Logger
	Clock           func() time.Time
}

// newWSEventing builds the WS-Eventing side. Its Load and Run are the
// caller's to start; its senders are the Hub's for the "wsman" and
// "wsman-pull" destinations.
func newWSEventing(c wsEventingConfig) *wsEventing {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Client == nil {
		c.Client = indication.NewClient(nil, indication.DefaultSendTimeout)
	}
	e := &wsEventing{client: c.Client, log: c.Log}
	e.mgr = indication.NewWSEventing(indication.WSEventingOptions{
		Hub: c.Hub, Store: c.Store, Push: wsPush{e}, Heartbeat: e.heartbeat, End: e.end,
		History: c.History, Source: c.Source, Matches: c.Matches, IndicationClass: c.IndicationClass,
		Active: c.Active, Clock: c.Clock, Logger: c.Log,
	})
	return e
}

// senders returns the Hub's senders of WS-Eventing destinations.
func (e *wsEventing) senders() map[string]indication.Sender {
	return map[string]indication.Sender{indication.ProtocolWSManPush: e.mgr, indication.ProtocolWSManPull: e.mgr}
}

// eventing returns what the WS-Man handler calls.
func (e *wsEventing) eventing() wsman.Eventing { return wsAdapter{e.mgr} }

// startWSEventing builds the WS-Eventing side on the Hub (c.Store and
// c.Log are the server's), gives the Hub the stored push subscriptions
// again, follows the store for those other servers of a cluster change,
// and runs its clock (expiry, heartbeats, while c.Active) until ctx ends. It
// returns the senders the Hub needs for WS-Eventing's destinations.
func (s *Server) startWSEventing(ctx context.Context, c wsEventingConfig) (map[string]indication.Sender, error) {
	c.Store, c.Log = s.st, s.log.With("part", "wsevent")
	e := newWSEventing(c)
	if err := e.mgr.Load(ctx); err != nil {
		return nil, fmt.Errorf("loading the WS-Eventing subscriptions: %w", err)
	}
	s.wse.Store(e)
	go e.mgr.Follow(ctx)
	go e.mgr.Run(ctx, time.Second)
	return e.senders(), nil
}

// stopWSEventing ends the pull subscriptions (SubscriptionEnd
// SourceShuttingDown to those that asked); push subscriptions stay stored.
func (s *Server) stopWSEventing(ctx context.Context) {
	if e := s.wse.Load(); e != nil {
		e.mgr.Close(ctx)
	}
}

// wsEventingEnded is the part of the Hub's Ended for WS-Eventing: a
// subscription the Hub removed (its sink kept failing: DeliveryFailure)
// or that expired is forgotten and its EndTo told. It reports whether id
// was a WS-Eventing subscription.
func (s *Server) wsEventingEnded(ctx context.Context, id string, failed bool) bool {
	e := s.wse.Load()
	if e == nil || !e.mgr.Owns(id) {
		return false
	}
	status, reason := indication.WSEndCancelling, "the subscription expired"
	if failed {
		status, reason = indication.WSEndDeliveryFailure, "events could not be delivered to the sink"
	}
	e.mgr.Ended(ctx, id, status, reason)
	return true
}

// wsmanEventing is the WS-Man handler's Options.Eventing: the eventing
// actions are answered wsa:ActionNotSupported until startWSEventing ran.
func (s *Server) wsmanEventing() wsman.Eventing { return lateEventing{s} }

// lateEventing calls the WS-Eventing side once it exists.
type lateEventing struct{ s *Server }

var errNoEventing = &wsman.Fault{Kind: wsman.FaultActionNotSupported, Reason: "eventing is not served here"}

func (l lateEventing) get() (wsman.Eventing, error) {
	if e := l.s.wse.Load(); e != nil {
		return e.eventing(), nil
	}
	return nil, errNoEventing
}

func (l lateEventing) Subscribe(ctx context.Context, r wsman.SubscribeRequest) (wsman.SubscribeAnswer, error) {
	e, err := l.get()
	if err != nil {
		return wsman.SubscribeAnswer{}, err
	}
	return e.Subscribe(ctx, r)
}

func (l lateEventing) Renew(ctx context.Context, id string, x wsman.Expires) (wsman.Grant, error) {
	e, err := l.get()
	if err != nil {
		return wsman.Grant{}, err
	}
	return e.Renew(ctx, id, x)
}

func (l lateEventing) Status(ctx context.Context, id string) (wsman.Grant, error) {
	e, err := l.get()
	if err != nil {
		return wsman.Grant{}, err
	}
	return e.Status(ctx, id)
}

func (l lateEventing) Unsubscribe(ctx context.Context, id string) error {
	e, err := l.get()
	if err != nil {
		return err
	}
	return e.Unsubscribe(ctx, id)
}

func (l lateEventing) Pull(ctx context.Context, r wsman.PullRequest) (wsman.PullAnswer, error) {
	e, err := l.get()
	if err != nil {
		return wsman.PullAnswer{}, err
	}
	return e.Pull(ctx, r)
}

// wsPush sends the deliveries of push subscriptions: one message per event
// (Push, PushWithAck) or batches of up to maxElements (Events), each
// waiting for its wsman:Ack in the acknowledged modes. An error leaves the
// Hub to retry the whole call, so a sink may see an event twice.
type wsPush struct{ e *wsEventing }

// defaultEventsBatch is the batch size of the Events mode when the
// subscriber gave no MaxElements.
const defaultEventsBatch = 20

func (p wsPush) Send(ctx context.Context, dest indication.Destination, ds []indication.Delivery) error {
	push := pushOf(dest)
	n := 1
	if push.Mode == wsman.DeliverEvents {
		n = defaultEventsBatch
		if m, err := strconv.Atoi(dest.Extra["maxElements"]); err == nil && m > 0 {
			n = m
		}
	}
	for len(ds) > 0 {
		k := min(n, len(ds))
		bookmark := ""
		if dest.Extra["bookmarks"] != "" {
			bookmark = strconv.FormatUint(ds[k-1].Seq, 10)
		}
		id := wsman.NewMessageID()
		body := wsman.EncodeEvents(push, wsEvents(ds[:k]), 0, bookmark, id)
		if err := p.e.post(ctx, dest.Address, body, id, push.Mode.Acked()); err != nil {
			return err
		}
		ds = ds[k:]
	}
	return nil
}

// pushOf reads a push destination's delivery details.
func pushOf(dest indication.Destination) wsman.Push {
	mode, ok := wsman.ParseDeliveryMode(dest.Extra["mode"])
	if !ok {
		mode = wsman.DeliverPush
	}
	return wsman.Push{To: wsman.EndpointRef{Address: dest.Address, Parameters: dest.Extra["params"]},
		Mode: mode, ResourceURI: dest.Extra["resourceURI"]}
}

// wsEvents writes deliveries in WS-Management's terms.
func wsEvents(ds []indication.Delivery) []wsman.Event {
	evs := make([]wsman.Event, len(ds))
	for i, d := range ds {
		evs[i] = wsman.Event{Namespace: d.Namespace, Instance: d.Instance}
		for _, e := range d.Embedded {
			evs[i].Embedded = append(evs[i].Embedded, wsman.EmbeddedInstance{Property: e.Property, Instance: e.Instance})
		}
	}
	return evs
}

func (e *wsEventing) heartbeat(ctx context.Context, dest indication.Destination) error {
	push := pushOf(dest)
	id := wsman.NewMessageID()
	return e.post(ctx, dest.Address, wsman.EncodeHeartbeat(push, id), id, push.Mode.Acked())
}

// end posts a SubscriptionEnd; a failure is logged (nobody else is told).
func (e *wsEventing) end(ctx context.Context, end indication.WSEnd) {
	status := map[indication.WSEndStatus]wsman.EndStatus{
		indication.WSEndDeliveryFailure: wsman.EndDeliveryFailure,
		indication.WSEndShuttingDown:    wsman.EndSourceShuttingDown,
		indication.WSEndCancelling:      wsman.EndSourceCancelling,
	}[end.Status]
	id := wsman.NewMessageID()
	body := wsman.EncodeSubscriptionEnd(wsman.EndpointRef{Address: end.EndTo, Parameters: end.EndParams},
		end.Manager, end.ID, status, end.Reason, id)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.post(ctx, end.EndTo, body, id, false); err != nil {
		e.log.Warn("wsman eventing: SubscriptionEnd not delivered", "subscription", end.ID, "to", end.EndTo, "err", err)
	}
}

// maxSinkAnswer bounds what is read of a sink's answer.
const maxSinkAnswer = 64 << 10

// post sends one message and checks the answer: a 2xx status and, when
// acked, a wsman:Ack relating to the message.
func (e *wsEventing) post(ctx context.Context, url string, body []byte, id string, acked bool) error {
	msg := indication.Message{Header: http.Header{"Content-Type": {"application/soap+xml;charset=UTF-8"}}, Body: body}
	a, err := indication.Post(ctx, e.client, url, msg, maxSinkAnswer)
	if err != nil {
		return err
	}
	var check func(indication.Answer) error
	if acked {
		check = func(a indication.Answer) error { return wsman.CheckAck(a.Body, a.Header.Get("Content-Type"), id) }
	}
	return indication.Judge(url, a, check)
}

// wsAdapter is wsman.Eventing on the subscription manager: the caller from
// the context, the manager's refusals as WS-Management faults.
type wsAdapter struct{ mgr *indication.WSEventing }

func caller(ctx context.Context) (user string, admin bool) {
	p, _ := cimom.PrincipalFrom(ctx)
	return p.User, p.Role == "admin"
}

func (a wsAdapter) Subscribe(ctx context.Context, r wsman.SubscribeRequest) (wsman.SubscribeAnswer, error) {
	user, _ := caller(ctx)
	req := indication.WSSubscribe{Owner: user, Mode: r.Mode.String(), ResourceURI: r.ResourceURI, Namespace: r.Namespace, Manager: r.Manager,
		NotifyTo: r.NotifyTo.Address, NotifyParams: r.NotifyTo.Parameters, Expires: r.Expires.Duration,
		ExpiresAt: r.Expires.At, Dialect: r.Dialect, Query: r.Query, Heartbeats: r.Heartbeats,
		SendBookmarks: r.SendBookmarks, Bookmark: r.Bookmark, MaxElements: r.MaxElements}
	if r.EndTo != nil {
		req.EndTo, req.EndParams = r.EndTo.Address, r.EndTo.Parameters
	}
	if r.Bookmark == wsman.BookmarkEarliest {
		req.Bookmark = indication.WSBookmarkEarliest
	}
	id, g, err := a.mgr.Subscribe(ctx, req)
	if err != nil {
		return wsman.SubscribeAnswer{}, wsFault(err, wsman.FaultDestinationUnreachable)
	}
	ans := wsman.SubscribeAnswer{ID: id, Expires: wsman.Grant(g)}
	if r.Mode == wsman.DeliverPull {
		ans.Context = wsman.EventContext(id)
	}
	return ans, nil
}

func (a wsAdapter) Renew(ctx context.Context, id string, e wsman.Expires) (wsman.Grant, error) {
	user, admin := caller(ctx)
	g, err := a.mgr.Renew(ctx, user, admin, id, e.Duration, e.At)
	return wsman.Grant(g), wsFault(err, wsman.FaultUnableToRenew)
}

func (a wsAdapter) Status(ctx context.Context, id string) (wsman.Grant, error) {
	user, admin := caller(ctx)
	g, err := a.mgr.Status(user, admin, id)
	return wsman.Grant(g), wsFault(err, wsman.FaultDestinationUnreachable)
}

func (a wsAdapter) Unsubscribe(ctx context.Context, id string) error {
	user, admin := caller(ctx)
	return wsFault(a.mgr.Unsubscribe(ctx, user, admin, id), wsman.FaultDestinationUnreachable)
}

func (a wsAdapter) Pull(ctx context.Context, r wsman.PullRequest) (wsman.PullAnswer, error) {
	user, admin := caller(ctx)
	p, err := a.mgr.Pull(ctx, user, admin, r.ID, r.MaxElements, r.MaxTime)
	if err != nil {
		return wsman.PullAnswer{}, wsFault(err, wsman.FaultInvalidEnumerationContext)
	}
	evs := wsEvents(p.Deliveries)
	n := fitting(evs, r.Fits)
	if n < len(evs) {
		a.mgr.Requeue(r.ID, p.Deliveries[n:])
		evs = evs[:n]
		if n == 0 {
			return wsman.PullAnswer{}, &wsman.Fault{Kind: wsman.FaultEncodingLimit, Detail: wsman.DetailMaxEnvelopeSize,
				Reason: "the next event does not fit in MaxEnvelopeSize; it stays queued"}
		}
		if p.Bookmark != "" {
			p.Bookmark = strconv.FormatUint(p.Deliveries[n-1].Seq, 10)
		}
	}
	return wsman.PullAnswer{Events: evs, Dropped: p.Dropped, Bookmark: p.Bookmark}, nil
}

// fitting returns how many of evs fit, in order.
func fitting(evs []wsman.Event, fits func(wsman.Event) bool) int {
	if fits == nil {
		return len(evs)
	}
	for i, e := range evs {
		if !fits(e) {
			return i
		}
	}
	return len(evs)
}

// wsFaults maps the manager's refusals to faults; unknown is the fault of
// an unknown subscription, which depends on the request.
var wsFaults = map[indication.WSErrorKind]wsman.FaultKind{
	indication.WSNotOwner:    wsman.FaultAccessDenied,
	indication.WSQuota:       wsman.FaultQuotaLimit,
	indication.WSBadExpiry:   wsman.FaultEventInvalidExpirationTime,
	indication.WSBadFilter:   wsman.FaultEventCannotProcessFilter,
	indication.WSBadBookmark: wsman.FaultInvalidBookmark,
	indication.WSBadMode:     wsman.FaultInvalidEnumerationContext,
	indication.WSTimedOut:    wsman.FaultTimedOut,
	indication.WSUnavailable: wsman.FaultEventSourceUnableToProcess,
}

func wsFault(err error, unknown wsman.FaultKind) error {
	if err == nil {
		return nil
	}
	var we *indication.WSError
	if !errors.As(err, &we) {
		return err
	}
	kind, ok := wsFaults[we.Kind]
	if !ok {
		kind = unknown
	}
	return &wsman.Fault{Kind: kind, Reason: we.Message}
}

// wsModes names the delivery modes as the JSON API shows them.
var wsModes = map[string]string{"push": "Push", "pushwithack": "PushWithAck", "events": "Events", "pull": "Pull"}

// apiSubscriptions returns the WS-Eventing subscriptions caller may see, in
// the JSON API's form (the Hub's delivery counts are not in them).
func (e *wsEventing) apiSubscriptions(caller auth.Identity) []api.IndicationSubscription {
	var out []api.IndicationSubscription
	for _, i := range e.mgr.List(caller.User, caller.Role == auth.Admin) {
		exp := i.Expires
		out = append(out, api.IndicationSubscription{ID: i.ID, Protocol: "wsman", Owner: i.Owner, Query: i.Query,
			QueryLanguage: i.Dialect, Destination: i.NotifyTo, DeliveryMode: wsModes[i.Mode], State: "enabled",
			OnFatalError: "remove", Created: i.Created, Expires: &exp, SequenceContext: i.ID,
			Delivery: api.Delivery{Queued: i.Queued}})
	}
	return out
}

// apiDelete ends a WS-Eventing subscription caller may see, telling its
// EndTo; api.ErrNoSubscription when there is none such.
func (e *wsEventing) apiDelete(ctx context.Context, caller auth.Identity, id string) error {
	err := e.mgr.Cancel(ctx, caller.User, caller.Role == auth.Admin, id)
	var we *indication.WSError
	if errors.As(err, &we) && (we.Kind == indication.WSUnknown || we.Kind == indication.WSNotOwner) {
		return api.ErrNoSubscription
	}
	return err
}

// historyAfter is WS-Eventing's History: the stored event records after
// seq, oldest first (none when the history cannot be read).
func (s *Server) historyAfter(seq uint64) []event.Record {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := s.eng.History(ctx, 0)
	if err != nil {
		s.log.Warn("wsman eventing: reading the history for a bookmark", "err", err)
		return nil
	}
	i, _ := slices.BinarySearchFunc(recs, seq+1, func(r event.Record, want uint64) int { return cmp.Compare(r.Seq, want) })
	return recs[i:]
}
