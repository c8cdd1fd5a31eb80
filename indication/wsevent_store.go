package indication

import (
	"context"
	"encoding/json"

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

// Load gives the Hub the stored push subscriptions again (after a
// restart). Those expired meanwhile are ended; records that no longer
// read or compile are logged and deleted.
func (w *WSEventing) Load(ctx context.Context) error {
	if w.o.Store == nil {
		return nil
	}
	kvs, _, err := w.o.Store.List(ctx, wsKeyPrefix)
	if err != nil {
		return err
	}
	now := w.o.Clock()
	for _, kv := range kvs {
		s, err := w.restore(kv.Value)
		if err != nil {
			w.o.Logger.Warn("wsman eventing: a stored subscription is unusable; deleting it", "key", kv.Key, "err", err)
			_, _ = w.o.Store.Commit(ctx, store.Txn{Ops: []store.Op{{Key: kv.Key, Delete: true}}})
			continue
		}
		s.lastSent = now
		w.mu.Lock()
		w.subs[s.rec.ID] = s
		w.mu.Unlock()
		if !s.rec.Expires.IsZero() && !now.Before(s.rec.Expires) {
			w.Ended(ctx, s.rec.ID, WSEndCancelling, "the subscription expired")
			continue
		}
		w.o.Hub.Put(w.subscription(s))
	}
	return nil
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
