package indication

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/store"
	"github.com/redset/redset/wql"
)

// The registry keeps the CIM subscription objects of root/interop —
// filters, listener destinations and the subscriptions joining them —
// durably in the store, one JSON record a key:
//
//	indication/filter/NAME
//	indication/destination/NAME
//	indication/subscription/FILTER/HANDLER   (names path-escaped)
//
// Every server of a cluster loads them at start and follows the store's
// changes, so each knows every subscription; only the leader writes. Each
// enabled subscription whose filter and destination exist and that has
// not expired is handed to the hub (Put; a disabled one marked Disabled,
// which keeps its sequence); the others are taken back (Remove).

// Store key prefixes of the registry's records.
const (
	filterPrefix       = "indication/filter/"
	destinationPrefix  = "indication/destination/"
	subscriptionPrefix = "indication/subscription/"
)

// DefaultMaxPerUser is how many filters, destinations and subscriptions
// (each kind counted apart) one user may own unless configured otherwise.
const DefaultMaxPerUser = 100

// SubscriptionState values (CIM_AbstractIndicationSubscription).
const (
	StateEnabled  uint16 = 2
	StateDisabled uint16 = 4
)

// ProtocolCIMXML is Destination.Protocol of CIM-XML listeners, the key of
// their Sender.
const ProtocolCIMXML = "cimxml"

// SubscriptionHub is what the registry needs of the hub: it adds or
// replaces a subscription by its ID, and removes one.
type SubscriptionHub interface {
	Put(Subscription)
	Remove(id string)
}

// RegistryOptions configures NewRegistry.
type RegistryOptions struct {
	Store store.Store
	Hub   SubscriptionHub // nil: subscriptions are kept but delivered nowhere
	// Leading reports whether this server may write (it leads its
	// cluster); nil: always.
	Leading func() bool
	// MaxPerUser bounds the filters, destinations and subscriptions one
	// user owns, each kind apart; 0: DefaultMaxPerUser.
	MaxPerUser int
	// DefaultNamespace is where a filter's query is evaluated when it
	// names no source namespace; default root/hypervcluster/v2.
	DefaultNamespace string
	Now              func() time.Time // default time.Now
	Logger           *slog.Logger
	// Audit receives a line for every change of a subscription object and
	// every refused one (see audit); nil: none.
	Audit *slog.Logger
}

// Keys are the four keys a filter or a destination is named by.
type Keys struct {
	SystemCreationClassName string `json:"systemCreationClassName"`
	SystemName              string `json:"systemName"`
	CreationClassName       string `json:"creationClassName"`
	Name                    string `json:"name"`
}

// same reports whether the keys o asks for name the object k: Name
// exactly, class and system names without regard to case; a key o
// leaves empty matches any (a reference may give the name alone).
func (k Keys) same(o Keys) bool {
	fold := func(a, b string) bool { return b == "" || strings.EqualFold(a, b) }
	return k.Name == o.Name && fold(k.SystemCreationClassName, o.SystemCreationClassName) &&
		fold(k.SystemName, o.SystemName) && fold(k.CreationClassName, o.CreationClassName)
}

// Element holds the CIM_ManagedElement properties a client may set.
type Element struct {
	Caption     string `json:"caption,omitempty"`
	Description string `json:"description,omitempty"`
	ElementName string `json:"elementName,omitempty"`
}

// FilterRecord is a stored CIM_IndicationFilter.
type FilterRecord struct {
	Keys
	Element
	Owner            string    `json:"owner"`
	Query            string    `json:"query"`
	QueryLanguage    string    `json:"queryLanguage"`
	SourceNamespace  string    `json:"sourceNamespace,omitempty"`
	SourceNamespaces []string  `json:"sourceNamespaces,omitempty"`
	Individual       bool      `json:"individualSubscriptionSupported"`
	Created          time.Time `json:"created"`
}

// DestinationRecord is a stored CIM_ListenerDestinationCIMXML.
type DestinationRecord struct {
	Keys
	Element
	Owner                string    `json:"owner"`
	Destination          string    `json:"destination"`
	PersistenceType      uint16    `json:"persistenceType,omitempty"`
	OtherPersistenceType string    `json:"otherPersistenceType,omitempty"`
	Protocol             uint16    `json:"protocol"`
	OtherProtocol        string    `json:"otherProtocol,omitempty"`
	Created              time.Time `json:"created"`
}

