package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/redset/redset/event"
)

// keptEventJSON is how many events' JSON an eventJSON keeps: more than a
// history page and a stream's replay together, so that the newest records,
// the ones read again and again, are encoded once.
const keptEventJSON = 4096

// eventJSON keeps the JSON of the newest events by their Seq. A record
// never changes once numbered, and every subscriber of the event stream
// and every history page writes the same records again: each is encoded
// once. Records without a Seq are encoded every time. The oldest entry
// goes when a new one comes in beyond keptEventJSON.
type eventJSON struct {
	mu    sync.Mutex
	bySeq map[uint64][]byte
	ring  [keptEventJSON]uint64 // the kept seqs, oldest at next once full
	next  int
}

// of returns r's JSON, as json.Marshal(eventFrom(r)) writes it. The bytes
// are shared: callers must not change them.
func (c *eventJSON) of(r event.Record) ([]byte, error) {
	if r.Seq == 0 {
		return json.Marshal(eventFrom(r))
	}
	c.mu.Lock()
	data, ok := c.bySeq[r.Seq]
	c.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := json.Marshal(eventFrom(r))
	if err != nil {
		return nil, err
	}
	c.keep(r.Seq, data)
	return data, nil
}

func (c *eventJSON) keep(seq uint64, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.bySeq[seq]; ok {
		return
	}
	if c.bySeq == nil {
		c.bySeq = make(map[uint64][]byte, keptEventJSON)
	}
	if len(c.bySeq) == keptEventJSON {
		delete(c.bySeq, c.ring[c.next])
	}
	c.bySeq[seq] = data
	c.ring[c.next] = seq
	c.next = (c.next + 1) % keptEventJSON
}

// writeList answers 200 with the EventList of recs, as writeJSON would
// write it, built from the kept JSON of each record.
func (c *eventJSON) writeList(w http.ResponseWriter, recs []event.Record) error {
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	for i, r := range recs {
		data, err := c.of(r)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(data)
	}
	b.WriteString("]}\n")
	writeJSONBody(w, http.StatusOK, b.Bytes())
	return nil
}
