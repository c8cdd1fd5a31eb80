package indication

import (
	"context"
	"time"

	"github.com/redset/redset/wql"
)

// Subscription is one live subscription as the Hub delivers it: a filter,
// a destination and what to do when the destination keeps failing. The
// CIM interop classes and WS-Eventing both make them; the Hub does not
// care which.
type Subscription struct {
	ID           string // stable across restarts; unique among subscriptions
	Owner        string // the user who made it
	Filter       Filter
	Destination  Destination
	OnFatalError Policy
	// Expires ends the subscription (zero: never). The Hub removes an
	// expired subscription and reports it as ended (Options.Ended).
	Expires time.Time
	// SequenceContext names the subscription's sequence of indications;
	// it stays the same across restarts, and so do the numbers in it.
	SequenceContext string
	// Disabled is SubscriptionState Disabled: the Hub keeps the
	// subscription and its sequence but delivers nothing to it.
	Disabled bool
}

// Filter selects indications: the query (its FROM class or a subclass of
// it must be the indication's class, then its WHERE must hold), in the
// source namespaces (empty: the namespace of redset's classes).
type Filter struct {
	Name             string
	Query            *wql.Query
	SourceNamespaces []string
}

// Destination is where deliveries go. Subscriptions with the same
// destination ID share one ordered queue.
type Destination struct {
	ID       string
	Protocol string // a key of Options.Senders: "cimxml", "wsman" (push), "wsman-pull" ...
	Address  string // the URL to post to; empty for pull destinations
	// Ack asks the sender to wait for the listener's acknowledgement
	// (WS-Eventing PushWithAck); CIM-XML always waits for the answer.
	Ack bool
	// Extra carries what one protocol's sender needs and no other does
	// (WS-Eventing's reference parameters of NotifyTo, say).
	Extra map[string]string
}

// Policy is CIM_IndicationSubscription.OnFatalErrorPolicy: what happens
// when the destination still fails after the retries.
type Policy uint16

// The policies (DSP1054). Other (1) and the unset value act as Ignore.
const (
	PolicyIgnore  Policy = 2 // drop the indication, keep the subscription
	PolicyDisable Policy = 3 // keep the subscription, stop delivering (SubscriptionState Disabled)
	PolicyRemove  Policy = 4 // delete the subscription
)

// Sender delivers indications to one destination. Send returns nil once
// the destination accepted every delivery (an HTTP 2xx answer, or for
// PushWithAck the acknowledgement); an error means none of them may be
// taken as delivered and the Hub may retry the same deliveries. Send must
// end when ctx does. One Sender serves many destinations concurrently,
// but the Hub never calls it for one destination twice at once.
type Sender interface {
	Send(ctx context.Context, dest Destination, ds []Delivery) error
}