// SubscriptionRecord is a stored CIM_IndicationSubscription.
type SubscriptionRecord struct {
	// ID names the subscription to the hub; made at creation, it never
	// changes. SequenceContext is made from it.
	ID              string `json:"id"`
	SequenceContext string `json:"sequenceContext"`
	Owner           string `json:"owner"`
	Filter          Keys   `json:"filter"`
	Handler         Keys   `json:"handler"`

	OnFatalErrorPolicy         uint16    `json:"onFatalErrorPolicy,omitempty"`
	OtherOnFatalErrorPolicy    string    `json:"otherOnFatalErrorPolicy,omitempty"`
	FailureTriggerTimeInterval *uint64   `json:"failureTriggerTimeInterval,omitempty"`
	State                      uint16    `json:"state"`
	OtherState                 string    `json:"otherState,omitempty"`
	StateChanged               time.Time `json:"stateChanged"`
	Duration                   uint64    `json:"duration,omitempty"` // seconds; 0: never expires
	Start                      time.Time `json:"start"`
	Info                       string    `json:"info,omitempty"`
}

// Expires is when the subscription ends; zero when it does not.
func (s SubscriptionRecord) Expires() time.Time {
	if s.Duration == 0 {
		return time.Time{}
	}
	return s.Start.Add(time.Duration(s.Duration) * time.Second)
}

// Remaining is how much of its duration is left at now (0 once it has
// expired), and false when it never expires.
func (s SubscriptionRecord) Remaining(now time.Time) (time.Duration, bool) {
	exp := s.Expires()
	if exp.IsZero() {
		return 0, false
	}
	return max(exp.Sub(now), 0), true
}

// Caller is who asks: admins see and change every object, other users
// only their own.
type Caller struct {
	User  string
	Admin bool
}

// CallerFrom is the caller of a CIM operation (cimom.PrincipalFrom); a
// context without one is the server itself, which sees everything.
func CallerFrom(ctx context.Context) Caller {
	p, ok := cimom.PrincipalFrom(ctx)
	if !ok {
		return Caller{Admin: true}
	}
	return Caller{User: p.User, Admin: p.Role == "admin"}
}

// sees reports whether c may see, use and delete what owner made.
func (c Caller) sees(owner string) bool { return c.Admin || c.User == owner }

// Registry holds the subscription objects. Its methods are safe for
// concurrent use.
type Registry struct {
	o     RegistryOptions
	log   *slog.Logger
	write sync.Mutex // one change at a time, from check to commit

	mu      sync.RWMutex
	filters map[string]FilterRecord       // by Name
	dests   map[string]DestinationRecord  // by Name
	subs    map[string]SubscriptionRecord // by store key

	hubMu sync.Mutex        // held while the hub is brought in line
	given map[string]string // what the hub holds: id -> fingerprint
}

