package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAuth accepts the password "right" for every user and counts the
// checks it was asked.
type fakeAuth struct {
	calls atomic.Int64
	hold  chan struct{} // when set, each check waits until it is closed
}

func (f *fakeAuth) Authenticate(_ context.Context, user, password string) (Identity, error) {
	f.calls.Add(1)
	if f.hold != nil {
		<-f.hold
	}
	if password != "right" {
		return Identity{}, ErrUnauthorized
	}
	return Identity{User: user, Role: Admin}, nil
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestThrottle(opts ThrottleOptions) (*Throttle, *fakeAuth, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	inner := &fakeAuth{}
	opts.Now = clock.now
	return NewThrottle(inner, opts), inner, clock
}

func login(t *Throttle, addr, user, password string) error {
	_, err := t.Authenticate(WithClient(context.Background(), addr, "api"), user, password)
	return err
}

// retryAfter returns the ThrottledError's wait, failing unless err is one.
func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var te *ThrottledError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want a ThrottledError", err)
	}
	return te.RetryAfter
}

func TestThrottleRefusesAfterUserFailures(t *testing.T) {
	th, inner, clock := newTestThrottle(ThrottleOptions{})
	for i := range DefaultUserFailures {
		if err := login(th, "192.0.2.1:4000", "admin", "wrong"); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("failure %d: got %v, want ErrUnauthorized", i+1, err)
		}
	}
	calls := inner.calls.Load()
	if got := retryAfter(t, login(th, "192.0.2.1:4001", "admin", "right")); got != time.Second {
		t.Errorf("first refusal: Retry-After %v, want 1s", got)
	}
	if inner.calls.Load() != calls {
		t.Error("a refused login was still checked")
	}
	// Each further failure doubles the refusal.
	for _, want := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second} {
		clock.advance(retryAfter(t, login(th, "192.0.2.1:4000", "admin", "x")))
		if err := login(th, "192.0.2.1:4000", "admin", "wrong"); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("after the wait: got %v, want ErrUnauthorized", err)
		}
		if got := retryAfter(t, login(th, "192.0.2.1:4000", "admin", "right")); got != want {
			t.Errorf("Retry-After %v, want %v", got, want)
		}
	}
}

func TestThrottleDelayCapped(t *testing.T) {
	th, _, clock := newTestThrottle(ThrottleOptions{UserFailures: 1, Delay: time.Second, MaxDelay: 10 * time.Second})
	var last time.Duration
	for range 50 {
		_ = login(th, "192.0.2.1:1", "admin", "wrong")
		last = retryAfter(t, login(th, "192.0.2.1:1", "admin", "wrong"))
		clock.advance(last)
	}
	if last != 10*time.Second {
		t.Errorf("after 50 failures Retry-After is %v, want the maximum 10s", last)
	}
}

func TestThrottleDoesNotLockOutFromElsewhere(t *testing.T) {
	th, _, _ := newTestThrottle(ThrottleOptions{})
	for range 30 {
		_ = login(th, "192.0.2.66:5000", "admin", "guess")
	}
	retryAfter(t, login(th, "192.0.2.66:5000", "admin", "right"))
	if err := login(th, "198.51.100.7:6000", "admin", "right"); err != nil {
		t.Fatalf("admin from another address after a flood against admin: %v", err)
	}
	// Nor from another address after a few mistakes of its own.
	for range DefaultUserFailures - 1 {
		_ = login(th, "198.51.100.7:6000", "admin", "typo")
	}
	if err := login(th, "198.51.100.7:6000", "admin", "right"); err != nil {
		t.Fatalf("admin after four typos of its own: %v", err)
	}
}

