package provider

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/mof"
	"github.com/redset/redset/schema"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
)

const (
	testNS      = "root/hypervcluster/v2"
	interopNS   = "root/interop"
	testHost    = "testhost"
	testVersion = "1.2.3"
)

// cmpValues compares CIM values by meaning.
var cmpValues = cmp.Comparer(func(a, b cim.Value) bool { return a.Equal(b) })

var (
	repoOnce sync.Once
	repo     *mof.Repository
	repoErr  error
)

// schemaRepo compiles the embedded schema once; the repository is only
// read afterwards.
func schemaRepo(t testing.TB) *mof.Repository {
	t.Helper()
	repoOnce.Do(func() {
		r := mof.NewRepository()
		repoErr = mof.LoadNamespaces(r, schema.FS, schema.Namespaces)
		repo = r
	})
	if repoErr != nil {
		t.Fatalf("loading the schema: %v", repoErr)
	}
	return repo
}

// stack is the real thing: an engine on a bolt file, the compiled schema,
// a dispatcher and the providers registered on it.
type stack struct {
	t    testing.TB
	path string
	st   *bolt.Store
	eng  *engine.Engine
	d    *cimom.Dispatcher
	hook func(context.Context, engine.FailoverRequest) error
	// wrap, when set, is put around the bolt store at each open.
	wrap func(store.Store) store.Store
}

func newStack(t testing.TB) *stack {
	t.Helper()
	s := &stack{t: t, path: filepath.Join(t.TempDir(), "redset.db")}
	s.open()
	t.Cleanup(s.close)
	return s
}

func (s *stack) open() {
	s.t.Helper()
	st, err := bolt.Open(s.path, bolt.Options{NoSync: true})
	if err != nil {
		s.t.Fatalf("bolt.Open: %v", err)
	}
	var es store.Store = st
	if s.wrap != nil {
		es = s.wrap(st)
	}
	eng, err := engine.New(context.Background(), engine.Options{Store: es, PreFailover: s.preFailover})
	if err != nil {
		s.t.Fatalf("engine.New: %v", err)
	}
	d := cimom.NewDispatcher(schemaRepo(s.t), cimom.Options{})
	if err := Register(d, eng, Options{SystemName: testHost, ProductVersion: testVersion}); err != nil {
		s.t.Fatalf("Register: %v", err)
	}
	s.st, s.eng, s.d = st, eng, d
}

func (s *stack) preFailover(ctx context.Context, req engine.FailoverRequest) error {
	if s.hook != nil {
		return s.hook(ctx, req)
	}
	return nil
}

func (s *stack) close() {
	if s.eng == nil {
		return
	}
	s.d.Close()
	if err := s.eng.Close(); err != nil {
		s.t.Errorf("engine.Close: %v", err)
	}
	if err := s.st.Close(); err != nil {
		s.t.Errorf("store Close: %v", err)
	}
	s.eng = nil
}

// reopen restarts everything on the same store file.
func (s *stack) reopen() {
	s.t.Helper()
	s.close()
	s.open()
}

func (s *stack) member(name, display string, h engine.Health) {
	s.t.Helper()
	m := engine.Member{Name: name, DisplayName: display, Probe: engine.Probe{Rise: 1, Fall: 1}}
	if _, err := s.eng.PutMember(context.Background(), m); err != nil {
		s.t.Fatalf("PutMember(%s): %v", name, err)
	}
	if h != engine.HealthUnknown {
		s.report(name, h)
	}
}

func (s *stack) report(name string, h engine.Health) {
	s.t.Helper()
	if err := s.eng.ReportHealth(name, engine.Report{State: h, Source: "test", Detail: detailOf(h)}); err != nil {
		s.t.Fatalf("ReportHealth(%s): %v", name, err)
	}
}

// detailOf is the report detail the fixture uses for a health state.
func detailOf(h engine.Health) string {
	if h == engine.HealthFailed {
		return "connection refused"
	}
	return ""
}

