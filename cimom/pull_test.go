package cimom

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
)

func seconds(n uint32) *uint32 { return &n }

// pullAll opens with req and pulls with pullOp, maxCount at a time,
// returning the chunk sizes and every path.
func pullAll(t *testing.T, f *fixture, req Request, pullOp Operation, maxCount uint32) ([]int, []string) {
	t.Helper()
	req.MaxObjectCount = maxCount
	resp, err := f.handle(t, &req)
	if err != nil {
		t.Fatalf("%v: %v", req.Op, err)
	}
	var sizes []int
	var paths []string
	for i := 0; ; i++ {
		objs, err := collect(resp.Objects)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(objs))
		paths = append(paths, pathStrings(objs)...)
		if resp.EndOfSequence {
			if resp.EnumerationContext != "" {
				t.Errorf("EnumerationContext %q after EndOfSequence", resp.EnumerationContext)
			}
			return sizes, paths
		}
		if i > 100 {
			t.Fatal("no end of sequence")
		}
		resp, err = f.handle(t, &Request{Op: pullOp, EnumerationContext: resp.EnumerationContext, MaxObjectCount: maxCount})
		if err != nil {
			t.Fatalf("%v: %v", pullOp, err)
		}
	}
}

func TestPullPaging(t *testing.T) {
	all := []string{webSet, dbSet, subSet, webA, webB, db1}
	tests := []struct {
		name      string
		req       Request
		pull      Operation
		max       uint32
		wantSizes []int
		wantPaths []string
	}{
		{"pages of two", Request{Op: OpenEnumerateInstances, ClassName: "Test_ManagedElement"}, PullInstancesWithPath, 2, []int{2, 2, 2}, all},
		{"pages of four", Request{Op: OpenEnumerateInstances, ClassName: "Test_ManagedElement"}, PullInstancesWithPath, 4, []int{4, 2}, all},
		{"all at once", Request{Op: OpenEnumerateInstances, ClassName: "Test_ManagedElement"}, PullInstancesWithPath, 100, []int{6}, all},
		{"open with zero", Request{Op: OpenEnumerateInstances, ClassName: "Test_Log"}, PullInstancesWithPath, 0, []int{0}, nil},
		{"paths", Request{Op: OpenEnumerateInstancePaths, ClassName: "Test_ComputerSystem"}, PullInstancePaths, 2, []int{2, 1}, []string{webA, webB, db1}},
		{"associators", Request{Op: OpenAssociatorInstances, ObjectName: setPath("redset:web")}, PullInstancesWithPath, 1, []int{1, 1}, []string{webA, webB}},
		{"associator paths", Request{Op: OpenAssociatorInstancePaths, ObjectName: systemPath("db-1")}, PullInstancePaths, 5, []int{2}, []string{dbSet, subSet}},
		{"references", Request{Op: OpenReferenceInstances, ObjectName: setPath("redset:web")}, PullInstancesWithPath, 1, []int{1, 1}, []string{webAMem, webBMem}},
		{"reference paths", Request{Op: OpenReferenceInstancePaths, ObjectName: systemPath("web-b")}, PullInstancePaths, 1, []int{1}, []string{webBMem}},
		{"query", Request{Op: OpenQueryInstances, QueryLanguage: "WQL", Query: "SELECT * FROM Test_RedundancySet WHERE RedundancyStatus = 2"}, PullInstances, 1, []int{1, 1}, []string{webSet, subSet}},
		{"filtered", Request{Op: OpenEnumerateInstances, QueryLanguage: "WQL", Query: "SELECT * FROM Test_ComputerSystem WHERE Name <> 'web-a'"}, PullInstancesWithPath, 1, []int{1, 1}, []string{webB, db1}},
		{"filtered paths", Request{Op: OpenEnumerateInstancePaths, ClassName: "Test_ManagedElement", QueryLanguage: "WQL", Query: "SELECT * FROM Test_RedundancySet WHERE RedundancyStatus = 3"}, PullInstancePaths, 1, []int{1}, []string{dbSet}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			sizes, paths := pullAll(t, f, tt.req, tt.pull, tt.max)
			if diff := cmp.Diff(tt.wantSizes, sizes); diff != "" {
				t.Errorf("chunk sizes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPaths, paths); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if n := f.d.Enumerations().Len(); n != 0 {
				t.Errorf("%d contexts open after the end, want 0", n)
			}
		})
	}
}

