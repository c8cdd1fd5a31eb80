package indication

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/mof"
	"github.com/redset/redset/schema"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
)

const interop = "root/interop"

// registryHub records what the registry gives it.
type registryHub struct {
	mu   sync.Mutex
	subs map[string]Subscription
	puts int
}

func newRegistryHub() *registryHub { return &registryHub{subs: map[string]Subscription{}} }

func (h *registryHub) Put(s Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[s.ID] = s
	h.puts++
}

func (h *registryHub) Remove(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, id)
}

func (h *registryHub) held() []Subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Subscription, 0, len(h.subs))
	for _, s := range h.subs {
		out = append(out, s)
	}
	return out
}

// registryClock is a clock moved by hand (the registry's and
// WSEventing's tests).
type registryClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *registryClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *registryClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a dispatcher over redset's schema with the subscription
// providers, on a bolt store in a temporary directory.
type fixture struct {
	d     *cimom.Dispatcher
	reg   *Registry
	hub   *registryHub
	st    store.Store
	clock *registryClock
	path  string
	audit *lockedBuffer
}

// lockedBuffer is a buffer the audit logger writes to from any goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type fixtureOptions struct {
	maxPerUser int
	path       string // the store file; default a new one
	leading    func() bool
}

func newFixture(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	if o.path == "" {
		o.path = filepath.Join(t.TempDir(), "redset.db")
	}
	st, err := bolt.Open(o.path, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	repo := mof.NewRepository()
	if err := mof.LoadNamespaces(repo, schema.FS, schema.Namespaces); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, hub: newRegistryHub(), clock: &registryClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, path: o.path, audit: &lockedBuffer{}}
	f.d = cimom.NewDispatcher(repo, cimom.Options{})
	t.Cleanup(f.d.Close)
	f.reg = NewRegistry(RegistryOptions{Store: st, Hub: f.hub, MaxPerUser: o.maxPerUser, Now: f.clock.Now, Leading: o.leading,
		Audit: slog.New(slog.NewJSONHandler(f.audit, nil))})
	if err := f.reg.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := Register(f.d, interop, ProviderOptions{Registry: f.reg, Classes: repo, SystemName: "host1",
		Service: ServiceSettings{DeliveryRetryAttempts: 3, DeliveryRetryInterval: 10 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// as is a context whose caller is user with role.
func as(user, role string) context.Context {
	return cimom.WithPrincipal(context.Background(), cimom.Principal{User: user, Role: role})
}

var (
	admin = as("admin", "admin")
	alice = as("alice", "operator")
	bob   = as("bob", "operator")
)

func (f *fixture) handle(ctx context.Context, req *cimom.Request) (*cimom.Response, error) {
	if req.Namespace == "" {
		req.Namespace = interop
	}
	return f.d.Handle(ctx, req)
}

func (f *fixture) create(ctx context.Context, inst cim.Instance) (cim.ObjectPath, error) {
	resp, err := f.handle(ctx, &cimom.Request{Op: cimom.CreateInstance, Instance: &inst})
	if err != nil {
		return cim.ObjectPath{}, err
	}
	return resp.Instance.Path, nil
}

func (f *fixture) mustCreate(t *testing.T, ctx context.Context, inst cim.Instance) cim.ObjectPath {
	t.Helper()
	p, err := f.create(ctx, inst)
	if err != nil {
		t.Fatalf("creating %s: %v", inst.ClassName, err)
	}
	return p
}

func (f *fixture) delete(ctx context.Context, p cim.ObjectPath) error {
	_, err := f.handle(ctx, &cimom.Request{Op: cimom.DeleteInstance, ObjectName: p})
	return err
}

// names enumerates the instance paths of class that ctx's caller sees.
func (f *fixture) names(t *testing.T, ctx context.Context, class string) []string {
	t.Helper()
	resp, err := f.handle(ctx, &cimom.Request{Op: cimom.EnumerateInstanceNames, ClassName: class})
	if err != nil {
		t.Fatalf("enumerating %s: %v", class, err)
	}
	var out []string
	for o, err := range resp.Objects {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o.Path.String())
	}
	return out
}

func props(class string, kv ...any) cim.Instance {
	in := cim.Instance{ClassName: class}
	for i := 0; i < len(kv); i += 2 {
		in.Set(kv[i].(string), kv[i+1].(cim.Value))
	}
	return in
}

func filterInst(name, query string) cim.Instance {
	return props(ClassFilter, "Name", cim.NewString(name), "Query", cim.NewString(query), "QueryLanguage", cim.NewString("WQL"))
}

func destInst(name, url string) cim.Instance {
	return props(ClassDestinationXML, "Name", cim.NewString(name), "Destination", cim.NewString(url))
}

func subInst(filter, dest cim.ObjectPath, kv ...any) cim.Instance {
	return props(ClassSubscription, append([]any{"Filter", cim.NewReference(filter), "Handler", cim.NewReference(dest)}, kv...)...)
}

const failoverQuery = "SELECT * FROM Msvm_FailoverIndication"

// wantStatus fails unless err is a CIM error of status whose message
// holds fragment.
func wantStatus(t *testing.T, err error, status cim.Status, fragment string) {
	t.Helper()
	if status == cim.StatusOK {
		if err != nil {
			t.Fatalf("got %v, want success", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got success, want %s", status)
	}
	if got := cim.StatusOf(err); got != status || !strings.Contains(err.Error(), fragment) {
		t.Fatalf("got %v (%s), want %s with %q", err, got, status, fragment)
	}
}
