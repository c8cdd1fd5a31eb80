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

// apiSubscriptions shows the registry's subscriptions through the JSON
// API (nil without a registry).
func (s *Server) apiSubscriptions() api.Subscriptions {
	if s.registry == nil {
		return nil
	}
	return registrySubscriptions{reg: s.registry}
}

// registrySubscriptions lists and deletes the CIM-XML subscriptions of
// the registry for the JSON API. Delivery counts are left at zero here.
type registrySubscriptions struct{ reg *indication.Registry }

func apiCaller(id auth.Identity) indication.Caller {
	return indication.Caller{User: id.User, Admin: id.Role == auth.Admin}
}

func (r registrySubscriptions) List(ctx context.Context, id auth.Identity) ([]api.IndicationSubscription, error) {
	all := indication.Caller{Admin: true}
	filters := map[string]indication.FilterRecord{}
	for _, f := range r.reg.Filters(all) {
		filters[f.Name] = f
	}
	dests := map[string]indication.DestinationRecord{}
	for _, d := range r.reg.Destinations(all) {
		dests[d.Name] = d
	}
	subs := r.reg.Subscriptions(apiCaller(id))
	out := make([]api.IndicationSubscription, 0, len(subs))
	for _, sub := range subs {
		out = append(out, apiSubscription(sub, filters[sub.Filter.Name], dests[sub.Handler.Name]))
	}
	slices.SortFunc(out, func(a, b api.IndicationSubscription) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
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

func (r registrySubscriptions) Delete(ctx context.Context, id auth.Identity, subID string) error {
	addr, _, _ := auth.ClientFrom(ctx)
	ctx = cimom.WithPrincipal(ctx, cimom.Principal{User: id.User, Role: string(id.Role), Address: addr, Protocol: engine.ProtocolAPI})
	err := r.reg.DeleteSubscriptionByID(ctx, apiCaller(id), subID)
	if cim.StatusOf(err) == cim.StatusNotFound {
		return api.ErrNoSubscription
	}
	return err
}

// Registry is the server's registry of indication subscriptions.
func (s *Server) Registry() *indication.Registry { return s.registry }
