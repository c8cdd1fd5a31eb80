package wsman

import (
	"strconv"
	"strings"
	"time"
)

// maxEventQuery bounds the text of a subscription's filter.
const maxEventQuery = 16 << 10

// eventCall builds the call of an eventing request: Subscribe, Renew,
// GetStatus, Unsubscribe, or a Pull on a subscription's context. ok is
// false for every other request.
func (e *Envelope) eventCall(defaultNamespace string) (c *Call, ok bool, err error) {
	var build func(*Call, string) error
	switch {
	case e.Action == actionSubscribe:
		build = e.buildSubscribe
	case e.Action == actionRenew:
		build = e.buildRenew
	case e.Action == actionGetStatus:
		build = e.manageBuilder(KindGetStatus, "GetStatus")
	case e.Action == actionUnsubscribe:
		build = e.manageBuilder(KindUnsubscribe, "Unsubscribe")
	case e.eventPull():
		build = e.buildEventPull
	default:
		return nil, false, nil
	}
	if err := e.checkReplies(); err != nil {
		return nil, true, err
	}
	c = &Call{Timeout: e.OperationTimeout}
	return c, true, build(c, defaultNamespace)
}

// eventPull reports whether the request is a Pull on the enumeration
// context of a pull-mode subscription (see EventContext).
func (e *Envelope) eventPull() bool {
	if e.Action != actionPull || !e.body.is(nsWSEN, "Pull") {
		return false
	}
	ctx, _ := e.body.childText(nsWSEN, "EnumerationContext")
	return strings.HasSuffix(ctx, eventContextTag)
}

// buildSubscribe reads a Subscribe (DSP0226 clause 10.2): the indication
// class in the resource URI, the delivery, the expiry, the filter and
// the bookmarks.
func (e *Envelope) buildSubscribe(c *Call, defaultNamespace string) error {
	c.Kind = KindSubscribe
	if e.ResourceURI == "" {
		return newFault(FaultDestinationUnreachable, DetailInvalidResourceURI, "the request has no w:ResourceURI")
	}
	res, sels, err := ParseResourceURI(e.ResourceURI, e.Selectors, defaultNamespace)
	if err != nil {
		return err
	}
	if err := noSelectors(sels); err != nil {
		return err
	}
	c.Resource = res
	if !e.body.is(nsWSE, "Subscribe") {
		return newFault(FaultEventInvalidMessage, "", "a Subscribe request needs a wse:Subscribe body")
	}
	r := &SubscribeRequest{ResourceURI: res.URI, Namespace: res.Namespace, ClassName: res.ClassName, Manager: managerAddress(e)}
	c.Subscribe = r
	for _, read := range []func(*SubscribeRequest, *element) error{readDelivery, readEndTo, readSubscribeExpires, readEventFilter, readBookmarks} {
		if err := read(r, e.body); err != nil {
			return err
		}
	}
	return nil
}

// readDelivery reads wse:Delivery: the mode (Push when absent, as
// WS-Eventing has it), NotifyTo for the push modes, heartbeats,
// connection retries and the batch size of the Events mode.
func readDelivery(r *SubscribeRequest, body *element) error {
	d := body.child(nsWSE, "Delivery")
	r.Mode = DeliverPush
	if d == nil {
		return newFault(FaultEventInvalidMessage, "", "the subscription has no wse:Delivery")
	}
	if m, ok := d.attr("", "Mode"); ok {
		if r.Mode = modeOf(strings.TrimSpace(m)); r.Mode == 0 {
			return newFault(FaultDeliveryModeRequestedUnavailable, "", "the delivery mode %q is not supported; use Push, PushWithAck, Events or Pull", m)
		}
	}
	if err := readAuth(d); err != nil {
		return err
	}
	if r.Mode != DeliverPull {
		to, err := readEndpoint(d.child(nsWSE, "NotifyTo"), "NotifyTo")
		if err != nil {
			return err
		}
		r.NotifyTo = to
	}
	if err := readHeartbeats(r, d); err != nil {
		return err
	}
	if err := readRetry(r, d); err != nil {
		return err
	}
	if s, ok := d.childText(nsWSMan, "MaxElements"); ok {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil || n == 0 {
			return newFault(FaultEventInvalidMessage, "", "MaxElements %q is not a positive integer", s)
		}
		r.MaxElements = int(n)
	}
	return nil
}

