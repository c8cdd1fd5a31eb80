package cluster

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/internal/pause"
	"github.com/redset/redset/store"
)

// Frontends in a cluster: every server runs the frontends of all sets on
// its own machine, so one server's frontend may listen while another's
// cannot. Each server publishes the state of its own frontends under
// cluster/frontends/<server>/<set> with its lease, each change in the order
// it happened, so a server that is gone takes its keys with it. The leader
// watches those keys and records every change it sees as a FrontendChanged
// event naming the server (its own frontends' changes too).
//
// The leader remembers, per server and set, the last state recorded. A new
// leader reads that memory from the history (the newest FrontendChanged
// record of each server and set) and then compares the keys as it finds
// them: it records only the states that differ, so a leader change
// records nothing the history already says, and a change nobody recorded
// (it happened while no server led, or the old leader's record was lost
// with it) is recorded once, as found. A server that leaves takes its keys
// with it and nothing is recorded for that: the history keeps its last
// word on the server's frontends, and `redset cluster status` shows the
// server gone. When it returns, only states that differ from that word are
// recorded, so restarting a server whose frontends come back as they were
// adds nothing to the history. A history record trimmed away is no longer
// remembered: the state is then recorded again, as found.

// frontPub is one state of one set's frontend, waiting to be published.
type frontPub struct {
	set   string
	state event.FrontendChanged
}

// RecordFrontend is the recorder of this server's frontends (the traffic
// manager's). A single server records the change through its engine, as
// it always did. In a cluster the change is published under this server's
// key for the set, for the leader to record.
func (n *Node) RecordFrontend(setID string, f event.FrontendChanged) {
	if n.mode == ModeSingle {
		n.eng.RecordFrontend(setID, f)
		return
	}
	f.Server = ""
	n.mu.Lock()
	n.fronts[setID] = f
	n.frontQueue = append(n.frontQueue, frontPub{set: setID, state: f})
	if len(n.frontQueue) > 2*len(n.fronts)+64 { // the store has been away: only the latest states matter now
		n.frontQueue = n.latestFronts()
	}
	n.mu.Unlock()
	n.poke(n.wake)
}

// latestFronts is the latest state of every set's frontend, in set order;
// n.mu must be held.
func (n *Node) latestFronts() []frontPub {
	out := make([]frontPub, 0, len(n.fronts))
	for set, f := range n.fronts {
		out = append(out, frontPub{set: set, state: f})
	}
	slices.SortFunc(out, func(a, b frontPub) int { return strings.Compare(a.set, b.set) })
	return out
}

// publishFrontends writes the queued states with this session's lease, in
// order; what a failed write leaves is written at the next pass.
func (n *Node) publishFrontends(ctx context.Context, sess store.Session) {
	for {
		n.mu.Lock()
		if len(n.frontQueue) == 0 {
			n.mu.Unlock()
			return
		}
		p := n.frontQueue[0]
		n.mu.Unlock()
		data, _ := json.Marshal(p.state)
		if _, err := sess.PutLeased(ctx, frontendKey(n.opts.Name, p.set), data); err != nil {
			if ctx.Err() == nil {
				n.log.Warn("cluster: publishing a frontend's state failed", "set", p.set, "err", err)
			}
			return
		}
		n.mu.Lock()
		if len(n.frontQueue) > 0 && n.frontQueue[0] == p {
			n.frontQueue = n.frontQueue[1:]
		}
		n.mu.Unlock()
	}
}

func frontendKey(server, set string) string {
	return prefixFrontends + escape(server) + "/" + escape(set)
}

// frontID names one server's frontend of one set.
type frontID struct{ server, set string }

// frontRecorder is the leader's memory of the frontends' recorded states.
type frontRecorder struct {
	term uint64 // the leadership it was read in; 0: to read
	rev  int64  // store revision the keys were read at
	last map[frontID]event.FrontendChanged
}

// frontendsLoop records, while this server leads, the changes of every
// server's frontends.
func (n *Node) frontendsLoop() {
	defer n.wg.Done()
	var rec frontRecorder
	for n.ctx.Err() == nil {
		w := n.el.Watch(n.ctx, prefixFrontends)
		rec.term = 0 // changes may have been missed: read the keys again
		n.followFrontends(w, &rec)
		pause.Sleep(n.ctx, 100*time.Millisecond)
	}
}