// NewRegistry makes an empty registry; Load reads the store.
func NewRegistry(o RegistryOptions) *Registry {
	o.MaxPerUser = cmp.Or(o.MaxPerUser, DefaultMaxPerUser)
	o.DefaultNamespace = cmp.Or(o.DefaultNamespace, "root/hypervcluster/v2")
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Leading == nil {
		o.Leading = func() bool { return true }
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{o: o, log: log, filters: map[string]FilterRecord{}, dests: map[string]DestinationRecord{},
		subs: map[string]SubscriptionRecord{}, given: map[string]string{}}
}

// MaxPerUser is the per-user bound on each kind of object.
func (r *Registry) MaxPerUser() int { return r.o.MaxPerUser }

// Load reads every stored object and brings the hub in line.
func (r *Registry) Load(ctx context.Context) error {
	for _, prefix := range []string{filterPrefix, destinationPrefix, subscriptionPrefix} {
		if err := r.reload(ctx, prefix); err != nil {
			return err
		}
	}
	r.sync()
	return nil
}

// reload replaces the objects of one kind with those stored.
func (r *Registry) reload(ctx context.Context, prefix string) error {
	kvs, _, err := r.o.Store.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("indication: reading %s: %w", prefix, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch prefix {
	case filterPrefix:
		clear(r.filters)
	case destinationPrefix:
		clear(r.dests)
	default:
		clear(r.subs)
	}
	for _, kv := range kvs {
		r.applyLocked(store.Event{KV: kv})
	}
	return nil
}

// applyLocked takes one stored change into the maps; r.mu is held. A
// record that does not read is logged and left out.
func (r *Registry) applyLocked(ev store.Event) {
	key := ev.KV.Key
	var err error
	switch {
	case strings.HasPrefix(key, filterPrefix):
		err = applyRecord(r.filters, strings.TrimPrefix(key, filterPrefix), ev)
	case strings.HasPrefix(key, destinationPrefix):
		err = applyRecord(r.dests, strings.TrimPrefix(key, destinationPrefix), ev)
	case strings.HasPrefix(key, subscriptionPrefix):
		err = applyRecord(r.subs, key, ev)
	}
	if err != nil {
		r.log.Warn("indication: a stored subscription object does not read; ignored", "key", key, "err", err)
	}
}

// applyRecord puts the record of ev under name in m, or deletes it.
// Filter and destination keys hold the escaped name.
func applyRecord[T any](m map[string]T, name string, ev store.Event) error {
	if n, err := url.PathUnescape(name); err == nil && !strings.HasPrefix(ev.KV.Key, subscriptionPrefix) {
		name = n
	}
	if ev.Delete {
		delete(m, name)
		return nil
	}
	var rec T
	if err := json.Unmarshal(ev.KV.Value, &rec); err != nil {
		return err
	}
	m[name] = rec
	return nil
}

// Follow keeps the registry current with the store until ctx ends: every
// change made through any server of the cluster is applied here, and
// once a second subscriptions past their duration are ended (deleted by
// the leader, taken from the hub everywhere). A watch that breaks is
// started again after reading the objects afresh.
func (r *Registry) Follow(ctx context.Context) {
	var wg sync.WaitGroup
	for _, prefix := range []string{filterPrefix, destinationPrefix, subscriptionPrefix} {
		wg.Go(func() { r.follow(ctx, prefix) })
	}
	wg.Go(func() { r.expireEvery(ctx, time.Second) })
	wg.Wait()
}

func (r *Registry) follow(ctx context.Context, prefix string) {
	store.Follow(ctx, r.o.Store, prefix, store.Follower{
		Reload: func(ctx context.Context) error {
			if err := r.reload(ctx, prefix); err != nil {
				return err
			}
			r.sync()
			return nil
		},
		Apply: func(ev store.Event) {
			r.mu.Lock()
			r.applyLocked(ev)
			r.mu.Unlock()
			r.sync()
		},
		Failed: func(err error) {
			r.log.Warn("indication: reading the subscription objects failed; trying again", "err", err)
		},
		Ended: func(err error) {
			r.log.Warn("indication: the store watch ended; reading the objects again", "err", err)
		},
	})
}

func (r *Registry) expireEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.Expire(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("indication: ending expired subscriptions", "err", err)
			}
		}
	}
}

// sync brings the hub in line with the registry: each live subscription
// is put (again when it changed), every other one it was given removed.
func (r *Registry) sync() {
	want := r.live()
	r.hubMu.Lock()
	defer r.hubMu.Unlock()
	for id, sub := range want {
		fp := fingerprint(sub)
		if r.given[id] == fp {
			continue
		}
		r.given[id] = fp
		if r.o.Hub != nil {
			r.o.Hub.Put(sub)
		}
	}
	for id := range r.given {
		if _, ok := want[id]; !ok {
			delete(r.given, id)
			if r.o.Hub != nil {
				r.o.Hub.Remove(id)
			}
		}
	}
}

// fingerprint says what of a subscription the hub cares about.
func fingerprint(s Subscription) string {
	return fmt.Sprintf("%s|%s|%q|%q|%s|%s|%d|%s|%s|%t", s.Owner, s.Filter.Name, s.Filter.Query.String(), s.Filter.SourceNamespaces,
		s.Destination.ID, s.Destination.Address, s.OnFatalError, s.Expires.UTC().Format(time.RFC3339Nano), s.SequenceContext, s.Disabled)
}

// live are the subscriptions the hub should deliver, by ID.
func (r *Registry) live() map[string]Subscription {
	now := r.o.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := map[string]Subscription{}
	for _, s := range r.subs {
		if sub, ok := r.hubSubscription(s, now); ok {
			out[sub.ID] = sub
		}
	}
	return out
}

