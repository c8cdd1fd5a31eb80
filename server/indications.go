package server

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/indication"
	"github.com/redset/redset/schema"
)

// startIndications loads the subscription objects of root/interop from
// the store, registers their providers (and the indication service's)
// with the object manager, and follows the store so that objects made
// through any server of a cluster are known here. Only the leader
// changes them: a follower forwards the writes, and refuses them while
// no leader is known.
func (s *Server) startIndications(ctx context.Context, disp *cimom.Dispatcher, repo cimom.Repository) error {
	in := s.cfg.Indications
	reg := indication.NewRegistry(indication.RegistryOptions{
		Store: s.st, Hub: s.indications.hub, Leading: func() bool { return s.cluster().IsLeader() },
		MaxPerUser: in.MaxSubscriptionsPerUser, DefaultNamespace: schema.Namespace,
		Logger: s.log.With("part", "indication"), Audit: s.audit,
	})
	if err := reg.Load(ctx); err != nil {
		return fmt.Errorf("loading the indication subscriptions: %w", err)
	}
	err := indication.Register(disp, schema.InteropNamespace, indication.ProviderOptions{
		Registry: reg, Classes: repo, SystemName: systemName(),
		Service: indication.ServiceSettings{
			DeliveryRetryAttempts: uint16(*in.DeliveryRetryAttempts), DeliveryRetryInterval: in.DeliveryRetryInterval.D(),
		},
	})
	if err != nil {
		return err
	}
	s.registry = reg
	s.indications.onEnded = append(s.indications.onEnded, s.endSubscription)
	follow, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		reg.Follow(follow)
	}()
	s.stopIndications = func() { cancel(); <-done }
	return nil
}

// startEventing starts WS-Management eventing on the Hub: the stored push
// subscriptions come back, the Hub gets the senders of WS-Eventing's
// destinations, and the Hub's ends of WS-Eventing subscriptions reach
// their subscribers (SubscriptionEnd). It runs until stopEventing.
func (s *Server) startEventing() error {
	ctx, cancel := context.WithCancel(context.Background())
	w := &s.indications
	senders, err := s.startWSEventing(ctx, wsEventingConfig{
		Hub: w.hub, History: s.historyAfter, Source: w.indications, Active: s.eng.Leading, Client: w.client,
		Matches:         func(f indication.Filter, ind indication.Indication) bool { return f.Matches(ind, w.isa) },
		IndicationClass: func(name string) bool { return w.isa(name, classIndication) },
	})
	if err != nil {
		cancel()
		return err
	}
	for proto, snd := range senders {
		w.senders[proto] = snd
	}
	w.onEnded = append(w.onEnded, func(id string, why indication.EndReason) {
		s.wsEventingEnded(ctx, id, why == indication.EndRemoved)
	})
	s.stopWSE = func() {
		s.stopWSEventing(context.Background())
		cancel()
	}
	return nil
}

// classIndication is the root of the indication classes: WS-Eventing
// filters must select from it or a subclass.
const classIndication = "CIM_Indication"

// stopEventing ends WS-Management eventing (pull subscribers are told),
// once; push subscriptions stay stored.
func (s *Server) stopEventing() {
	if s.stopWSE != nil {
		s.stopWSE()
		s.stopWSE = nil
	}
}

// endSubscription takes an end of a subscription by the Hub (its
// OnFatalErrorPolicy, or its expiry) into the registry: disabled
// (SubscriptionState 4, stored) or deleted. WS-Eventing's IDs are not the
// registry's, which leaves them alone. It runs apart from the Hub's
// delivery, which must not wait for the store.
func (s *Server) endSubscription(id string, why indication.EndReason) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.registry.EndSubscription(ctx, id, why == indication.EndDisabled); err != nil {
			s.log.Warn("indication: recording the end of a subscription", "subscription", id, "why", why, "err", err)
		}
	}()
}

// systemName is the host name the interop instances name (SystemName),
// or "localhost".
func systemName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}

// apiSubscriptions shows every subscription to indications through the
// JSON API: the registry's CIM-XML ones and WS-Eventing's, with the Hub's
// delivery counts.
func (s *Server) apiSubscriptions() api.Subscriptions { return serverSubscriptions{s: s} }

