package etcd_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// BenchmarkLeaderMassFailover: a leading engine (its commits fenced by an
// election, as a cluster's leader writes) on a three-member cluster; one
// member in service in REDSET_BENCH_SETS Sparing sets (default 1,000), each
// with its own hot spare, fails. The benchmark ends when every set has
// failed over durably. A following engine on the same prefix applies the
// changes from its watch; the benchmark also reports when it has applied
// them all, and how often it had to load the state again (its watch
// dropped for lagging behind).
func BenchmarkLeaderMassFailover(b *testing.B) {
	sets := 1000
	if v, err := strconv.Atoi(os.Getenv("REDSET_BENCH_SETS")); err == nil && v > 0 {
		sets = v
	}
	c := etcdtest.Start(b, 3, etcdtest.Options{})
	for range b.N {
		b.StopTimer()
		prefix := freshPrefix()
		e := leadingEngine(b, c, prefix, nil)
		createPairs(b, e, sets)
		flog := &warnings{}
		f, err := engine.New(context.Background(), engine.Options{Store: open(b, c.Endpoints(), prefix), Logger: slog.New(flog), Standby: true})
		must(b, err)
		b.Cleanup(func() { f.Close() })
		sub := e.Bus().Subscribe(4*sets, func(r event.Record) bool { return r.Kind == event.KindFailoverSucceeded })
		stop := profile(b)
		b.StartTimer()
		t0, cpu0 := time.Now(), processCPU()
		must(b, e.ReportHealth("shared", engine.Report{State: engine.HealthFailed}))
		for range sets {
			<-sub.C()
		}
		b.ReportMetric(ms(time.Since(t0)), "all-promoted-ms")
		b.ReportMetric(ms(processCPU()-cpu0), "cpu-ms")
		b.StopTimer()
		stop()
		_, err = e.History(context.Background(), 1) // writes the queued records
		must(b, err)
		rev, err := open(b, c.Endpoints(), prefix).Revision(context.Background())
		must(b, err)
		waitApplied(b, f, rev)
		b.ReportMetric(ms(time.Since(t0)), "follower-applied-ms")
		b.ReportMetric(float64(flog.count("following: the store watch ended")), "follower-reloads")
		checkFailedOver(b, e, sets)
	}
}

func profile(b *testing.B) func() {
	path := os.Getenv("REDSET_BENCH_PROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	must(b, err)
	must(b, pprof.StartCPUProfile(f))
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// leadingEngine opens an engine on a fresh prefix that leads through a
// won election.
func leadingEngine(b testing.TB, c *etcdtest.Cluster, prefix string, log *slog.Logger) *engine.Engine {
	s := open(b, c.Endpoints(), prefix)
	e, err := engine.New(context.Background(), engine.Options{Store: s, Logger: log, Standby: true})
	must(b, err)
	b.Cleanup(func() { e.Close() })
	sess, err := s.OpenSession(context.Background(), 5*time.Second)
	must(b, err)
	b.Cleanup(func() { sess.Close() })
	l, err := sess.Campaign(context.Background(), []byte("bench"))
	must(b, err)
	must(b, e.Lead(l.Store()))
	return e
}

// createPairs makes n Sparing sets of the member "shared" in service and a
// hot spare of their own, several at a time.
func createPairs(b testing.TB, e *engine.Engine, n int) {
	ctx := context.Background()
	_, err := e.PutMember(ctx, engine.Member{Name: "shared", Probe: engine.Probe{Rise: 1, Fall: 1}})
	must(b, err)
	must(b, e.ReportHealth("shared", engine.Report{State: engine.HealthOK}))
	errs := make(chan error, 32)
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < n; i += 32 {
				if err := pair(ctx, e, fmt.Sprintf("redset:set%06d", i), fmt.Sprintf("spare%06d", i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// pair makes one set of createPairs.
func pair(ctx context.Context, e *engine.Engine, id, spare string) error {
	set := engine.Set{InstanceID: id, TypeOfSet: []uint16{engine.TypeSparing}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1}
	if _, err := e.CreateSet(ctx, set); err != nil {
		return err
	}
	if _, err := e.PutMember(ctx, engine.Member{Name: spare, Probe: engine.Probe{Rise: 1, Fall: 1}}); err != nil {
		return err
	}
	if err := e.ReportHealth(spare, engine.Report{State: engine.HealthOK}); err != nil {
		return err
	}
	if _, err := e.AddToSet(ctx, id, "shared", engine.Role{Kind: engine.RoleInService}); err != nil {
		return err
	}
	hot := engine.Role{Kind: engine.RoleSpare, Spare: engine.SpareSettings{SpareStatus: engine.SpareHot, FailoverSupported: engine.FailoverBoth}}
	_, err := e.AddToSet(ctx, id, spare, hot)
	return err
}

func checkFailedOver(b testing.TB, e *engine.Engine, n int) {
	views, err := e.ListSets()
	must(b, err)
	for _, v := range views {
		if v.Members[0].Name != "shared" || v.Members[0].Role.Kind != engine.RoleSpare {
			b.Fatalf("set %s not failed over: %+v", v.InstanceID, v.Members)
		}
	}
	if len(views) != n {
		b.Fatalf("%d sets, want %d", len(views), n)
	}
}

// processCPU is the processor time of the whole process (the etcd
// members, the leading and the following engine): on a busy machine it
// compares better than the elapsed time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// waitApplied polls until the following engine f has applied revision rev.
func waitApplied(b testing.TB, f *engine.Engine, rev int64) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Minute)
	for {
		if live, at, _ := f.Applied(); live && at >= rev {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			b.Fatalf("the follower did not apply revision %d in time", rev)
		}
	}
}