func TestPullShapes(t *testing.T) {
	f := newFixture(t, Options{})
	resp, err := f.handle(t, &Request{Op: OpenEnumerateInstancePaths, ClassName: "Test_ComputerSystem", MaxObjectCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := collect(resp.Objects)
	if len(objs) != 1 || objs[0].Instance != nil {
		t.Errorf("paths chunk = %+v, want one path without instance", objs)
	}
	resp, err = f.handle(t, &Request{Op: OpenEnumerateInstances, ClassName: "Test_RedundancySet", PropertyList: []string{"InstanceID"}, MaxObjectCount: 3})
	if err != nil {
		t.Fatal(err)
	}
	objs, _ = collect(resp.Objects)
	for _, o := range objs {
		if diff := cmp.Diff([]string{"InstanceID"}, propNames(o.Instance)); diff != "" {
			t.Errorf("%v properties (-want +got):\n%s", o.Path, diff)
		}
	}
}

// openContext opens an enumeration of the computer systems that stays open.
func openContext(t *testing.T, f *fixture, op Operation, timeout *uint32) string {
	t.Helper()
	resp, err := f.handle(t, &Request{Op: op, ClassName: "Test_ComputerSystem", OperationTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	if resp.EndOfSequence || resp.EnumerationContext == "" {
		t.Fatalf("context closed at open: %+v", resp)
	}
	return resp.EnumerationContext
}

func TestPullContextErrors(t *testing.T) {
	tests := []struct {
		name     string
		open     Operation
		pull     Request
		want     cim.Status
		fragment string
	}{
		{"unknown context", OpenEnumerateInstances, Request{Op: PullInstancesWithPath, EnumerationContext: "feedface"}, cim.StatusInvalidEnumerationContext, "unknown, expired or closed"},
		{"empty context", OpenEnumerateInstances, Request{Op: PullInstancesWithPath}, cim.StatusInvalidEnumerationContext, ""},
		{"wrong kind paths", OpenEnumerateInstances, Request{Op: PullInstancePaths}, cim.StatusInvalidEnumerationContext, "opened for PullInstancesWithPath"},
		{"wrong kind instances", OpenEnumerateInstancePaths, Request{Op: PullInstancesWithPath}, cim.StatusInvalidEnumerationContext, "opened for PullInstancePaths"},
		{"query pulled with path", OpenEnumerateInstances, Request{Op: PullInstances}, cim.StatusInvalidEnumerationContext, "PullInstancesWithPath"},
		{"other namespace", OpenEnumerateInstances, Request{Op: PullInstancesWithPath, Namespace: "root/other"}, cim.StatusInvalidEnumerationContext, "belongs to namespace root/test"},
		{"unknown namespace", OpenEnumerateInstances, Request{Op: PullInstancesWithPath, Namespace: "root/none"}, cim.StatusInvalidNamespace, ""},
		{"close in other namespace", OpenEnumerateInstances, Request{Op: CloseEnumeration, Namespace: "root/other"}, cim.StatusInvalidEnumerationContext, ""},
		{"count in other namespace", OpenEnumerateInstances, Request{Op: EnumerationCount, Namespace: "root/other"}, cim.StatusInvalidEnumerationContext, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			id := openContext(t, f, tt.open, nil)
			if tt.pull.EnumerationContext == "" && tt.name != "empty context" {
				tt.pull.EnumerationContext = id
			}
			_, err := f.handle(t, &tt.pull)
			wantStatus(t, err, tt.want, tt.fragment)
			if n := f.d.Enumerations().Len(); n != 1 {
				t.Errorf("%d contexts open, want the original 1 untouched", n)
			}
		})
	}
}

func TestCloseEnumeration(t *testing.T) {
	f := newFixture(t, Options{})
	id := openContext(t, f, OpenEnumerateInstances, nil)
	if _, err := f.handle(t, &Request{Op: CloseEnumeration, EnumerationContext: id}); err != nil {
		t.Fatal(err)
	}
	_, err := f.handle(t, &Request{Op: PullInstancesWithPath, EnumerationContext: id, MaxObjectCount: 1})
	wantStatus(t, err, cim.StatusInvalidEnumerationContext, "unknown, expired or closed")
	_, err = f.handle(t, &Request{Op: CloseEnumeration, EnumerationContext: id})
	wantStatus(t, err, cim.StatusInvalidEnumerationContext)
}

func TestPullExpiry(t *testing.T) {
	tests := []struct {
		name    string
		timeout *uint32
		opts    Options
		idle    []time.Duration // idle periods, each followed by a pull
		wantErr int             // index of the first pull that fails, -1 for none
	}{
		{"within the timeout", seconds(10), Options{}, []time.Duration{9 * time.Second, 9 * time.Second}, -1},
		{"each request restarts the timer", seconds(10), Options{}, []time.Duration{10 * time.Second, 10 * time.Second}, -1},
		{"past the timeout", seconds(10), Options{}, []time.Duration{5 * time.Second, 11 * time.Second}, 1},
		{"server default", nil, Options{OperationTimeout: 30 * time.Second}, []time.Duration{31 * time.Second}, 0},
		{"default of sixty seconds", nil, Options{}, []time.Duration{59 * time.Second, 61 * time.Second}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts)
			id := openContext(t, f, OpenEnumerateInstances, tt.timeout)
			for i, idle := range tt.idle {
				f.clock.Advance(idle)
				_, err := f.handle(t, &Request{Op: PullInstancesWithPath, EnumerationContext: id, MaxObjectCount: 0})
				want := cim.StatusOK
				if i == tt.wantErr {
					want = cim.StatusInvalidEnumerationContext
				}
				wantStatus(t, err, want)
				if err != nil {
					return
				}
			}
			if tt.wantErr >= 0 {
				t.Errorf("no pull failed, want pull %d to", tt.wantErr)
			}
		})
	}
}

func TestExpiryEndsTheProviderContext(t *testing.T) {
	f := newFixture(t, Options{})
	p := &ctxProvider{}
	f.register(t, "Test_Log", p)
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := f.d.Handle(ctx, &Request{Op: OpenEnumerateInstances, Namespace: testNS, ClassName: "Test_Log", OperationTimeout: seconds(5)})
	if err != nil {
		t.Fatal(err)
	}
	cancel() // the opening request is over
	if err := p.ctx().Err(); err != nil {
		t.Fatalf("provider context ended with the opening request: %v", err)
	}
	f.clock.Advance(6 * time.Second)
	if n := f.d.Enumerations().Len(); n != 0 {
		t.Errorf("%d contexts open after expiry, want 0", n)
	}
	if p.ctx().Err() == nil {
		t.Errorf("provider context still live after the enumeration context %s expired", resp.EnumerationContext)
	}
}

// ctxProvider records the context its enumeration runs under and yields
// instances forever.
type ctxProvider struct {
	mu   sync.Mutex
	last context.Context
}

func (p *ctxProvider) ctx() context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

func (p *ctxProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) Objects {
	p.mu.Lock()
	p.last = ctx
	p.mu.Unlock()
	return func(yield func(Object, error) bool) {
		for i := uint32(0); ; i++ {
			in := cim.Instance{ClassName: "Test_Log", Properties: []cim.PropertyValue{{Name: "Id", Value: cim.MustUint32(i)}}}
			if !yield(Object{Instance: &in}, nil) {
				return
			}
		}
	}
}

func (p *ctxProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.Errorf(cim.StatusNotFound, "none")
}

func TestOpenChecks(t *testing.T) {
	tests := []struct {
		name     string
		req      Request
		want     cim.Status
		fragment string
	}{
		{"zero timeout", Request{OperationTimeout: seconds(0)}, cim.StatusInvalidOperationTimeout, "0"},
		{"timeout over the limit", Request{OperationTimeout: seconds(3600)}, cim.StatusInvalidOperationTimeout, "limit of 1800 seconds"},
		{"continue on error", Request{ContinueOnError: true}, cim.StatusContinuationOnErrorNotSupported, ""},
		{"unknown class", Request{ClassName: "Test_Nope"}, cim.StatusInvalidClass, "Test_Nope"},
		{"filter without language", Request{Query: "SELECT * FROM Test_ComputerSystem"}, cim.StatusInvalidParameter, "together"},
		{"filter language unsupported", Request{QueryLanguage: "DMTF:FQL", Query: "x"}, cim.StatusQueryLanguageNotSupported, ""},
		{"filter invalid", Request{QueryLanguage: "WQL", Query: "SELECT * FROM Test_ComputerSystem WHERE Nope = 1"}, cim.StatusInvalidQuery, "Nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			tt.req.Op = OpenEnumerateInstances
			if tt.req.ClassName == "" {
				tt.req.ClassName = "Test_ComputerSystem"
			}
			_, err := f.handle(t, &tt.req)
			wantStatus(t, err, tt.want, tt.fragment)
			if n := f.d.Enumerations().Len(); n != 0 {
				t.Errorf("%d contexts open after a refused open", n)
			}
		})
	}
}

