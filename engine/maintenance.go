package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// Pause is a pause of automatic failover: since when and by whom.
//
// While a set is paused, or the whole server is, the engine takes no
// automatic action on it: no automatic failover, no failback, no automatic
// return of drained members (patronictl pause, for redset). Requested and
// scheduled failovers, and everything an operator does, still work. The
// flap guard keeps its own state. Pauses are stored, so they outlast a
// restart.
type Pause struct {
	Since time.Time `json:"since"`
	By    Actor     `json:"by"`
}

// pauseState is the server-wide pause. mu serializes its changes; the
// current value is read without it.
type pauseState struct {
	mu  sync.Mutex
	cur atomic.Pointer[Pause]
	rev int64 // ModRevision of meta/paused; guarded by mu
}

const keyPaused = "meta/paused"

func (e *Engine) loadPause(ctx context.Context) error {
	kv, err := e.st.Get(ctx, keyPaused)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("engine: read %s: %w", keyPaused, err)
	}
	var p Pause
	if err := json.Unmarshal(kv.Value, &p); err != nil {
		return fmt.Errorf("engine: bad %s: %w", keyPaused, err)
	}
	e.pause.cur.Store(&p)
	e.pause.rev = kv.ModRevision
	return nil
}

// ServerPause reports the server-wide pause of automatic failover, nil when
// there is none.
func (e *Engine) ServerPause() *Pause {
	if p := e.pause.cur.Load(); p != nil {
		c := *p
		return &c
	}
	return nil
}

// automaticStopped reports whether automatic actions on s are paused; s.mu
// must be held.
func (e *Engine) automaticStopped(s *setState) bool {
	return s.paused != nil || e.pause.cur.Load() != nil
}

// PauseAutomatic pauses automatic failover of set setID or, when setID is
// empty, of the whole server. Pausing what is paused already changes
// nothing and records nothing. The pause is committed with its
// MaintenanceChanged record before the call returns.
func (e *Engine) PauseAutomatic(ctx context.Context, setID string) (err error) {
	defer e.auditRefusal(ctx, "automatic failover paused", setID, "", &err)
	return e.setPaused(ctx, setID, true)
}

// ResumeAutomatic ends a pause made by PauseAutomatic (of the set, or with
// setID empty of the server) and looks at once for automatic failovers that
// are due. Resuming what is not paused changes nothing.
func (e *Engine) ResumeAutomatic(ctx context.Context, setID string) (err error) {
	defer e.auditRefusal(ctx, "automatic failover resumed", setID, "", &err)
	return e.setPaused(ctx, setID, false)
}

func (e *Engine) setPaused(ctx context.Context, setID string, paused bool) error {
	if err := e.checkWrite(); err != nil {
		return err
	}
	if setID == "" {
		return e.pauseServer(ctx, paused)
	}
	return e.pauseSet(ctx, setID, paused)
}

func (e *Engine) pauseRecord(ctx context.Context, setID string, paused bool) *event.Record {
	r := e.newRecord(ctx, event.KindMaintenance, setID, "")
	r.Maintenance = &event.MaintenanceChanged{Paused: paused}
	return r
}

func (e *Engine) pauseSet(ctx context.Context, setID string, paused bool) error {
	s, err := e.lookupSet(setID)
	if err != nil {
		return err
	}
	h, err := holdSet(s)
	if err != nil {
		return err
	}
	defer h.release()
	w := s.write()
	if (w.paused != nil) == paused {
		return nil
	}
	w.paused = nil
	if paused {
		w.paused = &Pause{Since: e.clock.Now(), By: *actorOf(ctx)}
	}
	_, err = e.applySetWrite(ctx, s, w, e.pauseRecord(ctx, setID, paused))
	return err
}

func (e *Engine) pauseServer(ctx context.Context, paused bool) error {
	e.pause.mu.Lock()
	defer e.pause.mu.Unlock()
	if (e.pause.cur.Load() != nil) == paused {
		return nil
	}
	txn := store.Txn{Compares: []store.Compare{{Key: keyPaused, ModRevision: e.pause.rev}}}
	var p *Pause
	if paused {
		p = &Pause{Since: e.clock.Now(), By: *actorOf(ctx)}
		data, err := json.Marshal(p)
		if err != nil {
			return err
		}
		txn.Ops = []store.Op{{Key: keyPaused, Value: data}}
	} else {
		txn.Ops = []store.Op{{Key: keyPaused, Delete: true}}
	}
	rec := e.pauseRecord(ctx, "", paused)
	rev, err := e.commit(ctx, txn, rec)
	if err != nil {
		return err
	}
	e.pause.rev = rev
	if !paused {
		e.pause.rev = 0
	}
	e.pause.cur.Store(p)
	e.publish(rec)
	if !paused {
		e.scheduleAllAuto()
	}
	return nil
}

// scheduleAllAuto looks at every Sparing and Limited Sparing set for
// automatic failovers that are due.
func (e *Engine) scheduleAllAuto() {
	for _, s := range e.sortedSets() {
		s.mu.Lock()
		sparing := behaviourOf(s.set.TypeOfSet).sparing()
		s.mu.Unlock()
		if sparing {
			e.scheduleAuto(s)
		}
	}
}
