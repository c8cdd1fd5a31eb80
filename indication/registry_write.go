package indication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/store"
)

// Changes are made by the leader alone, one at a time: each checks what
// the registry holds (names, references, ownership, the per-user bound),
// commits with a compare on the key (a name taken meanwhile is
// CIM_ERR_ALREADY_EXISTS), and takes the change in at once; the store's
// watch brings it to the other servers. A per-user bound reached is
// CIM_ERR_FAILED "limit reached": DSP0200 allows no quota status for
// CreateInstance (CIM_ERR_SERVER_LIMITS_EXCEEDED is for pulled
// enumerations), and FAILED is its status for every other refusal.

// errNotLeading refuses a change on a server that does not lead.
func errNotLeading() error {
	return errorf(cim.StatusFailed, "this server does not lead its cluster; write through the leader (try again)")
}

// AddFilter stores a new filter owned by c. The filter's query is
// checked by the caller (the provider).
func (r *Registry) AddFilter(ctx context.Context, c Caller, f FilterRecord) (err error) {
	defer func() { r.audit(ctx, "indication filter created", f.Name, err) }()
	return r.change(func() error {
		r.mu.RLock()
		_, taken := r.filters[f.Name]
		n := count(r.filters, func(x FilterRecord) bool { return x.Owner == c.User })
		r.mu.RUnlock()
		if taken {
			return errorf(cim.StatusAlreadyExists, "a filter named %q already exists", f.Name)
		}
		if err := r.bound(n, "filters", c); err != nil {
			return err
		}
		f.Owner, f.Created = c.User, r.o.Now().UTC()
		return r.create(ctx, filterPrefix+url.PathEscape(f.Name), f, "filter", f.Name)
	})
}

// AddDestination stores a new listener destination owned by c.
func (r *Registry) AddDestination(ctx context.Context, c Caller, d DestinationRecord) (err error) {
	defer func() { r.audit(ctx, "listener destination created", d.Name+" "+clip(d.Destination), err) }()
	return r.change(func() error {
		r.mu.RLock()
		_, taken := r.dests[d.Name]
		n := count(r.dests, func(x DestinationRecord) bool { return x.Owner == c.User })
		r.mu.RUnlock()
		if taken {
			return errorf(cim.StatusAlreadyExists, "a listener destination named %q already exists", d.Name)
		}
		if err := r.bound(n, "listener destinations", c); err != nil {
			return err
		}
		d.Owner, d.Created = c.User, r.o.Now().UTC()
		return r.create(ctx, destinationPrefix+url.PathEscape(d.Name), d, "listener destination", d.Name)
	})
}

// AddSubscription stores a new subscription owned by c, joining a filter
// and a destination c may see (else CIM_ERR_INVALID_PARAMETER). It gives
// the subscription its ID, SequenceContext and start time, and returns
// the record as stored.
func (r *Registry) AddSubscription(ctx context.Context, c Caller, s SubscriptionRecord) (SubscriptionRecord, error) {
	object := s.Filter.Name + " -> " + s.Handler.Name
	err := r.change(func() error {
		f, ok := r.Filter(c, s.Filter)
		if !ok {
			return errorf(cim.StatusInvalidParameter, "Filter names no filter you may use: %s", s.Filter.Name)
		}
		d, ok := r.Destination(c, s.Handler)
		if !ok {
			return errorf(cim.StatusInvalidParameter, "Handler names no listener destination you may use: %s", s.Handler.Name)
		}
		s.Filter, s.Handler = f.Keys, d.Keys
		key := subscriptionKey(s)
		r.mu.RLock()
		_, taken := r.subs[key]
		n := count(r.subs, func(x SubscriptionRecord) bool { return x.Owner == c.User })
		r.mu.RUnlock()
		if taken {
			return errorf(cim.StatusAlreadyExists, "a subscription of filter %q to %q already exists", f.Name, d.Name)
		}
		if err := r.bound(n, "subscriptions", c); err != nil {
			return err
		}
		now := r.o.Now().UTC()
		s.ID = newID()
		s.SequenceContext = "redset:" + s.ID
		s.Owner, s.Start, s.StateChanged = c.User, now, now
		if s.State == 0 {
			s.State = StateEnabled
		}
		return r.create(ctx, key, s, "subscription", f.Name+" -> "+d.Name)
	})
	r.audit(ctx, "indication subscription created", object, err)
	if err != nil {
		return SubscriptionRecord{}, err
	}
	got, _ := r.Subscription(Caller{Admin: true}, s.Filter, s.Handler)
	return got, nil
}

