package wsman

import (
	"context"
	"time"

	"github.com/redset/redset/cim"
)

// WS-Management eventing (DSP0226 clause 10, on WS-Eventing 2004/08): a
// client subscribes to indications with Subscribe, names the subscription
// afterwards by the wse:Identifier reference parameter of the
// SubscriptionManager endpoint reference (Renew, GetStatus, Unsubscribe),
// and receives events pushed to its NotifyTo address or fetches them with
// Pull on the subscription's enumeration context. The handler decodes and
// answers; the subscriptions themselves are kept by an Eventing the server
// gives (Options.Eventing).

// Eventing keeps WS-Eventing subscriptions. The caller is in the context
// (cimom.PrincipalFrom). Errors should be *Fault values (the eventing
// faults below); any other error is answered wsman:InternalError.
type Eventing interface {
	// Subscribe makes a subscription and returns its identifier.
	Subscribe(ctx context.Context, r SubscribeRequest) (SubscribeAnswer, error)
	// Renew sets a new expiry (asked as in SubscribeRequest) and returns
	// the one granted.
	Renew(ctx context.Context, id string, e Expires) (Grant, error)
	// Status returns the subscription's expiry.
	Status(ctx context.Context, id string) (Grant, error)
	// Unsubscribe ends the subscription; no SubscriptionEnd is sent.
	Unsubscribe(ctx context.Context, id string) error
	// Pull returns up to r.MaxElements queued events of a pull-mode
	// subscription, waiting up to r.MaxTime for the first. With none it
	// returns a *Fault of kind FaultTimedOut.
	Pull(ctx context.Context, r PullRequest) (PullAnswer, error)
}

// DeliveryMode is how events reach the subscriber (DSP0226 clause 10.2.9).
type DeliveryMode uint8

// The delivery modes served.
const (
	DeliverPush        DeliveryMode = iota + 1 // one event per message, answered by HTTP only
	DeliverPushWithAck                         // one event per message, each acknowledged by wsman:Ack
	DeliverEvents                              // batched events in wsman:Events, each batch acknowledged
	DeliverPull                                // queued, fetched with wsen:Pull
)

var modeURIs = [...]string{
	DeliverPush:        nsWSE + "/DeliveryModes/Push",
	DeliverPushWithAck: nsWSManURI + "/PushWithAck",
	DeliverEvents:      nsWSManURI + "/Events",
	DeliverPull:        nsWSManURI + "/Pull",
}

// URI returns the mode's wse:Delivery Mode URI.
func (m DeliveryMode) URI() string {
	if int(m) < len(modeURIs) {
		return modeURIs[m]
	}
	return ""
}

// String returns a short name ("push", "pushwithack", "events", "pull").
func (m DeliveryMode) String() string {
	switch m {
	case DeliverPush:
		return "push"
	case DeliverPushWithAck:
		return "pushwithack"
	case DeliverEvents:
		return "events"
	case DeliverPull:
		return "pull"
	}
	return ""
}

// ParseDeliveryMode reads a name String gives back.
func ParseDeliveryMode(s string) (DeliveryMode, bool) {
	for m := DeliverPush; m <= DeliverPull; m++ {
		if m.String() == s {
			return m, true
		}
	}
	return 0, false
}

// Acked reports whether every message of the mode waits for a wsman:Ack.
func (m DeliveryMode) Acked() bool { return m == DeliverPushWithAck || m == DeliverEvents }

// EndpointRef is a WS-Addressing endpoint reference events or a
// SubscriptionEnd are sent to: an address, and its reference parameters
// as XML (each parameter a whole element declaring its own namespaces),
// which every message sent there carries as SOAP headers.
type EndpointRef struct {
	Address    string
	Parameters string
}

// Expires is a requested expiry: a duration from now, or a time. Both
// zero: none was asked for.
type Expires struct {
	Duration time.Duration
	At       time.Time
}

// IsZero reports whether no expiry was asked for.
func (e Expires) IsZero() bool { return e.Duration == 0 && e.At.IsZero() }