// serverSubscriptions lists and deletes the subscriptions of the registry
// and of WS-Eventing (once started) for the JSON API.
type serverSubscriptions struct{ s *Server }

func apiCaller(id auth.Identity) indication.Caller {
	return indication.Caller{User: id.User, Admin: id.Role == auth.Admin}
}

func (a serverSubscriptions) List(ctx context.Context, id auth.Identity) ([]api.IndicationSubscription, error) {
	var out []api.IndicationSubscription
	if reg := a.s.registry; reg != nil {
		out = registryList(reg, apiCaller(id))
	}
	if e := a.s.wse.Load(); e != nil {
		out = append(out, e.apiSubscriptions(id)...)
	}
	if hub := a.s.indications.hub; hub != nil {
		addDelivery(out, hub.Status())
	}
	slices.SortFunc(out, func(a, b api.IndicationSubscription) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// registryList is the registry's subscriptions c may see, in the API's
// form.
func registryList(reg *indication.Registry, c indication.Caller) []api.IndicationSubscription {
	all := indication.Caller{Admin: true}
	filters := map[string]indication.FilterRecord{}
	for _, f := range reg.Filters(all) {
		filters[f.Name] = f
	}
	dests := map[string]indication.DestinationRecord{}
	for _, d := range reg.Destinations(all) {
		dests[d.Name] = d
	}
	subs := reg.Subscriptions(c)
	out := make([]api.IndicationSubscription, 0, len(subs))
	for _, sub := range subs {
		out = append(out, apiSubscription(sub, filters[sub.Filter.Name], dests[sub.Handler.Name]))
	}
	return out
}

// addDelivery fills in the Hub's counts of each subscription it holds.
func addDelivery(subs []api.IndicationSubscription, status []indication.SubscriptionStatus) {
	byID := make(map[string]indication.SubscriptionStatus, len(status))
	for _, st := range status {
		byID[st.ID] = st
	}
	for i := range subs {
		st, ok := byID[subs[i].ID]
		if !ok {
			continue
		}
		d := &subs[i].Delivery
		d.Delivered, d.Queued, d.Failed, d.Dropped, d.LastError = st.Delivered, int(st.Queued), st.Failed, st.Dropped, st.LastError
		if !st.LastErrorTime.IsZero() {
			at := st.LastErrorTime
			d.LastTime = &at
		}
	}
}

func apiSubscription(s indication.SubscriptionRecord, f indication.FilterRecord, d indication.DestinationRecord) api.IndicationSubscription {
	state := "enabled"
	if s.State != indication.StateEnabled {
		state = "disabled"
	}
	out := api.IndicationSubscription{
		ID: s.ID, Protocol: indication.ProtocolCIMXML, Owner: s.Owner, Filter: f.Name, Query: f.Query, QueryLanguage: f.QueryLanguage,
		Destination: d.Destination, DeliveryMode: "ExportIndication", State: state, Created: s.Start, SequenceContext: s.SequenceContext,
		OnFatalError: map[indication.Policy]string{indication.PolicyIgnore: "ignore", indication.PolicyDisable: "disable",
			indication.PolicyRemove: "remove"}[indication.Policy(s.OnFatalErrorPolicy)],
	}
	if exp := s.Expires(); !exp.IsZero() {
		out.Expires = &exp
	}
	return out
}

// Delete ends the subscription id the caller may see: the registry's, or
// else WS-Eventing's.
func (a serverSubscriptions) Delete(ctx context.Context, id auth.Identity, subID string) error {
	if reg := a.s.registry; reg != nil {
		addr, _, _ := auth.ClientFrom(ctx)
		pctx := cimom.WithPrincipal(ctx, cimom.Principal{User: id.User, Role: string(id.Role), Address: addr, Protocol: engine.ProtocolAPI})
		err := reg.DeleteSubscriptionByID(pctx, apiCaller(id), subID)
		if cim.StatusOf(err) != cim.StatusNotFound {
			return err
		}
	}
	if e := a.s.wse.Load(); e != nil {
		return e.apiDelete(ctx, id, subID)
	}
	return api.ErrNoSubscription
}

// Registry is the server's registry of indication subscriptions.
func (s *Server) Registry() *indication.Registry { return s.registry }