// DeleteFilter deletes a filter c may see. One that a subscription still
// uses stays (CIM_ERR_FAILED, as DSP1054 asks).
func (r *Registry) DeleteFilter(ctx context.Context, c Caller, k Keys) (err error) {
	defer func() { r.audit(ctx, "indication filter deleted", k.Name, err) }()
	return r.change(func() error {
		f, ok := r.Filter(c, k)
		if !ok {
			return errorf(cim.StatusNotFound, "no filter %q", k.Name)
		}
		if r.used(func(s SubscriptionRecord) bool { return s.Filter.Name == f.Name }) {
			return errorf(cim.StatusFailed, "filter %q is used by a subscription; delete the subscription first", f.Name)
		}
		return r.remove(ctx, filterPrefix+url.PathEscape(f.Name))
	})
}

// DeleteDestination deletes a destination c may see, unless a
// subscription still uses it (CIM_ERR_FAILED).
func (r *Registry) DeleteDestination(ctx context.Context, c Caller, k Keys) (err error) {
	defer func() { r.audit(ctx, "listener destination deleted", k.Name, err) }()
	return r.change(func() error {
		d, ok := r.Destination(c, k)
		if !ok {
			return errorf(cim.StatusNotFound, "no listener destination %q", k.Name)
		}
		if r.used(func(s SubscriptionRecord) bool { return s.Handler.Name == d.Name }) {
			return errorf(cim.StatusFailed, "listener destination %q is used by a subscription; delete the subscription first", d.Name)
		}
		return r.remove(ctx, destinationPrefix+url.PathEscape(d.Name))
	})
}

// DeleteSubscription deletes a subscription c may see.
func (r *Registry) DeleteSubscription(ctx context.Context, c Caller, filter, handler Keys) (err error) {
	defer func() { r.audit(ctx, "indication subscription deleted", filter.Name+" -> "+handler.Name, err) }()
	return r.change(func() error {
		s, ok := r.Subscription(c, filter, handler)
		if !ok {
			return errorf(cim.StatusNotFound, "no subscription of filter %q to %q", filter.Name, handler.Name)
		}
		return r.remove(ctx, subscriptionKey(s))
	})
}

// DeleteSubscriptionByID deletes the subscription with the hub's ID id,
// if c may see it (else CIM_ERR_NOT_FOUND, so that a user cannot learn of
// another's).
func (r *Registry) DeleteSubscriptionByID(ctx context.Context, c Caller, id string) (err error) {
	defer func() { r.audit(ctx, "indication subscription deleted", id, err) }()
	return r.change(func() error {
		s, ok := r.byID(id)
		if !ok || !c.sees(s.Owner) {
			return errorf(cim.StatusNotFound, "no subscription %q", id)
		}
		return r.remove(ctx, subscriptionKey(s))
	})
}

// ModifySubscription changes a subscription c may see: edit gets a copy
// of the stored record and changes it (or refuses with an error); the
// result is stored. A change of State records the time of the change.
func (r *Registry) ModifySubscription(ctx context.Context, c Caller, filter, handler Keys, edit func(*SubscriptionRecord) error) (err error) {
	defer func() { r.audit(ctx, "indication subscription changed", filter.Name+" -> "+handler.Name, err) }()
	return r.change(func() error {
		s, ok := r.Subscription(c, filter, handler)
		if !ok {
			return errorf(cim.StatusNotFound, "no subscription of filter %q to %q", filter.Name, handler.Name)
		}
		return r.update(ctx, s, edit)
	})
}

// update stores edit's change of s; r.write is held.
func (r *Registry) update(ctx context.Context, s SubscriptionRecord, edit func(*SubscriptionRecord) error) error {
	next := s
	if err := edit(&next); err != nil {
		return err
	}
	next.ID, next.SequenceContext, next.Owner, next.Filter, next.Handler, next.Start = s.ID, s.SequenceContext, s.Owner, s.Filter, s.Handler, s.Start
	if next.State != s.State {
		next.StateChanged = r.o.Now().UTC()
	}
	return r.put(ctx, subscriptionKey(next), next)
}

