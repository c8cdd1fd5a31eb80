package engine

import (
	"hash/fnv"
	"sync"
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
// Candidates are the members of the SetView passed in that are in service
// and operational, in name order; ties go to the earlier one. Each Acquire
// must be matched by one Release of its Lease, which keeps the outstanding
// counts used by Least IO and Least Blocks. Safe for concurrent use.
type Balancer struct {
	mu        sync.Mutex
	effective uint16
	turn      uint64
	load      map[string]*memberLoad
}

type memberLoad struct {
	requests int64
	bytes    int64
}

// Lease is one unit of work given to Member.
type Lease struct {
	Member string
	Bytes  int64
	done   *bool
}

// NewBalancer returns a balancer with No Load Balancing in force.
func NewBalancer() *Balancer {
	return &Balancer{effective: LBNone, load: make(map[string]*memberLoad)}
}

// Acquire picks a member of v for a request of bytes from client and counts
// it as outstanding. It fails with ErrUnavailable when no member of v is in
// service and operational.
func (b *Balancer) Acquire(v SetView, client string, bytes int64) (Lease, error) {
	cands := candidates(v)
	if len(cands) == 0 {
		return Lease{}, newError(KindUnavailable, "no operational member in service in set %q", v.InstanceID)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if alg := v.LoadBalanceAlgorithm; alg >= LBNone && alg <= LBAddressRegion {
		b.effective = alg
	}
	name := b.pick(cands, client)
	l := b.loadOf(name)
	l.requests++
	l.bytes += bytes
	return Lease{Member: name, Bytes: bytes, done: new(bool)}, nil
}

// Release ends a lease; releasing a lease twice has no effect.
func (b *Balancer) Release(l Lease) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l.done == nil || *l.done {
		return
	}
	*l.done = true
	ml := b.loadOf(l.Member)
	ml.requests--
	ml.bytes -= l.Bytes
	if ml.requests == 0 && ml.bytes == 0 {
		delete(b.load, l.Member)
	}
}

// Outstanding reports a member's requests and bytes not yet released.
func (b *Balancer) Outstanding(member string) (requests, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l := b.load[member]; l != nil {
		return l.requests, l.bytes
	}
	return 0, 0
}

func candidates(v SetView) []string {
	var out []string
	for _, m := range v.Members {
		if m.Role.Kind == RoleInService && m.Health.State.Operational() {
			out = append(out, m.Name)
		}
	}
	return out
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
		return b.least(cands, func(l memberLoad) [2]int64 { return [2]int64{l.requests, 0} })
	case LBLeastBlocks:
		return b.least(cands, func(l memberLoad) [2]int64 { return [2]int64{l.bytes, l.requests} })
	case LBAddressRegion:
		return rendezvous(cands, client)
	}
	return cands[0]
}

// least returns the first candidate with the smallest key.
func (b *Balancer) least(cands []string, key func(memberLoad) [2]int64) string {
	best, bestKey := "", [2]int64{}
	for _, name := range cands {
		var l memberLoad
		if p := b.load[name]; p != nil {
			l = *p
		}
		k := key(l)
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
		h := fnv.New64a()
		h.Write([]byte(client))
		h.Write([]byte{0})
		h.Write([]byte(name))
		if s := h.Sum64(); best == "" || s > bestScore {
			best, bestScore = name, s
		}
	}
	return best
}
