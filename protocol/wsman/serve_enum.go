package wsman

import (
	"bytes"
	"context"
	"strconv"

	"github.com/redset/redset/cimom"
)

// Enumerations are answered as full as the client allows: up to
// MaxElements items, fewer when more would not fit in the envelope
// (DSP0226 clause 8.4 lets a service return fewer). The object manager
// hands over what it is asked for, so redset asks in steps: first as many
// as would fit if items were as large as assumedItem, then as many as the
// room left can take, judged by the largest item written so far.

// assumedItem is the item size (octets) the first request is sized by;
// instances of the served classes are well under it.
const assumedItem = 8192

// envelopeReserve is the room kept for the envelope around the items.
const envelopeReserve = 2048

// filler writes enumeration items into their own buffer, counting them.
type filler struct {
	items   *bytes.Buffer
	w       *writer
	mode    EnumerationMode
	budget  int // octets the items may take
	count   uint32
	largest int
	ctxID   string
	ended   bool
	key     string // of the items' encodings, once needed
}

func (x *exchange) newFiller(env *Envelope, c *Call) *filler {
	items := bufPool.Get().(*bytes.Buffer)
	items.Reset()
	budget := x.limit(env) - envelopeReserve
	if env.Encoding != UTF8 {
		budget = budget/2 - 1
	}
	return &filler{items: items, w: newWriter(items, c.Resource), mode: c.Mode, budget: budget}
}

// room returns how many more items to ask for to reach want without
// overflowing the budget.
func (f *filler) room(want uint32) uint32 {
	if f.count >= want {
		return 0
	}
	n := want - f.count
	if f.largest == 0 {
		return min(n, uint32(max(1, f.budget/assumedItem)))
	}
	left := f.budget - f.items.Len()
	if left <= 0 {
		return 0
	}
	return min(n, uint32(left/(f.largest+f.largest/8+1)))
}

// take writes the objects of one response and records its context.
func (f *filler) take(resp *cimom.Response) error {
	if resp.EnumerationContext != "" {
		f.ctxID = resp.EnumerationContext
	}
	f.ended = resp.EndOfSequence
	if resp.Objects == nil {
		return nil
	}
	for o, err := range resp.Objects {
		if err != nil {
			return err
		}
		before := f.items.Len()
		f.keptItem(&o, before)
		f.count++
		f.largest = max(f.largest, f.items.Len()-before)
	}
	return nil
}

// keptItem writes an item, or the bytes written for it before when o
// carries its encodings (see cimom.Encodings), and keeps what it wrote
// there for the next answer. Items are written whole into their own
// buffer, so each one's bytes stand alone.
func (f *filler) keptItem(o *cimom.Object, before int) {
	if !o.Encodings.For(o) {
		f.w.item(*o, f.mode)
		return
	}
	if f.key == "" {
		f.key = f.encodingKey()
	}
	if b, ok := o.Encodings.Get(f.key); ok {
		f.items.Write(b)
		return
	}
	f.w.item(*o, f.mode)
	o.Encodings.Put(f.key, f.items.Bytes()[before:])
}

// encodingKey names everything but the object that an item's bytes
// depend on: the protocol, the mode, and how the request names classes.
func (f *filler) encodingKey() string {
	r := f.w.res
	return "wsman " + strconv.Itoa(int(f.mode)) + " " + strconv.Itoa(int(r.Style)) + " " +
		r.Namespace + "\x00" + r.ClassName + "\x00" + f.w.envClass
}

// fill keeps pulling until want items are written, the enumeration ends,
// the budget is spent, or the object manager has nothing more right now.
func (x *exchange) fill(ctx context.Context, c *Call, f *filler, want uint32) error {
	for !f.ended {
		n := f.room(want)
		if n == 0 {
			return nil
		}
		req := &cimom.Request{Op: c.pull, Namespace: c.Resource.Namespace, EnumerationContext: f.ctxID, MaxObjectCount: n}
		resp, err := x.handle(ctx, c, req)
		if err != nil {
			return err
		}
		before := f.count
		if err := f.take(resp); err != nil {
			return err
		}
		if f.count == before {
			return nil
		}
	}
	return nil
}

// enumerate serves Enumerate (DSP0226 clause 8.2): the Open operation, and
// with OptimizeEnumeration the first items in the answer (clause 8.2.3).
// An optimized enumeration that ends in the answer says w:EndOfSequence and
// sends an empty context; a plain one that already ended sends a context
// whose Pull answers EndOfSequence at once.
func (x *exchange) enumerate(ctx context.Context, env *Envelope, c *Call) (*bytes.Buffer, error) {
	f := x.newFiller(env, c)
	defer bufPool.Put(f.items)
	req := *c.Request
	req.MaxObjectCount = 0
	if c.Optimize {
		req.MaxObjectCount = f.room(c.MaxElements)
	}
	resp, err := x.handle(ctx, c, &req)
	if err == nil {
		err = f.take(resp)
	}
	if err == nil && c.Optimize {
		err = x.fill(ctx, c, f, c.MaxElements)
	}
	if err != nil {
		return nil, err
	}
	return x.answer(env, c, actionEnumerate+responseSuffix, func(w *writer) {
		w.start(pfxWSEN, "EnumerateResponse")
		switch {
		case !f.ended:
			w.elem(pfxWSEN, "EnumerationContext", wireContext(f.ctxID, c.state()))
		case c.Optimize:
			w.empty(pfxWSEN, "EnumerationContext")
		default:
			w.elem(pfxWSEN, "EnumerationContext", endedContext(f.ctxID))
		}
		if c.Optimize {
			w.items(pfxWSMan, f)
		}
		w.end()
	})
}

// pull serves Pull (DSP0226 clause 8.4). The context is left out of the
// answer once the enumeration ends, which also says n:EndOfSequence.
func (x *exchange) pull(ctx context.Context, env *Envelope, c *Call) (*bytes.Buffer, error) {
	f := x.newFiller(env, c)
	defer bufPool.Put(f.items)
	f.ended = c.Ended
	if c.Request != nil {
		f.ctxID = c.Request.EnumerationContext
	}
	if err := x.fill(ctx, c, f, c.MaxElements); err != nil {
		return nil, err
	}
	return x.answer(env, c, actionPull+responseSuffix, func(w *writer) {
		w.start(pfxWSEN, "PullResponse")
		if !f.ended {
			w.elem(pfxWSEN, "EnumerationContext", wireContext(f.ctxID, c.state()))
		}
		w.items(pfxWSEN, f)
		w.end()
	})
}

// items writes the Items element (in the w or n namespace) holding what the
// filler wrote, and EndOfSequence when the enumeration ended.
func (w *writer) items(prefix string, f *filler) {
	w.start(prefix, "Items")
	if f.items.Len() > 0 {
		w.closeTag()
		w.w.Write(f.items.Bytes())
	}
	w.end()
	if f.ended {
		w.empty(prefix, "EndOfSequence")
	}
}

// state is what the wire context of this enumeration records.
func (c *Call) state() contextState {
	return contextState{mode: c.Mode, pull: c.pull}
}
