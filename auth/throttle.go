package auth

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Defaults of ThrottleOptions.
const (
	DefaultUserFailures    = 5
	DefaultAddressFailures = 20
	DefaultThrottleDelay   = time.Second
	DefaultThrottleMax     = 5 * time.Minute
	DefaultThrottleForget  = 15 * time.Minute
	DefaultThrottleTracked = 10000
)

// maxKeyUser is the longest user name kept as it is in a throttle key;
// longer ones are kept as their SHA-256, so a key's size is bounded.
const maxKeyUser = 64

// ThrottleOptions configure a Throttle. Zero fields take the defaults.
type ThrottleOptions struct {
	// UserFailures is how many failed logins one user name may have from
	// one address before that user is refused from that address.
	UserFailures int
	// AddressFailures is how many failed logins, whatever the user name,
	// one address may make before every login from it is refused.
	AddressFailures int
	// Delay is the first refusal's length; each further failure doubles
	// it, up to MaxDelay.
	Delay    time.Duration
	MaxDelay time.Duration
	// Forget: a counter untouched for this long (and not refusing) is
	// forgotten.
	Forget time.Duration
	// MaxTracked caps the counters kept; beyond it the least recently used
	// is forgotten.
	MaxTracked int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives one line when a counter starts refusing; default:
	// discard.
	Logger *slog.Logger
}

