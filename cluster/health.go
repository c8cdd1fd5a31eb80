package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/internal/pause"
	"github.com/redset/redset/store"
)

// Health in a cluster: every server counts its own probes' reports as
// before, but the count is only its observation of the member. Each server
// publishes its observations under cluster/health/<server>/<member> with
// its lease (only when one changes), so a server that is gone takes its
// observations with it. The leader decides each member's health from the
// observations of the live (registered) servers, by the health quorum, and
// hands the decision to its engine, which stores it for the followers.

// decideLoop makes the leader decide whenever observations or servers
// change, and at every heartbeat.
func (n *Node) decideLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.opts.LeaseTTL)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.decide:
		case <-t.C: // registrations that lapsed leave no event of their own behind in time
		}
		if n.IsLeader() {
			if err := n.decideAll(n.ctx); err != nil && n.ctx.Err() == nil {
				n.log.Warn("cluster: deciding members' health failed", "err", err)
			}
		}
	}
}

// watchCluster pokes the decision at every change of a registration or an
// observation.
func (n *Node) watchCluster() {
	defer n.wg.Done()
	for n.ctx.Err() == nil {
		w := n.el.Watch(n.ctx, "cluster/")
		for ev := range w.Events() {
			if n.changesQuorum(ev) {
				n.poke(n.decide)
			}
		}
		pause.Sleep(n.ctx, 100*time.Millisecond)
	}
}

// changesQuorum: an observation changed, or a server came or went (a
// renewed registration changes nothing).
func (n *Node) changesQuorum(ev store.Event) bool {
	switch {
	case strings.HasPrefix(ev.KV.Key, prefixHealth):
		return true
	case !strings.HasPrefix(ev.KV.Key, prefixServers):
		return false
	case ev.Delete:
		return true
	}
	name := unescape(strings.TrimPrefix(ev.KV.Key, prefixServers))
	n.mu.Lock()
	defer n.mu.Unlock()
	return !slices.ContainsFunc(n.servers, func(s Server) bool { return s.Name == name })
}

// decideAll reads the live servers and their observations and decides
// every member's health.
func (n *Node) decideAll(ctx context.Context) error {
	if err := n.refreshServers(ctx); err != nil {
		return err
	}
	kvs, _, err := n.el.List(ctx, prefixHealth)
	if err != nil {
		return err
	}
	n.mu.Lock()
	live := map[string]bool{}
	for _, s := range n.servers {
		live[s.Name] = true
	}
	n.mu.Unlock()
	seen := map[string]map[string]engine.Health{} // member -> server -> observation
	for _, kv := range kvs {
		server, member, ok := strings.Cut(strings.TrimPrefix(kv.Key, prefixHealth), "/")
		server, member = unescape(server), unescape(member)
		var h engine.Health
		if !ok || !live[server] || h.UnmarshalText(kv.Value) != nil {
			continue
		}
		if seen[member] == nil {
			seen[member] = map[string]engine.Health{}
		}
		seen[member][server] = h
	}
	n.mu.Lock()
	for m, h := range n.obs { // this server's own observations, newer than any it published
		if seen[m] == nil {
			seen[m] = map[string]engine.Health{}
		}
		seen[m][n.opts.Name] = h
	}
	n.seen = seen
	n.mu.Unlock()
	members, err := n.eng.ListMembers()
	if err != nil {
		return err
	}
	for _, m := range members {
		h, detail := decideHealth(n.opts.HealthQuorum, len(live), n.opts.Name, seen[m.Name])
		if h == engine.HealthFailed || anyFailed(seen[m.Name]) {
			n.log.Debug("cluster: deciding", "member", m.Name, "observations", fmt.Sprint(seen[m.Name]), "live", len(live), "decision", h.String())
		}
		err := n.eng.DecideHealth(m.Name, h, "cluster", detail)
		switch {
		case errors.Is(err, engine.ErrNotFound): // deleted meanwhile: the others still count
		case err != nil:
			return err
		}
	}
	return nil
}

// anyFailed reports whether some server sees the member failed.
func anyFailed(obs map[string]engine.Health) bool {
	for _, h := range obs {
		if h == engine.HealthFailed {
			return true
		}
	}
	return false
}

// decideHealth is the health quorum rule. obs holds the observations of the
// live servers (by server name); live is how many servers are live; leader
// names this server. Failed needs, by policy: more than half of the live
// servers seeing it failed (majority), any of them (any), or the leader's
// own observation (leader). A member not declared failed takes the most
// common operational observation (OK on a tie); with none it is Unknown.
func decideHealth(policy string, live int, leader string, obs map[string]engine.Health) (engine.Health, string) {
	if policy == QuorumLeader {
		return obs[leader], "as the leader sees it"
	}
	failed, ok, degraded := 0, 0, 0
	for _, h := range obs {
		switch h {
		case engine.HealthFailed:
			failed++
		case engine.HealthOK:
			ok++
		case engine.HealthDegraded:
			degraded++
		}
	}
	detail := fmt.Sprintf("%d of %d servers see it failed", failed, live)
	switch {
	case policy == QuorumAny && failed > 0, policy == QuorumMajority && 2*failed > live:
		return engine.HealthFailed, detail
	case ok == 0 && degraded == 0:
		return engine.HealthUnknown, detail
	case degraded > ok:
		return engine.HealthDegraded, detail
	}
	return engine.HealthOK, detail
}