func modeOf(uri string) DeliveryMode {
	for m := DeliverPush; m <= DeliverPull; m++ {
		if m.URI() == uri {
			return m
		}
	}
	return 0
}

// readAuth refuses a wsman:Auth asking for any authentication of the
// deliveries: redset sends events without credentials.
func readAuth(d *element) error {
	a := d.child(nsWSMan, "Auth")
	if a == nil {
		return nil
	}
	if p, _ := a.attr("", "Profile"); strings.TrimSpace(p) != "" {
		return newFault(FaultUnsupportedFeature, DetailAuthorizationMode, "events are delivered without authentication; the profile %q is not supported", p)
	}
	return nil
}

func readHeartbeats(r *SubscribeRequest, d *element) error {
	s, ok := d.childText(nsWSMan, "Heartbeats")
	if !ok {
		return nil
	}
	h, err := parseDuration(s)
	if err != nil || h < time.Second {
		return newFault(FaultEventInvalidMessage, "", "Heartbeats %q is not an xs:duration of a second or more", s)
	}
	r.Heartbeats = h
	return nil
}

func readRetry(r *SubscribeRequest, d *element) error {
	k := d.child(nsWSMan, "ConnectionRetry")
	if k == nil {
		return nil
	}
	iv, err := parseDuration(k.value())
	total, _ := k.attr("", "Total")
	n, nerr := strconv.ParseUint(strings.TrimSpace(total), 10, 8)
	if err != nil || nerr != nil || iv <= 0 {
		return newFault(FaultEventInvalidMessage, "", "ConnectionRetry needs a Total count and a positive xs:duration")
	}
	r.RetryCount, r.RetryInterval = int(n), iv
	return nil
}

// readEndTo reads wse:EndTo, where SubscriptionEnd is sent.
func readEndTo(r *SubscribeRequest, body *element) error {
	k := body.child(nsWSE, "EndTo")
	if k == nil {
		return nil
	}
	to, err := readEndpoint(k, "EndTo")
	r.EndTo = &to
	return err
}

// readEndpoint reads an endpoint reference events are sent to: an
// http(s) address and the reference parameters to send back.
func readEndpoint(k *element, what string) (EndpointRef, error) {
	if k == nil {
		return EndpointRef{}, newFault(FaultEventInvalidMessage, "", "the subscription has no wse:%s", what)
	}
	addr, _ := k.childText(nsWSA, "Address")
	lower := strings.ToLower(addr)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return EndpointRef{}, newFault(FaultEventInvalidMessage, "", "the %s address %q is not an http or https URL", what, addr)
	}
	to := EndpointRef{Address: addr}
	params := k.child(nsWSA, "ReferenceParameters")
	if params == nil {
		params = k.child(nsWSA, "ReferenceProperties")
	}
	if params != nil {
		to.Parameters = writeElements(params.kids)
	}
	return to, nil
}

// readSubscribeExpires reads wse:Expires.
func readSubscribeExpires(r *SubscribeRequest, body *element) error {
	s, ok := body.childText(nsWSE, "Expires")
	if !ok {
		return nil
	}
	e, err := parseExpires(s)
	r.Expires = e
	return err
}

// parseExpires reads an expiry: an xs:duration or an xs:dateTime (WS-Eventing
// clause 3.1). A duration must be positive.
func parseExpires(s string) (Expires, error) {
	if strings.HasPrefix(s, "P") || strings.HasPrefix(s, "-P") {
		d, err := parseDuration(s)
		if err != nil || d <= 0 {
			return Expires{}, newFault(FaultEventInvalidExpirationTime, "", "Expires %q is not a positive xs:duration", s)
		}
		return Expires{Duration: d}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05.999999999", s)
	}
	if err != nil {
		return Expires{}, newFault(FaultEventInvalidExpirationTime, "", "Expires %q is neither an xs:duration nor an xs:dateTime", s)
	}
	return Expires{At: t}, nil
}

