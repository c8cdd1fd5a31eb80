package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/internal/pause"
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

// MinLeaseTTL is the shortest lease etcd grants (whole seconds).
const MinLeaseTTL = time.Second

// ErrBadOptions: the options cannot work (an unknown health quorum, no
// engine, no name).
var ErrBadOptions = errors.New("cluster: bad options")

// Keys of the cluster under the store's key space (the election lives under
// cluster/election, see store/etcd).
const (
	prefixServers = "cluster/servers/" // one leased key per live server
	prefixHealth  = "cluster/health/"  // leased observations: <server>/<member>
	// prefixFrontends holds each server's leased frontend states:
	// <server>/<set>.
	prefixFrontends = "cluster/frontends/"
)

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
	// WrapFenced, when set, wraps the fenced store of each won election
	// before the engine writes through it (to time its commits, say).
	WrapFenced func(store.Store) store.Store
	// OnLead, when set, is called in a goroutine of its own each time this
	// server starts leading, once its engine leads: the server applies its
	// configuration file then, so that only a leader writes it.
	OnLead func()
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
	opts Options
	log  *slog.Logger
	mode string
	el   store.Elector
	eng  *engine.Engine

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	resign chan chan error // Resign's requests to the campaign loop
	wake   chan struct{}   // observation changes to publish
	decide chan struct{}   // the leader should decide health again
	// frontLead: this server started leading; it reads the frontends'
	// records and states.
	frontLead chan struct{}

	mu        sync.Mutex
	leader    Peer
	hasLeader bool
	isLeader  bool
	changes   uint64
	servers   []Server
	beatRev   int64     // revision of this server's last heartbeat
	beatAt    time.Time // when it was written
	obs       map[string]engine.Health
	published map[string]engine.Health            // observations the current session holds
	forgotten map[string]bool                     // published observations of deleted members, to delete
	seen      map[string]map[string]engine.Health // leader: member -> server -> observation, as last read
	settled   chan struct{}                       // closed once a leader is known (and, if it is this server, leads)
	closed    bool
	last      store.Leadership // the latest leadership won (tests check its fence)

	// Frontends (frontends.go), guarded by mu too.
	term       uint64                           // counts the leaderships this server won
	fronts     map[string]event.FrontendChanged // this server's frontends' latest states, by set
	frontQueue []frontPub                       // states to publish, in order
}

