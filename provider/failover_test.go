package provider

import (
	"context"
	"github.com/redset/redset/event"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

func TestFailover(t *testing.T) {
	ref := func(ns, class string, keys ...cim.KeyBinding) cim.Value {
		return cim.NewReference(cim.NewObjectPath(ns, class, keys...))
	}
	str := func(name, v string) cim.KeyBinding { return cim.KeyBinding{Name: name, Value: cim.NewString(v)} }
	ccn := str("CreationClassName", "Msvm_ComputerSystem")
	tests := []struct {
		name     string
		set      string
		from, to cim.Value
		want     uint32
		swapped  bool // web-a and web-b changed roles
	}{
		{name: "completed", set: "redset:web", from: memberValue("web-a"), to: memberValue("web-b"), want: 0, swapped: true},
		{name: "through a superclass", set: "redset:web",
			from: ref(testNS, "CIM_ComputerSystem", ccn, str("Name", "web-a")), to: memberValue("web-b"), want: 0, swapped: true},
		{name: "without namespace", set: "redset:web",
			from: ref("", "Msvm_ComputerSystem", ccn, str("Name", "web-a")), to: memberValue("web-b"), want: 0, swapped: true},
		{name: "path text", set: "redset:web",
			from: cim.NewString(`Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="web-a"`), to: memberValue("web-b"), want: 0, swapped: true},
		{name: "text that is no path", set: "redset:web",
			from: cim.NewString("Msvm_ComputerSystem.Name="), to: memberValue("web-b"), want: 4},
		{name: "another namespace", set: "redset:web",
			from: ref("root/other", "Msvm_ComputerSystem", ccn, str("Name", "web-a")), to: memberValue("web-b"), want: 4},
		{name: "not a computer system", set: "redset:web", from: memberValue("web-a"),
			to: cim.NewReference(setRef("redset:lb")), want: 4},
		{name: "wrong CreationClassName", set: "redset:web",
			from: ref(testNS, "CIM_ComputerSystem", str("CreationClassName", "CIM_ComputerSystem"), str("Name", "web-a")), to: memberValue("web-b"), want: 4},
		{name: "missing key", set: "redset:web",
			from: ref(testNS, "Msvm_ComputerSystem", str("Name", "web-a")), to: memberValue("web-b"), want: 4},
		{name: "class path", set: "redset:web",
			from: ref(testNS, "Msvm_ComputerSystem"), to: memberValue("web-b"), want: 4},
		{name: "unknown member", set: "redset:web", from: memberValue("web-a"), to: memberValue("ghost"), want: 4},
		{name: "same member", set: "redset:web", from: memberValue("web-a"), to: memberValue("web-a"), want: 4},
		{name: "missing FailoverTo", set: "redset:web", from: memberValue("web-a"), to: cim.Null(cim.Reference, false), want: 4},
		{name: "from a spare", set: "redset:web", from: memberValue("web-b"), to: memberValue("web-a"), want: 4},
		{name: "member of another set", set: "redset:web", from: memberValue("web-a"), to: memberValue("lb-1"), want: 4},
		{name: "automatic-only spare", set: "redset:web", from: memberValue("web-a"), to: memberValue("web-c"), want: 1},
		{name: "failed target", set: "redset:db", from: memberValue("db-1"), to: memberValue("db-2"), want: 4},
		{name: "unknown target", set: "redset:db", from: memberValue("db-1"), to: memberValue("db-3"), want: 4},
		{name: "to a drained member", set: "redset:db", from: memberValue("db-1"), to: memberValue("db-4"), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFixture(t)
			before := s.getSet(tt.set)
			sub := s.eng.Bus().Subscribe(64, func(r event.Record) bool { return r.Failover != nil })
			defer sub.Close()
			got, err := s.failover(tt.set, tt.from, tt.to)
			if err != nil || got != tt.want {
				t.Fatalf("Failover = %d, %v; want ReturnValue %d", got, err, tt.want)
			}
			select {
			case r := <-sub.C():
				if r.SetID != tt.set || r.Failover.Code != tt.want || (tt.want != 0 && r.Failover.Reason == "") {
					t.Errorf("event %+v %+v, want set %s code %d with a reason for a refusal", r, *r.Failover, tt.set, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("no failover event for ReturnValue %d", tt.want)
			}
			after := s.getSet(tt.set)
			switch {
			case tt.want != 0:
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("a refused failover changed the set (-before +after):\n%s", diff)
				}
			case tt.swapped:
				if k := roleIn(after, "web-b"); k != engine.RoleInService {
					t.Errorf("web-b is %v after the failover, want in service", k)
				}
				if k := roleIn(after, "web-a"); k != engine.RoleSpare {
					t.Errorf("web-a is %v after the failover, want spare", k)
				}
			}
		})
	}
}

func roleIn(v engine.SetView, member string) engine.RoleKind {
	for _, m := range v.Members {
		if m.Name == member {
			return m.Role.Kind
		}
	}
	return 0
}

func TestFailoverErrors(t *testing.T) {
	s := newFixture(t)
	tests := []struct {
		name string
		req  *cimom.Request
		want cim.Status
	}{
		{"unknown set", &cimom.Request{Op: cimom.InvokeMethod, Namespace: testNS, ObjectName: setRef("redset:nope"), Method: "Failover",
			Params: []cimom.Param{{Name: "FailoverFrom", Value: memberValue("web-a")}, {Name: "FailoverTo", Value: memberValue("web-b")}}},
			cim.StatusNotFound},
		{"unknown method", &cimom.Request{Op: cimom.InvokeMethod, Namespace: testNS, ObjectName: setRef("redset:web"), Method: "Failback"},
			cim.StatusMethodNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.getSet("redset:web")
			_, err := s.handle(tt.req)
			if got := statusOf(err); got != tt.want {
				t.Errorf("status %v (%v), want %v", got, err, tt.want)
			}
			if diff := cmp.Diff(before, s.getSet("redset:web")); diff != "" {
				t.Errorf("a failed call changed the set (-before +after):\n%s", diff)
			}
		})
	}
}

