package cimom

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/cim"
)

const testNS = "root/test"

func boolQ(name string) cim.Qualifier { return cim.Qualifier{Name: name, Value: cim.NewBool(true)} }

func quals(names ...string) cim.Qualifiers {
	var qs cim.Qualifiers
	for _, n := range names {
		qs = append(qs, boolQ(n))
	}
	return qs
}

// localClasses are the test schema as written in MOF, superclasses first.
func localClasses() []*cim.Class {
	return []*cim.Class{
		{Name: "Test_ManagedElement", Qualifiers: append(quals("Abstract"), cim.Qualifier{Name: "Description", Value: cim.NewString("root")}),
			Properties: []cim.Property{
				{Name: "Caption", Type: cim.String, Qualifiers: cim.Qualifiers{{Name: "MaxLen", Value: cim.MustUint32(64)}}},
				{Name: "ElementName", Type: cim.String},
			}},
		{Name: "Test_Collection", SuperClass: "Test_ManagedElement", Qualifiers: quals("Abstract")},
		{Name: "Test_RedundancySet", SuperClass: "Test_Collection",
			Properties: []cim.Property{
				{Name: "InstanceID", Type: cim.String, Qualifiers: quals("Key")},
				{Name: "RedundancyStatus", Type: cim.Uint16},
				{Name: "TypeOfSet", Type: cim.Uint16, IsArray: true},
				{Name: "MinNumberNeeded", Type: cim.Uint32},
				{Name: "LoadBalanceAlgorithm", Type: cim.Uint16, Default: cim.MustUint16(2), Qualifiers: quals("Write")},
				{Name: "OtherLoadBalanceAlgorithm", Type: cim.String, Qualifiers: quals("Write")},
			},
			Methods: []cim.Method{
				{Name: "Failover", ReturnType: cim.Uint32, Parameters: []cim.Parameter{
					{Name: "FailoverFrom", Type: cim.Reference, RefClass: "Test_ManagedElement", Qualifiers: quals("In")},
					{Name: "FailoverTo", Type: cim.Reference, RefClass: "Test_ManagedElement", Qualifiers: quals("In")},
				}},
				{Name: "Ping", ReturnType: cim.Uint32, Qualifiers: quals("Static"), Parameters: []cim.Parameter{
					{Name: "Text", Type: cim.String, Qualifiers: quals("In", "Required")},
					{Name: "Count", Type: cim.Uint8, Qualifiers: quals("In")},
					{Name: "Echo", Type: cim.String, Qualifiers: cim.Qualifiers{{Name: "In", Value: cim.NewBool(false)}, boolQ("Out")}},
				}},
			}},
		{Name: "Test_SubSet", SuperClass: "Test_RedundancySet",
			Properties: []cim.Property{{Name: "Extra", Type: cim.String, Qualifiers: quals("Write")}}},
		{Name: "Test_ComputerSystem", SuperClass: "Test_ManagedElement",
			Properties: []cim.Property{
				{Name: "CreationClassName", Type: cim.String, Qualifiers: quals("Key")},
				{Name: "Name", Type: cim.String, Qualifiers: quals("Key")},
				{Name: "HealthState", Type: cim.Uint16},
			}},
		{Name: "Test_Log", SuperClass: "Test_ManagedElement",
			Properties: []cim.Property{{Name: "Id", Type: cim.Uint32, Qualifiers: quals("Key")}}},
		{Name: "Test_MemberOfCollection", Qualifiers: quals("Association"),
			Properties: []cim.Property{
				{Name: "Collection", Type: cim.Reference, RefClass: "Test_Collection", Qualifiers: quals("Key")},
				{Name: "Member", Type: cim.Reference, RefClass: "Test_ManagedElement", Qualifiers: quals("Key")},
			}},
		{Name: "Test_Singleton", Properties: []cim.Property{{Name: "Value", Type: cim.Uint32}},
			Methods: []cim.Method{{Name: "Reset", ReturnType: cim.Uint32}}},
	}
}

// testRepo is a Repository over hand-built classes.
type testRepo struct {
	namespaces []string
	classes    map[string]*cim.Class // lower-case name
	order      []string
	decls      []cim.QualifierDecl
}