// EndSubscription ends the subscription with the hub's ID id, as its
// OnFatalErrorPolicy or its expiry asks: disabled (SubscriptionState 4,
// stored) when disable is set, deleted otherwise. An ID the registry does
// not know (or no longer knows) is no error.
func (r *Registry) EndSubscription(ctx context.Context, id string, disable bool) error {
	return r.change(func() error {
		s, ok := r.byID(id)
		switch {
		case !ok:
			return nil
		case !disable:
			err := r.remove(ctx, subscriptionKey(s))
			r.audit(ctx, "indication subscription ended", s.Filter.Name+" -> "+s.Handler.Name, err)
			return err
		case s.State == StateDisabled:
			return nil
		}
		err := r.update(ctx, s, func(n *SubscriptionRecord) error { n.State = StateDisabled; return nil })
		r.audit(ctx, "indication subscription disabled", s.Filter.Name+" -> "+s.Handler.Name, err)
		return err
	})
}

// Expire ends the subscriptions whose duration has passed: the leader
// deletes them; every server takes them from the hub.
func (r *Registry) Expire(ctx context.Context) error {
	defer r.sync()
	if !r.o.Leading() {
		return nil
	}
	now := r.o.Now()
	r.mu.RLock()
	var gone []string
	for _, s := range r.subs {
		if exp := s.Expires(); !exp.IsZero() && !now.Before(exp) {
			gone = append(gone, s.ID)
		}
	}
	r.mu.RUnlock()
	var errs []error
	for _, id := range gone {
		errs = append(errs, r.EndSubscription(ctx, id, false))
	}
	return errors.Join(errs...)
}

func (r *Registry) byID(id string) (SubscriptionRecord, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range r.subs {
		if s.ID == id {
			return s, true
		}
	}
	return SubscriptionRecord{}, false
}

// change runs one change on the leader, then brings the hub in line.
func (r *Registry) change(do func() error) error {
	if !r.o.Leading() {
		return errNotLeading()
	}
	r.write.Lock()
	err := do()
	r.write.Unlock()
	r.sync()
	return err
}

// bound refuses a new object when c already owns n of that kind.
func (r *Registry) bound(n int, what string, c Caller) error {
	if n >= r.o.MaxPerUser {
		return errorf(cim.StatusFailed, "limit reached: user %q already has %d %s, the most one user may have", c.User, n, what)
	}
	return nil
}

// used reports whether a subscription matches.
func (r *Registry) used(match func(SubscriptionRecord) bool) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range r.subs {
		if match(s) {
			return true
		}
	}
	return false
}

func count[T any](m map[string]T, match func(T) bool) int {
	n := 0
	for _, v := range m {
		if match(v) {
			n++
		}
	}
	return n
}

// create stores rec under a key that must be new.
func (r *Registry) create(ctx context.Context, key string, rec any, what, name string) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	txn := store.Txn{Compares: []store.Compare{{Key: key, ModRevision: 0}}, Ops: []store.Op{{Key: key, Value: data}}}
	if _, err := r.o.Store.Commit(context.WithoutCancel(ctx), txn); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errorf(cim.StatusAlreadyExists, "a %s %q already exists", what, name)
		}
		return storeError(err)
	}
	r.take(store.Event{KV: store.KV{Key: key, Value: data}})
	return nil
}

// put stores rec under key.
func (r *Registry) put(ctx context.Context, key string, rec any) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := r.o.Store.Commit(context.WithoutCancel(ctx), store.Txn{Ops: []store.Op{{Key: key, Value: data}}}); err != nil {
		return storeError(err)
	}
	r.take(store.Event{KV: store.KV{Key: key, Value: data}})
	return nil
}

// remove deletes key.
func (r *Registry) remove(ctx context.Context, key string) error {
	if _, err := r.o.Store.Commit(context.WithoutCancel(ctx), store.Txn{Ops: []store.Op{{Key: key, Delete: true}}}); err != nil {
		return storeError(err)
	}
	r.take(store.Event{KV: store.KV{Key: key}, Delete: true})
	return nil
}

func (r *Registry) take(ev store.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applyLocked(ev)
}

// storeError is a failed commit as a CIM error: CIM_ERR_FAILED, saying
// when the change may still have been made.
func storeError(err error) error {
	if errors.Is(err, store.ErrOutcomeUnknown) {
		return errorf(cim.StatusFailed, "the change may or may not have been stored (%v); read it back before trying again", err)
	}
	return errorf(cim.StatusFailed, "%s", fmt.Sprintf("storing the change failed: %v", err))
}