// Grant is an expiry granted: when the subscription ends, and how long
// from now that is. The zero Grant: it never expires.
type Grant struct {
	At       time.Time
	Duration time.Duration
}

// BookmarkEarliest is the bookmark that asks for every event the service
// still holds (DSP0226 clause 10.2.6).
const BookmarkEarliest = nsWSManURI + "/bookmark/earliest"

// SubscribeRequest is a decoded Subscribe.
type SubscribeRequest struct {
	ResourceURI string
	Namespace   string
	ClassName   string // "" for the all-classes URI; a Filter then names the class
	Manager     string // the address the Subscribe was sent to (its wsa:To): the subscription manager's
	Mode        DeliveryMode
	NotifyTo    EndpointRef  // push modes
	EndTo       *EndpointRef // where SubscriptionEnd goes, or nil
	Expires     Expires
	// Dialect is "WQL" or "DMTF:CQL", and Query its text; for a
	// class-specific resource URI without a filter, Dialect is "WQL" and
	// Query selects every indication of the class.
	Dialect, Query string
	Heartbeats     time.Duration // 0: none
	SendBookmarks  bool
	Bookmark       string        // "" none, BookmarkEarliest, or a bookmark sent before
	MaxElements    int           // Events mode: the most events in one batch (0: the service's choice)
	RetryCount     int           // wsman:ConnectionRetry Total; 0: the service's choice
	RetryInterval  time.Duration // wsman:ConnectionRetry interval
}

// SubscribeAnswer is what SubscribeResponse tells.
type SubscribeAnswer struct {
	ID      string // the wse:Identifier of the subscription manager EPR
	Expires Grant
	// Context is the enumeration context of a pull-mode subscription,
	// as sent to the client (see EventContext).
	Context string
}

// PullRequest is a decoded Pull on a subscription's context.
type PullRequest struct {
	ID          string // the subscription, read from the context
	MaxElements int
	MaxTime     time.Duration // 0: answer at once
	// Fits reports whether one more event (after those it accepted)
	// still fits in the answer's MaxEnvelopeSize. Events that do not fit
	// must stay queued for the next Pull; when not even the first fits,
	// Pull keeps it and fails with a fault of kind FaultEncodingLimit.
	Fits func(Event) bool
}

// PullAnswer is the events of one PullResponse, in order.
type PullAnswer struct {
	Events   []Event
	Dropped  int    // events lost to the queue's bound since the last Pull
	Bookmark string // after the last event, when the subscription asked for bookmarks
}

// Event is one indication as WS-Management writes it: an instance of its
// class in its namespace, with the instances it embeds.
type Event struct {
	Namespace string
	Instance  cim.Instance
	Embedded  []EmbeddedInstance
	Bookmark  string // the bookmark after this event; "" none
}

// EmbeddedInstance is an instance an event carries under one of its
// properties (SourceInstance, PreviousInstance).
type EmbeddedInstance struct {
	Property string
	Instance cim.Instance
}

// eventContextTag marks the enumeration context of a pull-mode
// subscription: "<identifier>#Events".
const eventContextTag = "#Events"

// EventContext returns the enumeration context a pull-mode subscription
// is pulled with.
func EventContext(id string) string { return id + eventContextTag }

// Eventing actions (WS-Eventing 2004/08, DSP0226 clause 10).
const (
	nsWSE             = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
	nsWSManURI        = "http://schemas.dmtf.org/wbem/wsman/1/wsman"
	actionSubscribe   = nsWSE + "/Subscribe"
	actionRenew       = nsWSE + "/Renew"
	actionGetStatus   = nsWSE + "/GetStatus"
	actionUnsubscribe = nsWSE + "/Unsubscribe"
	actionSubEnd      = nsWSE + "/SubscriptionEnd"
	actionFaultWSE    = nsWSE + "/fault"
	actionEvent       = nsWSManURI + "/Event"
	actionEvents      = nsWSManURI + "/Events"
	actionHeartbeat   = nsWSManURI + "/Heartbeat"
	actionAck         = nsWSManURI + "/Ack"
	pfxWSE            = "wse"
)