func newTestRepo(t testing.TB) *testRepo {
	t.Helper()
	r := &testRepo{namespaces: []string{"root/test", "root/other"}, classes: map[string]*cim.Class{}}
	for _, local := range localClasses() {
		var super *cim.Class
		if local.SuperClass != "" {
			super = r.classes[strings.ToLower(local.SuperClass)]
		}
		eff, err := cim.Derive(super, local, nil)
		if err != nil {
			t.Fatalf("Derive(%s): %v", local.Name, err)
		}
		r.classes[strings.ToLower(local.Name)] = eff
		r.order = append(r.order, local.Name)
	}
	r.decls = []cim.QualifierDecl{
		{Name: "Key", Type: cim.Boolean, Default: cim.NewBool(false), Scope: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.DisableOverride},
		{Name: "Write", Type: cim.Boolean, Default: cim.NewBool(false), Scope: cim.ScopeProperty},
	}
	return r
}

func (r *testRepo) Namespaces() []string { return r.namespaces }

func (r *testRepo) Class(ns, name string) (*cim.Class, bool) {
	if !cim.SameNamespace(ns, testNS) {
		return nil, false
	}
	c, ok := r.classes[strings.ToLower(name)]
	return c, ok
}

func (r *testRepo) SubclassNames(ns, super string, deep bool) []string {
	if !cim.SameNamespace(ns, testNS) {
		return nil
	}
	var out []string
	for _, name := range r.order {
		c := r.classes[strings.ToLower(name)]
		switch {
		case super == "":
			out = append(out, name)
		case deep && !strings.EqualFold(name, super) && r.isa(name, super):
			out = append(out, name)
		case !deep && strings.EqualFold(c.SuperClass, super):
			out = append(out, name)
		}
	}
	return out
}

func (r *testRepo) isa(name, super string) bool {
	for name != "" {
		if strings.EqualFold(name, super) {
			return true
		}
		name = r.classes[strings.ToLower(name)].SuperClass
	}
	return false
}

func (r *testRepo) QualifierDecls(ns string) []cim.QualifierDecl {
	if !cim.SameNamespace(ns, testNS) {
		return nil
	}
	return r.decls
}

// memProvider serves instances held in memory and records the calls that
// change them. It implements InstanceProvider and InstanceModifier.
type memProvider struct {
	mu        sync.Mutex
	insts     []cim.Instance
	modifies  int
	lastMod   cim.Instance
	failEnum  error // returned after the first instance when set
	enumCalls int
}

func (p *memProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) Objects {
	p.mu.Lock()
	p.enumCalls++
	insts := slices.Clone(p.insts)
	fail := p.failEnum
	p.mu.Unlock()
	return func(yield func(Object, error) bool) {
		for i, in := range insts {
			if fail != nil && i == 1 {
				yield(Object{}, fail)
				return
			}
			in = in.Clone()
			if !yield(Object{Instance: &in}, nil) {
				return
			}
		}
	}
}

func (p *memProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := p.find(class, path); i >= 0 {
		in := p.insts[i].Clone()
		return &in, nil
	}
	return nil, cim.Errorf(cim.StatusNotFound, "no instance %s", path)
}

func (p *memProvider) find(class *cim.Class, path cim.ObjectPath) int {
	for i, in := range p.insts {
		ip, err := in.Path(class, path.Namespace)
		if err == nil && strings.EqualFold(in.ClassName, path.ClassName) && ip.Equal(path) {
			return i
		}
	}
	return -1
}

func (p *memProvider) ModifyInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath, inst cim.Instance, propertyList []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.modifies++
	p.lastMod = inst.Clone()
	i := p.find(class, path)
	if i < 0 {
		return cim.Errorf(cim.StatusNotFound, "no instance %s", path)
	}
	for _, pv := range inst.Properties {
		p.insts[i].Set(pv.Name, pv.Value)
	}
	return nil
}

func (p *memProvider) get(t *testing.T, i int, prop string) cim.Value {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	v, _ := p.insts[i].Get(prop)
	return v
}

// setProvider adds the Failover and Ping methods.
type setProvider struct {
	*memProvider
	lastIn []Param
}