// TestFailoverBusy holds a failover inside its pre-failover hook and asks
// for another one of the same set meanwhile.
func TestFailoverBusy(t *testing.T) {
	s := newFixture(t)
	entered, release := make(chan struct{}), make(chan struct{})
	s.hook = func(ctx context.Context, req engine.FailoverRequest) error {
		close(entered)
		<-release
		return nil
	}
	first := make(chan uint32, 1)
	go func() {
		code, err := s.failover("redset:web", memberValue("web-a"), memberValue("web-b"))
		if err != nil {
			t.Errorf("first Failover: %v", err)
		}
		first <- code
	}()
	<-entered
	s.hook = nil
	if code, err := s.failover("redset:web", memberValue("web-a"), memberValue("web-b")); err != nil || code != engine.CodeBusy {
		t.Errorf("Failover during another = %d, %v; want 3 (Busy)", code, err)
	}
	close(release)
	if code := <-first; code != engine.CodeCompleted {
		t.Errorf("the held Failover returned %d, want 0", code)
	}
}

// TestFailoverConcurrent runs the same failover many times at once:
// exactly one completes; the others find the set busy or, once the roles
// have swapped, FailoverFrom no longer in service.
func TestFailoverConcurrent(t *testing.T) {
	s := newFixture(t)
	const n = 16
	codes := make([]uint32, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			code, err := s.failover("redset:web", memberValue("web-a"), memberValue("web-b"))
			if err != nil {
				t.Errorf("Failover: %v", err)
			}
			codes[i] = code
		})
	}
	wg.Wait()
	count := map[uint32]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[0] != 1 || count[0]+count[3]+count[4] != n {
		t.Errorf("return values %v: want exactly one 0 and the rest 3 or 4", count)
	}
	checkConsistency(t, s)
}
