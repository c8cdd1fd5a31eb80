package indication

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

func TestCreateFilterRefused(t *testing.T) {
	long := "SELECT * FROM Msvm_FailoverIndication WHERE " + strings.Repeat("FailoverType = 1 OR ", 5000) + "FailoverType = 2"
	tests := []struct {
		name     string
		inst     cim.Instance
		status   cim.Status
		fragment string
	}{
		{"created", filterInst("f", failoverQuery), cim.StatusOK, ""},
		{"CQL", props(ClassFilter, "Name", cim.NewString("f"), "Query", cim.NewString(failoverQuery), "QueryLanguage", cim.NewString("DMTF:CQL")), cim.StatusOK, ""},
		{"lifecycle class", filterInst("f", "SELECT * FROM CIM_InstModification"), cim.StatusOK, ""},
		{"embedded property paths", filterInst("f", "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA Msvm_RedundancySet AND "+
			"SourceInstance.RedundancyStatus <> PreviousInstance.RedundancyStatus"), cim.StatusOK, ""},
		{"path through a property that embeds nothing", filterInst("f", failoverQuery+" WHERE FailoverType.X = 1"), cim.StatusInvalidQuery, "FailoverType"},
		{"no name", props(ClassFilter, "Query", cim.NewString(failoverQuery), "QueryLanguage", cim.NewString("WQL")), cim.StatusInvalidParameter, "Name"},
		{"no query", props(ClassFilter, "Name", cim.NewString("f"), "QueryLanguage", cim.NewString("WQL")), cim.StatusInvalidParameter, "Query"},
		{"query does not parse", filterInst("f", "SELECT FROM WHERE"), cim.StatusInvalidQuery, "wql"},
		{"query 100,000 characters long", filterInst("f", long), cim.StatusInvalidQuery, "limit"},
		{"language", props(ClassFilter, "Name", cim.NewString("f"), "Query", cim.NewString(failoverQuery), "QueryLanguage", cim.NewString("XPath")), cim.StatusQueryLanguageNotSupported, "XPath"},
		{"not an indication class", filterInst("f", "SELECT * FROM Msvm_RedundancySet"), cim.StatusInvalidQuery, "not an indication class"},
		{"no such class", filterInst("f", "SELECT * FROM Nope_Indication"), cim.StatusInvalidQuery, "Nope_Indication"},
		{"class not in the source namespace", props(ClassFilter, "Name", cim.NewString("f"), "Query", cim.NewString(failoverQuery),
			"QueryLanguage", cim.NewString("WQL"), "SourceNamespaces", cim.NewStringArray([]string{interop})), cim.StatusInvalidQuery, "root/interop"},
		{"namespace not served", props(ClassFilter, "Name", cim.NewString("f"), "Query", cim.NewString(failoverQuery),
			"QueryLanguage", cim.NewString("WQL"), "SourceNamespace", cim.NewString("root/cimv2")), cim.StatusInvalidParameter, "root/cimv2"},
		{"no such property", filterInst("f", failoverQuery+" WHERE Nope = 1"), cim.StatusInvalidQuery, "Nope"},
		{"another class's name", props(ClassFilter, "Name", cim.NewString("f"), "Query", cim.NewString(failoverQuery),
			"QueryLanguage", cim.NewString("WQL"), "CreationClassName", cim.NewString("CIM_Other")), cim.StatusInvalidParameter, "CreationClassName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			p, err := f.create(alice, tt.inst)
			wantStatus(t, err, tt.status, tt.fragment)
			got := f.names(t, admin, ClassFilter)
			if err != nil {
				if len(got) != 0 {
					t.Errorf("a refused filter left %v", got)
				}
				return
			}
			want := `/root/interop:CIM_IndicationFilter.CreationClassName="CIM_IndicationFilter",Name="f",SystemCreationClassName="CIM_ComputerSystem",SystemName="host1"`
			if p.String() != want || !slices.Equal(got, []string{want}) {
				t.Errorf("path %s, enumerated %v; want %s", p, got, want)
			}
		})
	}
}

