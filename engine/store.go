package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// Store layout (all values JSON):
//
//	sets/<InstanceID>     setRecord: the set's properties, policy and roles
//	members/<name>        Member
//	history/<seq:%020d>   event.Record
//	meta/seq              decimal: no Seq above it was handed out (see seqGen)
//
// Stores written before meta/seq counted restarts in meta/epoch and
// numbered records epoch<<40 + counter; New continues above that range and
// deletes the key.
//
// A set's roles live in its own record, so a failover writes one key (with a
// compare on its revision) plus its history record, in one transaction.
const (
	prefixSets       = "sets/"
	prefixMembers    = "members/"
	prefixHistory    = "history/"
	keySeq           = "meta/seq"
	keyEpoch         = "meta/epoch" // the former numbering scheme
	legacyEpochShift = 40
)

func setKey(id string) string      { return prefixSets + id }
func memberKey(name string) string { return prefixMembers + name }
func historyKey(seq uint64) string { return fmt.Sprintf("%s%020d", prefixHistory, seq) }

// setRecord is a set as stored.
type setRecord struct {
	Set    Set          `json:"set"`
	Roles  []roleRecord `json:"roles,omitempty"`
	Paused *Pause       `json:"paused,omitempty"` // automatic failover paused
}

type roleRecord struct {
	Member string `json:"member"`
	Role
}

func encodeSet(w setWrite) ([]byte, error) {
	rec := setRecord{Set: *w.set, Roles: make([]roleRecord, len(w.roles)), Paused: w.paused}
	for i, r := range w.roles {
		rec.Roles[i] = roleRecord{Member: r.m.name, Role: r.role}
	}
	return json.Marshal(rec)
}

// decodeSetRecord parses and checks a stored set: valid properties, valid
// roles, each member at most once, roles in name order.
func decodeSetRecord(data []byte) (setRecord, error) {
	var rec setRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, newError(KindInvalid, "invalid set record: %v", err)
	}
	if err := ValidateSet(&rec.Set); err != nil {
		return rec, err
	}
	slices.SortFunc(rec.Roles, func(a, b roleRecord) int { return strings.Compare(a.Member, b.Member) })
	for i, r := range rec.Roles {
		if err := validateMemberName(r.Member); err != nil {
			return rec, err
		}
		if i > 0 && rec.Roles[i-1].Member == r.Member {
			return rec, invalid("Roles", "a member appears twice", r.Member)
		}
		if err := validateRole(r.Role); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// decodeMember parses and checks a stored member; notes say what an
// old-form probe held that was dropped (see legacy.go).
func decodeMember(data []byte) (Member, []string, error) {
	var rec storedMember
	if err := json.Unmarshal(data, &rec); err != nil {
		return Member{}, nil, newError(KindInvalid, "invalid member record: %v", err)
	}
	p, notes, err := decodeStoredProbe(rec.Probe)
	if err != nil {
		return Member{}, nil, newError(KindInvalid, "invalid member record %q: probe: %v", rec.Name, err)
	}
	m := Member{Name: rec.Name, DisplayName: rec.DisplayName, Labels: rec.Labels, Probe: p}
	return m, notes, ValidateMember(&m)
}

func historyOp(r *event.Record) (store.Op, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return store.Op{}, fmt.Errorf("engine: encode event: %w", err)
	}
	return store.Op{Key: historyKey(r.Seq), Value: data}, nil
}

func parseHistoryKey(key string) (uint64, bool) {
	seq, err := strconv.ParseUint(strings.TrimPrefix(key, prefixHistory), 10, 64)
	return seq, err == nil && strings.HasPrefix(key, prefixHistory)
}

// load rebuilds the in-memory state from the store.
func (e *Engine) load(ctx context.Context) error {
	steps := []func(context.Context) error{e.loadMembers, e.loadSets, e.loadPause, e.loadSchedules, e.loadHistory, e.openSeq}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) loadMembers(ctx context.Context) error {
	kvs, _, err := e.st.List(ctx, prefixMembers)
	if err != nil {
		return fmt.Errorf("engine: load members: %w", err)
	}
	return e.installMembers(kvs)
}

