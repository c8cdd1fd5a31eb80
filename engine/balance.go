package engine

import (
	"sync"
	"sync/atomic"
)

// Balancer spreads new work over the operational in-service members of one
// set, following the set's LoadBalanceAlgorithm:
//
//	2 No Load Balancing  all work to the first candidate (name order)
//	3 Round Robin        candidates in turn
//	4 Least Blocks       fewest bytes outstanding (then fewest requests)
//	5 Least IO           fewest requests outstanding
//	6 Address Region     the client address decides, by rendezvous hashing,
//	                     so a client keeps its member while that member
//	                     stays a candidate
//	0, 1, 7              keep the algorithm in force before (initially 2)
//
// The candidates are a set's members that are in service and operational,
// in name order (Candidates); ties go to the earlier one. Each Acquire
// must be matched by one Release of its Lease, which keeps the outstanding
// counts used by Least IO and Least Blocks; AddBytes changes a lease's
// outstanding bytes while it is held (a proxy counts the bytes it has read
// and not yet written). Safe for concurrent use.
type Balancer struct {
	mu        sync.Mutex
	effective uint16
	turn      uint64
	load      map[string]*memberLoad
}

type memberLoad struct {
	requests int64        // guarded by Balancer.mu
	bytes    atomic.Int64 // also changed by AddBytes without the lock
}

// Lease is one unit of work given to Member; Bytes is what it was acquired
// with and Algorithm the LoadBalanceAlgorithm that chose the member.
type Lease struct {
	Member    string
	Bytes     int64
	Algorithm uint16
	st        *leaseState
}

type leaseState struct {
	done  bool // guarded by Balancer.mu
	load  *memberLoad
	bytes atomic.Int64 // outstanding now
}

// NewBalancer returns a balancer with No Load Balancing in force.
func NewBalancer() *Balancer {
	return &Balancer{effective: LBNone, load: make(map[string]*memberLoad)}
}

// Acquire picks a member among c's names (a set's candidates, see
// Engine.Candidates, less any the caller leaves out, such as members
// already tried for this work) for a request of bytes from client, and
// counts it as outstanding. Address Region gives the client the member it
// would get if the left-out ones were gone. It fails with ErrUnavailable
// when c names no member. It keeps no reference to c.Names.
func (b *Balancer) Acquire(c Candidates, client string, bytes int64) (Lease, error) {
	if len(c.Names) == 0 {
		return Lease{}, newError(KindUnavailable, "no operational member in service in set %q", c.SetID)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if alg := c.Algorithm; alg >= LBNone && alg <= LBAddressRegion {
		b.effective = alg
	}
	name := b.pick(c.Names, client)
	l := b.loadOf(name)
	l.requests++
	l.bytes.Add(bytes)
	st := &leaseState{load: l}
	st.bytes.Store(bytes)
	return Lease{Member: name, Bytes: bytes, Algorithm: b.effective, st: st}, nil
}

// AddBytes changes the bytes a held lease has outstanding by n (negative:
// fewer). It takes no lock; it must not be called once the lease is
// released or while Release runs.
func (b *Balancer) AddBytes(l Lease, n int64) {
	if l.st == nil {
		return
	}
	l.st.bytes.Add(n)
	l.st.load.bytes.Add(n)
}

// Release ends a lease; releasing a lease twice has no effect.
func (b *Balancer) Release(l Lease) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l.st == nil || l.st.done {
		return
	}
	l.st.done = true
	ml := l.st.load
	ml.requests--
	ml.bytes.Add(-l.st.bytes.Load())
	if ml.requests == 0 && ml.bytes.Load() == 0 && b.load[l.Member] == ml {
		delete(b.load, l.Member)
	}
}

// Outstanding reports a member's requests and bytes not yet released.
func (b *Balancer) Outstanding(member string) (requests, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l := b.load[member]; l != nil {
		return l.requests, l.bytes.Load()
	}
	return 0, 0
}

func (b *Balancer) loadOf(name string) *memberLoad {
	l := b.load[name]
	if l == nil {
		l = &memberLoad{}
		b.load[name] = l
	}
	return l
}

// pick applies the algorithm in force; b.mu must be held.
func (b *Balancer) pick(cands []string, client string) string {
	switch b.effective {
	case LBRoundRobin:
		name := cands[b.turn%uint64(len(cands))]
		b.turn++
		return name
	case LBLeastIO:
		return b.least(cands, func(requests, _ int64) [2]int64 { return [2]int64{requests, 0} })
	case LBLeastBlocks:
		return b.least(cands, func(requests, bytes int64) [2]int64 { return [2]int64{bytes, requests} })
	case LBAddressRegion:
		return rendezvous(cands, client)
	}
	return cands[0]
}

// least returns the first candidate with the smallest key.
func (b *Balancer) least(cands []string, key func(requests, bytes int64) [2]int64) string {
	best, bestKey := "", [2]int64{}
	for _, name := range cands {
		var requests, bytes int64
		if p := b.load[name]; p != nil {
			requests, bytes = p.requests, p.bytes.Load()
		}
		k := key(requests, bytes)
		if best == "" || k[0] < bestKey[0] || (k[0] == bestKey[0] && k[1] < bestKey[1]) {
			best, bestKey = name, k
		}
	}
	return best
}

// rendezvous picks the candidate with the highest hash of (client, name).
func rendezvous(cands []string, client string) string {
	best, bestScore := "", uint64(0)
	for _, name := range cands {
		if s := regionHash(client, name); best == "" || s > bestScore {
			best, bestScore = name, s
		}
	}
	return best
}

// regionHash is 64-bit FNV-1a of client, a zero byte and name, computed
// without allocating.
func regionHash(client, name string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := range len(client) {
		h = (h ^ uint64(client[i])) * prime
	}
	h *= prime // the zero byte
	for i := range len(name) {
		h = (h ^ uint64(name[i])) * prime
	}
	return h
}
