package engine

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/event"
	"github.com/redset/redset/internal/clock"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
)

// newFakeClock is the tests' hand-moved clock.
func newFakeClock() *clock.Manual {
	return clock.NewManual(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
}

func openBolt(t testing.TB, path string, noSync bool) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(path, bolt.Options{NoSync: noSync})
	if err != nil {
		t.Fatalf("bolt.Open: %v", err)
	}
	return st
}

// harness is an engine on a bolt file with a fake clock.
type harness struct {
	t     testing.TB
	path  string
	st    *bolt.Store
	e     *Engine
	clock *clock.Manual
	bus   *event.Bus
	opts  Options
	// wrap, when set, is put around the bolt store at each start.
	wrap func(store.Store) store.Store
}

func newHarness(t testing.TB, tweak ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "redset.db"), clock: newFakeClock(), bus: event.NewBus()}
	h.opts = Options{Clock: h.clock, Bus: h.bus, HistoryLimit: 100000}
	for _, f := range tweak {
		f(&h.opts)
	}
	h.st = openBolt(t, h.path, true)
	h.start()
	t.Cleanup(h.close)
	return h
}

func (h *harness) start() {
	h.t.Helper()
	opts := h.opts
	opts.Store = h.st
	if h.wrap != nil {
		opts.Store = h.wrap(h.st)
	}
	e, err := New(context.Background(), opts)
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	h.e = e
}

func (h *harness) close() {
	if h.e != nil {
		h.e.Close()
		h.e = nil
	}
	if h.st != nil {
		h.st.Close()
		h.st = nil
	}
}

// restart closes engine and store and opens both again on the same file.
func (h *harness) restart() {
	h.t.Helper()
	h.close()
	h.st = openBolt(h.t, h.path, true)
	h.start()
}

// settle waits for automatic work and the history writer. Automatic work
// that found its set busy waits for a retry timer of the fake clock; when
// the work stalls on such a timer, settle moves the clock to it.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := h.e.pool.wait(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("automatic work did not finish: %v", err)
		}
		if d, ok := h.clock.Next(); ok && h.e.pool.pendingJobs() == 0 {
			h.clock.Advance(d)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.e.hist.flush(ctx); err != nil {
		h.t.Fatalf("history flush: %v", err)
	}
}

func (h *harness) member(name string) {
	h.t.Helper()
	if _, err := h.e.PutMember(context.Background(), Member{Name: name, Probe: Probe{Rise: 1, Fall: 1}}); err != nil {
		h.t.Fatalf("PutMember(%s): %v", name, err)
	}
}

func (h *harness) set(s Set) {
	h.t.Helper()
	if _, err := h.e.CreateSet(context.Background(), s); err != nil {
		h.t.Fatalf("CreateSet(%s): %v", s.InstanceID, err)
	}
}

func (h *harness) add(setID, name string, role Role) {
	h.t.Helper()
	if _, err := h.e.AddToSet(context.Background(), setID, name, role); err != nil {
		h.t.Fatalf("AddToSet(%s, %s): %v", setID, name, err)
	}
}

func (h *harness) report(name string, state Health) {
	h.t.Helper()
	if err := h.e.ReportHealth(name, Report{State: state, Source: "test"}); err != nil {
		h.t.Fatalf("ReportHealth(%s): %v", name, err)
	}
}

func (h *harness) view(id string) SetView {
	h.t.Helper()
	v, err := h.e.GetSet(id)
	if err != nil {
		h.t.Fatalf("GetSet(%s): %v", id, err)
	}
	return v
}

func (h *harness) status(id string) uint16 { return h.view(id).RedundancyStatus }

// roles maps member name to role kind in a set.
func (h *harness) roles(id string) map[string]RoleKind {
	h.t.Helper()
	out := map[string]RoleKind{}
	for _, m := range h.view(id).Members {
		out[m.Name] = m.Role.Kind
	}
	return out
}

// state is everything a refusal must leave unchanged.
type state struct {
	Sets    []SetView
	Members []MemberInfo
	KVs     []store.KV
}

func (h *harness) dump() state {
	h.t.Helper()
	sets, err := h.e.ListSets()
	if err != nil {
		h.t.Fatal(err)
	}
	members, err := h.e.ListMembers()
	if err != nil {
		h.t.Fatal(err)
	}
	var kvs []store.KV
	for _, prefix := range []string{prefixSets, prefixMembers} {
		part, _, err := h.st.List(context.Background(), prefix)
		if err != nil {
			h.t.Fatal(err)
		}
		kvs = append(kvs, part...)
	}
	return state{Sets: sets, Members: members, KVs: kvs}
}

func (h *harness) assertUnchanged(before state) {
	h.t.Helper()
	if diff := cmp.Diff(before, h.dump()); diff != "" {
		h.t.Errorf("state changed (-before +after):\n%s", diff)
	}
}

var (
	inService = Role{Kind: RoleInService}
	drained   = Role{Kind: RoleDrained}
)

func spare(status, supported uint16, priority int) Role {
	return Role{Kind: RoleSpare, Spare: SpareSettings{SpareStatus: status, FailoverSupported: supported, Priority: priority}}
}

func sparingSet(id string, n uint32) Set {
	return Set{InstanceID: id, TypeOfSet: []uint16{TypeSparing}, OtherTypeOfSet: []string{""}, MinNumberNeeded: n}
}

func typedSet(id string, typ uint16, n uint32) Set {
	return Set{InstanceID: id, TypeOfSet: []uint16{typ}, OtherTypeOfSet: []string{""}, MinNumberNeeded: n}
}
