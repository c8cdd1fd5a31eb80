package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// benchStack is a stack with n Sparing sets of two members each (one in
// service, one hot spare), members shared between sets.
func benchStack(b *testing.B, n int) *stack {
	b.Helper()
	s := newStack(b)
	const members = 20
	for i := range members {
		s.member(fmt.Sprintf("m-%02d", i), "", engine.HealthOK)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs <- benchSet(ctx, s.eng, i, members)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func benchSet(ctx context.Context, eng *engine.Engine, i, members int) error {
	id := fmt.Sprintf("redset:set-%04d", i)
	set := engine.Set{InstanceID: id, ElementName: fmt.Sprintf("set %d", i), Caption: "bench",
		TypeOfSet: []uint16{engine.TypeSparing}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1,
		Policy: engine.Policy{DisableAutoFailover: true}}
	if _, err := eng.CreateSet(ctx, set); err != nil {
		return err
	}
	for _, add := range []struct {
		member string
		role   engine.Role
	}{
		{fmt.Sprintf("m-%02d", i%members), inService},
		{fmt.Sprintf("m-%02d", (i+1)%members), spare(engine.SpareHot, engine.FailoverBoth, 0)},
	} {
		for {
			_, err := eng.AddToSet(ctx, id, add.member, add.role)
			if err == nil {
				break
			}
			if !isBusy(err) {
				return err
			}
		}
	}
	return nil
}

func isBusy(err error) bool { return errors.Is(err, engine.ErrBusy) }

// BenchmarkEnumerateSets1000 enumerates 1,000 Msvm_RedundancySet
// instances end to end through the dispatcher, consuming every instance;
// "provider" calls the provider alone, "build" only builds the instances
// from the engine's views and "engine" only lists the sets, to show where
// the time goes.
func BenchmarkEnumerateSets1000(b *testing.B) {
	s := benchStack(b, 1000)
	ctx := context.Background()
	req := &cimom.Request{Op: cimom.EnumerateInstances, Namespace: testNS, ClassName: "Msvm_RedundancySet", DeepInheritance: true}
	b.Run("dispatcher", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := s.d.Handle(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			drain(b, resp.Objects, 1000)
		}
	})
	p, class := s.setProvider()
	b.Run("provider", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			drain(b, p.EnumerateInstances(ctx, testNS, class), 1000)
		}
	})
	sets, err := s.eng.ListSets()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a := newAlloc(len(sets))
			for i := range sets {
				if o := p.object(a, testNS, &sets[i].Set, sets[i].RedundancyStatus); o.Instance == nil {
					b.Fatal("no instance")
				}
			}
		}
	})
	b.Run("engine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if sets, err := s.eng.ListSets(); err != nil || len(sets) != 1000 {
				b.Fatalf("ListSets: %d, %v", len(sets), err)
			}
		}
	})
}

func drain(b *testing.B, objs cimom.Objects, want int) {
	n := 0
	for _, err := range objs {
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != want {
		b.Fatalf("%d instances, want %d", n, want)
	}
}

// BenchmarkGetSet fetches one Msvm_RedundancySet through the dispatcher.
func BenchmarkGetSet(b *testing.B) {
	s := benchStack(b, 1000)
	req := &cimom.Request{Op: cimom.GetInstance, Namespace: testNS, ObjectName: setRef("redset:set-0500")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.d.Handle(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFailover fails over one set back and forth through the
// dispatcher (each call commits to the store, without fsync).
func BenchmarkFailover(b *testing.B) {
	s := benchStack(b, 10)
	members := [2]cim.Value{memberValue("m-00"), memberValue("m-01")}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		code, err := s.failover("redset:set-0000", members[i%2], members[(i+1)%2])
		if err != nil || code != 0 {
			b.Fatalf("Failover = %d, %v", code, err)
		}
		i++
	}
}

// BenchmarkAssociators lists the members of one set through
// Msvm_MemberOfCollection.
func BenchmarkAssociators(b *testing.B) {
	s := benchStack(b, 1000)
	req := &cimom.Request{Op: cimom.AssociatorNames, Namespace: testNS, ObjectName: setRef("redset:set-0500"), AssocClass: "Msvm_MemberOfCollection"}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := s.d.Handle(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, resp.Objects, 1)
	}
}
