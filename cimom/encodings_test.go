package cimom

import (
	"bytes"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/redset/redset/cim"
)

// TestEncodingsKeep checks Get and Put: the latest bytes under a key, a
// copy of them, at most maxEncodings keys (the oldest dropped).
func TestEncodingsKeep(t *testing.T) {
	inst := &cim.Instance{ClassName: "C"}
	e := NewEncodings(inst, cim.ObjectPath{ClassName: "C"})
	if !e.For(&Object{Instance: inst, Path: cim.ObjectPath{ClassName: "C"}, Encodings: e}) {
		t.Fatal("For refuses the object the encodings were made for")
	}
	if e.For(&Object{Instance: &cim.Instance{ClassName: "C"}, Path: cim.ObjectPath{ClassName: "C"}, Encodings: e}) {
		t.Fatal("For accepts an object whose instance was replaced")
	}
	b := []byte("one")
	e.Put("k", b)
	b[0] = 'X'
	e.Put("k", []byte("two"))
	if got, ok := e.Get("k"); !ok || string(got) != "two" {
		t.Fatalf("Get(k) = %q, %t; want the latest, two", got, ok)
	}
	for i := range maxEncodings {
		e.Put("k"+strconv.Itoa(i), []byte{byte(i)})
	}
	if _, ok := e.Get("k"); ok {
		t.Error("the oldest key was not dropped")
	}
	if got, ok := e.Get("k0"); !ok || !bytes.Equal(got, []byte{0}) {
		t.Errorf("Get(k0) = %v, %t", got, ok)
	}
}

// budgetForTest sets the budget's bounds for one test.
func budgetForTest(t *testing.T, least, perObject, most int64) {
	oldMin, oldPer, oldMax := minKeptBytes, keptPerObject, maxKeptBytes
	t.Cleanup(func() { minKeptBytes, keptPerObject, maxKeptBytes = oldMin, oldPer, oldMax })
	minKeptBytes, keptPerObject, maxKeptBytes = least, perObject, most
}

// TestEncodingsBudget checks that past the budget nothing more is kept,
// and that the bytes of collected Encodings count no more.
func TestEncodingsBudget(t *testing.T) {
	budgetForTest(t, keptBytes.Load()+100, 0, 1<<62)
	func() {
		e := NewEncodings(nil, cim.ObjectPath{})
		e.Put("a", make([]byte, 80))
		e.Put("b", make([]byte, 80))
		if _, ok := e.Get("b"); ok {
			t.Fatal("an encoding past the budget was kept")
		}
		if _, ok := e.Get("a"); !ok {
			t.Fatal("an encoding within the budget was not kept")
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for keptBytes.Load()+100 > minKeptBytes {
		if time.Now().After(deadline) {
			t.Fatal("the bytes of a collected Encodings still count")
		}
		runtime.GC()
		runtime.Gosched()
	}
	f := NewEncodings(nil, cim.ObjectPath{})
	f.Put("b", make([]byte, 80))
	if _, ok := f.Get("b"); !ok {
		t.Error("nothing is kept after the budget was freed")
	}
	runtime.KeepAlive(f)
}

// TestEncodingsBudgetGrows checks that the budget grows with the live
// Encodings, far past its least, and stops at its most.
func TestEncodingsBudgetGrows(t *testing.T) {
	budgetForTest(t, keptBytes.Load()+100, 1<<30, 1<<62)
	var all []*Encodings
	for i := range 10 {
		e := NewEncodings(nil, cim.ObjectPath{})
		e.Put("k", make([]byte, 1<<20))
		if _, ok := e.Get("k"); !ok {
			t.Fatalf("encoding %d of 1 MiB was not kept, though each live Encodings adds 1 GiB to the budget", i)
		}
		all = append(all, e)
	}
	maxKeptBytes = keptBytes.Load() + 100
	e := NewEncodings(nil, cim.ObjectPath{})
	e.Put("k", make([]byte, 200))
	if _, ok := e.Get("k"); ok {
		t.Error("an encoding past the budget's most was kept")
	}
	runtime.KeepAlive(all)
	runtime.KeepAlive(e)
}

// TestEncodingsConcurrent: Get runs without a lock beside Put, and always
// sees one of the bytes stored under a key, whole (run with -race).
func TestEncodingsConcurrent(t *testing.T) {
	e := NewEncodings(nil, cim.ObjectPath{})
	e.Put("k", []byte("aaaa"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			e.Put("k", bytes.Repeat([]byte{'a' + byte(i%2)}, 4))
			e.Put("other"+strconv.Itoa(i%8), []byte{1})
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		got, ok := e.Get("k")
		if !ok || (string(got) != "aaaa" && string(got) != "bbbb") {
			t.Fatalf("Get(k) = %q, %t while Put runs", got, ok)
		}
	}
}
