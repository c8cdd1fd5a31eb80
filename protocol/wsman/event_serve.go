package wsman

import (
	"bytes"
	"context"
	"strconv"
)

// serveEvent serves an eventing call through Options.Eventing; without
// one, eventing actions are not supported.
func (x *exchange) serveEvent(ctx context.Context, env *Envelope, c *Call) (*bytes.Buffer, error) {
	ev := x.h.opts.Eventing
	if ev == nil {
		return nil, newFault(FaultActionNotSupported, "", "eventing is not served here")
	}
	switch c.Kind {
	case KindSubscribe:
		a, err := ev.Subscribe(ctx, *c.Subscribe)
		if err != nil {
			return nil, err
		}
		return x.answer(env, c, actionSubscribe+responseSuffix, func(w *writer) {
			w.start(pfxWSE, "SubscribeResponse")
			w.attr("xmlns:"+pfxWSE, nsWSE)
			w.subscriptionManager(managerAddress(env), c.Subscribe.ResourceURI, a.ID)
			if a.Expires != (Grant{}) {
				w.elem(pfxWSE, "Expires", expiresText(a.Expires, c.Subscribe.Expires))
			}
			if a.Context != "" {
				w.elem(pfxWSEN, "EnumerationContext", a.Context)
			}
			w.end()
		})
	case KindRenew:
		g, err := ev.Renew(ctx, c.Identifier, c.Expires)
		if err != nil {
			return nil, err
		}
		return x.expiresAnswer(env, c, actionRenew, "RenewResponse", g, c.Expires)
	case KindGetStatus:
		g, err := ev.Status(ctx, c.Identifier)
		if err != nil {
			return nil, err
		}
		return x.expiresAnswer(env, c, actionGetStatus, "GetStatusResponse", g, Expires{})
	case KindUnsubscribe:
		if err := ev.Unsubscribe(ctx, c.Identifier); err != nil {
			return nil, err
		}
		return x.answer(env, c, actionUnsubscribe+responseSuffix, func(*writer) {})
	}
	return x.eventPull(ctx, env, c, ev)
}

// expiresAnswer writes RenewResponse or GetStatusResponse: the expiry, left
// out when the subscription never expires.
func (x *exchange) expiresAnswer(env *Envelope, c *Call, action, name string, g Grant, asked Expires) (*bytes.Buffer, error) {
	return x.answer(env, c, action+responseSuffix, func(w *writer) {
		w.start(pfxWSE, name)
		w.attr("xmlns:"+pfxWSE, nsWSE)
		if g != (Grant{}) {
			w.elem(pfxWSE, "Expires", expiresText(g, asked))
		}
		w.end()
	})
}

// eventPull serves a Pull on a subscription's context: the events in
// wsen:Items (after a wsman:DroppedEvents when the queue overflowed), the
// bookmark as a header when the subscription asked for them.
func (x *exchange) eventPull(ctx context.Context, env *Envelope, c *Call, ev Eventing) (*bytes.Buffer, error) {
	a, err := ev.Pull(ctx, PullRequest{ID: c.Identifier, MaxElements: int(c.MaxElements), MaxTime: c.Timeout, Fits: x.fitter(env, c)})
	if err != nil {
		return nil, err
	}
	out := bufPool.Get().(*bytes.Buffer)
	out.Reset()
	w := newWriter(out, c.Resource)
	hd := header{action: actionPull + responseSuffix, messageID: x.h.newID(), relatesTo: env.MessageID}
	if a.Bookmark != "" {
		hd.extra = func(w *writer) { w.elem(pfxWSMan, "Bookmark", a.Bookmark) }
	}
	w.envelopeStart(env.Encoding, hd)
	w.start(pfxWSEN, "PullResponse")
	w.elem(pfxWSEN, "EnumerationContext", EventContext(c.Identifier))
	w.start(pfxWSEN, "Items")
	if a.Dropped > 0 {
		w.droppedEvents(a.Dropped)
	}
	for _, e := range a.Events {
		w.event(e)
	}
	w.end()
	w.end()
	w.envelopeEnd()
	if size := encodedSize(env.Encoding, out.Len()); size > x.limit(env) {
		bufPool.Put(out)
		return nil, newFault(FaultEncodingLimit, DetailMaxEnvelopeSize,
			"the answer (%d octets, %s events) exceeds MaxEnvelopeSize (%d octets)", size, strconv.Itoa(len(a.Events)), x.limit(env))
	}
	return out, nil
}

// fitter returns PullRequest.Fits for an answer to env: events are
// measured as written, against the room MaxEnvelopeSize leaves beside the
// envelope.
func (x *exchange) fitter(env *Envelope, c *Call) func(Event) bool {
	room := x.limit(env) - envelopeReserve
	if env.Encoding != UTF8 {
		room = room/2 - 1
	}
	var scratch bytes.Buffer
	return func(e Event) bool {
		scratch.Reset()
		newWriter(&scratch, c.Resource).event(e)
		if scratch.Len() > room {
			return false
		}
		room -= scratch.Len()
		return true
	}
}

// managerAddress is the address of the subscription manager: where the
// Subscribe was sent (its wsa:To), or the anonymous address.
func managerAddress(env *Envelope) string {
	if env.To != "" {
		return env.To
	}
	return addrAnonymous
}
