package indication

import "testing"

func TestQueueKeepsOrderAcrossCompaction(t *testing.T) {
	var q queue
	next := int64(0)
	for round := range 5 {
		for range 3000 {
			q.push(item{Delivery: Delivery{SequenceNumber: int64(q.len()) + next}})
		}
		for range 2500 + round {
			if got := q.pop().SequenceNumber; got != next {
				t.Fatalf("popped %d, want %d", got, next)
			}
			next++
		}
	}
	left := q.drain()
	if q.len() != 0 || len(left) == 0 || left[0].SequenceNumber != next {
		t.Errorf("drain left %d, gave %d starting at %d", q.len(), len(left), left[0].SequenceNumber)
	}
}
