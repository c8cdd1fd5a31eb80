package redsettest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// The benchmarks run over real HTTP with a kept-alive connection against a
// running server, as a management client would. Goals (issue 4, compared
// with SFCB on the same data in PROTOCOLS.md): EnumerateInstances of 1,000
// sets under 2 ms median, GetInstance under 0.1 ms median. Each reports
// its median and 99th percentile besides the mean ns/op.
//
//	go test ./redsettest -run '^$' -bench CIMXML -benchtime 3s

// benchSets is how many sets the enumeration benchmark serves.
const benchSets = 1000

// populate creates n sets of three in-service members each (N+1, N = 2),
// in parallel so that the store can group its commits.
func populate(b *testing.B, eng *engine.Engine, n int) {
	b.Helper()
	ctx := context.Background()
	jobs := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range jobs {
				if err := populateOne(ctx, eng, i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

func populateOne(ctx context.Context, eng *engine.Engine, i int) error {
	id := fmt.Sprintf("redset:bench-%04d", i)
	if _, err := eng.CreateSet(ctx, engine.Set{InstanceID: id, ElementName: "bench set " + id,
		Caption: "bench", TypeOfSet: []uint16{engine.TypeNPlus1}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 2}); err != nil {
		return err
	}
	for j := range 3 {
		name := fmt.Sprintf("bench-%04d-%d", i, j)
		if _, err := eng.PutMember(ctx, engine.Member{Name: name}); err != nil {
			return err
		}
		if _, err := eng.AddToSet(ctx, id, name, inService); err != nil {
			return err
		}
	}
	return nil
}

// latencies collects the duration of every operation of a benchmark.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	pct := func(p float64) float64 {
		return float64(l[min(len(l)-1, int(p*float64(len(l))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// post sends body and drains the answer (so that the connection is
// reused), returning the answer's bytes in buf.
func (c *cimClient) post(buf *bytes.Buffer, method, object, body string) error {
	resp, err := c.hc.Do(c.request(method, object, body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := io.Copy(buf, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// runOps runs op once per benchmark iteration, timing each call.
func runOps(b *testing.B, op func(i int) error) {
	var lat latencies
	i := 0
	for b.Loop() {
		start := time.Now()
		if err := op(i); err != nil {
			b.Fatalf("operation %d: %v", i, err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	lat.report(b)
}

// BenchmarkCIMXMLEnumerateInstances1000 enumerates 1,000 Msvm_RedundancySet
// instances (three members each) end to end: request, authentication,
// dispatch, provider, encoding, and reading the whole answer.
func BenchmarkCIMXMLEnumerateInstances1000(b *testing.B) {
	srv := redsettest.Start(b, redsettest.Options{})
	populate(b, srv.Engine(), benchSets)
	c := newCIMClient(srv)
	body := enumerateInstancesBody(classSet)
	if got := len(c.call(b, "EnumerateInstances", cimNamespace, body).instances()); got != benchSets {
		b.Fatalf("EnumerateInstances returned %d instances, want %d", got, benchSets)
	}
	var buf bytes.Buffer
	if err := c.post(&buf, "EnumerateInstances", cimNamespace, body); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	runOps(b, func(int) error {
		return c.post(&buf, "EnumerateInstances", cimNamespace, body)
	})
}

// BenchmarkCIMXMLGetInstance reads one of 1,000 sets.
func BenchmarkCIMXMLGetInstance(b *testing.B) {
	srv := redsettest.Start(b, redsettest.Options{})
	populate(b, srv.Engine(), benchSets)
	c := newCIMClient(srv)
	const id = "redset:bench-0500"
	body := getInstanceBody(id)
	if got := column(c.call(b, "GetInstance", cimNamespace, body).instances(), "InstanceID"); !slices.Equal(got, []string{id}) {
		b.Fatalf("GetInstance returned %v, want %s", got, id)
	}
	var buf bytes.Buffer
	runOps(b, func(int) error {
		return c.post(&buf, "GetInstance", cimNamespace, body)
	})
}

// BenchmarkCIMXMLInvokeFailover fails over back and forth between the two
// members of a Sparing set, so that every call succeeds (ReturnValue 0)
// and commits the role swap durably.
func BenchmarkCIMXMLInvokeFailover(b *testing.B) {
	srv := redsettest.Start(b, redsettest.Options{})
	eng := srv.Engine()
	const id = "redset:bench-failover"
	putMembers(b, eng, "fo-a", "fo-b")
	reportHealth(b, eng, engine.HealthOK, "fo-a", "fo-b")
	createSet(b, eng, engine.Set{InstanceID: id, TypeOfSet: []uint16{engine.TypeSparing}, MinNumberNeeded: 1},
		map[string]engine.Role{"fo-a": inService, "fo-b": hotSpare})
	c := newCIMClient(srv)
	bodies := [2]string{failoverBody(id, "fo-a", "fo-b"), failoverBody(id, "fo-b", "fo-a")}
	object := failoverObject(id)
	ok := []byte(`<RETURNVALUE PARAMTYPE="uint32"><VALUE>0</VALUE></RETURNVALUE>`)
	var buf bytes.Buffer
	runOps(b, func(i int) error {
		if err := c.post(&buf, "Failover", object, bodies[i%2]); err != nil {
			return err
		}
		if !bytes.Contains(buf.Bytes(), ok) {
			return fmt.Errorf("failover did not return 0:\n%s", buf.Bytes())
		}
		return nil
	})
}
