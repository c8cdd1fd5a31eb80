package indication

import (
	"fmt"
	"time"
)

// The requests and answers of WSEventing, in this package's terms (the
// server turns WS-Management's into them), and its refusals.

// WSSubscribe is a Subscribe in this package's terms.
type WSSubscribe struct {
	Owner         string
	Mode          string // "push", "pushwithack", "events" or "pull"
	ResourceURI   string
	Namespace     string // of the resource URI: the filter's source namespace ("" any)
	Manager       string // the subscription manager's address, for SubscriptionEnd
	NotifyTo      string // push modes: the sink's URL
	NotifyParams  string // its reference parameters (XML, sent back as headers)
	EndTo         string // "" when no SubscriptionEnd is wanted
	EndParams     string
	Expires       time.Duration // asked for as a duration
	ExpiresAt     time.Time     // asked for as a time
	Dialect       string        // "WQL" or "DMTF:CQL"
	Query         string
	Heartbeats    time.Duration
	SendBookmarks bool
	Bookmark      string // "", WSBookmarkEarliest, or a bookmark sent before
	MaxElements   int    // events mode: the most events per message
}

// WSBookmarkEarliest asks to replay every event the history holds.
const WSBookmarkEarliest = "earliest"

// WSGrant is the expiry granted: when, and how long from now.
type WSGrant struct {
	At       time.Time
	Duration time.Duration
}

// WSPulled is what one Pull takes from a pull subscription's queue.
type WSPulled struct {
	Deliveries []Delivery
	Dropped    int    // lost to the queue's bound since the last Pull
	Bookmark   string // after the last delivery, when bookmarks were asked for
}

// WSEnd is a SubscriptionEnd to send.
type WSEnd struct {
	ID, Manager      string
	EndTo, EndParams string
	ResourceURI      string
	Status           WSEndStatus
	Reason           string
}

// WSEndStatus is why a subscription ended (WS-Eventing's statuses).
type WSEndStatus uint8

// The statuses.
const (
	WSEndDeliveryFailure WSEndStatus = iota
	WSEndShuttingDown
	WSEndCancelling
)

// WSError is a refusal, of one of the kinds below.
type WSError struct {
	Kind    WSErrorKind
	Message string
}

func (e *WSError) Error() string { return e.Message }

// WSErrorKind says what was wrong with a request.
type WSErrorKind uint8

// The refusals.
const (
	WSUnknown     WSErrorKind = iota + 1 // no such subscription (or context)
	WSNotOwner                           // another user's subscription
	WSQuota                              // the user has too many subscriptions
	WSBadExpiry                          // an expiry in the past
	WSBadFilter                          // a query that does not parse or selects no indication class
	WSBadBookmark                        // a bookmark not sent by this server, or bookmarks unavailable
	WSBadMode                            // Pull of a push subscription
	WSTimedOut                           // Pull: nothing came within the wait
	WSUnavailable                        // the store failed
)

func wsErr(k WSErrorKind, format string, args ...any) error {
	return &WSError{Kind: k, Message: fmt.Sprintf(format, args...)}
}
