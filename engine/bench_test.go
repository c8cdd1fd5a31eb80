package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/redset/redset/event"
	"github.com/redset/redset/store"
)

// BenchmarkFailover measures one planned failover end to end with fsync:
// checks, hold, durable commit of roles and history record.
func BenchmarkFailover(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	st := openBolt(b, path, false)
	defer st.Close()
	e, err := New(context.Background(), Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	s := sparingSet("redset:web", 1)
	s.Policy.DisableAutoFailover = true
	benchMust(b, first(e.CreateSet(ctx, s)))
	for _, n := range []string{"a", "b"} {
		benchMust(b, first(e.PutMember(ctx, Member{Name: n})))
		benchMust(b, e.ReportHealth(n, Report{State: HealthOK}))
	}
	benchMust(b, first(e.AddToSet(ctx, "redset:web", "a", inService)))
	benchMust(b, first(e.AddToSet(ctx, "redset:web", "b", spare(SpareHot, FailoverBoth, 0))))
	lat := make([]time.Duration, 0, b.N)
	pair := [2]string{"a", "b"}
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
	slices.Sort(lat)
	b.ReportMetric(millis(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(millis(lat[len(lat)*99/100]), "p99-ms")
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func benchMust(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// bulkWrite stores sets and members directly (far faster than one commit
// each). Set i has members names(i); the first is in service, the others
// hot spares with automatic failover.
func bulkWrite(b *testing.B, st store.Store, sets int, names func(i int) []string) {
	var ops []store.Op
	seen := map[string]bool{}
	flush := func() {
		if _, err := st.Commit(context.Background(), store.Txn{Ops: ops}); err != nil {
			b.Fatal(err)
		}
		ops = ops[:0]
	}
	for i := range sets {
		set := sparingSet(fmt.Sprintf("redset:set%06d", i), 1)
		normalizePolicy(&set.Policy)
		set.LoadBalanceAlgorithm = LBNone
		var roles []roleEntry
		for j, n := range names(i) {
			if !seen[n] {
				seen[n] = true
				data, _ := json.Marshal(Member{Name: n, Probe: Probe{Rise: 1, Fall: 1}})
				ops = append(ops, store.Op{Key: memberKey(n), Value: data})
			}
			role := spare(SpareHot, FailoverBoth, 0)
			if j == 0 {
				role = inService
			}
			roles = append(roles, roleEntry{m: &memberState{name: n}, role: role})
		}
		data, err := encodeSet(setWrite{set: &set, roles: roles})
		if err != nil {
			b.Fatal(err)
		}
		ops = append(ops, store.Op{Key: setKey(set.InstanceID), Value: data})
		if len(ops) >= 20000 {
			flush()
		}
	}
	flush()
}

// BenchmarkAutoFailover10k: one member is in service in 10,000 Sparing
// sets, each with its own hot spare. The member fails; the benchmark ends
// when every set has failed over durably (fsync on, group commit).
func BenchmarkAutoFailover10k(b *testing.B) {
	const sets = 10000
	for range b.N {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "auto.db")
		st := openBolt(b, path, false)
		bulkWrite(b, st, sets, func(i int) []string { return []string{"shared", fmt.Sprintf("spare%06d", i)} })
		e, err := New(context.Background(), Options{Store: st})
		if err != nil {
			b.Fatal(err)
		}
		benchMust(b, e.ReportHealth("shared", Report{State: HealthOK}))
		for i := range sets {
			benchMust(b, e.ReportHealth(fmt.Sprintf("spare%06d", i), Report{State: HealthOK}))
		}
		sub := e.Bus().Subscribe(4*sets, func(r event.Record) bool { return r.Kind == event.KindFailoverSucceeded })
		b.StartTimer()
		t0, c0 := time.Now(), processCPU()
		benchMust(b, e.ReportHealth("shared", Report{State: HealthFailed}))
		for range sets {
			<-sub.C()
		}
		elapsed, cpu := time.Since(t0), processCPU()-c0
		b.StopTimer()
		b.ReportMetric(millis(elapsed), "all-promoted-ms")
		b.ReportMetric(millis(cpu), "cpu-ms")
		benchCheckPromoted(b, e, sets)
		e.Close()
		st.Close()
	}
}

func benchCheckPromoted(b *testing.B, e *Engine, sets int) {
	views, err := e.ListSets()
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range views {
		if v.Members[0].Name != "shared" || v.Members[0].Role.Kind != RoleSpare {
			b.Fatalf("set %s not failed over: %+v", v.InstanceID, v.Members)
		}
	}
	if len(views) != sets {
		b.Fatalf("%d sets, want %d", len(views), sets)
	}
}

// BenchmarkLargeStore: 100,000 Sparing sets of 3 members each (300,000
// members). Reports the heap held by a loaded engine and the time New takes
// to reopen the store: wall clock and the process CPU time it used (which
// includes the garbage collector running in parallel).
func BenchmarkLargeStore(b *testing.B) {
	const sets = 100000
	path := filepath.Join(b.TempDir(), "large.db")
	st := openBolt(b, path, true)
	bulkWrite(b, st, sets, func(i int) []string {
		return []string{fmt.Sprintf("m%06d-a", i), fmt.Sprintf("m%06d-b", i), fmt.Sprintf("m%06d-c", i)}
	})
	var reopen, cpu time.Duration
	var heap uint64
	b.ResetTimer()
	for range b.N {
		before := heapInUse()
		t0, c0 := time.Now(), processCPU()
		e, err := New(context.Background(), Options{Store: st})
		reopen += time.Since(t0)
		cpu += processCPU() - c0
		if err != nil {
			b.Fatal(err)
		}
		heap = heapInUse() - before
		if n := len(e.sets); n != sets {
			b.Fatalf("loaded %d sets, want %d", n, sets)
		}
		e.Close()
	}
	b.StopTimer()
	st.Close()
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	b.ReportMetric(millis(reopen)/float64(b.N), "reopen-ms")
	b.ReportMetric(millis(cpu)/float64(b.N), "reopen-cpu-ms")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