func TestThrottleAddressCountsEveryUser(t *testing.T) {
	th, _, _ := newTestThrottle(ThrottleOptions{})
	for i := range DefaultAddressFailures {
		if err := login(th, "192.0.2.9:1", fmt.Sprintf("user%d", i), "wrong"); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("failure %d: got %v", i+1, err)
		}
	}
	retryAfter(t, login(th, "192.0.2.9:2", "someone-new", "right"))
	if err := login(th, "192.0.2.10:1", "someone-new", "right"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func TestThrottleSuccessResetsUserNotAddress(t *testing.T) {
	th, _, _ := newTestThrottle(ThrottleOptions{UserFailures: 3, AddressFailures: 6})
	for range 2 {
		_ = login(th, "192.0.2.1:1", "admin", "wrong")
	}
	if err := login(th, "192.0.2.1:1", "admin", "right"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := login(th, "192.0.2.1:1", "admin", "wrong"); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("after a success the user's count starts again: got %v", err)
		}
	}
	if err := login(th, "192.0.2.1:1", "admin", "right"); err != nil {
		t.Fatal(err)
	}
	// Four failures so far from this address; two more reach its limit
	// whatever the successes between.
	for range 2 {
		_ = login(th, "192.0.2.1:1", "ops", "wrong")
	}
	retryAfter(t, login(th, "192.0.2.1:1", "admin", "right"))
}

func TestThrottleForgets(t *testing.T) {
	th, _, clock := newTestThrottle(ThrottleOptions{UserFailures: 2, Forget: time.Minute, MaxDelay: time.Second})
	for range 2 {
		_ = login(th, "192.0.2.1:1", "admin", "wrong")
	}
	retryAfter(t, login(th, "192.0.2.1:1", "admin", "wrong"))
	clock.advance(time.Minute)
	if err := login(th, "192.0.2.1:1", "admin", "wrong"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("after Forget: got %v", err)
	}
	if err := login(th, "192.0.2.1:1", "admin", "wrong"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("the count started again, so a second failure is free: got %v", err)
	}
}

func TestThrottleMemoryBounded(t *testing.T) {
	th, _, clock := newTestThrottle(ThrottleOptions{MaxTracked: 50, Forget: time.Minute})
	for i := range 1000 {
		_ = login(th, fmt.Sprintf("10.0.%d.%d:1", i/250, i%250), strings.Repeat("u", 10000), "wrong")
	}
	if n := th.Tracked(); n > 50 {
		t.Errorf("tracking %d counters, want at most 50", n)
	}
	clock.advance(time.Hour)
	_ = login(th, "10.9.9.9:1", "admin", "wrong")
	if n := th.Tracked(); n != 2 {
		t.Errorf("after Forget %d counters remain, want the new address's 2", n)
	}
	_ = login(th, "10.9.9.9:1", "admin", "right")
	_ = login(th, "10.9.9.8:1", "admin", "right")
	if n := th.Tracked(); n != 1 {
		t.Errorf("successes left %d counters, want only the address that failed once", n)
	}
}

func TestThrottleIPv6CountsThePrefix(t *testing.T) {
	th, _, _ := newTestThrottle(ThrottleOptions{UserFailures: 3})
	for i := range 3 {
		_ = login(th, fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1), "admin", "wrong")
	}
	retryAfter(t, login(th, "[2001:db8:1:2:ffff::9]:1", "admin", "right"))
	if err := login(th, "[2001:db8:1:3::1]:1", "admin", "right"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

func TestThrottleOneCheckAtATimeBeyondTheFreeFailures(t *testing.T) {
	th, inner, _ := newTestThrottle(ThrottleOptions{UserFailures: 2})
	inner.hold = make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := range 2 { // two different guesses (identical ones would be one check)
		wg.Go(func() { errs <- login(th, "192.0.2.1:1", "admin", fmt.Sprint("wrong-", i)) })
	}
	deadline := time.Now().Add(5 * time.Second)
	for inner.calls.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the two first checks did not start")
		}
		time.Sleep(time.Millisecond)
	}
	retryAfter(t, login(th, "192.0.2.1:1", "admin", "right"))
	close(inner.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrUnauthorized) {
			t.Errorf("a held check: %v", err)
		}
	}
	if got := inner.calls.Load(); got != 2 {
		t.Errorf("%d checks ran, want 2", got)
	}
}

func TestThrottleWithoutClientPassesThrough(t *testing.T) {
	th, _, _ := newTestThrottle(ThrottleOptions{UserFailures: 1})
	for range 10 {
		if _, err := th.Authenticate(context.Background(), "admin", "wrong"); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("got %v", err)
		}
	}
	if n := th.Tracked(); n != 0 {
		t.Errorf("%d counters for requests without a client", n)
	}
}

