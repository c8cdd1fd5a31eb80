package cimom

import (
	"context"
	"fmt"
	"testing"

	"github.com/redset/redset/cim"
)

// benchProvider serves n sets with precomputed paths, found by key in a
// map, so that the benchmarks measure the dispatcher.
type benchProvider struct {
	objs  []Object
	index map[string]int
}

func newBenchProvider(tb testing.TB, repo Repository, n int) *benchProvider {
	class, _ := repo.Class(testNS, "Test_RedundancySet")
	p := &benchProvider{index: map[string]int{}}
	for i := range n {
		id := fmt.Sprintf("redset:set-%d", i)
		in := setInstance(id, fmt.Sprintf("set %d", i), 2)
		path, err := in.Path(class, testNS)
		if err != nil {
			tb.Fatal(err)
		}
		p.objs = append(p.objs, Object{Path: path, Instance: &in})
		p.index[id] = i
	}
	return p
}

func (p *benchProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) Objects {
	return sliceObjects(p.objs)
}

func (p *benchProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	v, _ := path.Key("InstanceID")
	i, ok := p.index[v.Str()]
	if !ok {
		return nil, cim.Errorf(cim.StatusNotFound, "no instance %s", path)
	}
	return p.objs[i].Instance, nil
}

func benchDispatcher(b *testing.B, n int) *Dispatcher {
	repo := newTestRepo(b)
	d := NewDispatcher(repo, Options{})
	if err := d.Register(testNS, "Test_RedundancySet", newBenchProvider(b, repo, n)); err != nil {
		b.Fatal(err)
	}
	return d
}

func BenchmarkDispatcherGetInstance(b *testing.B) {
	d := benchDispatcher(b, 1000)
	path, err := cim.ParseObjectPath(`Test_RedundancySet.InstanceID="redset:set-500"`)
	if err != nil {
		b.Fatal(err)
	}
	req := &Request{Op: GetInstance, Namespace: testNS, ObjectName: path}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Handle(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDispatcherEnumerateInstances(b *testing.B) {
	d := benchDispatcher(b, 1000)
	req := &Request{Op: EnumerateInstances, Namespace: testNS, ClassName: "Test_RedundancySet", DeepInheritance: true}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := d.Handle(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, err := range resp.Objects {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 1000 {
			b.Fatalf("got %d instances, want 1000", n)
		}
	}
}

func BenchmarkDispatcherEnumerateInstancesPropertyList(b *testing.B) {
	d := benchDispatcher(b, 1000)
	req := &Request{Op: EnumerateInstances, Namespace: testNS, ClassName: "Test_RedundancySet", PropertyList: []string{"InstanceID", "RedundancyStatus"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := d.Handle(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range resp.Objects {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