func (p *setProvider) InvokeMethod(ctx context.Context, ns string, class *cim.Class, target cim.ObjectPath, m *cim.Method, in []Param) (cim.Value, []Param, error) {
	p.mu.Lock()
	p.lastIn = in
	p.mu.Unlock()
	switch m.Name {
	case "Ping":
		text := ""
		for _, prm := range in {
			if prm.Name == "Text" {
				text = prm.Value.Str()
			}
		}
		return cim.MustUint64(0), []Param{{Name: "Echo", Value: cim.NewString(text)}}, nil
	case "Failover":
		if target.ClassName == "" {
			return cim.Value{}, nil, cim.Errorf(cim.StatusFailed, "no target")
		}
		return cim.MustUint32(0), nil, nil
	}
	return cim.Value{}, nil, errors.New("unexpected method " + m.Name)
}

// creatorProvider adds creation and deletion.
type creatorProvider struct {
	*memProvider
}

func (p *creatorProvider) CreateInstance(ctx context.Context, ns string, class *cim.Class, inst cim.Instance) (cim.ObjectPath, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.insts = append(p.insts, inst.Clone())
	return inst.Path(class, "")
}

func (p *creatorProvider) DeleteInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.find(class, path)
	if i < 0 {
		return cim.Errorf(cim.StatusNotFound, "no instance %s", path)
	}
	p.insts = slices.Delete(p.insts, i, i+1)
	return nil
}

// assocProvider serves an association class from memory.
type assocProvider struct {
	*memProvider
}

func (p *assocProvider) References(ctx context.Context, ns string, assoc *cim.Class, target cim.ObjectPath, role string) Objects {
	p.mu.Lock()
	insts := slices.Clone(p.insts)
	p.mu.Unlock()
	return func(yield func(Object, error) bool) {
		for _, in := range insts {
			if refersLoosely(in, role, target) && !yield(Object{Instance: &in}, nil) {
				return
			}
		}
	}
}

// refersLoosely reports whether a reference of inst (the one named role,
// or any) has target's keys.
func refersLoosely(in cim.Instance, role string, target cim.ObjectPath) bool {
	for _, pv := range in.Properties {
		if role != "" && !strings.EqualFold(pv.Name, role) || pv.Value.Type() != cim.Reference {
			continue
		}
		ref := pv.Value.Ref()
		ref.Namespace, ref.ClassName = target.Namespace, target.ClassName
		if ref.Equal(target) {
			return true
		}
	}
	return false
}

// instancesOnly serves the instances of a memProvider without letting
// clients change them.
type instancesOnly struct{ p *memProvider }

func (o instancesOnly) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) Objects {
	return o.p.EnumerateInstances(ctx, ns, class)
}

func (o instancesOnly) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return o.p.GetInstance(ctx, ns, class, path)
}

// methodOnly serves only methods (Test_Singleton).
type methodOnly struct{}

func (methodOnly) InvokeMethod(ctx context.Context, ns string, class *cim.Class, target cim.ObjectPath, m *cim.Method, in []Param) (cim.Value, []Param, error) {
	return cim.MustUint32(7), nil, nil
}

func setPath(id string) cim.ObjectPath {
	return cim.NewObjectPath(testNS, "Test_RedundancySet", cim.KeyBinding{Name: "InstanceID", Value: cim.NewString(id)})
}

func subSetPath(id string) cim.ObjectPath {
	return cim.NewObjectPath(testNS, "Test_SubSet", cim.KeyBinding{Name: "InstanceID", Value: cim.NewString(id)})
}

func systemPath(name string) cim.ObjectPath {
	return cim.NewObjectPath(testNS, "Test_ComputerSystem",
		cim.KeyBinding{Name: "CreationClassName", Value: cim.NewString("Test_ComputerSystem")},
		cim.KeyBinding{Name: "Name", Value: cim.NewString(name)})
}

func setInstance(id, name string, status uint16) cim.Instance {
	return cim.Instance{ClassName: "Test_RedundancySet", Properties: []cim.PropertyValue{
		{Name: "InstanceID", Value: cim.NewString(id)},
		{Name: "ElementName", Value: cim.NewString(name)},
		{Name: "Caption", Value: cim.NewString("caption of " + name)},
		{Name: "RedundancyStatus", Value: cim.MustUint16(status)},
		{Name: "TypeOfSet", Value: cim.MustUint16Array([]uint16{4})},
		{Name: "MinNumberNeeded", Value: cim.MustUint32(1)},
		{Name: "LoadBalanceAlgorithm", Value: cim.MustUint16(2)},
	}}
}

