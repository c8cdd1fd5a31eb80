package hook

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/event"
)

// request is what a test webhook server saw.
type request struct {
	Method, ContentType, Hook, Attempt string
	Body                               map[string]any
}

// webhookServer answers the n-th request (from 1) with status(n) and
// collects the requests.
type webhookServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

func newWebhookServer(t *testing.T, status func(n int) int) *webhookServer {
	s := &webhookServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		s.mu.Lock()
		s.requests = append(s.requests, request{r.Method, r.Header.Get("Content-Type"),
			r.Header.Get("X-Redset-Hook"), r.Header.Get("X-Redset-Attempt"), body})
		n := len(s.requests)
		s.mu.Unlock()
		code := status(n)
		w.WriteHeader(code)
		if code >= 300 {
			_, _ = io.WriteString(w, " boom\n")
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *webhookServer) seen() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.requests...)
}

func always(code int) func(int) int { return func(int) int { return code } }

// jsonOf decodes a JSON object, for comparing with a decoded body.
func jsonOf(t *testing.T, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("bad test document: %v", err)
	}
	return m
}

func TestWebhookBody(t *testing.T) {
	tests := []struct {
		name string
		rec  event.Record
		want string
	}{
		{"failover", failoverRecord(42, 0, ""), `{"event":"failover","hook":"notify","seq":42,
			"time":"2025-06-07T08:09:10.123Z","set":"redset:web","failover":{"planned":false,
			"from":"web-a","to":"web-b","code":0,"reason":"","durationMs":12}}`},
		{"refused", failoverRecord(43, 4, "web-b is not operational"), `{"event":"refused","hook":"notify",
			"seq":43,"time":"2025-06-07T08:09:10.123Z","set":"redset:web","failover":{"planned":false,
			"from":"web-a","to":"web-b","code":4,"reason":"web-b is not operational","durationMs":12}}`},
		{"status", statusRecord(44, 2, 4), `{"event":"status","hook":"notify","seq":44,
			"time":"2025-06-07T08:09:10.123Z","set":"redset:web","status":{"from":2,"to":4}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newWebhookServer(t, always(http.StatusNoContent))
			_, events, rec := startRunner(t, []Spec{{Name: "notify", Webhook: srv.URL}}, Options{})
			events <- tc.rec
			if d := rec.next(t); d.Outcome != OutcomeOK || d.Code != http.StatusNoContent || d.Attempts != 1 {
				t.Fatalf("delivery = %+v, want ok with code 204 after 1 attempt", d)
			}
			want := []request{{"POST", "application/json", "notify", "1", jsonOf(t, tc.want)}}
			if diff := cmp.Diff(want, srv.seen()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name        string
		status      func(n int) int
		retries     int
		wantWaits   []time.Duration // upper bounds; each wait must be in (bound/2, bound]
		wantOutcome string
		wantCode    int
		wantError   string
	}{
		{"fails twice then succeeds", func(n int) int { return map[bool]int{true: 503, false: 200}[n <= 2] },
			5, []time.Duration{500 * time.Millisecond, time.Second}, OutcomeOK, 200, ""},
		{"retries exhausted", always(500), 2, []time.Duration{500 * time.Millisecond, time.Second},
			OutcomeFailed, 500, "HTTP 500: boom"},
		{"429 is retried", func(n int) int { return map[bool]int{true: 429, false: 200}[n == 1] },
			1, []time.Duration{500 * time.Millisecond}, OutcomeOK, 200, ""},
		{"404 is final", always(404), 3, nil, OutcomeFailed, 404, "HTTP 404: boom"},
		{"no retries configured", always(503), 0, nil, OutcomeFailed, 503, "HTTP 503: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newWebhookServer(t, tc.status)
			clk := newFakeClock()
			spec := Spec{Name: "notify", Webhook: srv.URL, Retries: tc.retries}
			_, events, rec := startRunner(t, []Spec{spec}, Options{Clock: clk})
			events <- statusRecord(5, 2, 3)
			var total time.Duration
			for i, bound := range tc.wantWaits {
				d := clk.nextWait(t)
				if d <= bound/2 || d > bound {
					t.Errorf("backoff before retry %d = %v, want in (%v, %v]", i+1, d, bound/2, bound)
				}
				total += d
				clk.Advance(d)
			}
			attempts := len(tc.wantWaits) + 1
			want := Delivery{Hook: "notify", Kind: "webhook", Event: "status", Seq: 5, SetID: "redset:web",
				Attempts: attempts, Outcome: tc.wantOutcome, Code: tc.wantCode, Duration: total, Error: tc.wantError}
			if diff := cmp.Diff(want, rec.next(t)); diff != "" {
				t.Errorf("delivery (-want +got):\n%s", diff)
			}
			checkAttempts(t, srv.seen(), attempts)
			if len(clk.waits) != 0 {
				t.Errorf("%d more backoff waits than expected", len(clk.waits))
			}
		})
	}
}

// checkAttempts checks that the server saw n requests numbered 1..n with
// the same body.
func checkAttempts(t *testing.T, seen []request, n int) {
	t.Helper()
	if len(seen) != n {
		t.Fatalf("server saw %d requests, want %d", len(seen), n)
	}
	for i, r := range seen {
		if got, want := r.Attempt, strconv.Itoa(i+1); got != want {
			t.Errorf("request %d: X-Redset-Attempt = %q, want %q", i, got, want)
		}
		if diff := cmp.Diff(seen[0].Body, r.Body); diff != "" {
			t.Errorf("request %d body differs from the first (-first +this):\n%s", i, diff)
		}
	}
}

func TestWebhookAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	spec := Spec{Name: "slow", Webhook: srv.URL, Timeout: 200 * time.Millisecond}
	_, events, rec := startRunner(t, []Spec{spec}, Options{})
	events <- statusRecord(1, 2, 3)
	d := rec.next(t)
	if d.Outcome != OutcomeFailed || d.Error != "timed out after 200ms" || d.Code != 0 {
		t.Errorf("delivery = %+v, want failed with %q and code 0", d, "timed out after 200ms")
	}
}

func TestWebhookErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hooks/SECRET-TOKEN?key=SECRET-KEY"
	srv.Close() // nothing listens any more
	_, events, rec := startRunner(t, []Spec{{Name: "gone", Webhook: url}}, Options{})
	events <- statusRecord(1, 2, 3)
	d := rec.next(t)
	if d.Outcome != OutcomeFailed || d.Error == "" || strings.Contains(d.Error, "SECRET") {
		t.Errorf("delivery = %+v, want failed with an error that does not show the URL", d)
	}
}
