package traffic

// BenchmarkVsHAProxy runs Debian's haproxy (mode tcp, roundrobin) and a
// redset frontend side by side in one run, over the same two backends and
// with the same client, all on loopback; each server runs in a process of
// its own (the redset frontend is this test binary started again, see
// runChildFrontend), so that its processor time can be read from
// /proc/PID/task/*/schedstat without the client's. The targets take turns
// in rounds, so the machine's other load weighs on all alike.
//
//	go test ./traffic -run '^$' -bench VsHAProxy -benchtime 20000x
//
// conns: each operation is a new connection that sends a 3-byte request
// and reads a 64-byte answer. bytes: each operation is a connection that
// reads a 64 MiB answer. Reported: each target's rate (conns/s or MB/s),
// redset over haproxy (ratio), the p99 latency each proxy adds over going
// to the backend directly (added-p99-us), and each proxy's processor time
// per operation (cpu-us/op). The bytes benchmark makes b.N/100 streams.
// TRAFFIC_CPUPROFILE=FILE writes the redset frontend's CPU profile.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/store/bolt"
)

// runChildFrontend is the test binary started again as a redset frontend
// over the backends named in TRAFFIC_MEMBERS: it prints its address, then
// serves until its standard input ends.
func runChildFrontend(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(dir, "redset.db"), bolt.Options{NoSync: true})
	if err != nil {
		fail(err)
	}
	eng, err := engine.New(ctx, engine.Options{Store: st})
	if err != nil {
		fail(err)
	}
	set := engine.Set{InstanceID: "redset:bench", TypeOfSet: []uint16{engine.TypeLoadBalanced}, OtherTypeOfSet: []string{""},
		MinNumberNeeded: 1, LoadBalanceAlgorithm: engine.LBRoundRobin,
		Frontend: &engine.Frontend{Listen: "127.0.0.1:0", MaxConnections: 100000}}
	if _, err := eng.CreateSet(ctx, set); err != nil {
		fail(err)
	}
	for i, addr := range strings.Split(os.Getenv("TRAFFIC_MEMBERS"), ",") {
		name := fmt.Sprintf("b%d", i+1)
		if _, err := eng.PutMember(ctx, engine.Member{Name: name, Address: addr}); err != nil {
			fail(err)
		}
		if err := eng.ReportHealth(name, engine.Report{State: engine.HealthOK, Source: "bench"}); err != nil {
			fail(err)
		}
		if _, err := eng.AddToSet(ctx, set.InstanceID, name, engine.Role{Kind: engine.RoleInService}); err != nil {
			fail(err)
		}
	}
	if path := os.Getenv("TRAFFIC_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fail(err)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	m := New(eng, Options{})
	if err := m.Start(ctx); err != nil {
		fail(err)
	}
	st0, _ := m.Status(set.InstanceID)
	for st0.Address == "" {
		time.Sleep(time.Millisecond)
		st0, _ = m.Status(set.InstanceID)
	}
	fmt.Println(st0.Address)
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = m.Close()
	_ = eng.Close()
	_ = st.Close()
}

// runChildSource is a backend that answers a request "N\n" with N bytes.
func runChildSource() {
	ln := childListen()
	zeros := make([]byte, 256<<10)
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(0)
		}
		go serveSource(c, zeros)
	}
}

func serveSource(c net.Conn, zeros []byte) {
	defer c.Close()
	line, err := bufio.NewReaderSize(c, 64).ReadString('\n')
	if err != nil {
		return
	}
	n, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		return
	}
	for n > 0 {
		w, err := c.Write(zeros[:min(n, int64(len(zeros)))])
		if err != nil {
			return
		}
		n -= int64(w)
	}
}

