package hook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/redset/redset/event"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name      string
		specs     []Spec
		wantErr   *SpecError
		wantNames []string
	}{
		{"no hooks", nil, nil, nil},
		{"unnamed hooks are named by index", []Spec{{Exec: []string{"x"}}, {Name: "b", Webhook: "http://h"}},
			nil, []string{"hooks[0]", "b"}},
		{"duplicate names", []Spec{{Name: "a", Exec: []string{"x"}}, {Name: "a", Exec: []string{"y"}}},
			&SpecError{"a", "name", "another hook has this name"}, nil},
		{"invalid spec", []Spec{{Name: "a", Exec: []string{"x"}}, {}},
			&SpecError{"hooks[1]", "exec", "a hook needs exec or webhook"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.specs, Options{})
			if tc.wantErr != nil {
				var got *SpecError
				if !errors.As(err, &got) {
					t.Fatalf("New = %v, want %v", err, tc.wantErr)
				}
				if diff := cmp.Diff(tc.wantErr, got); diff != "" {
					t.Errorf("New error (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("New = %v, want nil", err)
			}
			var names []string
			for _, h := range append(r.pre, r.post...) {
				names = append(names, h.spec.Name)
			}
			if diff := cmp.Diff(tc.wantNames, names); diff != "" {
				t.Errorf("hook names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWants(t *testing.T) {
	r, err := New([]Spec{
		{Name: "pre", Exec: []string{"x"}, Pre: true},
		{Name: "status", Exec: []string{"x"}, On: []string{"status"}},
	}, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tests := []struct {
		name string
		rec  event.Record
		want bool
	}{
		{"status change", statusRecord(1, 2, 3), true},
		{"failover nobody wants", failoverRecord(2, 0, ""), false},
		{"health change", event.Record{Kind: event.KindHealthChanged, Health: &event.HealthChanged{}}, false},
		{"status kind without payload", event.Record{Kind: event.KindStatusChanged}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Wants(tc.rec); got != tc.want {
				t.Errorf("Wants(%v) = %v, want %v", tc.rec, got, tc.want)
			}
		})
	}
}

func TestEventsGoOnlyToHooksThatWantThem(t *testing.T) {
	dir := t.TempDir()
	specs := []Spec{
		sh("on-status", `echo "$REDSET_SEQ" >> "$1"`, filepath.Join(dir, "status")),
		sh("on-failover", `echo "$REDSET_SEQ" >> "$1"`, filepath.Join(dir, "failover")),
	}
	specs[0].On, specs[1].On = []string{"status"}, []string{"failover"}
	r, events, rec := startRunner(t, specs, Options{})
	events <- statusRecord(1, 2, 3)
	events <- failoverRecord(2, 0, "")
	events <- failoverRecord(3, 3, "busy") // refused: wanted by neither
	events <- event.Record{Seq: 4, Kind: event.KindHealthChanged, Health: &event.HealthChanged{}}
	eventually(t, func() bool { return len(events) == 0 }, "the runner did not read the events")
	if err := r.Close(t.Context()); err != nil {
		t.Fatalf("Close = %v", err)
	}
	got := map[string]uint64{}
	for range 2 {
		d := rec.next(t)
		got[d.Hook] = d.Seq
	}
	rec.none(t)
	if diff := cmp.Diff(map[string]uint64{"on-status": 1, "on-failover": 2}, got); diff != "" {
		t.Errorf("deliveries by hook (-want +got):\n%s", diff)
	}
}

// A hook's queue is Options.QueueSize, or its own Spec.Queue.
func TestSlowHookDoesNotBlockIntake(t *testing.T) {
	slow := Spec{Name: "slow", Timeout: time.Minute}
	t.Run("runner's queue size", func(t *testing.T) { slowHook(t, slow, Options{QueueSize: 1}) })
	slow.Queue = 1
	t.Run("hook's own queue", func(t *testing.T) { slowHook(t, slow, Options{QueueSize: 1000}) })
}

func slowHook(t *testing.T, spec Spec, opts Options) {
	entered, release := make(chan uint64, 10), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- 0
		<-release
	}))
	t.Cleanup(srv.Close)
	unblock := sync.OnceFunc(func() { close(release) })
	defer unblock()
	bus := event.NewBus()
	rec := newRecorder()
	spec.Webhook, opts.Record = srv.URL, rec.record
	r, err := New([]Spec{spec}, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sub := bus.Subscribe(0, r.Wants)
	if err := r.Start(sub.C()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	bus.Publish(statusRecord(1, 2, 3))
	select {
	case <-entered:
	case <-time.After(waitLimit):
		t.Fatal("the first delivery did not reach the webhook")
	}
	for seq := uint64(2); seq <= 5; seq++ {
		bus.Publish(statusRecord(seq, 2, 3)) // 2 waits in the queue, 3..5 overflow
	}
	ignore := cmpopts.IgnoreFields(Delivery{}, "Duration")
	for seq := uint64(3); seq <= 5; seq++ {
		want := Delivery{Hook: "slow", Kind: "webhook", Event: "status", Seq: seq, SetID: "redset:web",
			Outcome: OutcomeDropped, Error: "queue full"}
		if diff := cmp.Diff(want, rec.next(t), ignore); diff != "" {
			t.Errorf("delivery while the hook is blocked (-want +got):\n%s", diff)
		}
	}
	if sub.Lagged() {
		t.Error("the runner's subscription lagged: intake was blocked")
	}
	unblock()
	for seq := uint64(1); seq <= 2; seq++ {
		if d := rec.next(t); d.Seq != seq || d.Outcome != OutcomeOK {
			t.Errorf("delivery = %+v, want seq %d ok", d, seq)
		}
	}
	if err := r.Close(t.Context()); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
}

func TestCloseWaitsForQueuedDeliveries(t *testing.T) {
	out := filepath.Join(t.TempDir(), "seqs")
	r, events, rec := startRunner(t, []Spec{sh("log", `echo "$REDSET_SEQ" >> "$1"`, out)}, Options{})
	for seq := uint64(1); seq <= 3; seq++ {
		events <- statusRecord(seq, 2, 3)
	}
	eventually(t, func() bool { return len(events) == 0 }, "the runner did not read the events")
	if err := r.Close(t.Context()); err != nil {
		t.Fatalf("Close = %v, want nil", err)
	}
	if len(rec.ch) != 3 {
		t.Fatalf("after Close %d deliveries were recorded, want 3", len(rec.ch))
	}
	data, err := os.ReadFile(out)
	if err != nil || string(data) != "1\n2\n3\n" {
		t.Errorf("hook ran for %q (%v), want seqs 1, 2, 3 in order", data, err)
	}
}

func TestCloseCancelsAfterDeadline(t *testing.T) {
	started := filepath.Join(t.TempDir(), "started")
	r, events, rec := startRunner(t, []Spec{sh("stuck", `touch "$1"; sleep 30`, started)}, Options{})
	events <- statusRecord(1, 2, 3)
	events <- statusRecord(2, 2, 3)
	eventually(t, func() bool { _, err := os.Stat(started); return err == nil && len(events) == 0 },
		"the hook did not start")
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want context.DeadlineExceeded", err)
	}
	ignore := cmpopts.IgnoreFields(Delivery{}, "Duration")
	want := []Delivery{
		{Hook: "stuck", Kind: "exec", Event: "status", Seq: 1, SetID: "redset:web", Attempts: 1,
			Outcome: OutcomeFailed, Code: -1, Error: "context canceled"},
		{Hook: "stuck", Kind: "exec", Event: "status", Seq: 2, SetID: "redset:web",
			Outcome: OutcomeDropped, Error: "runner closed"},
	}
	if diff := cmp.Diff(want, []Delivery{rec.next(t), rec.next(t)}, ignore); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
}

func TestStartState(t *testing.T) {
	r, err := New(nil, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	events := make(chan event.Record)
	if err := r.Start(events); err != nil {
		t.Fatalf("first Start = %v", err)
	}
	if err := r.Start(events); !errors.Is(err, ErrState) {
		t.Errorf("second Start = %v, want ErrState", err)
	}
	for i := range 2 {
		if err := r.Close(t.Context()); err != nil {
			t.Errorf("Close #%d = %v, want nil", i+1, err)
		}
	}
	fresh, _ := New(nil, Options{})
	_ = fresh.Close(t.Context())
	if err := fresh.Start(events); !errors.Is(err, ErrState) {
		t.Errorf("Start after Close = %v, want ErrState", err)
	}
}

func TestEventStreamEnd(t *testing.T) {
	r, events, rec := startRunner(t, []Spec{sh("h", "exit 0")}, Options{})
	events <- statusRecord(1, 2, 3)
	close(events)
	if d := rec.next(t); d.Outcome != OutcomeOK {
		t.Errorf("delivery = %+v, want ok", d)
	}
	if err := r.Close(t.Context()); err != nil {
		t.Errorf("Close after the stream ended = %v, want nil", err)
	}
}

func TestBackoff(t *testing.T) {
	r, err := New(nil, Options{BackoffBase: time.Second, BackoffMax: 5 * time.Second})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	bounds := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, bound := range bounds {
		t.Run(bound.String(), func(t *testing.T) {
			for range 100 {
				if got := r.backoff(i + 1); got < bound/2 || got > bound {
					t.Fatalf("backoff(%d) = %v, want in [%v, %v]", i+1, got, bound/2, bound)
				}
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		wantMin time.Duration
		wantMax time.Duration
	}{
		{"zero", Options{}, DefaultBackoffBase, DefaultBackoffMax},
		{"max below base", Options{BackoffBase: time.Minute, BackoffMax: time.Second}, time.Minute, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.in
			o.fill()
			if o.BackoffBase != tc.wantMin || o.BackoffMax != tc.wantMax || o.QueueSize != DefaultQueueSize {
				t.Errorf("fill() = base %v max %v queue %d, want %v %v %d",
					o.BackoffBase, o.BackoffMax, o.QueueSize, tc.wantMin, tc.wantMax, DefaultQueueSize)
			}
		})
	}
}

func BenchmarkDispatch(b *testing.B) {
	specs := make([]Spec, 4)
	for i := range specs {
		specs[i] = Spec{Webhook: "http://127.0.0.1:1/hook"}
	}
	r, err := New(specs, Options{QueueSize: 1024})
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	for _, h := range r.post {
		go func() {
			for range h.queue {
			}
		}()
	}
	rec := statusRecord(1, 2, 3)
	b.ReportAllocs()
	for b.Loop() {
		r.dispatch(rec)
	}
	r.closeQueues()
}