func (o *ThrottleOptions) fill() {
	fillInt(&o.UserFailures, DefaultUserFailures)
	fillInt(&o.AddressFailures, DefaultAddressFailures)
	fillInt(&o.MaxTracked, DefaultThrottleTracked)
	fillDuration(&o.Delay, DefaultThrottleDelay)
	fillDuration(&o.MaxDelay, DefaultThrottleMax)
	fillDuration(&o.Forget, DefaultThrottleForget)
	o.MaxDelay = max(o.MaxDelay, o.Delay)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

func fillInt(v *int, def int) {
	if *v <= 0 {
		*v = def
	}
}

func fillDuration(v *time.Duration, def time.Duration) {
	if *v <= 0 {
		*v = def
	}
}

// Throttle is an Authenticator that slows password guessing in front of
// another one. It counts failed logins per address and per (user,
// address), never per user alone:
//
//   - Once a user name has had UserFailures failed logins from one
//     address, that name is refused from that address for Delay, and each
//     further failure doubles the refusal (up to MaxDelay). A success
//     resets the count.
//   - Once an address has had AddressFailures failed logins, whatever the
//     names, every login from it is refused the same way; a success does
//     not reset this count (one known account must not open the door to
//     guessing the others). It fades after Forget without failures.
//   - A refusal is a ThrottledError, answered without checking the
//     password, so a refused guess costs no bcrypt work and reveals
//     nothing. The right password is refused too while its counter
//     refuses.
//   - A flood against "admin" from one address refuses admin only from
//     that address: the same user from any other address logs in as
//     before. No counter of a user alone ever refuses, so nobody can lock
//     a user out from elsewhere.
//   - Beyond the free failures only one check of a counter runs at a
//     time, so parallel requests cannot guess faster than one by one.
//     Identical logins (user, password, address) under way at once are
//     one check: a burst of clients with the same credentials is not
//     mistaken for parallel guessing. A login whose password the next
//     Authenticator already knows to be right (Users remembers the last
//     one accepted) needs no check and joins none: it is answered at once
//     unless a counter refuses.
//
// Nobody waits: refusals are answered at once with their Retry-After.
// IPv6 addresses are counted by their /64 prefix (one host's share);
// IPv4 addresses whole. Requests whose context carries no client
// (WithClient) are not counted. Memory is bounded by MaxTracked counters.
type Throttle struct {
	next   Authenticator
	opts   ThrottleOptions
	logins flights[Identity] // identical logins from one address under way at once count once
	mu     sync.Mutex
	keys   map[throttleKey]*list.Element // of *counter
	lru    *list.List                    // front: most recently touched
}

// throttleKey names a counter: an address, or a user at an address.
type throttleKey struct {
	addr, user string
	pair       bool
}

type counter struct {
	key      throttleKey
	failures int
	pending  int       // checks under way
	touched  time.Time // last check or outcome
	until    time.Time // refused until
}

// NewThrottle returns a Throttle in front of next.
func NewThrottle(next Authenticator, opts ThrottleOptions) *Throttle {
	opts.fill()
	return &Throttle{next: next, opts: opts, keys: map[throttleKey]*list.Element{}, lru: list.New()}
}

// Authenticate refuses with a ThrottledError while the client's counters
// refuse; otherwise it asks the next Authenticator and counts a failure
// (ErrUnauthorized) or a success. Other errors count as neither.
func (t *Throttle) Authenticate(ctx context.Context, user, password string) (Identity, error) {
	raw, protocol, ok := ClientFrom(ctx)
	if !ok {
		return t.next.Authenticate(ctx, user, password)
	}
	addr, pair := throttleKeys(raw, user)
	if id, ok := t.knownLogin(addr, pair, user, password); ok {
		return id, nil
	}
	sum := sha256.Sum256([]byte(password)) // kept only while the check runs
	key := pair.addr + "\x00" + pair.user + "\x00" + string(sum[:])
	return t.logins.do(ctx, key, func(ctx context.Context) (Identity, error) {
		if wait := t.begin(addr, pair); wait > 0 {
			return Identity{}, &ThrottledError{RetryAfter: wait}
		}
		id, err := t.next.Authenticate(ctx, user, password)
		t.end(addr, pair, err, user, protocol)
		return id, err
	})
}

// verifier is an Authenticator that can tell at once, without comparing
// a password hash, that a password is the one it last accepted for a user
// (Users can).
type verifier interface {
	Verified(user, password string) (Identity, bool)
}

// knownLogin answers a login the next Authenticator knows to be right at
// once, without joining the identical checks under way: it is begun and
// ended as one success under the lock, as a check that took no time would
// be. ok is false when the password is not known to be right or a counter
// refuses now; the login then takes the usual way.
func (t *Throttle) knownLogin(addr, pair throttleKey, user, password string) (Identity, bool) {
	v, ok := t.next.(verifier)
	if !ok {
		return Identity{}, false
	}
	id, ok := v.Verified(user, password)
	if !ok {
		return Identity{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, hasAddr := t.keys[addr]
	_, hasPair := t.keys[pair]
	if !hasAddr && !hasPair {
		return id, true // no counter: nothing refuses and nothing to reset (the usual case)
	}
	now := t.opts.Now()
	a, p := t.counter(addr, now), t.counter(pair, now)
	if max(t.refusal(a, t.opts.AddressFailures, now), t.refusal(p, t.opts.UserFailures, now)) > 0 {
		return Identity{}, false
	}
	p.failures, p.until = 0, time.Time{}
	t.dropIdle(a)
	t.dropIdle(p)
	return id, true
}

// throttleKeys returns the keys of the address and of the user at it.
func throttleKeys(raw, user string) (addr, pair throttleKey) {
	a := addressOf(raw)
	if len(user) > maxKeyUser {
		sum := sha256.Sum256([]byte(user))
		user = string(sum[:])
	}
	return throttleKey{addr: a}, throttleKey{addr: a, user: user, pair: true}
}

// addressOf is the counted form of a remote address: the IP without port
// or zone, an IPv6 address cut to its /64.
func addressOf(raw string) string {
	host, _, err := net.SplitHostPort(raw)
	if err != nil {
		host = raw
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if len(host) > maxKeyUser {
			host = host[:maxKeyUser]
		}
		return host
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// begin checks both counters and, when neither refuses, notes a check
// under way on each. It returns how long to wait, 0 to go on.
func (t *Throttle) begin(addr, pair throttleKey) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.opts.Now()
	a, p := t.counter(addr, now), t.counter(pair, now)
	wait := max(t.refusal(a, t.opts.AddressFailures, now), t.refusal(p, t.opts.UserFailures, now))
	if wait > 0 {
		t.dropIdle(a)
		t.dropIdle(p)
		return wait
	}
	a.pending++
	p.pending++
	return 0
}

// refusal is how long c refuses a check now: while its delay runs, and,
// beyond the free failures, while another check is under way.
func (t *Throttle) refusal(c *counter, free int, now time.Time) time.Duration {
	if now.Before(c.until) {
		return c.until.Sub(now)
	}
	if c.pending > 0 && c.failures+c.pending >= free {
		return t.opts.Delay
	}
	return 0
}

// end records the outcome of a check begun by begin.
func (t *Throttle) end(addr, pair throttleKey, err error, user, protocol string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.opts.Now()
	failed := errors.Is(err, ErrUnauthorized)
	for _, k := range []throttleKey{addr, pair} {
		c := t.counter(k, now)
		c.pending = max(c.pending-1, 0)
		switch {
		case failed:
			t.fail(c, now, user, protocol)
		case err == nil && k.pair:
			c.failures, c.until = 0, time.Time{}
		}
		t.dropIdle(c)
	}
}

// fail counts a failure; past the free ones the counter refuses for a
// doubling delay, and its first refusal is logged.
func (t *Throttle) fail(c *counter, now time.Time, user, protocol string) {
	free := t.opts.AddressFailures
	if c.key.pair {
		free = t.opts.UserFailures
	}
	c.failures++
	if c.failures < free {
		return
	}
	delay := t.opts.Delay
	for n := c.failures - free; n > 0 && delay < t.opts.MaxDelay; n-- {
		delay *= 2
	}
	delay = min(delay, t.opts.MaxDelay)
	c.until = now.Add(delay)
	if c.failures == free {
		scope := "address"
		if c.key.pair {
			scope = "user at address"
		}
		t.opts.Logger.Warn("logins throttled after repeated failures", "user", user, "address", c.key.addr,
			"protocol", protocol, "scope", scope, "failures", c.failures, "retryAfter", delay.Seconds())
	}
}

// counter returns k's counter, made if need be, as the most recently
// touched one. Forgotten and surplus counters go first.
func (t *Throttle) counter(k throttleKey, now time.Time) *counter {
	if el, ok := t.keys[k]; ok {
		c := el.Value.(*counter)
		if t.stale(c, now) {
			c.failures, c.until = 0, time.Time{}
		}
		c.touched = now
		t.lru.MoveToFront(el)
		return c
	}
	t.sweep(now)
	c := &counter{key: k, touched: now}
	t.keys[k] = t.lru.PushFront(c)
	return c
}

// stale reports whether c is to be forgotten: untouched for Forget,
// refusing nothing, no check under way.
func (t *Throttle) stale(c *counter, now time.Time) bool {
	return c.pending == 0 && !now.Before(c.until) && now.Sub(c.touched) >= t.opts.Forget
}

// sweep forgets the stale counters at the back of the list, then, while
// the table is full, the least recently touched.
func (t *Throttle) sweep(now time.Time) {
	for el := t.lru.Back(); el != nil && t.stale(el.Value.(*counter), now); el = t.lru.Back() {
		t.remove(el)
	}
	for t.lru.Len() >= t.opts.MaxTracked {
		t.remove(t.lru.Back())
	}
}

// dropIdle forgets c when it holds nothing: no failures, nothing under way.
func (t *Throttle) dropIdle(c *counter) {
	if c.failures == 0 && c.pending == 0 {
		if el, ok := t.keys[c.key]; ok && el.Value == c {
			t.remove(el)
		}
	}
}

func (t *Throttle) remove(el *list.Element) {
	delete(t.keys, el.Value.(*counter).key)
	t.lru.Remove(el)
}

// Tracked returns how many counters the throttle holds.
func (t *Throttle) Tracked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}

// Throttled reports whether err is (or wraps) a ThrottledError and gives
// the value of its Retry-After header: whole seconds, rounded up, at
// least 1.
func Throttled(err error) (retryAfter string, ok bool) {
	var te *ThrottledError
	if !errors.As(err, &te) {
		return "", false
	}
	s := max((te.RetryAfter+time.Second-1)/time.Second, 1)
	return strconv.FormatInt(int64(s), 10), true
}