// followFrontends handles one watch until it ends.
func (n *Node) followFrontends(w store.Watcher, rec *frontRecorder) {
	t := time.NewTicker(n.opts.LeaseTTL)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.frontLead:
			n.catchUpFrontends(rec)
		case <-t.C: // a catch-up that failed is tried again
			n.catchUpFrontends(rec)
		case ev, ok := <-w.Events():
			if !ok {
				return
			}
			if n.catchUpFrontends(rec) && ev.KV.ModRevision > rec.rev {
				n.seenFrontend(rec, ev)
			}
		}
	}
}

// leadTerm is the current leadership's number, and whether this server
// leads.
func (n *Node) leadTerm() (uint64, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.term, n.isLeader
}

// catchUpFrontends makes sure a leader's memory was read in the current
// leadership: from the history, then the keys as they are, recording what
// differs. It reports whether this server leads with its memory read.
func (n *Node) catchUpFrontends(rec *frontRecorder) bool {
	term, leading := n.leadTerm()
	if !leading {
		rec.term = 0
		return false
	}
	if rec.term == term {
		return true
	}
	last, err := n.recordedFrontends(n.ctx)
	if err != nil {
		if n.ctx.Err() == nil {
			n.log.Warn("cluster: reading the frontends' records failed; trying again", "err", err)
		}
		return false
	}
	kvs, rev, err := n.el.List(n.ctx, prefixFrontends)
	if err != nil {
		if n.ctx.Err() == nil {
			n.log.Warn("cluster: reading the frontends' states failed; trying again", "err", err)
		}
		return false
	}
	rec.last, rec.rev, rec.term = last, rev, term
	for _, kv := range kvs {
		n.seenFrontend(rec, store.Event{KV: kv})
	}
	return true
}

// recordedFrontends reads the last recorded state of each server's
// frontend of each set from the history. Records without a server are a
// single server's, or older ones of the leader of their time (Origin).
func (n *Node) recordedFrontends(ctx context.Context) (map[frontID]event.FrontendChanged, error) {
	recs, err := n.eng.QueryHistory(ctx, engine.HistoryFilter{Kinds: []event.Kind{event.KindFrontend}})
	if err != nil {
		return nil, err
	}
	last := make(map[frontID]event.FrontendChanged)
	for _, r := range recs { // oldest first: the newest wins
		if r.Frontend == nil {
			continue
		}
		f := *r.Frontend
		server := f.Server
		if server == "" {
			server = r.Origin
		}
		f.Server = ""
		last[frontID{server: server, set: r.SetID}] = f
	}
	return last, nil
}

// seenFrontend records a server's published state when it differs from
// the last recorded one. A deleted key (its server left) records nothing.
func (n *Node) seenFrontend(rec *frontRecorder, ev store.Event) {
	server, set, ok := strings.Cut(strings.TrimPrefix(ev.KV.Key, prefixFrontends), "/")
	if !ok || ev.Delete {
		return
	}
	var f event.FrontendChanged
	if err := json.Unmarshal(ev.KV.Value, &f); err != nil || f.State == "" {
		n.log.Warn("cluster: a frontend's published state is unreadable", "key", ev.KV.Key, "err", err)
		return
	}
	id := frontID{server: unescape(server), set: unescape(set)}
	f.Server = ""
	if prev, ok := rec.last[id]; ok && prev == f {
		return
	}
	rec.last[id] = f
	f.Server = id.server
	n.eng.RecordFrontend(id.set, f)
	if id.server != n.opts.Name { // this server's own traffic logs its own
		logFrontend(n, id, f)
	}
}

// logFrontend logs another server's frontend change on the leader.
func logFrontend(n *Node, id frontID, f event.FrontendChanged) {
	attrs := []any{"server", id.server, "set", id.set, "state", f.State, "listen", f.Listen}
	switch f.State {
	case event.FrontendFailed:
		n.log.Warn("cluster: a server's frontend cannot listen", append(attrs, "err", f.Error)...)
	case event.FrontendListening:
		n.log.Info("cluster: a server's frontend listens", append(attrs, "address", f.Address)...)
	default:
		n.log.Info("cluster: a server's frontend stopped", attrs...)
	}
}
