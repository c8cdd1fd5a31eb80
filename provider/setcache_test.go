package provider

import (
	"context"
	"fmt"
	"iter"
	"reflect"
	"testing"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// enumeratedSets enumerates Msvm_RedundancySet and returns the objects by
// InstanceID.
func (s *stack) enumeratedSets() map[string]cimom.Object {
	s.t.Helper()
	out := map[string]cimom.Object{}
	for _, o := range s.enumerate(testNS, "Msvm_RedundancySet") {
		out[o.Path.Keys[0].Value.Str()] = o
	}
	return out
}

// TestEnumerationKeepsUnchangedSets checks that an enumeration reuses the
// objects of sets that did not change, with their encodings, and that
// every kind of change is in the very next enumeration: a property, the
// load balancing written by a client, a RedundancyStatus that health
// changed, a role change, a deleted set.
func TestEnumerationKeepsUnchangedSets(t *testing.T) {
	s := newFixture(t)
	ctx := context.Background()
	first := s.enumeratedSets()
	for id, o := range first {
		if !o.Encodings.For(&o) {
			t.Errorf("%s: the enumerated object carries no encodings of its own", id)
		}
	}
	second := s.enumeratedSets()
	for id, o := range second {
		if o.Instance != first[id].Instance || o.Encodings != first[id].Encodings {
			t.Errorf("%s: built again though unchanged", id)
		}
	}

	if _, err := s.eng.UpdateSet(ctx, "redset:web", func(v *engine.Set) error { v.Caption = "the web tier"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.eng.SetLoadBalance(ctx, "redset:lb", engine.LBLeastIO, ""); err != nil {
		t.Fatal(err)
	}
	s.report("db-1", engine.HealthFailed)
	if err := s.eng.DeleteSet(ctx, "redset:other"); err != nil {
		t.Fatal(err)
	}
	third := s.enumeratedSets()
	checks := []struct {
		id, prop string
		want     cim.Value
	}{
		{"redset:web", "Caption", cim.NewString("the web tier")},
		{"redset:lb", "LoadBalanceAlgorithm", cim.MustUint16(engine.LBLeastIO)},
		{"redset:db", "RedundancyStatus", cim.MustUint16(s.getSet("redset:db").RedundancyStatus)},
	}
	for _, c := range checks {
		o, ok := third[c.id]
		if !ok {
			t.Fatalf("%s missing from the enumeration", c.id)
		}
		if got := propOf(t, o.Instance, c.prop); !got.Equal(c.want) {
			t.Errorf("%s %s = %s, want %s", c.id, c.prop, got.MOF(), c.want.MOF())
		}
		if o.Instance == second[c.id].Instance || o.Encodings == second[c.id].Encodings {
			t.Errorf("%s: the old object was served after the change", c.id)
		}
	}
	if got := propOf(t, third["redset:db"].Instance, "RedundancyStatus"); got.Equal(propOf(t, second["redset:db"].Instance, "RedundancyStatus")) {
		t.Fatalf("db-1's failure did not change redset:db's RedundancyStatus (%s): the test checks nothing", got.MOF())
	}
	if _, ok := third["redset:other"]; ok {
		t.Error("the deleted set is still enumerated")
	}
}

// TestEnumerationForgetsDeletedSets checks that the cache drops a set that
// is gone once an enumeration has listed every set.
func TestEnumerationForgetsDeletedSets(t *testing.T) {
	s := newFixture(t)
	p, class := s.setProvider()
	count := func() int {
		n := 0
		for _, err := range p.EnumerateInstances(context.Background(), testNS, class) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	if n := count(); n != 4 {
		t.Fatalf("%d sets enumerated, want the fixture's 4", n)
	}
	if err := s.eng.DeleteSet(context.Background(), "redset:other"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d sets enumerated after a deletion, want 3", n)
	}
	p.cache.mu.Lock()
	_, kept := p.cache.m["redset:other"]
	size := len(p.cache.m)
	p.cache.mu.Unlock()
	if kept || size != 3 {
		t.Errorf("the cache keeps %d sets (the deleted one: %t), want the 3 left", size, kept)
	}
}

// TestSameShownCoversTheInstance changes each field of a set in turn: a
// change sameShown does not see must leave the instance as it was, or an
// enumeration would serve a stale object.
func TestSameShownCoversTheInstance(t *testing.T) {
	s := newFixture(t)
	p, _ := s.setProvider()
	base := s.getSet("redset:other").Set
	build := func(v *engine.Set) *cim.Instance { return p.object(newAlloc(1), testNS, v, 2).Instance }
	want := build(&base)
	if c := shownCopy(&base); !sameShown(&base, &c) || !reflect.DeepEqual(build(&c), want) {
		t.Fatal("shownCopy leaves out a field the instance shows")
	}
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		changed := base
		changed.TypeOfSet = append([]uint16(nil), base.TypeOfSet...)
		changed.OtherTypeOfSet = append([]string(nil), base.OtherTypeOfSet...)
		if !perturb(reflect.ValueOf(&changed).Elem().Field(i)) {
			t.Fatalf("field %s: the test cannot change a %s", typ.Field(i).Name, typ.Field(i).Type)
		}
		if sameShown(&base, &changed) && !reflect.DeepEqual(build(&changed), want) {
			t.Errorf("field %s changes the instance, but sameShown does not compare it", typ.Field(i).Name)
		}
	}
}

// perturb changes a field's value; false when it cannot.
func perturb(f reflect.Value) bool {
	switch f.Kind() {
	case reflect.String:
		f.SetString(f.String() + "x")
	case reflect.Uint16, reflect.Uint32:
		f.SetUint(f.Uint() + 1)
	case reflect.Slice:
		f.Set(reflect.Append(f, reflect.Zero(f.Type().Elem())))
	case reflect.Struct:
		return perturb(f.Field(0))
	case reflect.Bool:
		f.SetBool(!f.Bool())
	case reflect.Pointer:
		f.Set(reflect.New(f.Type().Elem()))
	default:
		return false
	}
	return true
}

// TestEnumerationsWhileSetsChange runs enumerations side by side while a
// set changes (run it with -race): each one sees every set, and the last
// shows the last change.
func TestEnumerationsWhileSetsChange(t *testing.T) {
	s := newFixture(t)
	ctx := context.Background()
	done := make(chan struct{})
	errs := make(chan string, 4)
	for range 2 {
		go func() {
			defer func() { errs <- "" }()
			for {
				select {
				case <-done:
					return
				default:
				}
				resp, err := s.handle(&cimom.Request{Op: cimom.EnumerateInstances, Namespace: testNS, ClassName: "Msvm_RedundancySet", DeepInheritance: true})
				if err != nil {
					errs <- err.Error()
					return
				}
				n := 0
				for _, err := range resp.Objects {
					if err != nil {
						errs <- err.Error()
						return
					}
					n++
				}
				if n != 4 {
					errs <- "an enumeration missed sets"
					return
				}
			}
		}()
	}
	for i := range 50 {
		caption := "caption " + string(rune('a'+i%26))
		if _, err := s.eng.UpdateSet(ctx, "redset:web", func(v *engine.Set) error { v.Caption = caption; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 2 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
	want := s.getSet("redset:web").Caption
	if got := propOf(t, s.enumeratedSets()["redset:web"].Instance, "Caption"); got.Str() != want {
		t.Errorf("Caption = %q after the changes, want %q", got.Str(), want)
	}
}

// TestListing checks the walk of objects: the last listing's result
// itself while nothing differs, and the right entries, in order, when a
// set in the middle changed, one is gone from the end, or one was added.
func TestListing(t *testing.T) {
	entry := func(id string) *setEntry {
		return &setEntry{obj: cimom.Object{Path: cim.ObjectPath{ClassName: id}}}
	}
	a, b, c, d := entry("a"), entry("b"), entry("c"), entry("d")
	last := []*setEntry{a, b, c}
	for _, tc := range []struct {
		name    string
		add     []*setEntry
		changed bool
	}{
		{"the same", []*setEntry{a, b, c}, false},
		{"one changed in the middle", []*setEntry{a, d, c}, true},
		{"one gone from the end", []*setEntry{a, b}, true},
		{"one added", []*setEntry{a, b, c, d}, true},
		{"none", nil, true},
	} {
		l := listing{last: last}
		for _, e := range tc.add {
			l.add(e)
		}
		entries := l.result()
		if l.changed() != tc.changed || len(entries) != len(tc.add) {
			t.Fatalf("%s: changed %v, %d entries; want %v, %d", tc.name, l.changed(), len(entries), tc.changed, len(tc.add))
		}
		for i, e := range tc.add {
			if entries[i] != e {
				t.Errorf("%s: place %d holds %s, want %s", tc.name, i, entries[i].obj.Path.ClassName, e.obj.Path.ClassName)
			}
		}
		if !tc.changed && &entries[0] != &last[0] {
			t.Errorf("%s: a new slice for an unchanged listing", tc.name)
		}
	}
}

// TestEnumerationReusesTheLastListing: while no set changed, an
// enumeration yields the last listing itself; an enumeration shows the
// sets as they were when it began, however long it is paused, and the
// paused one holds nothing that another enumeration, which keeps the
// objects it built, must wait for; that one shows the change.
func TestEnumerationReusesTheLastListing(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	n := 300
	for i := range n {
		if _, err := s.eng.CreateSet(ctx, engine.Set{InstanceID: fmt.Sprintf("redset:s-%04d", i), TypeOfSet: []uint16{engine.TypeSparing},
			OtherTypeOfSet: []string{""}, MinNumberNeeded: 1, Caption: "before"}); err != nil {
			t.Fatal(err)
		}
	}
	p, class := s.setProvider()
	first, err := p.entries(testNS)
	if err != nil || len(first) != n {
		t.Fatalf("entries: %d, %v; want %d", len(first), err, n)
	}
	if again, err := p.entries(testNS); err != nil || &again[0] != &first[0] {
		t.Fatalf("a second listing without a change is not the first one (%v)", err)
	}
	next, stop := iter.Pull2(iter.Seq2[cimom.Object, error](p.EnumerateInstances(ctx, testNS, class)))
	defer stop()
	if _, err, ok := next(); !ok || err != nil {
		t.Fatalf("first object: %v, %v", ok, err)
	}
	last := fmt.Sprintf("redset:s-%04d", n-1)
	if _, err := s.eng.UpdateSet(ctx, last, func(v *engine.Set) error { v.Caption = "after"; return nil }); err != nil {
		t.Fatal(err)
	}
	done := make(chan map[string]cimom.Object)
	go func() { done <- s.enumeratedSets() }()
	select {
	case other := <-done:
		if got := propOf(t, other[last].Instance, "Caption").Str(); got != "after" {
			t.Errorf("the enumeration begun after the change shows %s's Caption %q, want \"after\"", last, got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an enumeration waited for the paused one")
	}
	count := 1
	for {
		o, err, ok := next()
		if !ok {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
		if id := o.Path.Keys[0].Value.Str(); id == last {
			if got := propOf(t, o.Instance, "Caption").Str(); got != "before" {
				t.Errorf("the enumeration begun before the change shows %s's Caption %q, want \"before\"", last, got)
			}
		}
	}
	if count != n {
		t.Errorf("%d objects, want %d", count, n)
	}
}

// TestEnumerationPatchesTheLastListing: after one set changed, the next
// listing is the last one with that set's entry alone built again; after
// a set is deleted, every set is listed again and the deleted one is gone.
func TestEnumerationPatchesTheLastListing(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	n := 50
	for i := range n {
		if _, err := s.eng.CreateSet(ctx, engine.Set{InstanceID: fmt.Sprintf("redset:s-%04d", i), TypeOfSet: []uint16{engine.TypeSparing},
			OtherTypeOfSet: []string{""}, MinNumberNeeded: 1, Caption: "before"}); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := s.setProvider()
	first, err := p.entries(testNS)
	if err != nil || len(first) != n {
		t.Fatalf("entries: %d, %v; want %d", len(first), err, n)
	}
	const changed = 17
	if _, err := s.eng.UpdateSet(ctx, fmt.Sprintf("redset:s-%04d", changed), func(v *engine.Set) error { v.Caption = "after"; return nil }); err != nil {
		t.Fatal(err)
	}
	p.cache.mu.RLock()
	l, _, ok := p.patched(testNS)
	p.cache.mu.RUnlock()
	if !ok || len(l.built) != 1 {
		t.Fatalf("after one change the last listing is not patched (%v) or not in one entry (%d built)", ok, len(l.built))
	}
	second, err := p.entries(testNS)
	if err != nil || len(second) != n {
		t.Fatalf("entries after a change: %d, %v; want %d", len(second), err, n)
	}
	for i := range second {
		if same := second[i] == first[i]; same != (i != changed) {
			t.Errorf("entry %d (%s): kept %v, want %v", i, second[i].set.InstanceID, same, i != changed)
		}
	}
	if got := propOf(t, second[changed].obj.Instance, "Caption").Str(); got != "after" {
		t.Errorf("the changed set shows Caption %q, want \"after\"", got)
	}
	if err := s.eng.DeleteSet(ctx, "redset:s-0003"); err != nil {
		t.Fatal(err)
	}
	third, err := p.entries(testNS)
	if err != nil || len(third) != n-1 || third[3].set.InstanceID != "redset:s-0004" {
		t.Fatalf("entries after a deletion: %d, %v; want %d without redset:s-0003", len(third), err, n-1)
	}
}
