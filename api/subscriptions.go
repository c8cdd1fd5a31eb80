package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/redset/redset/auth"
)

// IndicationSubscription is one subscription to redset's indications as
// the API shows it, whichever protocol made it: a CIM-XML subscription
// (a CIM_IndicationSubscription joining a filter and a listener
// destination, made in root/interop) or a WS-Eventing one (made by a
// WS-Management Subscribe).
type IndicationSubscription struct {
	ID       string `json:"id"`
	Protocol string `json:"protocol"` // "cimxml" or "wsman"
	Owner    string `json:"owner"`
	// Filter names the CIM filter (empty for WS-Eventing); Query is its
	// query and QueryLanguage "WQL" or "DMTF:CQL".
	Filter        string `json:"filter,omitempty"`
	Query         string `json:"query"`
	QueryLanguage string `json:"queryLanguage"`
	// Destination is the listener's URL; empty for WS-Eventing Pull,
	// whose events wait for the subscriber to pull them.
	Destination string `json:"destination,omitempty"`
	// DeliveryMode is "ExportIndication" for CIM-XML; "Push",
	// "PushWithAck" or "Pull" for WS-Eventing.
	DeliveryMode string `json:"deliveryMode"`
	// State is "enabled" or "disabled" (delivery stopped by its
	// OnFatalErrorPolicy or by a client).
	State string `json:"state"`
	// OnFatalError is what happens when the destination keeps failing:
	// "ignore", "disable" or "remove".
	OnFatalError    string     `json:"onFatalError,omitempty"`
	Created         time.Time  `json:"created"`
	Expires         *time.Time `json:"expires,omitempty"`
	SequenceContext string     `json:"sequenceContext,omitempty"`
	Delivery        Delivery   `json:"delivery"`
}

// Delivery counts what happened to a subscription's indications since the
// server started: delivered, waiting in its destination's queue, failed
// attempts, and dropped (the queue was full, or the destination kept
// failing and the policy let them go). LastError is the last failure.
type Delivery struct {
	Delivered uint64     `json:"delivered"`
	Queued    int        `json:"queued"`
	Failed    uint64     `json:"failed"`
	Dropped   uint64     `json:"dropped"`
	LastError string     `json:"lastError,omitempty"`
	LastTime  *time.Time `json:"lastErrorTime,omitempty"`
}

// IndicationSubscriptionList is the answer of GET /api/v1/subscriptions.
type IndicationSubscriptionList struct {
	Subscriptions []IndicationSubscription `json:"subscriptions"`
}

// Subscriptions gives the API the server's subscriptions to indications.
// List returns those the caller may see (an administrator every one,
// others their own), sorted by ID. Delete removes one the caller may
// see: ErrNoSubscription when there is none by that ID among them (so a
// user cannot learn of another's), any other error when it could not be
// removed.
type Subscriptions interface {
	List(ctx context.Context, caller auth.Identity) ([]IndicationSubscription, error)
	Delete(ctx context.Context, caller auth.Identity, id string) error
}

// ErrNoSubscription: the caller has no subscription with that ID.
var ErrNoSubscription = errors.New("no such subscription")

// subscriptionsOrUnavailable is the server's subscriptions, or a 503
// problem when it has none to show (a handler built without them).
func (h *handler) subscriptionsOrUnavailable() (Subscriptions, error) {
	if h.opts.Subscriptions == nil {
		return nil, newProblem(http.StatusServiceUnavailable, ProblemUnavailable, "Unavailable",
			"this server does not deliver indications")
	}
	return h.opts.Subscriptions, nil
}

// listSubscriptions: GET /api/v1/subscriptions.
func (h *handler) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	subs, err := h.subscriptionsOrUnavailable()
	if err != nil {
		return err
	}
	id, _ := auth.IdentityFrom(r.Context())
	list, err := subs.List(r.Context(), id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []IndicationSubscription{}
	}
	return writeJSON(w, http.StatusOK, IndicationSubscriptionList{Subscriptions: list})
}

// deleteSubscription: DELETE /api/v1/subscriptions/{id}.
func (h *handler) deleteSubscription(w http.ResponseWriter, r *http.Request) error {
	subs, err := h.subscriptionsOrUnavailable()
	if err != nil {
		return err
	}
	id, _ := auth.IdentityFrom(r.Context())
	name := r.PathValue("id")
	err = subs.Delete(r.Context(), id, name)
	if errors.Is(err, ErrNoSubscription) {
		return newProblem(http.StatusNotFound, ProblemNotFound, "Not found", "no subscription "+quoteID(name))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func quoteID(s string) string { return "\"" + s + "\"" }
