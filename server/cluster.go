package server

import (
	"context"
	"fmt"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/cluster"
	"github.com/redset/redset/store"
)

// clusterView is what the HTTP edge needs of the cluster: who leads. The
// node implements it; tests put in a view of their own to make one
// server see another as its leader.
type clusterView interface {
	IsLeader() bool
	Leader() (cluster.Peer, bool)
	Info() cluster.Info
}

// resignTimeout bounds how long stopping waits for the leader to step
// down.
const resignTimeout = 2 * time.Second

// startCluster joins the cluster (a node in single mode on a bolt store),
// once the store and the engine are open and before anything is served.
func (s *Server) startCluster(ctx context.Context) error {
	first := ""
	if len(s.listeners) > 0 {
		first = s.listeners[0].Addr().String()
	}
	s.advertise = s.cfg.advertiseURL(first, s.tls != nil)
	node, err := cluster.Start(ctx, cluster.Options{
		Name: s.cfg.Cluster.Name, Advertise: s.advertise, LeaseTTL: s.cfg.Cluster.LeaseTTL.D(),
		HealthQuorum: s.cfg.Cluster.HealthQuorum, Store: s.st, Engine: s.eng,
		Logger: s.log.With("part", "cluster"),
		WrapFenced: func(st store.Store) store.Store {
			return timed(st, s.commits)
		},
		OnLead: s.applyAsLeader,
	})
	if err != nil {
		return fmt.Errorf("joining the cluster: %w", err)
	}
	s.node = node
	s.setView(node)
	if s.clustered() && node.IsLeader() {
		// Leading from the start: the file is in force before anything is
		// served, as on a single server (OnLead's own run then finds
		// nothing left to do).
		if err := s.applyFile(ctx, nil); err != nil {
			return err
		}
	}
	s.metrics.watchCluster(s.clusterInfo)
	return nil
}

// setView makes v the server's view of who leads.
func (s *Server) setView(v clusterView) { s.view.Store(&v) }

// cluster is the server's view of who leads.
func (s *Server) cluster() clusterView { return *s.view.Load() }

// clusterInfo is the cluster as this server sees it.
func (s *Server) clusterInfo() cluster.Info { return s.cluster().Info() }

// Resign makes this server step down if it leads, so that another server
// takes over at once; stopping (SIGTERM) calls it before anything else.
func (s *Server) Resign(ctx context.Context) error {
	if s.node == nil {
		return nil
	}
	return s.node.Resign(ctx)
}

// resignBeforeStop steps down, bounded by resignTimeout; a failure is
// logged (the lease then expires by itself).
func (s *Server) resignBeforeStop() {
	ctx, cancel := context.WithTimeout(context.Background(), resignTimeout)
	defer cancel()
	if err := s.Resign(ctx); err != nil {
		s.log.Warn("resigning leadership", "err", err)
	}
}

// clusterDTO is the API's view of info, ages measured from now.
func clusterDTO(info cluster.Info, now time.Time) api.ClusterInfo {
	out := api.ClusterInfo{
		Mode: info.Mode, Name: info.Name, URL: info.URL, IsLeader: info.IsLeader,
		LeaseTTLSeconds: info.LeaseTTL.Seconds(), LeaderChanges: info.LeaderChanges, InSync: info.InSync,
		WatchLagSeconds: info.WatchLag.Seconds(), Servers: make([]api.ClusterServer, 0, len(info.Servers)),
	}
	if info.Leader != (cluster.Peer{}) {
		out.Leader = &api.ClusterPeer{Name: info.Leader.Name, URL: info.Leader.URL}
	}
	for _, sv := range info.Servers {
		ago := max(now.Sub(sv.LastHeard), 0)
		out.Servers = append(out.Servers, api.ClusterServer{Name: sv.Name, URL: sv.URL, Leader: sv.Leader,
			LastHeardSecondsAgo: ago.Seconds()})
	}
	return out
}

// apiCluster answers GET /api/v1/cluster.
func (s *Server) apiCluster() api.ClusterInfo { return clusterDTO(s.clusterInfo(), time.Now()) }
