package etcd_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// The benchmarks run on embedded members without fsync: they measure the
// client, gRPC and Raft round trips on loopback, not a disk. Real etcd
// members fsync each Raft entry; expect their latency to add one fsync.

// BenchmarkCommitSerial: one commit after another, each writing one key;
// reports the latency percentiles.
func BenchmarkCommitSerial(b *testing.B) {
	for _, members := range []int{1, 3} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			c := etcdtest.Start(b, members, etcdtest.Options{})
			s := open(b, c.Endpoints(), freshPrefix())
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				commit(b, s, put(fmt.Sprintf("k/%d", i%1000), "value"))
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			reportLatency(b, lat)
		})
	}
}

// BenchmarkCommitParallel: many goroutines commit at once on a
// three-member cluster (etcd batches concurrent proposals); reports
// commits per second.
func BenchmarkCommitParallel(b *testing.B) {
	c := etcdtest.Start(b, 3, etcdtest.Options{})
	s := open(b, c.Endpoints(), freshPrefix())
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := s.Commit(context.Background(), store.Txn{Ops: []store.Op{put(fmt.Sprintf("k/%d", i), "value")}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(t0).Seconds(), "commits/s")
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkEngineFailover: the engine's planned failover (checks, roles
// and history record in one commit) on a three-member cluster.
func BenchmarkEngineFailover(b *testing.B) {
	c := etcdtest.Start(b, 3, etcdtest.Options{})
	e := newEngine(b, open(b, c.Endpoints(), freshPrefix()), nil)
	ctx := context.Background()
	sparingPair(b, e, "redset:web", "a", "b")
	pair := [2]string{"a", "b"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		res := e.Failover(ctx, "redset:web", pair[i%2], pair[(i+1)%2])
		lat = append(lat, time.Since(t0))
		if res.Code != 0 {
			b.Fatalf("Failover = %d %s", res.Code, res.Reason)
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// BenchmarkEngineAutoFailover1k: one member in service in 1,000 Sparing
// sets, each with its own hot spare, fails; the benchmark ends when every
// set has failed over. It also counts the engine's failed history writes:
// the records it writes on its own (health, status) go in batches that can
// outgrow one etcd transaction.
func BenchmarkEngineAutoFailover1k(b *testing.B) {
	const sets = 1000
	c := etcdtest.Start(b, 3, etcdtest.Options{})
	for range b.N {
		b.StopTimer()
		log := &warnings{}
		e := newEngine(b, open(b, c.Endpoints(), freshPrefix()), slog.New(log))
		for i := range sets {
			sparingPair(b, e, fmt.Sprintf("redset:set%04d", i), "shared", fmt.Sprintf("spare%04d", i))
		}
		sub := e.Bus().Subscribe(4*sets, func(r event.Record) bool { return r.Kind == event.KindFailoverSucceeded })
		b.StartTimer()
		t0 := time.Now()
		must(b, e.ReportHealth("shared", engine.Report{State: engine.HealthFailed}))
		for range sets {
			<-sub.C()
		}
		b.ReportMetric(ms(time.Since(t0)), "all-promoted-ms")
		b.StopTimer()
		if _, err := e.History(context.Background(), 0); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(log.count("event history write failed")), "history-write-failures")
	}
}

// sparingPair creates a Sparing set with active in service and spare a hot
// spare, both reported healthy (creating members that exist is fine).
func sparingPair(b testing.TB, e *engine.Engine, id, active, spare string) {
	ctx := context.Background()
	set := engine.Set{InstanceID: id, TypeOfSet: []uint16{engine.TypeSparing}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1}
	if _, err := e.CreateSet(ctx, set); err != nil {
		b.Fatal(err)
	}
	for _, n := range []string{active, spare} {
		if _, err := e.GetMember(n); err != nil {
			_, err := e.PutMember(ctx, engine.Member{Name: n, Probe: engine.Probe{Rise: 1, Fall: 1}})
			must(b, err)
			must(b, e.ReportHealth(n, engine.Report{State: engine.HealthOK}))
		}
	}
	_, err := e.AddToSet(ctx, id, active, engine.Role{Kind: engine.RoleInService})
	must(b, err)
	hot := engine.Role{Kind: engine.RoleSpare, Spare: engine.SpareSettings{SpareStatus: engine.SpareHot, FailoverSupported: engine.FailoverBoth}}
	_, err = e.AddToSet(ctx, id, spare, hot)
	must(b, err)
}

func newEngine(b *testing.B, s store.Store, log *slog.Logger) *engine.Engine {
	e, err := engine.New(context.Background(), engine.Options{Store: s, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

func must(b testing.TB, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// warnings is a slog handler that keeps the messages of warnings.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *warnings) WithGroup(string) slog.Handler                { return w }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, r.Message)
	return nil
}

func (w *warnings) count(prefix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}