// Start joins the cluster. In ModeSingle the node leads at once and never
// stops leading. In ModeEtcd the engine follows until this server wins the
// election; Start returns once the node is registered and campaigning.
func Start(ctx context.Context, o Options) (*Node, error) {
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	o.LeaseTTL = max(o.LeaseTTL, MinLeaseTTL)
	if o.HealthQuorum == "" {
		o.HealthQuorum = QuorumMajority
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch o.HealthQuorum {
	case QuorumMajority, QuorumAny, QuorumLeader:
	default:
		return nil, fmt.Errorf("%w: health quorum %q (want majority, any or leader)", ErrBadOptions, o.HealthQuorum)
	}
	n := &Node{opts: o, log: o.Logger, mode: ModeSingle, eng: o.Engine,
		resign: make(chan chan error), wake: make(chan struct{}, 1), decide: make(chan struct{}, 1),
		obs: map[string]engine.Health{}, published: map[string]engine.Health{}, forgotten: map[string]bool{}, settled: make(chan struct{}),
		frontLead: make(chan struct{}, 1), fronts: map[string]event.FrontendChanged{}}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if o.Engine != nil {
		o.Engine.SetOrigin(o.Name)
	}
	el, ok := o.Store.(store.Elector)
	if !ok {
		return n, nil
	}
	if o.Engine == nil || o.Name == "" {
		n.cancel()
		return nil, fmt.Errorf("%w: a cluster node needs an engine and a name", ErrBadOptions)
	}
	n.mode, n.el = ModeEtcd, el
	o.Engine.Follow()
	o.Engine.ExternalHealth(n.observed)
	o.Engine.OnMemberGone(n.memberGone)
	n.mu.Lock()
	for m, h := range o.Engine.Observations() {
		if h != engine.HealthUnknown {
			n.obs[m] = h
		}
	}
	n.mu.Unlock()
	sess, err := n.openSession(ctx)
	if err != nil {
		n.cancel()
		return nil, err
	}
	n.wg.Add(4)
	go n.run(sess)
	go n.decideLoop()
	go n.watchCluster()
	go n.frontendsLoop()
	n.awaitLeader(ctx)
	return n, nil
}

// awaitLeader waits (at most two lease TTLs) until a leader is known, so
// that a server starts serving knowing where writes go.
func (n *Node) awaitLeader(ctx context.Context) {
	t := time.NewTimer(2 * n.opts.LeaseTTL)
	defer t.Stop()
	select {
	case <-n.settled:
	case <-t.C:
		n.log.Warn("cluster: no leader known yet; writes answer busy until one is")
	case <-ctx.Done():
	}
}

// checkSettled closes settled once a leader is known and, when that is
// this server, its engine leads; n.mu must be held.
func (n *Node) checkSettled() {
	select {
	case <-n.settled:
		return
	default:
	}
	if n.hasLeader && (n.leader.Name != n.opts.Name || n.isLeader) {
		close(n.settled)
	}
}

// IsLeader reports whether this server leads now.
func (n *Node) IsLeader() bool {
	if n.mode == ModeSingle {
		return true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.isLeader
}

// Leader returns the current leader, if one is known.
func (n *Node) Leader() (Peer, bool) {
	if n.mode == ModeSingle {
		return n.self(), true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leader, n.hasLeader
}

func (n *Node) self() Peer { return Peer{Name: n.opts.Name, URL: n.opts.Advertise} }

// Info returns a snapshot of the cluster as this server sees it.
func (n *Node) Info() Info {
	me := n.self()
	if n.mode == ModeSingle {
		return Info{
			Mode: ModeSingle, Name: me.Name, URL: me.URL, Leader: me, IsLeader: true,
			LeaseTTL: n.opts.LeaseTTL, InSync: true,
			Servers: []Server{{Name: me.Name, URL: me.URL, Leader: true, LastHeard: time.Now()}},
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	info := Info{Mode: ModeEtcd, Name: me.Name, URL: me.URL, IsLeader: n.isLeader, LeaseTTL: n.opts.LeaseTTL,
		LeaderChanges: n.changes, Servers: slices.Clone(n.servers)}
	if n.hasLeader {
		info.Leader = n.leader
	}
	for i := range info.Servers {
		info.Servers[i].Leader = n.hasLeader && info.Servers[i].Name == n.leader.Name
	}
	info.InSync, info.WatchLag = n.syncState()
	return info
}

// syncState: the leader is in sync; a follower is when its engine's watch
// is live and has applied this server's last heartbeat write (and so every
// commit before it). n.mu must be held.
func (n *Node) syncState() (bool, time.Duration) {
	live, applied, _ := n.eng.Applied()
	if n.isLeader && n.eng.Leading() {
		return true, 0
	}
	if !live || n.beatRev == 0 {
		return false, 0
	}
	if applied >= n.beatRev {
		return true, 0
	}
	return false, time.Since(n.beatAt)
}

// Resign makes a leading server step down so that another takes over at
// once (on SIGTERM). It does nothing when the server does not lead.
func (n *Node) Resign(ctx context.Context) error {
	if n.mode == ModeSingle || !n.IsLeader() {
		return nil
	}
	reply := make(chan error, 1)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for sent := false; !sent; {
		select {
		case n.resign <- reply:
			sent = true
		case <-tick.C: // the leadership may have ended meanwhile
			if !n.IsLeader() {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-n.ctx.Done():
			return nil
		}
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close leaves the cluster (resigning first when leading): the session's
// lease is revoked, so the server's registration, observations and
// frontend states go at once. It does not close the store or the engine.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	if n.mode == ModeSingle {
		n.cancel()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.LeaseTTL)
	err := n.Resign(ctx)
	cancel()
	n.cancel()
	n.wg.Wait()
	return err
}

// --- the campaign loop ---

// peerValue is what a server puts in its election key and registration.
type peerValue struct {
	Name  string    `json:"name"`
	URL   string    `json:"url"`
	Heard time.Time `json:"heard,omitzero"`
}

func (n *Node) openSession(ctx context.Context) (store.Session, error) {
	sess, err := n.el.OpenSession(ctx, n.opts.LeaseTTL)
	if err != nil {
		return nil, fmt.Errorf("cluster: joining: %w", err)
	}
	if err := n.heartbeat(ctx, sess); err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("cluster: registering: %w", err)
	}
	n.mu.Lock()
	n.published = map[string]engine.Health{} // a new lease holds none yet
	n.forgotten = map[string]bool{}
	n.frontQueue = n.latestFronts()
	n.mu.Unlock()
	n.poke(n.wake)
	return sess, nil
}

// run keeps a session (opening a new one when the lease is lost) and, in
// each, observes the leader, publishes, and campaigns.
func (n *Node) run(sess store.Session) {
	defer n.wg.Done()
	backoff := 100 * time.Millisecond
	for {
		n.inSession(sess)
		_ = sess.Close()
		n.setLeader(Peer{}, false)
		for {
			if n.ctx.Err() != nil {
				return
			}
			var err error
			if sess, err = n.openSession(n.ctx); err == nil {
				backoff = 100 * time.Millisecond
				break
			}
			n.log.Warn("cluster: cannot join; trying again", "err", err)
			if !pause.Sleep(n.ctx, backoff) {
				return
			}
			backoff = min(2*backoff, n.opts.LeaseTTL)
		}
	}
}

// inSession runs until the session is done or the node closes.
func (n *Node) inSession(sess store.Session) {
	ctx, cancel := context.WithCancel(n.ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.Done():
			n.log.Warn("cluster: this server's lease ended; joining again")
		case <-ctx.Done():
		}
		cancel()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { n.observeLeader(ctx, sess) })
	wg.Go(func() { n.publishLoop(ctx, sess) })
	n.campaignLoop(ctx, sess)
}

// campaignLoop campaigns, leads while it can, and campaigns again.
func (n *Node) campaignLoop(ctx context.Context, sess store.Session) {
	value, _ := json.Marshal(peerValue{Name: n.opts.Name, URL: n.opts.Advertise})
	for ctx.Err() == nil {
		l, err := sess.Campaign(ctx, value)
		if err != nil {
			if ctx.Err() == nil {
				n.log.Warn("cluster: campaign failed; trying again", "err", err)
				pause.Sleep(ctx, 100*time.Millisecond)
			}
			continue
		}
		n.lead(ctx, l)
	}
}

// lead drives the engine as leader until the leadership ends.
func (n *Node) lead(ctx context.Context, l store.Leadership) {
	fenced := l.Store()
	if n.opts.WrapFenced != nil {
		fenced = n.opts.WrapFenced(fenced)
	}
	if err := n.eng.Lead(fenced); err != nil {
		n.log.Warn("cluster: won the election but could not take over; giving it up", "err", err)
		n.giveUp(l)
		pause.Sleep(ctx, 100*time.Millisecond)
		return
	}
	n.mu.Lock()
	n.isLeader, n.last = true, l
	n.term++
	n.checkSettled()
	n.mu.Unlock()
	n.poke(n.frontLead)
	n.log.Info("cluster: leading", "name", n.opts.Name)
	if n.opts.OnLead != nil {
		go n.opts.OnLead()
	}
	n.poke(n.decide)
	var reply chan error
	select {
	case <-ctx.Done():
	case <-l.Done():
	case <-n.eng.Deposed():
		n.log.Warn("cluster: the engine stepped down (a commit was fenced off, or its outcome is unknown)")
	case reply = <-n.resign:
	}
	n.mu.Lock()
	n.isLeader = false
	n.mu.Unlock()
	n.eng.Follow()
	err := n.giveUp(l)
	if reply != nil {
		reply <- err
		// Let another campaigner take over before campaigning again.
		pause.Sleep(ctx, n.opts.LeaseTTL)
	}
}

// giveUp resigns a leadership, bounded by the lease TTL.
func (n *Node) giveUp(l store.Leadership) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.LeaseTTL)
	defer cancel()
	return l.Resign(ctx)
}

// observeLeader follows the election's leader.
func (n *Node) observeLeader(ctx context.Context, sess store.Session) {
	for v := range sess.Observe(ctx) {
		var p peerValue
		if len(v) == 0 || json.Unmarshal(v, &p) != nil || p.Name == "" {
			n.setLeader(Peer{}, false)
			continue
		}
		n.setLeader(Peer{Name: p.Name, URL: p.URL}, true)
	}
}

func (n *Node) setLeader(p Peer, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ok && (!n.hasLeader || n.leader != p) {
		n.changes++
		n.log.Info("cluster: leader", "name", p.Name, "url", p.URL)
	}
	n.leader, n.hasLeader = p, ok
	n.checkSettled()
}

// --- registry and observations ---

// heartbeat writes this server's registration, with the time, under the
// session's lease.
func (n *Node) heartbeat(ctx context.Context, sess store.Session) error {
	now := time.Now()
	v, _ := json.Marshal(peerValue{Name: n.opts.Name, URL: n.opts.Advertise, Heard: now})
	rev, err := sess.PutLeased(ctx, prefixServers+escape(n.opts.Name), v)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.beatRev, n.beatAt = rev, now
	n.mu.Unlock()
	return n.refreshServers(ctx)
}

// refreshServers reads the registry.
func (n *Node) refreshServers(ctx context.Context) error {
	kvs, _, err := n.el.List(ctx, prefixServers)
	if err != nil {
		return err
	}
	servers := make([]Server, 0, len(kvs))
	for _, kv := range kvs {
		var p peerValue
		if json.Unmarshal(kv.Value, &p) == nil && p.Name != "" {
			servers = append(servers, Server{Name: p.Name, URL: p.URL, LastHeard: p.Heard})
		}
	}
	n.mu.Lock()
	n.servers = servers
	n.mu.Unlock()
	return nil
}

// beatEvery is how often a server renews its registration.
func (n *Node) beatEvery() time.Duration { return max(n.opts.LeaseTTL/3, 100*time.Millisecond) }

// publishLoop renews the registration and writes changed observations.
func (n *Node) publishLoop(ctx context.Context, sess store.Session) {
	t := time.NewTicker(n.beatEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := n.heartbeat(ctx, sess); err != nil && ctx.Err() == nil {
				n.log.Warn("cluster: renewing the registration failed", "err", err)
			}
		case <-n.wake:
		}
		n.publishObservations(ctx, sess)
		n.deleteForgotten(ctx)
		n.publishFrontends(ctx, sess)
	}
}

// observed is the engine's observer: a counted change of this server's own
// view of a member.
//
// The leader decides the member at once from its own new observation and
// the others it last read, so that a report to the leader counts before
// the call returns when the quorum allows (always on a cluster of one).
func (n *Node) observed(member string, h engine.Health) {
	n.log.Debug("cluster: this server's observation changed", "member", member, "health", h.String())
	n.mu.Lock()
	n.obs[member] = h
	lead := n.isLeader
	var obs map[string]engine.Health
	live := max(len(n.servers), 1)
	if lead {
		obs = maps.Clone(n.seen[member])
		if obs == nil {
			obs = map[string]engine.Health{}
		}
		obs[n.opts.Name] = h
	}
	n.mu.Unlock()
	n.poke(n.wake)
	if lead {
		d, detail := decideHealth(n.opts.HealthQuorum, live, n.opts.Name, obs)
		if err := n.eng.DecideHealth(member, d, "cluster", detail); err != nil && !errors.Is(err, engine.ErrNotLeader) {
			n.log.Warn("cluster: deciding a member's health failed", "member", member, "err", err)
		}
	}
}

// publishObservations writes the observations that changed since they
// were last written with this session's lease.
func (n *Node) publishObservations(ctx context.Context, sess store.Session) {
	n.mu.Lock()
	todo := map[string]engine.Health{}
	for m, h := range n.obs {
		if p, ok := n.published[m]; !ok || p != h {
			todo[m] = h
		}
	}
	n.mu.Unlock()
	for m, h := range todo {
		if _, err := sess.PutLeased(ctx, healthKey(n.opts.Name, m), []byte(h.String())); err != nil {
			if ctx.Err() == nil {
				n.log.Warn("cluster: publishing a health observation failed", "member", m, "err", err)
				n.poke(n.wake)
			}
			return
		}
		n.mu.Lock()
		n.published[m] = h
		n.mu.Unlock()
		n.log.Debug("cluster: observation published", "member", m, "health", h.String())
	}
}

// memberGone forgets this server's observation of a deleted member; the
// publish loop deletes the key that holds it.
func (n *Node) memberGone(member string) {
	n.mu.Lock()
	delete(n.obs, member)
	if _, ok := n.published[member]; ok {
		n.forgotten[member] = true
	}
	n.mu.Unlock()
	n.poke(n.wake)
}

// deleteForgotten deletes the published observations of deleted members.
// A member created again and observed meanwhile keeps its key: its new
// observation overwrites it.
func (n *Node) deleteForgotten(ctx context.Context) {
	n.mu.Lock()
	var todo []string
	for m := range n.forgotten {
		if _, back := n.obs[m]; back {
			delete(n.forgotten, m)
			continue
		}
		todo = append(todo, m)
	}
	n.mu.Unlock()
	for _, m := range todo {
		op := store.Op{Key: healthKey(n.opts.Name, m), Delete: true}
		if _, err := n.el.Commit(ctx, store.Txn{Ops: []store.Op{op}}); err != nil {
			if ctx.Err() == nil {
				n.log.Warn("cluster: deleting the observation of a deleted member failed", "member", m, "err", err)
			}
			return
		}
		n.mu.Lock()
		delete(n.published, m) // observed again meanwhile: the next pass writes it anew
		delete(n.forgotten, m)
		n.mu.Unlock()
		n.poke(n.wake)
	}
}

func healthKey(server, member string) string {
	return prefixHealth + escape(server) + "/" + escape(member)
}

var (
	escaper   = strings.NewReplacer("%", "%25", "/", "%2F")
	unescaper = strings.NewReplacer("%2F", "/", "%25", "%")
)

// escape keeps a name one key segment ("/" and "%" escaped).
func escape(s string) string { return escaper.Replace(s) }

func unescape(s string) string { return unescaper.Replace(s) }

func (n *Node) poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