func TestCreateDestinationRefused(t *testing.T) {
	tests := []struct {
		name, url string
		status    cim.Status
		fragment  string
	}{
		{"http", "http://listener.example:5990/cimlistener", cim.StatusOK, ""},
		{"https", "https://10.1.2.3/", cim.StatusOK, ""},
		{"loopback written plainly", "http://127.0.0.1:5990", cim.StatusOK, ""},
		{"IPv6 loopback", "http://[::1]:5990/", cim.StatusOK, ""},
		{"empty", "", cim.StatusInvalidParameter, "URL"},
		{"relative", "/listener", cim.StatusInvalidParameter, "absolute"},
		{"file", "file:///etc/passwd", cim.StatusInvalidParameter, "http"},
		{"gopher", "gopher://127.0.0.1:70/", cim.StatusInvalidParameter, "http"},
		{"no host", "http:///path", cim.StatusInvalidParameter, "no host"},
		{"credentials", "http://u:p@listener.example/", cim.StatusInvalidParameter, "password"},
		{"fragment", "http://listener.example/#x", cim.StatusInvalidParameter, "fragment"},
		{"space", "http://listener.example/a b", cim.StatusInvalidParameter, "spaces"},
		{"port", "http://listener.example:99999/", cim.StatusInvalidParameter, "port"},
		{"unspecified", "http://0.0.0.0:5990/", cim.StatusInvalidParameter, "unspecified"},
		{"IPv6 unspecified", "http://[::]:5990/", cim.StatusInvalidParameter, "unspecified"},
		{"mapped", "http://[::ffff:127.0.0.1]:5990/", cim.StatusInvalidParameter, "IPv4-mapped"},
		{"zone", "http://[fe80::1%25eth0]:5990/", cim.StatusInvalidParameter, "zone"},
		{"short form", "http://127.1:5990/", cim.StatusInvalidParameter, "numeric form"},
		{"whole number", "http://2130706433:5990/", cim.StatusInvalidParameter, "numeric form"},
		{"hexadecimal", "http://0x7f000001/", cim.StatusInvalidParameter, "numeric form"},
		{"octal", "http://0177.0.0.1/", cim.StatusInvalidParameter, "numeric form"},
		{"multicast", "http://224.0.0.1/", cim.StatusInvalidParameter, "multicast"},
		{"too long", "http://listener.example/" + strings.Repeat("a", 3000), cim.StatusInvalidParameter, "2048"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			_, err := f.create(alice, destInst("d", tt.url))
			wantStatus(t, err, tt.status, tt.fragment)
			if n := len(f.names(t, admin, ClassDestinationXML)); (err == nil) != (n == 1) {
				t.Errorf("%d destinations after %v", n, err)
			}
		})
	}
}

func TestCreateDestinationOtherProtocol(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	in := destInst("d", "http://listener.example/")
	in.Set("Protocol", cim.MustUint16(4))
	_, err := f.create(alice, in)
	wantStatus(t, err, cim.StatusInvalidParameter, "Protocol")
}

func TestDestinationNameMadeUp(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p := f.mustCreate(t, alice, props(ClassDestinationXML, "Destination", cim.NewString("http://listener.example/")))
	name, _ := p.Key("Name")
	if !strings.HasPrefix(name.Str(), "redset:") {
		t.Errorf("made-up name %q, want redset:...", name.Str())
	}
}

func TestCreateSubscriptionRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	fp := f.mustCreate(t, alice, filterInst("f", failoverQuery))
	dp := f.mustCreate(t, alice, destInst("d", "http://listener.example/"))
	bobs := f.mustCreate(t, bob, filterInst("bobs", failoverQuery))
	missing := keysPath(interop, Keys{SystemCreationClassName: systemClass, SystemName: "host1", CreationClassName: ClassFilter, Name: "nope"})
	tests := []struct {
		name     string
		inst     cim.Instance
		status   cim.Status
		fragment string
	}{
		{"missing filter", subInst(missing, dp), cim.StatusInvalidParameter, "Filter"},
		{"missing handler", subInst(fp, keysPath(interop, Keys{Name: "nope", CreationClassName: ClassDestinationXML})), cim.StatusInvalidParameter, "Handler"},
		{"another user's filter", subInst(bobs, dp), cim.StatusInvalidParameter, "Filter"},
		{"other namespace", subInst(fp.WithNamespace("root/hypervcluster/v2"), dp), cim.StatusInvalidParameter, "namespace"},
		{"state", subInst(fp, dp, "SubscriptionState", cim.MustUint16(3)), cim.StatusInvalidParameter, "SubscriptionState"},
		{"repeat policy", subInst(fp, dp, "RepeatNotificationPolicy", cim.MustUint16(3)), cim.StatusNotSupported, "RepeatNotificationPolicy"},
		{"duration", subInst(fp, dp, "SubscriptionDuration", cim.MustUint64(1<<62)), cim.StatusInvalidParameter, "SubscriptionDuration"},
		{"policy out of the value map", subInst(fp, dp, "OnFatalErrorPolicy", cim.MustUint16(9)), cim.StatusInvalidParameter, "OnFatalErrorPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.create(alice, tt.inst)
			wantStatus(t, err, tt.status, tt.fragment)
			if got := f.names(t, admin, ClassSubscription); len(got) != 0 {
				t.Errorf("a refused subscription left %v", got)
			}
		})
	}
	t.Run("already exists", func(t *testing.T) {
		f.mustCreate(t, alice, subInst(fp, dp))
		_, err := f.create(alice, subInst(fp, dp))
		wantStatus(t, err, cim.StatusAlreadyExists, "already exists")
		_, err = f.create(alice, filterInst("f", failoverQuery))
		wantStatus(t, err, cim.StatusAlreadyExists, "already exists")
		_, err = f.create(alice, destInst("d", "http://other.example/"))
		wantStatus(t, err, cim.StatusAlreadyExists, "already exists")
	})
	t.Run("in use", func(t *testing.T) {
		wantStatus(t, f.delete(alice, fp), cim.StatusFailed, "used by a subscription")
		wantStatus(t, f.delete(alice, dp), cim.StatusFailed, "used by a subscription")
	})
}

// A subscription reaches the hub as the hub's Subscription, and leaves it
// when disabled or deleted.
func TestSubscriptionToHub(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	fp := f.mustCreate(t, alice, filterInst("f", failoverQuery))
	dp := f.mustCreate(t, alice, destInst("d", "http://listener.example:5990/"))
	sp := f.mustCreate(t, alice, subInst(fp, dp, "OnFatalErrorPolicy", cim.MustUint16(3)))
	held := f.hub.held()
	if len(held) != 1 {
		t.Fatalf("hub holds %d subscriptions, want 1", len(held))
	}
	s := held[0]
	if s.Owner != "alice" || s.Filter.Name != "f" || s.Filter.Query.ClassName() != "Msvm_FailoverIndication" ||
		s.Destination.Address != "http://listener.example:5990/" || s.Destination.Protocol != ProtocolCIMXML ||
		s.OnFatalError != PolicyDisable || !strings.HasPrefix(s.SequenceContext, "redset:") ||
		!slices.Equal(s.Filter.SourceNamespaces, []string{"root/hypervcluster/v2"}) || !s.Expires.IsZero() {
		t.Errorf("hub got %+v", s)
	}
	modify(t, f, alice, sp, "SubscriptionState", cim.MustUint16(StateDisabled))
	if held := f.hub.held(); len(held) != 1 || !held[0].Disabled || held[0].ID != s.ID {
		t.Errorf("a disabled subscription is in the hub as %+v, want it kept, marked Disabled", held)
	}
	got := get(t, f, alice, sp)
	if v, _ := got.Get("SubscriptionState"); v.Uint() != uint64(StateDisabled) {
		t.Errorf("SubscriptionState = %v, want 4", v)
	}
	modify(t, f, alice, sp, "SubscriptionState", cim.MustUint16(StateEnabled))
	if held := f.hub.held(); len(held) != 1 || held[0].SequenceContext != s.SequenceContext || held[0].ID != s.ID || held[0].Disabled {
		t.Errorf("enabled again: hub holds %+v, want the same ID and SequenceContext", held)
	}
	if err := f.delete(alice, sp); err != nil {
		t.Fatal(err)
	}
	if n := len(f.hub.held()); n != 0 {
		t.Errorf("a deleted subscription is still in the hub (%d)", n)
	}
	if err := f.delete(alice, fp); err != nil {
		t.Errorf("deleting the unused filter: %v", err)
	}
}