func TestEnumerationLimits(t *testing.T) {
	t.Run("open contexts", func(t *testing.T) {
		f := newFixture(t, Options{MaxEnumerations: 2})
		first := openContext(t, f, OpenEnumerateInstances, nil)
		openContext(t, f, OpenEnumerateInstancePaths, nil)
		_, err := f.handle(t, &Request{Op: OpenEnumerateInstances, ClassName: "Test_ComputerSystem"})
		wantStatus(t, err, cim.StatusServerLimitsExceeded, "2 enumeration contexts")
		if _, err := f.handle(t, &Request{Op: CloseEnumeration, EnumerationContext: first}); err != nil {
			t.Fatal(err)
		}
		openContext(t, f, OpenEnumerateInstances, nil)
	})
	t.Run("expired contexts free room", func(t *testing.T) {
		f := newFixture(t, Options{MaxEnumerations: 1})
		openContext(t, f, OpenEnumerateInstances, seconds(1))
		f.clock.Advance(2 * time.Second)
		openContext(t, f, OpenEnumerateInstances, nil)
	})
	t.Run("objects per pull", func(t *testing.T) {
		f := newFixture(t, Options{MaxObjectCount: 4})
		resp, err := f.handle(t, &Request{Op: OpenEnumerateInstances, ClassName: "Test_ManagedElement", MaxObjectCount: 1000})
		if err != nil {
			t.Fatal(err)
		}
		objs, _ := collect(resp.Objects)
		if len(objs) != 4 || resp.EndOfSequence {
			t.Errorf("got %d objects, end %v; want 4, false", len(objs), resp.EndOfSequence)
		}
	})
	t.Run("dispatcher close", func(t *testing.T) {
		f := newFixture(t, Options{})
		openContext(t, f, OpenEnumerateInstances, nil)
		f.d.Close()
		if n := f.d.Enumerations().Len(); n != 0 {
			t.Errorf("%d contexts open after Close", n)
		}
	})
}

