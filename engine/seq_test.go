package engine

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/redset/redset/store"
)

// Records are numbered 1, 2, 3 … and a clean restart continues exactly.
func TestSeqReadsLikeACount(t *testing.T) {
	h := newHarness(t)
	h.member("a")
	h.member("b")
	h.restart()
	h.member("c")
	hist, err := h.e.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, r := range hist {
		got = append(got, r.Seq)
	}
	if want := []uint64{1, 2, 3}; !equalSeqs(got, want) {
		t.Errorf("seqs = %v, want %v", got, want)
	}
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func openTestSeq(t *testing.T, st store.Store, highest uint64) *seqGen {
	t.Helper()
	g, err := openSeq(context.Background(), st, slog.New(slog.DiscardHandler), highest)
	if err != nil {
		t.Fatalf("openSeq: %v", err)
	}
	return g
}

// Without a clean close (a crash) the numbering skips ahead past every
// number that may have been handed out, and never repeats one.
func TestSeqNeverRepeatsAfterACrash(t *testing.T) {
	st := openBolt(t, filepath.Join(t.TempDir(), "seq.db"), true)
	defer st.Close()
	g := openTestSeq(t, st, 0)
	var last uint64
	for range 3*seqBlockMin + 10 { // crosses reservations
		last = g.take()
	}
	if last != 3*seqBlockMin+10 {
		t.Fatalf("last = %d, want %d", last, 3*seqBlockMin+10)
	}
	// crash: g is dropped without close
	g2 := openTestSeq(t, st, 0)
	n2 := g2.take()
	if n2 <= last {
		t.Errorf("after a crash the first number is %d, not above %d", n2, last)
	}
	g2.close()
	if n := openTestSeq(t, st, 0).take(); n != n2+1 {
		t.Errorf("after a clean close the first number is %d, want %d", n, n2+1)
	}
}

// A clean close followed by a late take still reserves: no repeat.
func TestSeqTakeAfterClose(t *testing.T) {
	st := openBolt(t, filepath.Join(t.TempDir(), "seq.db"), true)
	defer st.Close()
	g := openTestSeq(t, st, 0)
	g.take()
	g.close()
	late := g.take()
	g2 := openTestSeq(t, st, 0)
	if n := g2.take(); n <= late {
		t.Errorf("first number after restart %d, not above the late %d", n, late)
	}
}

// The stored history wins over a stale counter, and a store numbered by the
// former epoch scheme continues above the epoch it last used.
func TestSeqStartingPoint(t *testing.T) {
	ctx := context.Background()
	t.Run("history above counter", func(t *testing.T) {
		st := openBolt(t, filepath.Join(t.TempDir(), "seq.db"), true)
		defer st.Close()
		if _, err := st.Commit(ctx, store.Txn{Ops: []store.Op{{Key: keySeq, Value: []byte("5")}}}); err != nil {
			t.Fatal(err)
		}
		if n := openTestSeq(t, st, 40).take(); n != 41 {
			t.Errorf("first number %d, want 41", n)
		}
	})
	t.Run("former epochs", func(t *testing.T) {
		st := openBolt(t, filepath.Join(t.TempDir(), "seq.db"), true)
		defer st.Close()
		if _, err := st.Commit(ctx, store.Txn{Ops: []store.Op{{Key: keyEpoch, Value: []byte("3")}}}); err != nil {
			t.Fatal(err)
		}
		g := openTestSeq(t, st, 3<<40+17)
		if n := g.take(); n != 4<<40 {
			t.Errorf("first number %d, want %d", n, uint64(4<<40))
		}
		if _, err := st.Get(ctx, keyEpoch); err == nil {
			t.Errorf("meta/epoch was kept")
		}
		g.close()
		kv, err := st.Get(ctx, keySeq)
		if err != nil || string(kv.Value) != strconv.FormatUint(4<<40, 10) {
			t.Errorf("meta/seq = %q, %v", kv.Value, err)
		}
	})
}

// After a crash or a change of leader the numbering skips at most one
// block: a small one after a quiet spell. A burst of records grows the
// blocks, so it needs few reservations.
func TestSeqSkipsLittle(t *testing.T) {
	st := openBolt(t, filepath.Join(t.TempDir(), "seq.db"), false)
	defer st.Close()
	g := openTestSeq(t, st, 0)
	var last uint64
	for range 10 {
		last = g.take()
	}
	// crash: g is dropped without close
	if n := openTestSeq(t, st, 0).take(); n <= last || n > last+seqBlockMin+1 {
		t.Errorf("after a crash at %d the next number is %d, want it in (%d, %d]", last, n, last, last+seqBlockMin+1)
	}

	g = openTestSeq(t, st, 0)
	rev := revisionOf(t, st)
	const burst = 5000
	for range burst {
		g.take()
	}
	// Blocks of 64 would take 78 reservations; doubling ones take 7 (more
	// if the machine stalls for a second between two).
	if n := revisionOf(t, st) - rev; n > 20 {
		t.Errorf("%d numbers taken with %d reservations, want at most 20", burst, n)
	}
}

func revisionOf(t *testing.T, st store.Store) int64 {
	t.Helper()
	rev, err := st.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rev
}
