package indication

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/redset/redset/store"
)

// save writes a push subscription's record.
func (w *WSEventing) save(ctx context.Context, rec wsRecord) error {
	if w.o.Store == nil {
		return nil
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return wsErr(WSUnavailable, "encoding the subscription: %v", err)
	}
	if _, err := w.o.Store.Commit(ctx, store.Txn{Ops: []store.Op{{Key: wsKeyPrefix + rec.ID, Value: data}}}); err != nil {
		return wsErr(WSUnavailable, "storing the subscription: %v", err)
	}
	return nil
}

// Load gives the Hub the stored push subscriptions (after a restart, or
// made by another server of a cluster). Records that no longer read or
// compile are logged and left alone. Those expired meanwhile are ended by
// the next Tick.
func (w *WSEventing) Load(ctx context.Context) error {
	if w.o.Store == nil {
		return nil
	}
	kvs, _, err := w.o.Store.List(ctx, wsKeyPrefix)
	if err != nil {
		return err
	}
	stored := map[string]bool{}
	for _, kv := range kvs {
		stored[strings.TrimPrefix(kv.Key, wsKeyPrefix)] = true
		w.learn(kv.Key, kv.Value)
	}
	w.mu.Lock()
	var gone []string
	for id, s := range w.subs {
		if !s.pull() && !stored[id] {
			gone = append(gone, id)
		}
	}
	w.mu.Unlock()
	for _, id := range gone {
		w.forget(id)
	}
	return nil
}

// Follow keeps the push subscriptions in step with the store until ctx
// ends: those another server of a cluster made, renewed or ended are
// given to or taken from the Hub (which delivers on the leader only).
// When its watch ends (the store lagged or failed) it loads them all
// again and watches anew.
func (w *WSEventing) Follow(ctx context.Context) {
	if w.o.Store == nil {
		return
	}
	store.Follow(ctx, w.o.Store, wsKeyPrefix, store.Follower{
		Reload: w.Load,
		Apply: func(ev store.Event) {
			if ev.Delete {
				w.forget(strings.TrimPrefix(ev.KV.Key, wsKeyPrefix))
			} else {
				w.learn(ev.KV.Key, ev.KV.Value)
			}
		},
		Failed: func(err error) { w.o.Logger.Warn("wsman eventing: reading the stored subscriptions", "err", err) },
	})
}

// learn takes in a stored record: new or changed, it replaces what was
// known and goes to the Hub.
func (w *WSEventing) learn(key string, data []byte) {
	s, err := w.restore(data)
	if err != nil {
		w.o.Logger.Warn("wsman eventing: a stored subscription is unusable", "key", key, "err", err)
		return
	}
	w.mu.Lock()
	old, known := w.subs[s.rec.ID]
	if known && sameRecord(old.rec, s.rec) {
		w.mu.Unlock()
		return
	}
	s.lastSent = w.o.Clock()
	if known {
		s.lastSent = old.lastSent
	}
	w.subs[s.rec.ID] = s
	sub := w.subscription(s)
	w.mu.Unlock()
	w.o.Hub.Put(sub)
}

// forget drops a push subscription ended elsewhere: no store write, no
// SubscriptionEnd (whoever ended it sent that).
func (w *WSEventing) forget(id string) {
	w.mu.Lock()
	s, ok := w.subs[id]
	if ok && !s.pull() {
		delete(w.subs, id)
	}
	w.mu.Unlock()
	if ok && !s.pull() {
		w.o.Hub.Remove(id)
	}
}

func sameRecord(a, b wsRecord) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func (w *WSEventing) restore(data []byte) (*wsSub, error) {
	var rec wsRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	q, err := w.compile(rec.Dialect, rec.Query)
	if err != nil {
		return nil, err
	}
	if rec.Mode == "pull" {
		return nil, wsErr(WSBadMode, "pull subscriptions are not stored")
	}
	return &wsSub{rec: rec, query: q}, nil
}