func modify(t *testing.T, f *fixture, ctx context.Context, p cim.ObjectPath, name string, v cim.Value) {
	t.Helper()
	in := cim.Instance{ClassName: ClassSubscription}
	in.Set(name, v)
	_, err := f.handle(ctx, &cimom.Request{Op: cimom.ModifyInstance, ObjectName: p, Instance: &in, PropertyList: []string{name}})
	if err != nil {
		t.Fatalf("modifying %s: %v", name, err)
	}
}

func get(t *testing.T, f *fixture, ctx context.Context, p cim.ObjectPath) *cim.Instance {
	t.Helper()
	resp, err := f.handle(ctx, &cimom.Request{Op: cimom.GetInstance, ObjectName: p})
	if err != nil {
		t.Fatalf("getting %s: %v", p, err)
	}
	return resp.Instance.Instance
}

func TestOwnership(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	afp := f.mustCreate(t, alice, filterInst("alice-f", failoverQuery))
	adp := f.mustCreate(t, alice, destInst("alice-d", "http://listener.example/"))
	asp := f.mustCreate(t, alice, subInst(afp, adp))
	bfp := f.mustCreate(t, bob, filterInst("bob-f", failoverQuery))
	for _, class := range []string{ClassFilter, ClassDestinationXML, ClassSubscription} {
		a, b, all := f.names(t, alice, class), f.names(t, bob, class), f.names(t, admin, class)
		if strings.Contains(strings.Join(a, " "), "bob-") || strings.Contains(strings.Join(b, " "), "alice-") {
			t.Errorf("%s: alice sees %v, bob sees %v: each must see their own only", class, a, b)
		}
		if len(all) != len(a)+len(b) {
			t.Errorf("%s: admin sees %d, want alice's %d and bob's %d", class, len(all), len(a), len(b))
		}
	}
	for _, p := range []cim.ObjectPath{afp, adp, asp} {
		_, err := f.handle(bob, &cimom.Request{Op: cimom.GetInstance, ObjectName: p})
		wantStatus(t, err, cim.StatusNotFound, "")
		wantStatus(t, f.delete(bob, p), cim.StatusNotFound, "")
	}
	if _, err := f.create(bob, subInst(afp, adp)); cim.StatusOf(err) != cim.StatusInvalidParameter {
		t.Errorf("bob joining alice's filter and destination: %v, want CIM_ERR_INVALID_PARAMETER", err)
	}
	// Associators show only what the caller may see.
	if refs := references(t, f, bob, afp); len(refs) != 0 {
		t.Errorf("bob sees references of alice's filter: %v", refs)
	}
	if refs := references(t, f, alice, afp); len(refs) != 1 {
		t.Errorf("alice sees %d references of her filter, want 1", len(refs))
	}
	// An admin deletes anyone's.
	for _, p := range []cim.ObjectPath{asp, afp, adp, bfp} {
		if err := f.delete(admin, p); err != nil {
			t.Errorf("admin deleting %s: %v", p, err)
		}
	}
}