func systemInstance(name string) cim.Instance {
	return cim.Instance{ClassName: "Test_ComputerSystem", Properties: []cim.PropertyValue{
		{Name: "CreationClassName", Value: cim.NewString("Test_ComputerSystem")},
		{Name: "Name", Value: cim.NewString(name)},
		{Name: "ElementName", Value: cim.NewString(name)},
		{Name: "HealthState", Value: cim.MustUint16(5)},
	}}
}

func memberOf(set, system cim.ObjectPath) cim.Instance {
	return cim.Instance{ClassName: "Test_MemberOfCollection", Properties: []cim.PropertyValue{
		{Name: "Collection", Value: cim.NewReference(set)},
		{Name: "Member", Value: cim.NewReference(system)},
	}}
}

// fixture is a dispatcher over the test schema with its providers.
type fixture struct {
	d       *Dispatcher
	sets    *setProvider
	subsets *creatorProvider
	systems *memProvider
	members *assocProvider
	clock   *fakeClock
}

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	if opts.Clock == nil {
		opts.Clock = clock
	}
	f := &fixture{
		d:     NewDispatcher(newTestRepo(t), opts),
		clock: clock,
		sets: &setProvider{memProvider: &memProvider{insts: []cim.Instance{
			setInstance("redset:web", "web", 2), setInstance("redset:db", "db", 3),
		}}},
		subsets: &creatorProvider{&memProvider{insts: []cim.Instance{subSetInstance("redset:sub")}}},
		systems: &memProvider{insts: []cim.Instance{systemInstance("web-a"), systemInstance("web-b"), systemInstance("db-1")}},
		members: &assocProvider{&memProvider{insts: []cim.Instance{
			memberOf(setPath("redset:web"), systemPath("web-a")),
			memberOf(setPath("redset:web"), systemPath("web-b")),
			memberOf(setPath("redset:db"), systemPath("db-1")),
			memberOf(setPath("redset:db"), systemPath("gone")), // dangling
			memberOf(subSetPath("redset:sub"), systemPath("db-1")),
		}}},
	}
	f.register(t, "Test_RedundancySet", f.sets)
	f.register(t, "Test_SubSet", f.subsets)
	f.register(t, "Test_ComputerSystem", instancesOnly{f.systems})
	f.register(t, "Test_MemberOfCollection", f.members)
	f.register(t, "Test_Singleton", methodOnly{})
	t.Cleanup(f.d.Close)
	return f
}

func subSetInstance(id string) cim.Instance {
	in := setInstance(id, "sub", 2)
	in.ClassName = "Test_SubSet"
	in.Set("Extra", cim.NewString("extra"))
	return in
}

func (f *fixture) register(t testing.TB, class string, p any) {
	t.Helper()
	if err := f.d.Register(testNS, class, p); err != nil {
		t.Fatalf("Register(%s): %v", class, err)
	}
}

// fakeClock is a Clock moved by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// handle runs a request against the fixture.
func (f *fixture) handle(t testing.TB, req *Request) (*Response, error) {
	t.Helper()
	if req.Namespace == "" {
		req.Namespace = testNS
	}
	return f.d.Handle(context.Background(), req)
}

// collect drains an Objects sequence.
func collect(objs Objects) ([]Object, error) {
	var out []Object
	for o, err := range objs {
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}

// wantStatus fails unless err has status want (StatusOK: err is nil) and,
// for errors, a message containing every fragment.
func wantStatus(t *testing.T, err error, want cim.Status, fragments ...string) {
	t.Helper()
	if got := cim.StatusOf(err); got != want {
		t.Fatalf("status = %v (err %v), want %v", got, err, want)
	}
	if err == nil {
		return
	}
	var ce *cim.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not a *cim.Error", err)
	}
	for _, frag := range fragments {
		if !strings.Contains(ce.Message, frag) {
			t.Errorf("message %q does not contain %q", ce.Message, frag)
		}
	}
}

// pathStrings returns the paths of objs as strings.
func pathStrings(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Path.String())
	}
	return out
}

func propNames(in *cim.Instance) []string {
	if in == nil {
		return nil
	}
	var out []string
	for _, p := range in.Properties {
		out = append(out, p.Name)
	}
	return out
}
