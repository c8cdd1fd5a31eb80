package server

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/redset/redset/cimom"
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

// Registry is the server's registry of indication subscriptions.
func (s *Server) Registry() *indication.Registry { return s.registry }