// installMembers decodes stored members into e.members.
func (e *Engine) installMembers(kvs []store.KV) error {
	type loaded struct {
		m     Member
		notes []string
	}
	members, err := decodeAll(kvs, func(kv store.KV) (loaded, error) {
		m, notes, err := decodeMember(kv.Value)
		if err == nil && memberKey(m.Name) != kv.Key {
			err = fmt.Errorf("name %q does not match its key", m.Name)
		}
		return loaded{m, notes}, err
	})
	if err != nil {
		return fmt.Errorf("engine: load members: %w", err)
	}
	for i, l := range members {
		for _, n := range l.notes {
			e.log.Warn("old member record: part of its probe has no place in the current form", "member", l.m.Name, "detail", n)
		}
		e.members[l.m.Name] = e.newMemberState(l.m, kvs[i].ModRevision)
	}
	return nil
}

func (e *Engine) loadSets(ctx context.Context) error {
	kvs, _, err := e.st.List(ctx, prefixSets)
	if err != nil {
		return fmt.Errorf("engine: load sets: %w", err)
	}
	return e.installSets(kvs)
}

// installSets decodes stored sets into e.sets, linked to e.members.
func (e *Engine) installSets(kvs []store.KV) error {
	recs, err := decodeAll(kvs, func(kv store.KV) (setRecord, error) {
		rec, err := decodeSetRecord(kv.Value)
		if err == nil && setKey(rec.Set.InstanceID) != kv.Key {
			err = fmt.Errorf("InstanceID %q does not match its key", rec.Set.InstanceID)
		}
		return rec, err
	})
	if err != nil {
		return fmt.Errorf("engine: load sets: %w", err)
	}
	for i := range recs {
		if err := e.linkSet(&recs[i], kvs[i].ModRevision); err != nil {
			return err
		}
	}
	return nil
}

// decodeAll decodes records on all processors; the first error wins.
func decodeAll[T any](kvs []store.KV, decode func(store.KV) (T, error)) ([]T, error) {
	out := make([]T, len(kvs))
	workers := min(runtime.GOMAXPROCS(0), len(kvs)/1000+1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(kvs); i += workers {
				v, err := decode(kvs[i])
				if err != nil {
					errs[w] = fmt.Errorf("%s: bad record: %w", kvs[i].Key, err)
					return
				}
				out[i] = v
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// linkSet installs a decoded set and connects it to its members.
func (e *Engine) linkSet(rec *setRecord, rev int64) error {
	s := &setState{id: rec.Set.InstanceID, set: rec.Set, rev: rev, paused: rec.Paused}
	s.roles = make([]roleEntry, len(rec.Roles))
	for i, r := range rec.Roles {
		m := e.members[r.Member]
		if m == nil {
			return fmt.Errorf("engine: load set %q: role of unknown member %q", s.id, r.Member)
		}
		s.roles[i] = roleEntry{m: m, role: r.Role}
		m.sets = append(m.sets, s)
	}
	s.status = s.computeStatus()
	e.sets[s.id] = s
	e.setListChanged()
	return nil
}

// loadHistory learns which history records exist, for trimming.
func (e *Engine) loadHistory(ctx context.Context) error {
	kvs, _, err := e.st.List(ctx, prefixHistory)
	if err != nil {
		return fmt.Errorf("engine: load history: %w", err)
	}
	seqs := make([]uint64, 0, len(kvs))
	for _, kv := range kvs {
		if seq, ok := parseHistoryKey(kv.Key); ok {
			seqs = append(seqs, seq)
		}
	}
	e.hist.mu.Lock()
	defer e.hist.mu.Unlock()
	e.hist.kept = seqs // List returns key order, which is Seq order
	e.hist.trimNeeded()
	return nil
}

// openSeq continues the numbering of event records above every number
// handed out before.
func (e *Engine) openSeq(ctx context.Context) error {
	if !e.Leading() {
		return nil // Lead numbers from where the store stands then
	}
	var highest uint64
	if n := len(e.hist.kept); n > 0 {
		highest = e.hist.kept[n-1]
	}
	g, err := openSeq(ctx, e.st, e.log, highest)
	if err != nil {
		return err
	}
	e.seq.Store(g)
	return nil
}