func TestEnumerationCount(t *testing.T) {
	f := newFixture(t, Options{})
	resp, err := f.handle(t, &Request{Op: OpenEnumerateInstances, ClassName: "Test_ManagedElement", MaxObjectCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	id := resp.EnumerationContext
	count := func() *uint64 {
		t.Helper()
		r, err := f.handle(t, &Request{Op: EnumerationCount, EnumerationContext: id})
		if err != nil {
			t.Fatal(err)
		}
		return r.Count
	}
	if n := count(); n == nil || *n != 5 {
		t.Fatalf("Count = %v, want 5", n)
	}
	_, paths := pullAll(t, f, Request{Op: PullInstancesWithPath, EnumerationContext: id}, PullInstancesWithPath, 2)
	if diff := cmp.Diff([]string{dbSet, subSet, webA, webB, db1}, paths); diff != "" {
		t.Errorf("paths after counting (-want +got):\n%s", diff)
	}
	t.Run("unknown when endless", func(t *testing.T) {
		f := newFixture(t, Options{})
		f.register(t, "Test_Log", &ctxProvider{})
		resp, err := f.handle(t, &Request{Op: OpenEnumerateInstances, ClassName: "Test_Log", MaxObjectCount: 1})
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.handle(t, &Request{Op: EnumerationCount, EnumerationContext: resp.EnumerationContext})
		if err != nil || r.Count != nil {
			t.Errorf("Count = %v, %v; want nil (unknown)", r.Count, err)
		}
	})
}

func TestPullProviderError(t *testing.T) {
	f := newFixture(t, Options{})
	f.systems.failEnum = cim.Errorf(cim.StatusFailed, "probe table unavailable")
	resp, err := f.handle(t, &Request{Op: OpenEnumerateInstances, ClassName: "Test_ComputerSystem", MaxObjectCount: 5})
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := collect(resp.Objects)
	if len(objs) != 1 || resp.EndOfSequence {
		t.Fatalf("first chunk %d objects, end %v; want 1, false", len(objs), resp.EndOfSequence)
	}
	_, err = f.handle(t, &Request{Op: PullInstancesWithPath, EnumerationContext: resp.EnumerationContext, MaxObjectCount: 5})
	wantStatus(t, err, cim.StatusFailed, "probe table unavailable")
	_, err = f.handle(t, &Request{Op: PullInstancesWithPath, EnumerationContext: resp.EnumerationContext, MaxObjectCount: 5})
	wantStatus(t, err, cim.StatusInvalidEnumerationContext)
}

// blockingProvider yields one instance, then waits for release before
// ending, telling reached when it waits.
type blockingProvider struct {
	reached, release chan struct{}
}

func (p *blockingProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) Objects {
	return func(yield func(Object, error) bool) {
		in := cim.Instance{ClassName: "Test_Log", Properties: []cim.PropertyValue{{Name: "Id", Value: cim.MustUint32(1)}}}
		if !yield(Object{Instance: &in}, nil) {
			return
		}
		close(p.reached)
		<-p.release
	}
}

func (p *blockingProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.Errorf(cim.StatusNotFound, "none")
}

func TestContextInUse(t *testing.T) {
	f := newFixture(t, Options{})
	p := &blockingProvider{reached: make(chan struct{}), release: make(chan struct{})}
	f.register(t, "Test_Log", p)
	resp, err := f.handle(t, &Request{Op: OpenEnumerateInstances, ClassName: "Test_Log"})
	if err != nil {
		t.Fatal(err)
	}
	id := resp.EnumerationContext
	done := make(chan error)
	go func() {
		_, err := f.d.Handle(context.Background(), &Request{Op: PullInstancesWithPath, Namespace: testNS, EnumerationContext: id, MaxObjectCount: 5})
		done <- err
	}()
	<-p.reached
	_, err = f.handle(t, &Request{Op: PullInstancesWithPath, EnumerationContext: id, MaxObjectCount: 5})
	wantStatus(t, err, cim.StatusInvalidEnumerationContext, "in use")
	_, err = f.handle(t, &Request{Op: CloseEnumeration, EnumerationContext: id})
	wantStatus(t, err, cim.StatusPullCannotBeAbandoned)
	f.clock.Advance(time.Hour) // a context in use never expires
	if n := f.d.Enumerations().Len(); n != 1 {
		t.Errorf("%d contexts open during the pull, want 1", n)
	}
	close(p.release)
	if err := <-done; err != nil {
		t.Errorf("the first pull failed: %v", err)
	}
}
