package engine

import (
	"container/heap"
	"sync"

	"github.com/redset/redset/event"
)

// pubGate keeps the records this engine publishes in Seq order on its
// bus, so that a client of the event stream that resumes after the last
// Seq it saw misses nothing. A record that goes into a store transaction
// gets its Seq before the commit, which may take a while (an fsync, an
// etcd round trip); records numbered after it meanwhile (health, status,
// hook deliveries) wait until it is published or its commit fails. The
// gate only holds records back: it never waits on a timer, and a commit
// that fails releases what waited behind it.
type pubGate struct {
	mu       sync.Mutex
	inflight map[uint64]bool // Seqs of records under commit
	lowest   seqHeap         // the same Seqs (and some already done), lowest first
	held     recordHeap      // records waiting for a lower Seq, lowest first
}

// committing notes records about to be committed.
func (g *pubGate) committing(recs []*event.Record) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight == nil {
		g.inflight = map[uint64]bool{}
	}
	for _, r := range recs {
		if !g.inflight[r.Seq] {
			g.inflight[r.Seq] = true
			heap.Push(&g.lowest, r.Seq)
		}
	}
}

// abandon forgets records whose commit failed, and publishes through
// publish what no longer waits.
func (g *pubGate) abandon(recs []*event.Record, publish func(event.Record)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range recs {
		delete(g.inflight, r.Seq)
	}
	g.release(publish)
}

// publish publishes r through publish, or holds it while a record with a
// lower Seq is under commit; then it publishes what no longer waits.
func (g *pubGate) publish(r event.Record, publish func(event.Record)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.inflight, r.Seq)
	if low, ok := g.low(); ok && low < r.Seq {
		heap.Push(&g.held, &r)
		return
	}
	publish(r)
	g.release(publish)
}

// low is the lowest Seq under commit; g.mu is held.
func (g *pubGate) low() (uint64, bool) {
	for g.lowest.Len() > 0 {
		if s := g.lowest[0]; g.inflight[s] {
			return s, true
		}
		heap.Pop(&g.lowest)
	}
	return 0, false
}

// release publishes the held records below every Seq still under commit,
// in Seq order; g.mu is held.
func (g *pubGate) release(publish func(event.Record)) {
	low, busy := g.low()
	for g.held.Len() > 0 && (!busy || g.held[0].Seq < low) {
		publish(*heap.Pop(&g.held).(*event.Record))
	}
}

// seqHeap is a min-heap of Seqs (container/heap).
type seqHeap []uint64

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h seqHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seqHeap) Push(x any)        { *h = append(*h, x.(uint64)) }
func (h *seqHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// recordHeap is a min-heap of records by Seq (container/heap).
type recordHeap []*event.Record

func (h recordHeap) Len() int           { return len(h) }
func (h recordHeap) Less(i, j int) bool { return h[i].Seq < h[j].Seq }
func (h recordHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *recordHeap) Push(x any)        { *h = append(*h, x.(*event.Record)) }
func (h *recordHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}