// startHAProxy runs haproxy over the backends and returns its address and
// process id.
func startHAProxy(b *testing.B, backends []string) (string, int) {
	b.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		b.Skip("haproxy is not installed (apt-get install haproxy): no comparison")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`global
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind %s
  default_backend be
backend be
  balance roundrobin
`, addr)
	for i, a := range backends {
		cfg += fmt.Sprintf("  server b%d %s\n", i+1, a)
	}
	path := filepath.Join(b.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr, cmd.Process.Pid
		}
		if time.Now().After(deadline) {
			b.Fatalf("haproxy does not listen on %s: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cpuTime is a process's time on a processor, summed over its threads.
func cpuTime(pid int) time.Duration {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(filepath.Join(dir, t.Name(), "schedstat"))
		if err != nil {
			continue
		}
		run, _, _ := strings.Cut(string(data), " ")
		ns, _ := strconv.ParseInt(run, 10, 64)
		total += time.Duration(ns)
	}
	return total
}

// target is one place the client connects to.
type target struct {
	name string
	addr string
	pid  int // 0: nothing to measure (the backends directly)

	wall  time.Duration
	cpu   time.Duration
	ops   int
	bytes int64
	lat   []time.Duration
}

// exchange is one operation: connect, ask for size bytes, read them all.
func exchange(addr string, size int64) (int64, time.Duration, error) {
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "%d\n", size); err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, c)
	if err != nil {
		return n, 0, err
	}
	if n != size {
		return n, 0, fmt.Errorf("read %d bytes, want %d", n, size)
	}
	_ = c.(*net.TCPConn).SetLinger(0) // no TIME_WAIT on the client's port
	return n, time.Since(start), nil
}

// round runs ops operations on t from workers clients at once.
func (t *target) round(b *testing.B, ops, workers int, size int64) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan struct{}, ops)
	for range ops {
		next <- struct{}{}
	}
	close(next)
	cpu0, start := cpuTime(t.pid), time.Now()
	for range workers {
		wg.Go(func() {
			var lat []time.Duration
			var bytes int64
			for range next {
				n, d, err := exchange(t.addr, size)
				if err != nil {
					b.Errorf("%s: %v", t.name, err)
					return
				}
				bytes += n
				lat = append(lat, d)
			}
			mu.Lock()
			t.lat = append(t.lat, lat...)
			t.bytes += bytes
			mu.Unlock()
		})
	}
	wg.Wait()
	t.wall += time.Since(start)
	if t.pid != 0 {
		t.cpu += cpuTime(t.pid) - cpu0
	}
	t.ops += ops
}

func (t *target) p99() time.Duration {
	slices.Sort(t.lat)
	if len(t.lat) == 0 {
		return 0
	}
	return t.lat[len(t.lat)*99/100]
}

func BenchmarkVsHAProxy(b *testing.B) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		b.Skip("needs /proc (Linux)")
	}
	src1, _ := child(b, "TRAFFIC_SOURCE=1")
	src2, _ := child(b, "TRAFFIC_SOURCE=1")
	backends := []string{src1, src2}
	haAddr, haPID := startHAProxy(b, backends)
	rsAddr, rsPID := child(b, "TRAFFIC_FRONTEND="+b.TempDir(), "TRAFFIC_MEMBERS="+strings.Join(backends, ","))
	b.Run("conns", func(b *testing.B) { compare(b, haAddr, haPID, rsAddr, rsPID, src1, 64, 8) })
	b.Run("bytes", func(b *testing.B) { compare(b, haAddr, haPID, rsAddr, rsPID, src1, 64<<20, 2) })
}

func compare(b *testing.B, haAddr string, haPID int, rsAddr string, rsPID int, direct string, size int64, workers int) {
	ha := &target{name: "haproxy", addr: haAddr, pid: haPID}
	rs := &target{name: "redset", addr: rsAddr, pid: rsPID}
	dt := &target{name: "direct", addr: direct}
	const rounds = 10
	per := max(b.N/rounds, workers)
	if size > 1<<20 {
		per = max(b.N/rounds/100, workers) // a long stream is a hundred operations' worth
	}
	b.ResetTimer()
	for range rounds {
		for _, t := range []*target{ha, rs, dt} {
			t.round(b, per, workers, size)
		}
	}
	b.StopTimer()
	rate := func(t *target) float64 {
		if size > 1<<20 {
			return float64(t.bytes) / t.wall.Seconds() / 1e6
		}
		return float64(t.ops) / t.wall.Seconds()
	}
	unit := "conns/s"
	if size > 1<<20 {
		unit = "MB/s"
	}
	b.ReportMetric(rate(ha), "haproxy-"+unit)
	b.ReportMetric(rate(rs), "redset-"+unit)
	b.ReportMetric(rate(dt), "direct-"+unit)
	b.ReportMetric(rate(rs)/rate(ha), "ratio")
	b.ReportMetric(float64((ha.p99() - dt.p99()).Microseconds()), "haproxy-added-p99-us")
	b.ReportMetric(float64((rs.p99() - dt.p99()).Microseconds()), "redset-added-p99-us")
	b.ReportMetric(float64(ha.cpu.Microseconds())/float64(ha.ops), "haproxy-cpu-us/op")
	b.ReportMetric(float64(rs.cpu.Microseconds())/float64(rs.ops), "redset-cpu-us/op")
}
