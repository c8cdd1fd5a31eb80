package provider

import (
	"context"
	"testing"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/indication"
)

// indicationsOf runs act on the fixture and returns the indications
// built from the records it published, in order.
func indicationsOf(t *testing.T, s *stack, act func()) []indication.Indication {
	t.Helper()
	x, err := NewIndications(s.d, s.eng, Options{})
	if err != nil {
		t.Fatalf("NewIndications: %v", err)
	}
	return indicationsBy(t, s, x, act)
}

// indicationsBy is indicationsOf with a given builder, which keeps what it
// learnt between calls.
func indicationsBy(t *testing.T, s *stack, x *Indications, act func()) []indication.Indication {
	t.Helper()
	sub := s.eng.Bus().Subscribe(0, nil)
	defer sub.Close()
	act()
	seq, err := s.eng.RecordConfig(context.Background(), "end of test", "")
	if err != nil {
		t.Fatalf("RecordConfig: %v", err)
	}
	var out []indication.Indication
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-sub.C():
			if r.Seq == seq {
				return out
			}
			out = append(out, x.Of(context.Background(), r)...)
		case <-deadline:
			t.Fatal("the records of the test did not all arrive")
		}
	}
}

// onlyClass keeps the indications of one class.
func onlyClass(inds []indication.Indication, class string) []indication.Indication {
	var out []indication.Indication
	for _, ind := range inds {
		if ind.Instance.ClassName == class {
			out = append(out, ind)
		}
	}
	return out
}

// checkValid checks an indication and its embedded instances against the
// schema.
func checkValid(t *testing.T, s *stack, ind indication.Indication) {
	t.Helper()
	c := classes{d: s.d, ns: testNS}
	check := func(in cim.Instance) {
		class, err := c.get(in.ClassName)
		if err != nil {
			t.Fatalf("class %s: %v", in.ClassName, err)
		}
		if err := cim.ValidateInstance(class, in); err != nil {
			t.Errorf("%s does not fit its class: %v", in.ClassName, err)
		}
	}
	flat := ind.Instance.Clone()
	for _, e := range ind.Embedded {
		check(e.Instance)
		flat.Properties = append(flat.Properties, cim.PropertyValue{Name: e.Property, Value: cim.NewString("(embedded)")})
	}
	check(flat)
}