// readEventFilter reads wsman:Filter (or wse:Filter) in the WQL or CQL
// dialect. Without a filter the resource URI must name a class, and every
// indication of it (or of a subclass) is selected.
func readEventFilter(r *SubscribeRequest, body *element) error {
	f := body.child(nsWSMan, "Filter")
	if f == nil {
		f = body.child(nsWSE, "Filter")
	}
	if f == nil {
		if r.ClassName == "" {
			return newFault(FaultEventCannotProcessFilter, DetailFilteringRequired, "a subscription to every class needs a filter")
		}
		r.Dialect, r.Query = "WQL", "SELECT * FROM "+r.ClassName
		return nil
	}
	dialect, _ := f.attr("", "Dialect")
	switch strings.TrimSpace(dialect) {
	case dialectWQL:
		r.Dialect = "WQL"
	case dialectCQL:
		r.Dialect = "DMTF:CQL"
	default:
		return newFault(FaultEventFilteringRequestedUnavailable, "", "the filter dialect %q is not supported; use %s or %s", dialect, dialectWQL, dialectCQL)
	}
	r.Query = f.value()
	if r.Query == "" || len(r.Query) > maxEventQuery {
		return newFault(FaultEventCannotProcessFilter, "", "the filter must hold a query of 1 to %d characters", maxEventQuery)
	}
	return nil
}

// readBookmarks reads wsman:SendBookmarks and wsman:Bookmark (DSP0226
// clause 10.2.6). A bookmark is text redset sent before, or the
// "earliest" URI.
func readBookmarks(r *SubscribeRequest, body *element) error {
	r.SendBookmarks = body.child(nsWSMan, "SendBookmarks") != nil
	b := body.child(nsWSMan, "Bookmark")
	if b == nil {
		return nil
	}
	r.Bookmark = b.value()
	if r.Bookmark == "" || len(b.kids) > 0 {
		return newFault(FaultInvalidBookmark, "", "the bookmark is not one this service sent")
	}
	return nil
}

// buildRenew reads a Renew: the subscription's identifier and the new
// expiry.
func (e *Envelope) buildRenew(c *Call, _ string) error {
	if err := e.manageBuilder(KindRenew, "Renew")(c, ""); err != nil {
		return err
	}
	s, ok := e.body.childText(nsWSE, "Expires")
	if !ok {
		return nil
	}
	var err error
	c.Expires, err = parseExpires(s)
	return err
}

// manageBuilder builds the requests to the subscription manager, which
// name the subscription by its wse:Identifier header.
func (e *Envelope) manageBuilder(k Kind, bodyName string) func(*Call, string) error {
	return func(c *Call, _ string) error {
		c.Kind = k
		if e.body != nil && !e.body.is(nsWSE, bodyName) {
			return newFault(FaultEventInvalidMessage, "", "a %s request needs a wse:%s body", bodyName, bodyName)
		}
		if e.Identifier == "" {
			return newFault(FaultEventInvalidMessage, "", "the request has no wse:Identifier header naming the subscription")
		}
		c.Identifier = e.Identifier
		return nil
	}
}

// buildEventPull reads a Pull on a subscription's context: MaxElements
// (default 1) and MaxTime, shortened by the OperationTimeout.
func (e *Envelope) buildEventPull(c *Call, _ string) error {
	c.Kind = KindEventPull
	ctx, _ := e.body.childText(nsWSEN, "EnumerationContext")
	c.MaxElements = 1
	if k := e.body.child(nsWSEN, "MaxElements"); k != nil {
		n, err := readCount(k)
		if err != nil {
			return err
		}
		c.MaxElements = n
	}
	if err := c.readMaxTime(e.body); err != nil {
		return err
	}
	c.Identifier = strings.TrimSuffix(ctx, eventContextTag)
	return nil
}