// hubSubscription turns a stored subscription into the hub's form, if it
// is complete and not expired; r.mu is held. A disabled one goes to the
// hub too, marked Disabled: the hub keeps its sequence and delivers
// nothing to it, so that the numbers go on when it is enabled again.
func (r *Registry) hubSubscription(s SubscriptionRecord, now time.Time) (Subscription, bool) {
	f, okF := r.filters[s.Filter.Name]
	d, okD := r.dests[s.Handler.Name]
	exp := s.Expires()
	if !okF || !okD || !exp.IsZero() && !now.Before(exp) {
		return Subscription{}, false
	}
	q, err := wql.ParseLanguage(f.QueryLanguage, f.Query)
	if err != nil {
		r.log.Warn("indication: a stored filter's query does not parse; its subscriptions are idle", "filter", f.Name, "err", err)
		return Subscription{}, false
	}
	return Subscription{
		ID: s.ID, Owner: s.Owner, SequenceContext: s.SequenceContext, Expires: exp,
		Filter:       Filter{Name: f.Name, Query: q, SourceNamespaces: r.sourceNamespaces(f)},
		Destination:  Destination{ID: ProtocolCIMXML + ":" + d.Name, Protocol: ProtocolCIMXML, Address: d.Destination},
		OnFatalError: policyOf(s.OnFatalErrorPolicy), Disabled: s.State != StateEnabled,
	}, true
}

// sourceNamespaces are the namespaces a filter's query is evaluated in.
func (r *Registry) sourceNamespaces(f FilterRecord) []string {
	switch {
	case len(f.SourceNamespaces) > 0:
		return slices.Clone(f.SourceNamespaces)
	case f.SourceNamespace != "":
		return []string{f.SourceNamespace}
	}
	return []string{r.o.DefaultNamespace}
}

// policyOf maps OnFatalErrorPolicy to the hub's policy: Other (1) and
// unset act as Ignore.
func policyOf(v uint16) Policy {
	switch Policy(v) {
	case PolicyDisable, PolicyRemove:
		return Policy(v)
	}
	return PolicyIgnore
}

// Filters returns the filters c may see, by name.
func (r *Registry) Filters(c Caller) []FilterRecord {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return visible(r.filters, c, func(f FilterRecord) string { return f.Owner }, func(f FilterRecord) string { return f.Name })
}

// Destinations returns the destinations c may see, by name.
func (r *Registry) Destinations(c Caller) []DestinationRecord {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return visible(r.dests, c, func(d DestinationRecord) string { return d.Owner }, func(d DestinationRecord) string { return d.Name })
}

// Subscriptions returns the subscriptions c may see, by filter and
// handler name.
func (r *Registry) Subscriptions(c Caller) []SubscriptionRecord {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return visible(r.subs, c, func(s SubscriptionRecord) string { return s.Owner }, subscriptionKey)
}

func visible[T any](m map[string]T, c Caller, owner, order func(T) string) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		if c.sees(owner(v)) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(order(a), order(b)) })
	return out
}

// Filter returns the filter named by k, if c may see it.
func (r *Registry) Filter(c Caller, k Keys) (FilterRecord, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.filters[k.Name]
	return f, ok && f.Keys.same(k) && c.sees(f.Owner)
}

// Destination returns the destination named by k, if c may see it. The
// class in k may be CIM_ListenerDestination or empty: a reference may
// name a destination through its abstract class.
func (r *Registry) Destination(c Caller, k Keys) (DestinationRecord, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.dests[k.Name]
	if ok && (k.CreationClassName == "" || strings.EqualFold(k.CreationClassName, "CIM_ListenerDestination")) {
		k.CreationClassName = d.CreationClassName
	}
	return d, ok && d.Keys.same(k) && c.sees(d.Owner)
}

// Subscription returns the subscription joining filter and handler, if c
// may see it.
func (r *Registry) Subscription(c Caller, filter, handler Keys) (SubscriptionRecord, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.subs[subscriptionKey(SubscriptionRecord{Filter: filter, Handler: handler})]
	return s, ok && s.Filter.same(filter) && s.Handler.Name == handler.Name && c.sees(s.Owner)
}

// subscriptionKey is the store key of a subscription.
func subscriptionKey(s SubscriptionRecord) string {
	return subscriptionPrefix + url.PathEscape(s.Filter.Name) + "/" + url.PathEscape(s.Handler.Name)
}

// newID makes a subscription's ID: 16 random bytes in hex.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errorf is a CIM error of the registry.
func errorf(s cim.Status, format string, args ...any) error { return cim.Errorf(s, format, args...) }
