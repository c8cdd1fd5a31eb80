package indication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redset/redset/store"
)

// Sequence numbers (DSP1054): each subscription numbers the indications
// queued for it from 0, one more for each, in the sequence its
// SequenceContext names. A number is taken when the indication is queued,
// so one dropped later (full queue, failed delivery) leaves a gap the
// listener can see.
//
// The numbers are durable: under seqPrefix+<subscription id> the store
// keeps the sequence's context and the first number not yet promised. The
// Hub does not write the store for every indication: it reserves a block
// of numbers ahead (writes next+block, then hands numbers out of memory)
// and writes again when the block is used up. A clean Close writes the
// exact next number, so a restart continues without a gap; after a crash
// the numbers continue from the end of the last reserved block, so some
// numbers are skipped but none is ever used twice. A stored context that
// differs from the subscription's starts the sequence again at 0.
const seqPrefix = "indication/seq/"

// DefaultSeqBlock is how many sequence numbers the Hub reserves in one
// store write.
const DefaultSeqBlock = 256

type seqStored struct {
	Context string `json:"context"`
	Next    int64  `json:"next"`
}

// seqState is one subscription's place in its sequence.
type seqState struct {
	loaded bool
	next   int64 // the next number to hand out
	limit  int64 // numbers below limit are reserved in the store
}

func seqKey(id string) string { return seqPrefix + id }

// loadSeq reads a subscription's stored sequence.
func loadSeq(ctx context.Context, st store.Store, id, seqContext string) (seqState, error) {
	kv, err := st.Get(ctx, seqKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return seqState{loaded: true}, nil
	}
	if err != nil {
		return seqState{}, err
	}
	var s seqStored
	if err := json.Unmarshal(kv.Value, &s); err != nil || s.Next < 0 {
		return seqState{}, fmt.Errorf("indication: the stored sequence of %s is unreadable", strconv.Quote(id))
	}
	if s.Context != seqContext {
		return seqState{loaded: true}, nil
	}
	return seqState{loaded: true, next: s.Next, limit: s.Next}, nil
}

func seqOp(id, seqContext string, next int64) store.Op {
	v, _ := json.Marshal(seqStored{Context: seqContext, Next: next})
	return store.Op{Key: seqKey(id), Value: v}
}
