package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// waitUntil polls cond until it holds, failing after five seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGateQueueBounded(t *testing.T) {
	g := newGate(1, 1)
	if err := g.enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() { second <- g.enter(context.Background()) }()
	waitUntil(t, "the second check to wait", func() bool { return g.waiting.Load() == 1 })
	if got := retryAfter(t, g.enter(context.Background())); got <= 0 {
		t.Errorf("Retry-After %v, want a positive wait", got)
	}
	g.leave()
	if err := <-second; err != nil {
		t.Fatalf("the waiting check: %v", err)
	}
	g.leave()
}

func TestGateWaitEndsWithContext(t *testing.T) {
	g := newGate(1, 4)
	_ = g.enter(context.Background())
	defer g.leave()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.enter(ctx) }()
	waitUntil(t, "the check to wait", func() bool { return g.waiting.Load() == 1 })
	cancel()
	retryAfter(t, <-done)
	if n := g.waiting.Load(); n != 0 {
		t.Errorf("%d still counted as waiting", n)
	}
}

// A password already verified never waits for the bcrypt gate: with every
// worker taken and no queue, it still logs in, while a wrong one is
// refused at once.
func TestRememberedPasswordSkipsTheGate(t *testing.T) {
	u := NewUsers(cheapUser(t, "ops", "pw", Operator))
	u.LimitHashing(1, 0)
	ctx := context.Background()
	if _, err := u.Authenticate(ctx, "ops", "pw"); err != nil {
		t.Fatal(err)
	}
	g := u.gate.Load()
	if err := g.enter(ctx); err != nil {
		t.Fatal(err)
	}
	defer g.leave()
	if id, err := u.Authenticate(ctx, "ops", "pw"); err != nil || id.User != "ops" {
		t.Fatalf("remembered password with the gate full: %v, %v", id, err)
	}
	retryAfter(t, func() error { _, err := u.Authenticate(ctx, "ops", "nope"); return err }())
	retryAfter(t, func() error { _, err := u.Authenticate(ctx, "nobody", "nope"); return err }())
}

// BenchmarkLoginUnderFlood measures, over HTTP on loopback, the latency
// of a client logging in with the right password (remembered, as for every
// request after its first) while 32 clients send wrong passwords at the
// default bcrypt cost as fast as they are answered: quiet; flooded with
// the gate (one bcrypt per CPU); flooded with the gate opened wide (64 at
// once, about no gate); and flooded from one address through a Throttle,
// the right client at another. It reports p50 and p99 of the right client.
//
//	go test ./auth -run '^$' -bench LoginUnderFlood -benchtime 100x
func BenchmarkLoginUnderFlood(b *testing.B) {
	hash, err := HashPassword("right")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		flood    int
		workers  int
		throttle bool
	}{{"quiet", 0, 0, false}, {"flood", 32, 0, false}, {"flood-gate-wide", 32, 64, false}, {"flood-throttled", 32, 0, true}} {
		b.Run(tc.name, func(b *testing.B) {
			u := NewUsers(User{Name: "admin", PasswordHash: hash, Role: Admin})
			u.LimitHashing(tc.workers, 64)
			var a Authenticator = u
			if tc.throttle {
				a = NewThrottle(u, ThrottleOptions{})
			}
			srv := httptest.NewServer(loginHandler(a))
			defer srv.Close()
			right := clientFrom(b, "127.0.0.2")
			if code := get(right, srv.URL, "right"); code != http.StatusOK {
				b.Fatalf("first login: %d", code)
			}
			stop := startFlood(b, srv.URL, tc.flood)
			defer stop()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if code := get(right, srv.URL, "right"); code != http.StatusOK {
					b.Fatalf("the right password: %d", code)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportPercentiles(b, lat)
		})
	}
}

// loginHandler answers 200 to a right password, 401 to a wrong one and 429
// to a throttled login.
func loginHandler(a Authenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		_, err := a.Authenticate(WithClient(r.Context(), r.RemoteAddr, "api"), user, pass)
		var te *ThrottledError
		switch {
		case errors.As(err, &te):
			w.WriteHeader(http.StatusTooManyRequests)
		case err != nil:
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
}

// clientFrom returns a client whose connections come from the loopback
// address ip.
func clientFrom(b *testing.B, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func get(c *http.Client, url, password string) int {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("admin", password)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// startFlood runs n clients from 127.0.0.1 sending wrong passwords until
// stopped.
func startFlood(b *testing.B, url string, n int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		c := clientFrom(b, "127.0.0.1")
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
					get(c, url, fmt.Sprint("guess", i))
				}
			}
		})
	}
	return func() { close(done); wg.Wait() }
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds())
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
