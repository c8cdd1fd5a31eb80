package indication

// queue is one destination's ordered, bounded queue of deliveries. The
// subscriptions sending to the destination share it, so their deliveries
// leave in the order they were queued. It is guarded by the Hub's mutex.
type queue struct {
	dest    Destination // as the newest subscription using it gave it
	items   []item
	head    int  // items[head:] are queued
	running bool // a worker sends from it
	failing bool // the worker is retrying a delivery
}

// item is one queued delivery, tied to the subscription that made it (by
// generation, so that a subscription removed and added again does not get
// the old one's deliveries).
type item struct {
	Delivery
	gen uint64
}

func (q *queue) len() int { return len(q.items) - q.head }

func (q *queue) push(it item) {
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.items = append(q.items, it)
}

// pop takes the first item; the queue must not be empty.
func (q *queue) pop() item {
	it := q.items[q.head]
	q.items[q.head] = item{}
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return it
}

// drain empties the queue and returns what it held.
func (q *queue) drain() []item {
	out := append([]item(nil), q.items[q.head:]...)
	clear(q.items)
	q.items, q.head = q.items[:0], 0
	return out
}
