package cimom

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/redset/redset/cim"
)

// countingSeq yields n instances (or forever when n < 0), then err if set,
// and counts how often it was stopped or ran to its end.
type countingSeq struct {
	n        int
	err      error
	finished atomic.Int32
}

func (s *countingSeq) seq() Objects {
	return func(yield func(Object, error) bool) {
		defer s.finished.Add(1)
		for i := 0; s.n < 0 || i < s.n; i++ {
			in := cim.Instance{ClassName: "Test_Log", Properties: []cim.PropertyValue{{Name: "Id", Value: cim.MustUint32(uint32(i))}}}
			if !yield(Object{Instance: &in}, nil) {
				return
			}
		}
		if s.err != nil {
			yield(Object{}, s.err)
		}
	}
}

func TestEnumerationsEndEveryWay(t *testing.T) {
	b := Binding{Namespace: testNS, Kind: KindInstancesWithPath}
	tests := []struct {
		name string
		seq  *countingSeq
		end  func(t *testing.T, e *Enumerations, clock *fakeClock, id string)
	}{
		{"exhausted", &countingSeq{n: 3}, func(t *testing.T, e *Enumerations, _ *fakeClock, id string) {
			objs, end, err := e.Pull(id, 5, b)
			if len(objs) != 3 || !end || err != nil {
				t.Errorf("Pull = %d objects, %v, %v; want 3, true, nil", len(objs), end, err)
			}
		}},
		{"closed", &countingSeq{n: -1}, func(t *testing.T, e *Enumerations, _ *fakeClock, id string) {
			if err := e.Close(id, `ROOT\test`); err != nil {
				t.Errorf("Close: %v", err)
			}
		}},
		{"expired", &countingSeq{n: -1}, func(t *testing.T, e *Enumerations, clock *fakeClock, id string) {
			clock.Advance(time.Minute + time.Nanosecond)
			_, _, err := e.Pull(id, 1, b)
			wantStatus(t, err, cim.StatusInvalidEnumerationContext, "expired")
		}},
		{"failed", &countingSeq{n: 1, err: cim.Errorf(cim.StatusFailed, "boom")}, func(t *testing.T, e *Enumerations, _ *fakeClock, id string) {
			objs, end, err := e.Pull(id, 5, b)
			if len(objs) != 1 || end || err != nil {
				t.Errorf("first Pull = %d objects, %v, %v; want 1, false, nil", len(objs), end, err)
			}
			_, _, err = e.Pull(id, 5, b)
			wantStatus(t, err, cim.StatusFailed, "boom")
		}},
		{"close all", &countingSeq{n: -1}, func(t *testing.T, e *Enumerations, _ *fakeClock, id string) {
			e.CloseAll()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(0, 0)}
			e := NewEnumerations(clock, 10, nil)
			var cancels atomic.Int32
			id, err := e.Open(tt.seq.seq(), OpenOptions{Binding: b, Timeout: time.Minute, Cancel: func() { cancels.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			if _, end, err := e.Pull(id, 0, b); end || err != nil {
				t.Fatalf("Pull(0) = %v, %v; want the sequence started and open", end, err)
			}
			tt.end(t, e, clock, id)
			if n := e.Len(); n != 0 {
				t.Errorf("Len = %d, want 0", n)
			}
			if got := cancels.Load(); got != 1 {
				t.Errorf("Cancel called %d times, want 1", got)
			}
			if got := tt.seq.finished.Load(); got != 1 {
				t.Errorf("sequence finished %d times, want 1", got)
			}
		})
	}
}

func TestEnumerationsIDsAreOpaqueAndUnique(t *testing.T) {
	e := NewEnumerations(nil, 100, nil)
	seen := map[string]bool{}
	for range 50 {
		id, err := e.Open((&countingSeq{n: 1}).seq(), OpenOptions{Binding: Binding{Namespace: testNS, Kind: KindInstancePaths}, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != 32 || seen[id] {
			t.Fatalf("id %q: want 32 hex characters, unique", id)
		}
		seen[id] = true
	}
	e.CloseAll()
}

func TestEnumerationsNilSequence(t *testing.T) {
	e := NewEnumerations(nil, 1, nil)
	b := Binding{Namespace: testNS, Kind: KindInstances}
	id, err := e.Open(nil, OpenOptions{Binding: b, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	objs, end, err := e.Pull(id, 5, b)
	if len(objs) != 0 || !end || err != nil {
		t.Errorf("Pull = %d objects, %v, %v; want 0, true, nil", len(objs), end, err)
	}
}

// TestEnumerationsPerOwner: one owner at its cap is refused with
// CIM_ERR_SERVER_LIMITS_EXCEEDED while another may still open; closing
// one of the first owner's contexts makes room for it again.
func TestEnumerationsPerOwner(t *testing.T) {
	e := NewEnumerations(&fakeClock{now: time.Unix(0, 0)}, 10, nil).LimitPerOwner(2)
	b := Binding{Namespace: testNS, Kind: KindInstancesWithPath}
	open := func(owner string) (string, error) {
		return e.Open((&countingSeq{n: -1}).seq(), OpenOptions{Binding: b, Timeout: time.Minute, Owner: owner})
	}
	first, err := open("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open("alice"); err != nil {
		t.Fatal(err)
	}
	_, err = open("alice")
	wantStatus(t, err, cim.StatusServerLimitsExceeded, "the limit per user") // a third context of one user
	if _, err := open("bob"); err != nil {
		t.Errorf("another user refused: %v", err)
	}
	if err := e.Close(first, testNS); err != nil {
		t.Fatal(err)
	}
	if _, err := open("alice"); err != nil {
		t.Errorf("after closing one: %v", err)
	}
}

// TestEnumerationsReadOneAhead: a pull reads the objects it returns and
// one more (the read-ahead that tells the end), never further, and each
// pull returns the sequence's objects in order, none lost or repeated.
func TestEnumerationsReadOneAhead(t *testing.T) {
	var produced atomic.Int32
	seq := func(yield func(Object, error) bool) {
		for i := range 10 {
			produced.Add(1)
			in := cim.Instance{ClassName: "Test_Log", Properties: []cim.PropertyValue{{Name: "Id", Value: cim.MustUint32(uint32(i))}}}
			if !yield(Object{Instance: &in}, nil) {
				return
			}
		}
	}
	b := Binding{Namespace: testNS, Kind: KindInstancesWithPath}
	e := NewEnumerations(&fakeClock{now: time.Unix(0, 0)}, 4, nil)
	id, err := e.Open(seq, OpenOptions{Binding: b, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	next := uint32(0)
	for _, step := range []struct {
		n, produced int
		end         bool
	}{{0, 1, false}, {3, 4, false}, {1, 5, false}, {5, 10, false}, {1, 10, true}} {
		objs, end, err := e.Pull(id, step.n, b)
		if err != nil || len(objs) != step.n || end != step.end || int(produced.Load()) != step.produced {
			t.Fatalf("Pull(%d) = %d objects, end %v, %v, %d produced; want %d, %v, nil, %d",
				step.n, len(objs), end, err, produced.Load(), step.n, step.end, step.produced)
		}
		for _, o := range objs {
			if v := uint32(o.Instance.Properties[0].Value.Uint()); v != next {
				t.Fatalf("Pull(%d): object %d, want %d", step.n, v, next)
			}
			next++
		}
	}
}