func TestIndicationsOfFailover(t *testing.T) {
	s := newFixture(t)
	inds := indicationsOf(t, s, func() {
		if code, err := s.failover("redset:web", memberValue("web-a"), memberValue("web-b")); err != nil || code != 0 {
			t.Fatalf("Failover: %d, %v", code, err)
		}
	})
	fo := onlyClass(inds, classFailoverIndication)
	if len(fo) != 1 {
		t.Fatalf("got %d failover indications, want 1", len(fo))
	}
	checkValid(t, s, fo[0])
	in := &fo[0].Instance
	for name, want := range map[string]cim.Value{
		"FailoverType":          cim.MustUint16(failoverOther),
		"OtherFailoverType":     cim.NewString("Planned"),
		"PerceivedSeverity":     cim.MustUint16(severityInformation),
		"HostedElement":         cim.NewString(setRef("redset:web").String()),
		"HostingSystem":         cim.NewString(systemRef("web-b").String()),
		"PreviousHostingSystem": cim.NewString(systemRef("web-a").String()),
		"HostingSystemFormat":   cim.MustUint16(formatObjectPath),
	} {
		if got := propOf(t, in, name); !got.Equal(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if fo[0].Namespace != testNS {
		t.Errorf("namespace %q, want %q", fo[0].Namespace, testNS)
	}
}

func TestIndicationsOfUnplannedFailover(t *testing.T) {
	s := newFixture(t)
	x, err := NewIndications(s.d, s.eng, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := event.Record{Seq: 7, Time: time.Unix(1700000000, 0), Kind: event.KindFailoverSucceeded, SetID: "redset:web",
		Failover: &event.Failover{From: "web-a", To: "web-c"}}
	inds := x.Of(context.Background(), r)
	if len(inds) != 1 {
		t.Fatalf("got %d indications, want 1", len(inds))
	}
	in := &inds[0].Instance
	if got := propOf(t, in, "FailoverType"); !got.Equal(cim.MustUint16(failoverUnplanned)) {
		t.Errorf("FailoverType = %v, want 2 (Unplanned)", got)
	}
	if got := propOf(t, in, "OtherFailoverType"); !got.IsNull() {
		t.Errorf("OtherFailoverType = %v, want null", got)
	}
	if got := propOf(t, in, "IndicationIdentifier"); got.Str() != "redset:7" {
		t.Errorf("IndicationIdentifier = %v, want redset:7", got)
	}
	refused := r
	refused.Kind, refused.Failover = event.KindFailoverRefused, &event.Failover{From: "web-a", To: "web-c", Code: 4, Reason: "no"}
	if got := x.Of(context.Background(), refused); len(got) != 0 {
		t.Errorf("a refused failover gave %d indications, want none", len(got))
	}
}

func TestIndicationsOfHealthAndStatus(t *testing.T) {
	s := newFixture(t)
	inds := indicationsOf(t, s, func() { s.report("web-a", engine.HealthFailed) })
	mods := onlyClass(inds, classInstModification)
	var sawHealth, sawStatus bool
	for _, m := range mods {
		checkValid(t, s, m)
		src, _ := m.EmbeddedInstance(propSourceInstance)
		prev, ok := m.EmbeddedInstance(propPreviousInstance)
		if !ok {
			t.Fatalf("%v has no PreviousInstance", m.Instance)
		}
		switch src.ClassName {
		case classComputerSystem:
			sawHealth = true
			if got := propOf(t, &src, "HealthState"); !got.Equal(cim.MustUint16(25)) {
				t.Errorf("SourceInstance.HealthState = %v, want 25", got)
			}
			if got := propOf(t, &prev, "HealthState"); !got.Equal(cim.MustUint16(5)) {
				t.Errorf("PreviousInstance.HealthState = %v, want 5", got)
			}
		case classRedundancySet:
			sawStatus = true
			a, b := propOf(t, &src, "RedundancyStatus"), propOf(t, &prev, "RedundancyStatus")
			if a.Equal(b) {
				t.Errorf("RedundancyStatus is %v in both instances", a)
			}
		}
	}
	if !sawHealth || !sawStatus {
		t.Errorf("health modification %v, status modification %v; want both (got %d modifications)", sawHealth, sawStatus, len(mods))
	}
}

func TestIndicationsOfLoadBalanceChange(t *testing.T) {
	s := newFixture(t)
	inds := indicationsOf(t, s, func() {
		if _, err := s.eng.SetLoadBalance(context.Background(), "redset:lb", engine.LBLeastIO, ""); err != nil {
			t.Fatal(err)
		}
	})
	mods := onlyClass(inds, classInstModification)
	if len(mods) != 1 {
		t.Fatalf("got %d modifications, want 1", len(mods))
	}
	src, _ := mods[0].EmbeddedInstance(propSourceInstance)
	prev, _ := mods[0].EmbeddedInstance(propPreviousInstance)
	if got := propOf(t, &src, "LoadBalanceAlgorithm"); !got.Equal(cim.MustUint16(engine.LBLeastIO)) {
		t.Errorf("SourceInstance.LoadBalanceAlgorithm = %v", got)
	}
	if got := propOf(t, &prev, "LoadBalanceAlgorithm"); !got.Equal(cim.MustUint16(engine.LBRoundRobin)) {
		t.Errorf("PreviousInstance.LoadBalanceAlgorithm = %v", got)
	}
}

func TestIndicationsOfLifecycle(t *testing.T) {
	s := newFixture(t)
	x, err := NewIndications(s.d, s.eng, Options{})
	if err != nil {
		t.Fatal(err)
	}
	create := func() {
		s.member("new-1", "New one", engine.HealthUnknown)
		s.set(engine.Set{InstanceID: "redset:new", ElementName: "New", TypeOfSet: []uint16{engine.TypeSparing}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1})
	}
	remove := func() {
		if err := s.eng.DeleteSet(context.Background(), "redset:new"); err != nil {
			t.Fatal(err)
		}
		if err := s.eng.DeleteMember(context.Background(), "new-1"); err != nil {
			t.Fatal(err)
		}
	}
	// Read as they come, and read late (the objects gone by then): the
	// indications are the same.
	inds := append(indicationsBy(t, s, x, create), indicationsBy(t, s, x, remove)...)
	checkLifecycle(t, s, inds)
	late := indicationsOf(t, s, func() { create(); remove() })
	checkLifecycle(t, s, late)
}

func checkLifecycle(t *testing.T, s *stack, inds []indication.Indication) {
	t.Helper()
	type life struct{ class, source, name string }
	var got []life
	for _, ind := range inds {
		checkValid(t, s, ind)
		src, _ := ind.EmbeddedInstance(propSourceInstance)
		got = append(got, life{ind.Instance.ClassName, src.ClassName, propOf(t, &src, "ElementName").Str()})
	}
	want := []life{
		{classInstCreation, classComputerSystem, "New one"},
		{classInstCreation, classRedundancySet, "New"},
		{classInstDeletion, classRedundancySet, "New"},
		{classInstDeletion, classComputerSystem, "New one"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("indication %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

// TestIndicationsObserveKeepsTheFormerValues: a change of load balancing
// nobody subscribed to is observed, not built; the next change, built,
// names the observed value as the former one (not the value of the
// start).
func TestIndicationsObserveKeepsTheFormerValues(t *testing.T) {
	s := newFixture(t)
	x, err := NewIndications(s.d, s.eng, Options{})
	if err != nil {
		t.Fatal(err)
	}
	change := func(alg uint16) func() {
		return func() {
			if _, err := s.eng.SetLoadBalance(context.Background(), "redset:lb", alg, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	observeAll(t, s, x, change(engine.LBLeastIO))
	mods := onlyClass(indicationsBy(t, s, x, change(engine.LBAddressRegion)), classInstModification)
	if len(mods) != 1 {
		t.Fatalf("got %d modifications, want 1", len(mods))
	}
	prev, _ := mods[0].EmbeddedInstance(propPreviousInstance)
	if got := propOf(t, &prev, "LoadBalanceAlgorithm"); !got.Equal(cim.MustUint16(engine.LBLeastIO)) {
		t.Errorf("PreviousInstance.LoadBalanceAlgorithm = %v, want the observed Least IO", got)
	}
}

// observeAll runs act and gives the records it published to x.Observe.
func observeAll(t *testing.T, s *stack, x *Indications, act func()) {
	t.Helper()
	sub := s.eng.Bus().Subscribe(0, nil)
	defer sub.Close()
	act()
	seq, err := s.eng.RecordConfig(context.Background(), "end of observation", "")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-sub.C():
			if r.Seq == seq {
				return
			}
			x.Observe(context.Background(), r)
		case <-deadline:
			t.Fatal("the records did not all arrive")
		}
	}
}