func TestThrottleLogsOncePerCounter(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	th, _, clock := newTestThrottle(ThrottleOptions{Logger: slog.New(slog.NewTextHandler(&lockedWriter{&mu, &buf}, nil))})
	for range 30 {
		_ = login(th, "192.0.2.1:1", "admin", "wrong")
		clock.advance(10 * time.Minute)
	}
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Count(buf.String(), "logins throttled")
	if lines != 2 {
		t.Errorf("%d throttling lines, want 2 (the user at the address, then the address):\n%s", lines, buf.String())
	}
	for _, want := range []string{"user=admin", "address=192.0.2.1", "protocol=api"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, buf.String())
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestThrottled(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
		ok   bool
	}{
		{&ThrottledError{RetryAfter: 1500 * time.Millisecond}, "2", true},
		{fmt.Errorf("wrapped: %w", &ThrottledError{RetryAfter: 3 * time.Second}), "3", true},
		{&ThrottledError{}, "1", true},
		{ErrUnauthorized, "", false},
		{nil, "", false},
	} {
		got, ok := Throttled(tc.err)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Throttled(%v) = %q, %v; want %q, %v", tc.err, got, ok, tc.want, tc.ok)
		}
	}
}

// fakeVerifier is a fakeAuth that also tells at once that "right" is
// right, once known is set. Each check it begins is sent on started.
type fakeVerifier struct {
	fakeAuth
	known   atomic.Bool
	started chan struct{}
}

func (f *fakeVerifier) Authenticate(ctx context.Context, user, password string) (Identity, error) {
	f.started <- struct{}{}
	return f.fakeAuth.Authenticate(ctx, user, password)
}

func (f *fakeVerifier) Verified(user, password string) (Identity, bool) {
	if !f.known.Load() || password != "right" {
		return Identity{}, false
	}
	return Identity{User: user, Role: Admin}, true
}

// TestThrottleKnownLoginDoesNotWait: a login whose password the next
// Authenticator knows to be right is answered at once, without waiting for
// an identical check under way; while a counter refuses it is refused as
// before.
func TestThrottleKnownLoginDoesNotWait(t *testing.T) {
	inner := &fakeVerifier{fakeAuth: fakeAuth{hold: make(chan struct{})}, started: make(chan struct{}, 10)}
	th := NewThrottle(inner, ThrottleOptions{UserFailures: 2})
	first := make(chan error, 1)
	go func() { first <- login(th, "192.0.2.1:1000", "alice", "right") }()
	<-inner.started
	inner.known.Store(true)
	ctx, cancel := context.WithTimeout(WithClient(context.Background(), "192.0.2.1:1001", "api"), 5*time.Second)
	defer cancel()
	if id, err := th.Authenticate(ctx, "alice", "right"); err != nil || id.User != "alice" {
		t.Errorf("a known login while the same check was under way: %v %v, want alice at once", id, err)
	}
	if n := inner.calls.Load(); n != 1 {
		t.Errorf("%d checks ran, want 1 (the known login needs none)", n)
	}
	close(inner.hold)
	if err := <-first; err != nil {
		t.Fatalf("the first login: %v", err)
	}
	for range 2 {
		if err := login(th, "192.0.2.1:1002", "alice", "wrong"); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("a wrong password: %v", err)
		}
	}
	retryAfter(t, login(th, "192.0.2.1:1003", "alice", "right"))
}

// BenchmarkThrottleKnownLogin: a login the users already know to be right,
// from an address without failures, through the throttle (the path of
// every request of a client that logged in once).
func BenchmarkThrottleKnownLogin(b *testing.B) {
	hash, err := HashPassword("right")
	if err != nil {
		b.Fatal(err)
	}
	th := NewThrottle(NewUsers(User{Name: "admin", PasswordHash: hash, Role: Admin}), ThrottleOptions{})
	ctx := WithClient(context.Background(), "127.0.0.1:40000", "cimxml")
	if _, err := th.Authenticate(ctx, "admin", "right"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := th.Authenticate(ctx, "admin", "right"); err != nil {
			b.Fatal(err)
		}
	}
}