func references(t *testing.T, f *fixture, ctx context.Context, target cim.ObjectPath) []string {
	t.Helper()
	resp, err := f.handle(ctx, &cimom.Request{Op: cimom.ReferenceNames, ObjectName: target, ResultClass: ClassSubscription})
	if err != nil {
		t.Fatalf("references of %s: %v", target, err)
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

func TestAssociators(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	fp := f.mustCreate(t, alice, filterInst("f", failoverQuery))
	dp := f.mustCreate(t, alice, destInst("d", "http://listener.example/"))
	f.mustCreate(t, alice, subInst(fp, dp))
	resp, err := f.handle(alice, &cimom.Request{Op: cimom.AssociatorNames, ObjectName: fp, AssocClass: ClassSubscription})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for o, err := range resp.Objects {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Path.String())
	}
	if len(got) != 1 || !strings.Contains(got[0], `CIM_ListenerDestinationCIMXML`) || !strings.Contains(got[0], `Name="d"`) {
		t.Errorf("associators of the filter: %v, want the destination d", got)
	}
}

func TestPerUserLimit(t *testing.T) {
	f := newFixture(t, fixtureOptions{maxPerUser: 2})
	for _, name := range []string{"f1", "f2"} {
		f.mustCreate(t, alice, filterInst(name, failoverQuery))
	}
	_, err := f.create(alice, filterInst("f3", failoverQuery))
	wantStatus(t, err, cim.StatusFailed, "limit reached")
	f.mustCreate(t, bob, filterInst("b1", failoverQuery)) // bob has his own count
	if n := len(f.names(t, admin, ClassFilter)); n != 3 {
		t.Errorf("%d filters, want 3", n)
	}
	caps := get(t, f, admin, cim.NewObjectPath(interop, ClassCapabilities, cim.KeyBinding{Name: "InstanceID", Value: cim.NewString(capabilitiesID)}))
	if v, _ := caps.Get("MaxActiveSubscriptions"); v.Uint() != 2 {
		t.Errorf("MaxActiveSubscriptions = %v, want 2", v)
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	fp := f.mustCreate(t, alice, filterInst("f", failoverQuery))
	dp := f.mustCreate(t, alice, destInst("d", "http://listener.example/"))
	sp := f.mustCreate(t, alice, subInst(fp, dp, "SubscriptionDuration", cim.MustUint64(60)))
	if held := f.hub.held(); len(held) != 1 || !held[0].Expires.Equal(f.clock.Now().Add(time.Minute)) {
		t.Fatalf("hub holds %+v, want one subscription expiring in a minute", held)
	}
	f.clock.Advance(45 * time.Second)
	if v, _ := get(t, f, alice, sp).Get("SubscriptionTimeRemaining"); v.Uint() != 15 {
		t.Errorf("SubscriptionTimeRemaining = %v, want 15", v)
	}
	if err := f.reg.Expire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.names(t, admin, ClassSubscription)) != 1 {
		t.Fatal("expired too early")
	}
	modify(t, f, alice, sp, "SubscriptionDuration", cim.MustUint64(120)) // counted from the start: 75 s left
	if v, _ := get(t, f, alice, sp).Get("SubscriptionTimeRemaining"); v.Uint() != 75 {
		t.Errorf("after a longer duration SubscriptionTimeRemaining = %v, want 75", v)
	}
	modify(t, f, alice, sp, "SubscriptionDuration", cim.MustUint64(60))
	f.clock.Advance(15 * time.Second)
	if err := f.reg.Expire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.names(t, admin, ClassSubscription); len(got) != 0 || len(f.hub.held()) != 0 {
		t.Errorf("after its duration the subscription remains: %v, hub %d", got, len(f.hub.held()))
	}
}

func TestEndSubscription(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	fp := f.mustCreate(t, alice, filterInst("f", failoverQuery))
	dp := f.mustCreate(t, alice, destInst("d", "http://listener.example/"))
	sp := f.mustCreate(t, alice, subInst(fp, dp))
	id := f.hub.held()[0].ID
	if err := f.reg.EndSubscription(context.Background(), id, true); err != nil {
		t.Fatal(err)
	}
	if v, _ := get(t, f, alice, sp).Get("SubscriptionState"); v.Uint() != uint64(StateDisabled) || len(f.hub.held()) != 1 || !f.hub.held()[0].Disabled {
		t.Errorf("disabled by policy: state %v, hub %+v", v, f.hub.held())
	}
	if err := f.reg.EndSubscription(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}
	if got := f.names(t, admin, ClassSubscription); len(got) != 0 {
		t.Errorf("removed by policy, yet %v", got)
	}
	if err := f.reg.EndSubscription(context.Background(), "unknown", false); err != nil {
		t.Errorf("ending an unknown ID: %v", err)
	}
}

func TestDeleteSubscriptionByID(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	fp := f.mustCreate(t, alice, filterInst("f", failoverQuery))
	dp := f.mustCreate(t, alice, destInst("d", "http://listener.example/"))
	f.mustCreate(t, alice, subInst(fp, dp))
	id := f.hub.held()[0].ID
	err := f.reg.DeleteSubscriptionByID(context.Background(), Caller{User: "bob"}, id)
	wantStatus(t, err, cim.StatusNotFound, "")
	if err := f.reg.DeleteSubscriptionByID(context.Background(), Caller{User: "alice"}, id); err != nil {
		t.Fatal(err)
	}
	if got := f.names(t, admin, ClassSubscription); len(got) != 0 || len(f.hub.held()) != 0 {
		t.Errorf("after the delete: %v, hub %d", got, len(f.hub.held()))
	}
}

// The objects survive the store being closed and opened again, with the
// same subscription ID and SequenceContext.
func TestRestartKeepsObjects(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	fp := f.mustCreate(t, alice, filterInst("f", failoverQuery))
	dp := f.mustCreate(t, alice, destInst("d", "http://listener.example/"))
	f.mustCreate(t, alice, subInst(fp, dp))
	before := f.hub.held()[0]
	f.d.Close()
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	g := newFixture(t, fixtureOptions{path: f.path})
	for _, class := range []string{ClassFilter, ClassDestinationXML, ClassSubscription} {
		if n := len(g.names(t, alice, class)); n != 1 {
			t.Errorf("%s: %d after the restart, want 1", class, n)
		}
	}
	held := g.hub.held()
	if len(held) != 1 || held[0].ID != before.ID || held[0].SequenceContext != before.SequenceContext || held[0].Owner != "alice" {
		t.Errorf("after the restart the hub holds %+v, want %+v", held, before)
	}
}

// A server that does not lead refuses changes and still reads.
func TestFollowerRefusesWrites(t *testing.T) {
	f := newFixture(t, fixtureOptions{leading: func() bool { return false }})
	_, err := f.create(alice, filterInst("f", failoverQuery))
	wantStatus(t, err, cim.StatusFailed, "does not lead")
	if got := f.names(t, alice, ClassFilter); len(got) != 0 {
		t.Errorf("a follower stored %v", got)
	}
}

// Changes made through another server reach this one through the store.
func TestFollowSeesOtherServers(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	other := NewRegistry(RegistryOptions{Store: f.st, Hub: newRegistryHub(), Now: f.clock.Now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.reg.Follow(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	c := Caller{User: "alice"}
	if err := other.AddFilter(context.Background(), c, FilterRecord{Keys: Keys{Name: "f", CreationClassName: ClassFilter}, Query: failoverQuery, QueryLanguage: "WQL"}); err != nil {
		t.Fatal(err)
	}
	if err := other.AddDestination(context.Background(), c, DestinationRecord{Keys: Keys{Name: "d", CreationClassName: ClassDestinationXML}, Destination: "http://listener.example/", Protocol: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.AddSubscription(context.Background(), c, SubscriptionRecord{Filter: Keys{Name: "f"}, Handler: Keys{Name: "d"}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(f.hub.held()) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the subscription made through another registry never reached this one's hub")
		}
		<-time.After(10 * time.Millisecond) // poll until the deadline
	}
}

func TestAudit(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := cimom.WithPrincipal(context.Background(), cimom.Principal{User: "alice", Role: "operator", Address: "127.0.0.1:4000", Protocol: "cimxml"})
	f.mustCreate(t, ctx, filterInst("audited", failoverQuery))
	_, err := f.create(ctx, filterInst("audited", failoverQuery))
	wantStatus(t, err, cim.StatusAlreadyExists, "")
	_, err = f.create(ctx, filterInst("audited", "SELECT * FROM"))
	wantStatus(t, err, cim.StatusInvalidQuery, "")
	lines := strings.Split(strings.TrimSpace(f.audit.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("audit lines: %q, want 3", lines)
	}
	for i, want := range []string{`"outcome":"ok"`, `"outcome":"refused"`, `"kind":"CIM_ERR_INVALID_QUERY"`} {
		for _, frag := range []string{`"msg":"audit"`, `"action":"indication filter created"`, `"object":"audited"`, `"user":"alice"`,
			`"address":"127.0.0.1:4000"`, `"protocol":"cimxml"`, want} {
			if !strings.Contains(lines[i], frag) {
				t.Errorf("audit line %d %s lacks %s", i, lines[i], frag)
			}
		}
	}
}
