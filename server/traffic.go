package server

import (
	"context"
	"fmt"

	"github.com/redset/redset/cluster"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/traffic"
)

// startTraffic opens the frontends of every set that has one and exports
// their traffic to /metrics and the JSON API. Every server runs them, the
// followers of a cluster too: a frontend needs only the set's view, and
// each server's is current. Their changes (listening, failed, stopped) go
// to the cluster node, which records them on a single server and publishes
// them for the leader to record in a cluster.
func (s *Server) startTraffic(ctx context.Context) error {
	var eng traffic.Engine = s.eng
	if s.node != nil {
		eng = frontendRecorder{Engine: s.eng, node: s.node}
	}
	t := traffic.New(eng, traffic.Options{Log: s.log.With("part", "traffic")})
	s.mu.Lock()
	s.traffic = t
	s.mu.Unlock()
	if err := t.Start(ctx); err != nil {
		return fmt.Errorf("frontends: %w", err)
	}
	return nil
}

// Frontends is what each set's frontend does on this server, by set
// InstanceID; none before Start.
func (s *Server) Frontends() map[string]engine.FrontendStatus { return s.frontendStatuses() }

// frontendStatuses is what /metrics shows of the frontends; none before
// Start.
func (s *Server) frontendStatuses() map[string]engine.FrontendStatus {
	if t := s.trafficManager(); t != nil {
		return t.Statuses()
	}
	return nil
}

// frontendStatus is what a set's frontend does, for the JSON API and the
// dashboard; none before Start.
func (s *Server) frontendStatus(setID string) (engine.FrontendStatus, bool) {
	if t := s.trafficManager(); t != nil {
		return t.Status(setID)
	}
	return engine.FrontendStatus{}, false
}

// statusFunc makes a function the API's source of frontend status.
type statusFunc func(setID string) (engine.FrontendStatus, bool)

func (f statusFunc) Status(setID string) (engine.FrontendStatus, bool) { return f(setID) }

func (s *Server) trafficManager() *traffic.Manager {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.traffic
}

// frontendRecorder is the engine as the frontends see it, but for their
// changes, which go to the cluster node.
type frontendRecorder struct {
	*engine.Engine
	node *cluster.Node
}

func (r frontendRecorder) RecordFrontend(setID string, f event.FrontendChanged) {
	r.node.RecordFrontend(setID, f)
}