func (s *stack) set(in engine.Set) {
	s.t.Helper()
	in.Policy.DisableAutoFailover = true
	if _, err := s.eng.CreateSet(context.Background(), in); err != nil {
		s.t.Fatalf("CreateSet(%s): %v", in.InstanceID, err)
	}
}

func (s *stack) add(set, member string, role engine.Role) {
	s.t.Helper()
	if _, err := s.eng.AddToSet(context.Background(), set, member, role); err != nil {
		s.t.Fatalf("AddToSet(%s, %s): %v", set, member, err)
	}
}

func (s *stack) getSet(id string) engine.SetView {
	s.t.Helper()
	v, err := s.eng.GetSet(id)
	if err != nil {
		s.t.Fatalf("GetSet(%s): %v", id, err)
	}
	return v
}

var (
	inService = engine.Role{Kind: engine.RoleInService}
	drained   = engine.Role{Kind: engine.RoleDrained}
)

func spare(status, failover uint16, priority int) engine.Role {
	return engine.Role{Kind: engine.RoleSpare, Spare: engine.SpareSettings{SpareStatus: status, FailoverSupported: failover, Priority: priority}}
}

// newFixture builds the sets and members most tests use:
//
//	redset:web   Sparing, N=1: web-a in service; web-b hot spare (Both);
//	             web-c cold spare (Automatic only, Degraded)
//	redset:db    N+1, N=2: db-1 (OK), db-2 (Failed), db-3 (Unknown) in
//	             service; db-4 drained
//	redset:lb    Load Balanced, N=1, Round Robin: lb-1, lb-2 and web-a
//	redset:other Other ("geo"), no members, LoadBalanceAlgorithm Other
//	idle         a member of no set
func newFixture(t testing.TB) *stack {
	t.Helper()
	s := newStack(t)
	s.member("web-a", "Web A", engine.HealthOK)
	s.member("web-b", "", engine.HealthOK)
	s.member("web-c", "", engine.HealthDegraded)
	s.member("db-1", "", engine.HealthOK)
	s.member("db-2", "", engine.HealthFailed)
	s.member("db-3", "", engine.HealthUnknown)
	s.member("db-4", "", engine.HealthOK)
	s.member("lb-1", "", engine.HealthOK)
	s.member("lb-2", "", engine.HealthOK)
	s.member("idle", "Idle box", engine.HealthUnknown)

	s.set(engine.Set{InstanceID: "redset:web", ElementName: "Web", TypeOfSet: []uint16{engine.TypeSparing}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1})
	s.add("redset:web", "web-a", inService)
	s.add("redset:web", "web-b", spare(engine.SpareHot, engine.FailoverBoth, 1))
	s.add("redset:web", "web-c", spare(engine.SpareCold, engine.FailoverAutomatic, 0))

	s.set(engine.Set{InstanceID: "redset:db", Caption: "Database", Description: "the database tier",
		ElementName: "DB", TypeOfSet: []uint16{engine.TypeNPlus1}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 2, MaxNumberSupported: 8,
		VendorIdentifyingInfo: "redset test"})
	for _, m := range []string{"db-1", "db-2", "db-3"} {
		s.add("redset:db", m, inService)
	}
	s.add("redset:db", "db-4", drained)

	s.set(engine.Set{InstanceID: "redset:lb", TypeOfSet: []uint16{engine.TypeLoadBalanced}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1,
		LoadBalanceAlgorithm: engine.LBRoundRobin})
	for _, m := range []string{"lb-1", "lb-2", "web-a"} {
		s.add("redset:lb", m, inService)
	}

	s.set(engine.Set{InstanceID: "redset:other", TypeOfSet: []uint16{engine.TypeOther, engine.TypeSparing},
		OtherTypeOfSet: []string{"geo", ""}, LoadBalanceAlgorithm: engine.LBOther, OtherLoadBalanceAlgorithm: "weighted"})
	return s
}

// handle runs one request through the dispatcher.
func (s *stack) handle(req *cimom.Request) (*cimom.Response, error) {
	return s.d.Handle(context.Background(), req)
}

// collect drains an enumeration.
func collect(t testing.TB, resp *cimom.Response, err error) []cimom.Object {
	t.Helper()
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	var out []cimom.Object
	for o, err := range resp.Objects {
		if err != nil {
			t.Fatalf("enumeration failed: %v", err)
		}
		out = append(out, o)
	}
	return out
}

func (s *stack) enumerate(ns, class string) []cimom.Object {
	s.t.Helper()
	resp, err := s.handle(&cimom.Request{Op: cimom.EnumerateInstances, Namespace: ns, ClassName: class, DeepInheritance: true})
	return collect(s.t, resp, err)
}

func (s *stack) get(path cim.ObjectPath) (*cim.Instance, error) {
	resp, err := s.handle(&cimom.Request{Op: cimom.GetInstance, Namespace: cmpNS(path.Namespace), ObjectName: path})
	if err != nil {
		return nil, err
	}
	return resp.Instance.Instance, nil
}

func cmpNS(ns string) string {
	if ns == "" {
		return testNS
	}
	return ns
}

// assocNames runs AssociatorNames or ReferenceNames from src.
func (s *stack) assocNames(op cimom.Operation, src cim.ObjectPath, assocClass string) []cim.ObjectPath {
	s.t.Helper()
	resp, err := s.handle(&cimom.Request{Op: op, Namespace: cmpNS(src.Namespace), ObjectName: src, AssocClass: assocClass})
	var out []cim.ObjectPath
	for _, o := range collect(s.t, resp, err) {
		out = append(out, o.Path)
	}
	return sortPaths(out)
}

func (s *stack) failover(id string, from, to cim.Value) (uint32, error) {
	resp, err := s.handle(&cimom.Request{
		Op: cimom.InvokeMethod, Namespace: testNS, ObjectName: setRef(id), Method: "Failover",
		Params: []cimom.Param{{Name: "FailoverFrom", Value: from}, {Name: "FailoverTo", Value: to}},
	})
	if err != nil {
		return 0, err
	}
	return uint32(resp.ReturnValue.Uint()), nil
}

func setRef(id string) cim.ObjectPath {
	return cim.NewObjectPath(testNS, "Msvm_RedundancySet", cim.KeyBinding{Name: "InstanceID", Value: cim.NewString(id)})
}

func systemRef(name string) cim.ObjectPath {
	return cim.NewObjectPath(testNS, "Msvm_ComputerSystem",
		cim.KeyBinding{Name: "CreationClassName", Value: cim.NewString("Msvm_ComputerSystem")},
		cim.KeyBinding{Name: "Name", Value: cim.NewString(name)})
}

func memberValue(name string) cim.Value { return cim.NewReference(systemRef(name)) }

// sortPaths orders paths by their text, for comparisons.
func sortPaths(ps []cim.ObjectPath) []cim.ObjectPath {
	sort.Slice(ps, func(i, j int) bool { return ps[i].String() < ps[j].String() })
	return ps
}

// pathTexts writes paths as text, sorted.
func pathTexts(ps []cim.ObjectPath) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Canonical().String()
	}
	slices.Sort(out)
	return out
}

// statusOf is the CIM status of err (OK for nil).
func statusOf(err error) cim.Status {
	var ce *cim.Error
	if errors.As(err, &ce) {
		return ce.Status
	}
	if err == nil {
		return cim.StatusOK
	}
	return cim.StatusFailed
}

// prop returns the value of a property, failing the test when absent.
func propOf(t testing.TB, in *cim.Instance, name string) cim.Value {
	t.Helper()
	v, ok := in.Get(name)
	if !ok {
		t.Fatalf("%s has no property %s", in.ClassName, name)
	}
	return v
}
