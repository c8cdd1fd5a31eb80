//go:build linux

package redsettest_test

// BenchmarkFloor measures redset against the floor of issue 13: a bare
// net/http server answering the same requests with the same bytes. Both
// are child processes on loopback: `redset serve` (built from
// ./cmd/redset, a bbolt store in a temporary directory, 1,000 sets declared
// in its configuration file, see floorConfig) and this test binary started
// again as the floor server (floor_server_test.go), which writes back the
// answers redset gave to each request, recorded once at the start. The
// same client drives both: floorClients goroutines, each with a kept-alive
// connection, the same request bytes and Basic authentication header.
// Server processor time (the sum of the threads' time on a processor, from
// /proc/PID/task/TID/schedstat) is taken around the measured operations,
// so the client's cost does not count.
//
//	go test ./redsettest -run '^$' -bench Floor -benchtime 3s
//
// Each operation reports redset-us/op and floor-us/op (server processor
// time per operation) and ratio (redset over floor); the enumerations also
// report the median time to the first answer's headers (first-byte-us).
// ns/op is the wall time of both runs together.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redset/redset/redsettest"
)

const (
	floorClients = 4
	floorSet     = "redset:bench-0500"
)

// floorSets is how many sets the server has: 1,000, or REDSET_FLOOR_SETS
// (at least 1,000) to see how enumerations grow.
var floorSets = func() int {
	n, err := strconv.Atoi(os.Getenv("REDSET_FLOOR_SETS"))
	if err != nil || n < 1000 {
		return 1000
	}
	return n
}()

// floorStartLimit bounds the server's start, every set declared: five
// minutes, and one more for every 10,000 sets past 10,000 (declaring
// 100,000 sets in an empty store, one durable commit each, takes minutes).
var floorStartLimit = 5*time.Minute + time.Duration(max(floorSets-10000, 0)/10000)*time.Minute

// floorData is the server's data directory: REDSET_FLOOR_DATA when set,
// kept after the run so that the next run with as many sets finds them
// stored and starts in seconds; else a temporary directory.
func floorData(b *testing.B) string {
	if dir := os.Getenv("REDSET_FLOOR_DATA"); dir != "" {
		return dir
	}
	return filepath.Join(b.TempDir(), "data")
}

// BenchmarkFloor runs every operation against redset, then against the
// floor server, in one process tree.
func BenchmarkFloor(b *testing.B) {
	floorPrerequisites(b)
	rs := startFloorRedset(b)
	answers := map[string]floorAnswer{}
	rec := &floorClient{base: rs.url, hc: floorHTTPClient(), record: answers}
	for _, op := range floorOps() {
		// Twice: the committed failover records both ways, and leaves the set as it was.
		for range 2 {
			if err := op.run(&floorSession{c: rec}); err != nil {
				b.Fatalf("%s on redset: %v\n%s", op.name, err, rs.logTail())
			}
		}
	}
	floorLogAnswers(b, answers)
	fl := startFloorServer(b, answers)
	redsetC := &floorClient{base: rs.url, hc: floorHTTPClient()}
	floorC := &floorClient{base: fl.url, hc: floorHTTPClient()}
	for _, op := range floorOps() {
		b.Run(op.name, func(b *testing.B) {
			b.ResetTimer()
			r := floorMeasure(b, rs, redsetC, op)
			f := floorMeasure(b, fl, floorC, op)
			b.StopTimer()
			floorReport(b, op, r, f)
		})
	}
}

// floorLogAnswers lists the recorded answers: key, status, size.
func floorLogAnswers(b *testing.B, answers map[string]floorAnswer) {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(answers)) {
		lines = append(lines, fmt.Sprintf("%s %d %d bytes", k, answers[k].Status, len(answers[k].Body)))
	}
	b.Logf("recorded answers: %s", strings.Join(lines, "; "))
}

// floorPrerequisites skips the benchmark when it cannot run here.
func floorPrerequisites(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("BenchmarkFloor builds ./cmd/redset and needs the go command in PATH")
	}
	if _, err := threadsCPU(os.Getpid()); err != nil {
		b.Skipf("BenchmarkFloor reads processor time from /proc: %v", err)
	}
}

// ---- the operations ----

// floorOp is one measured operation: one or more requests.
type floorOp struct {
	name string
	enum bool // an enumeration: report the time to its first byte
	run  func(s *floorSession) error
}

func floorOps() []floorOp {
	return []floorOp{
		{name: fmt.Sprintf("CIMXMLEnumerateInstances%d", floorSets), enum: true, run: floorCIMEnumerate},
		{name: fmt.Sprintf("CIMXMLOpenEnumeratePull%d", floorSets), enum: true, run: floorCIMOpenPull},
		{name: fmt.Sprintf("WSManEnumeratePull%d", floorSets), enum: true, run: func(s *floorSession) error {
			return floorWSManEnumerate(s, "wsman-enum", `<n:Enumerate/>`)
		}},
		{name: fmt.Sprintf("WSManOptimizedEnumeratePull%d", floorSets), enum: true, run: func(s *floorSession) error {
			return floorWSManEnumerate(s, "wsman-opt", `<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>1000</w:MaxElements></n:Enumerate>`)
		}},
		{name: "CIMXMLGetInstance", run: floorCIMGet},
		{name: "WSManGet", run: floorWSManGet},
		{name: "CIMXMLInvokeFailoverRefused", run: floorCIMFailover},
		{name: "CIMXMLInvokeFailoverCommitted", run: floorCIMFailoverCommitted},
	}
}

var (
	floorCIMEnumBody = []byte(enumerateInstancesBody(classSet))
	floorCIMGetBody  = []byte(getInstanceBody(floorSet))
	floorCIMOpenBody = []byte(intrinsicBody("OpenEnumerateInstances",
		`<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="`+classSet+`"/></IPARAMVALUE>`))
	// The member to fail over to has no probe, so its health is Unknown:
	// the engine refuses the failover at its check 4 (code 4), having
	// parsed the call and looked up the set and both members; no role
	// changes, the refusal is logged and its event queued for the history.
	floorCIMFailoverBody = []byte(failoverBody(floorSet, "bench-0500-0", "bench-0500-1"))
	floorWSManGetBody    = []byte(wsmanMsg{Action: wsmanActGet, URI: wsmanSetURI,
		Selectors: []string{"InstanceID", floorSet}}.String())

	floorCIMInstance   = []byte(`<INSTANCE CLASSNAME="` + classSet + `"`)
	floorCIMContextRE  = regexp.MustCompile(`NAME="EnumerationContext"[^>]*><VALUE>([^<]+)</VALUE>`)
	floorCIMEndRE      = regexp.MustCompile(`NAME="EndOfSequence"[^>]*><VALUE>(?i:true)</VALUE>`)
	floorWSManInstance = []byte("</p:InstanceID>")
	floorRefused       = []byte(`<RETURNVALUE PARAMTYPE="uint32"><VALUE>4</VALUE></RETURNVALUE>`)
	floorCommitted     = []byte(`<RETURNVALUE PARAMTYPE="uint32"><VALUE>0</VALUE></RETURNVALUE>`)
)

func floorCIMEnumerate(s *floorSession) error {
	if err := s.post(floorCIMRequest("cim-enum", "EnumerateInstances", cimNamespace, floorCIMEnumBody)); err != nil {
		return err
	}
	return floorCount(bytes.Count(s.buf.Bytes(), floorCIMInstance), floorSets)
}

func floorCIMGet(s *floorSession) error {
	if err := s.post(floorCIMRequest("cim-get", "GetInstance", cimNamespace, floorCIMGetBody)); err != nil {
		return err
	}
	return floorCount(bytes.Count(s.buf.Bytes(), floorCIMInstance), 1)
}

// floorCIMFailoverCommitted fails over the client's own Sparing set
// (redset:bench-000N for client N, so that no two clients wait for each
// other) from its member in service to its spare, back and forth: each
// call commits the role swap durably and returns 0.
func floorCIMFailoverCommitted(s *floorSession) error {
	turn := &s.c.turns[s.id]
	from, to, key := "a", "b", "cim-commit-ab"
	if *turn%2 == 1 {
		from, to, key = "b", "a", "cim-commit-ba"
	}
	set := fmt.Sprintf("redset:bench-%04d", s.id)
	body := failoverBody(set, fmt.Sprintf("bench-%04d-%s", s.id, from), fmt.Sprintf("bench-%04d-%s", s.id, to))
	if err := s.post(floorCIMRequest(key, "Failover", failoverObject(set), []byte(body))); err != nil {
		return err
	}
	if !bytes.Contains(s.buf.Bytes(), floorCommitted) {
		return fmt.Errorf("the failover %s -> %s did not return 0: %.500s", from, to, s.buf.Bytes())
	}
	*turn++
	return nil
}

func floorCIMFailover(s *floorSession) error {
	if err := s.post(floorCIMRequest("cim-failover", "Failover", failoverObject(floorSet), floorCIMFailoverBody)); err != nil {
		return err
	}
	if !bytes.Contains(s.buf.Bytes(), floorRefused) {
		return fmt.Errorf("the failover did not return 4: %.500s", s.buf.Bytes())
	}
	return nil
}

// floorCIMOpenPull opens an enumeration (no MaxObjectCount: no instances
// in the answer) and pulls up to 1,000 at a time until EndOfSequence.
func floorCIMOpenPull(s *floorSession) error {
	if err := s.post(floorCIMRequest("cim-open", "OpenEnumerateInstances", cimNamespace, floorCIMOpenBody)); err != nil {
		return err
	}
	n := bytes.Count(s.buf.Bytes(), floorCIMInstance)
	for step := 1; !floorCIMEndRE.Match(s.buf.Bytes()); step++ {
		m := floorCIMContextRE.FindSubmatch(s.buf.Bytes())
		if m == nil || step > floorSets {
			return fmt.Errorf("no enumeration context: %.500s", s.buf.Bytes())
		}
		body := intrinsicBody("PullInstancesWithPath", `<IPARAMVALUE NAME="EnumerationContext"><VALUE>`+string(m[1])+
			`</VALUE></IPARAMVALUE><IPARAMVALUE NAME="MaxObjectCount"><VALUE>1000</VALUE></IPARAMVALUE>`)
		if err := s.post(floorCIMRequest(fmt.Sprintf("cim-pull-%d", step), "PullInstancesWithPath", cimNamespace, []byte(body))); err != nil {
			return err
		}
		n += bytes.Count(s.buf.Bytes(), floorCIMInstance)
	}
	return floorCount(n, floorSets)
}

func floorWSManGet(s *floorSession) error {
	if err := s.post(floorWSManRequest("wsman-get", floorWSManGetBody)); err != nil {
		return err
	}
	return floorCount(bytes.Count(s.buf.Bytes(), floorWSManInstance), 1)
}

// floorWSManEnumerate enumerates the sets: Enumerate with the given body,
// then Pulls of up to 1,000 items until EndOfSequence.
func floorWSManEnumerate(s *floorSession, key, enumerate string) error {
	msg := wsmanMsg{Action: wsmanActEnumerate, URI: wsmanSetURI, Body: enumerate}.String()
	if err := s.post(floorWSManRequest(key, []byte(msg))); err != nil {
		return err
	}
	n := bytes.Count(s.buf.Bytes(), floorWSManInstance)
	for step := 1; !bytes.Contains(s.buf.Bytes(), []byte("EndOfSequence")); step++ {
		m := wsmanBenchContextRE.FindSubmatch(s.buf.Bytes())
		if m == nil || step > floorSets {
			return fmt.Errorf("no enumeration context: %.500s", s.buf.Bytes())
		}
		pull := wsmanMsg{Action: wsmanActPull, URI: wsmanSetURI, Body: `<n:Pull><n:EnumerationContext>` + string(m[1]) +
			`</n:EnumerationContext><n:MaxElements>1000</n:MaxElements></n:Pull>`}
		if err := s.post(floorWSManRequest(fmt.Sprintf("%s-pull-%d", key, step), []byte(pull.String()))); err != nil {
			return err
		}
		n += bytes.Count(s.buf.Bytes(), floorWSManInstance)
	}
	return floorCount(n, floorSets)
}

func floorCount(got, want int) error {
	if got != want {
		return fmt.Errorf("%d instances in the answer, want %d", got, want)
	}
	return nil
}

// ---- the client ----

// floorRequest is one HTTP request of an operation; key names its
// recorded answer.
type floorRequest struct {
	key, path string
	header    http.Header
	body      []byte
}

var floorAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+redsettest.AdminPassword))

func floorCIMRequest(key, method, object string, body []byte) floorRequest {
	return floorRequest{key: key, path: "/cimom", body: body, header: http.Header{
		"Content-Type": {`application/xml; charset="utf-8"`}, "Cimoperation": {"MethodCall"},
		"Cimmethod": {method}, "Cimobject": {object}, "Authorization": {floorAuth}, floorAnswerHeader: {key}}}
}

func floorWSManRequest(key string, body []byte) floorRequest {
	return floorRequest{key: key, path: "/wsman", body: body, header: http.Header{
		"Content-Type": {"application/soap+xml;charset=UTF-8"}, "Authorization": {floorAuth}, floorAnswerHeader: {key}}}
}

// floorClient sends the requests of one server; while record is not nil,
// it keeps every answer under its request's key. turns counts each
// client goroutine's committed failovers, so that the next one goes the
// other way.
type floorClient struct {
	base   string
	hc     *http.Client
	mu     sync.Mutex
	record map[string]floorAnswer
	turns  [floorClients]int
}

func floorHTTPClient() *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		Proxy: nil, MaxIdleConnsPerHost: floorClients, DisableCompression: true}}
}

// floorSession is one client goroutine: its answer buffer, and the time
// to the first answer's headers of its current operation.
type floorSession struct {
	id    int // the client goroutine, 0 to floorClients-1
	c     *floorClient
	buf   bytes.Buffer
	first time.Duration
	began bool
	posts int // requests sent in the current operation
}

func (s *floorSession) begin() { s.began, s.first, s.posts = false, 0, 0 }

// post sends r and reads the whole answer into s.buf; anything but 200 is
// an error.
func (s *floorSession) post(r floorRequest) error {
	req, err := http.NewRequest(http.MethodPost, s.c.base+r.path, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	req.Header = r.header
	s.posts++
	start := time.Now()
	resp, err := s.c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if !s.began {
		s.began, s.first = true, time.Since(start)
	}
	s.buf.Reset()
	if _, err := io.Copy(&s.buf, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %.300s", r.key, resp.StatusCode, s.buf.Bytes())
	}
	s.keep(r.key, resp)
	return nil
}

func (s *floorSession) keep(key string, resp *http.Response) {
	if s.c.record == nil {
		return
	}
	h := resp.Header.Clone()
	h.Del("Date")
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.record[key] = floorAnswer{Status: resp.StatusCode, Header: h, Body: slices.Clone(s.buf.Bytes())}
}

// ---- measuring ----

// floorResult is one server's share of a benchmark.
type floorResult struct {
	cpu   time.Duration // the server's processor time over the b.N operations
	first []time.Duration
	posts int   // requests of the last operation
	rss   int64 // the server's resident memory after the operations, in bytes
	peak  int64 // the most it has had resident since it started, in bytes
}

// floorMeasure runs b.N operations on one server from floorClients
// goroutines and takes the server's processor time around them.
func floorMeasure(b *testing.B, srv *floorProcess, c *floorClient, op floorOp) floorResult {
	var next atomic.Int64
	firsts := make([][]time.Duration, floorClients)
	posts := make([]int, floorClients)
	errs := make([]error, floorClients)
	cpu0 := srv.cpu(b)
	var wg sync.WaitGroup
	for g := range floorClients {
		wg.Go(func() {
			s := &floorSession{id: g, c: c}
			for next.Add(1) <= int64(b.N) {
				s.begin()
				if errs[g] = op.run(s); errs[g] != nil {
					return
				}
				firsts[g], posts[g] = append(firsts[g], s.first), s.posts
			}
		})
	}
	wg.Wait()
	cpu := srv.cpu(b) - cpu0
	if err := errors.Join(errs...); err != nil {
		b.Fatalf("%s on %s: %v\n%s", op.name, srv.name, err, srv.logTail())
	}
	rss, peak := srv.memory(b)
	return floorResult{cpu: cpu, first: slices.Concat(firsts...), posts: slices.Max(posts), rss: rss, peak: peak}
}

func floorReport(b *testing.B, op floorOp, r, f floorResult) {
	perOp := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(b.N) }
	b.ReportMetric(perOp(r.cpu), "redset-us/op")
	b.ReportMetric(perOp(f.cpu), "floor-us/op")
	if f.cpu > 0 {
		b.ReportMetric(float64(r.cpu)/float64(f.cpu), "ratio")
	}
	b.ReportMetric(float64(r.rss)/(1<<20), "redset-rss-MiB")
	b.ReportMetric(float64(r.peak)/(1<<20), "redset-peak-rss-MiB")
	if op.enum {
		b.ReportMetric(float64(r.posts), "requests/op")
		b.ReportMetric(floorMedian(r.first), "redset-first-byte-us")
		b.ReportMetric(floorMedian(f.first), "floor-first-byte-us")
	}
}

func floorMedian(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return float64(ds[len(ds)/2]) / float64(time.Microsecond)
}

// ---- the two child processes ----

// floorProcess is a child server process, ended by its PID when the
// benchmark ends.
type floorProcess struct {
	name, url, logPath string
	cmd                *exec.Cmd
}

func (p *floorProcess) cpu(b *testing.B) time.Duration {
	d, err := threadsCPU(p.cmd.Process.Pid)
	if err != nil {
		b.Fatalf("%s: %v", p.name, err)
	}
	return d
}

// memory is the process's resident memory now and its peak so far, in
// bytes (VmRSS and VmHWM of /proc/PID/status).
func (p *floorProcess) memory(b *testing.B) (rss, peak int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Fatalf("%s: %v", p.name, err)
	}
	for line := range strings.Lines(string(data)) {
		name, value, _ := strings.Cut(line, ":")
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch {
		case err != nil:
		case name == "VmRSS":
			rss = kb << 10
		case name == "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak
}

func (p *floorProcess) logTail() string {
	data, _ := os.ReadFile(p.logPath)
	return tail(string(data), 8<<10)
}

// start launches cmd with its output in the file logPath, to be killed by
// PID when the benchmark ends.
func (p *floorProcess) start(b *testing.B, cmd *exec.Cmd, stdout io.Writer) {
	log, err := os.Create(p.logPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { log.Close() })
	cmd.Stdout, cmd.Stderr = log, log
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting %s: %v", p.name, err)
	}
	p.cmd = cmd
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	b.Cleanup(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
}

// startFloorRedset starts `redset serve` with the 1,000 sets in its
// configuration file and waits until it is ready.
func startFloorRedset(b *testing.B) *floorProcess {
	bin := clusterBinary(b)
	dir := b.TempDir()
	addr := ctFreePorts(b, 1)[0]
	service := startService(b, "floor-service")
	cfgPath := filepath.Join(dir, "redset.yaml")
	if err := os.WriteFile(cfgPath, []byte(floorConfig(floorData(b), addr, service.addr)), 0o600); err != nil {
		b.Fatal(err)
	}
	p := &floorProcess{name: "redset", url: "http://" + addr, logPath: filepath.Join(dir, "redset.log")}
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir, "REDSET_ADMIN_PASSWORD=" + redsettest.AdminPassword}
	p.start(b, cmd, nil)
	hc := &http.Client{Timeout: ctRequestWithin}
	waitUntil(b, floorStartLimit, "redset ready", func() (bool, string) {
		resp, err := hc.Get(p.url + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return p
}

// floorConfig declares floorSets sets. The first floorClients, one for
// each client goroutine's committed failovers, are Sparing sets of two
// members (bench-NNNN-a in service, bench-NNNN-b spare) whose probes reach
// the test's service, so that they are OK. The others are N+1 sets of
// three in-service members without probes (their health stays Unknown),
// as the other benchmarks create them.
func floorConfig(data, addr, service string) string {
	var c strings.Builder
	fmt.Fprintf(&c, "listen: [%q]\ndata: %s\nmembers:\n", addr, data)
	for i := range floorSets {
		if i < floorClients {
			for _, m := range []string{"a", "b"} {
				fmt.Fprintf(&c, "  - {name: bench-%04d-%s, probe: {type: tcp, address: %q, interval: 1s, timeout: 1s, rise: 1, fall: 3}}\n", i, m, service)
			}
			continue
		}
		for j := range 3 {
			fmt.Fprintf(&c, "  - {name: bench-%04d-%d}\n", i, j)
		}
	}
	c.WriteString("sets:\n")
	for i := range floorSets {
		fmt.Fprintf(&c, "  - {id: bench-%04d, elementName: bench set redset:bench-%04d, caption: bench, ", i, i)
		if i < floorClients {
			fmt.Fprintf(&c, "typeOfSet: [4], minNumberNeeded: 1, members: [{name: bench-%04d-a, role: inService}, {name: bench-%04d-b, role: spare}]}\n", i, i)
			continue
		}
		fmt.Fprintf(&c, "typeOfSet: [2], minNumberNeeded: 2, members: [")
		for j := range 3 {
			fmt.Fprintf(&c, "{name: bench-%04d-%d, role: inService}, ", i, j)
		}
		c.WriteString("]}\n")
	}
	return c.String()
}

// startFloorServer starts this test binary again as the floor server of
// answers and waits for its address.
func startFloorServer(b *testing.B, answers map[string]floorAnswer) *floorProcess {
	dir := b.TempDir()
	data, err := json.Marshal(answers)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "answers.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	p := &floorProcess{name: "floor", logPath: filepath.Join(dir, "floor.log")}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), floorAnswersEnv+"="+path)
	out, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	p.start(b, cmd, w)
	w.Close()
	addr := make(chan string, 1)
	go func() {
		defer out.Close()
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(strings.TrimPrefix(line, "listening "))
	}()
	select {
	case a := <-addr:
		if a == "" {
			b.Fatalf("the floor server did not start:\n%s", p.logTail())
		}
		p.url = "http://" + a
	case <-time.After(ctStartWithin):
		b.Fatalf("the floor server gave no address within %v:\n%s", ctStartWithin, p.logTail())
	}
	return p
}

// threadsCPU is the processor time process pid has used so far, in
// nanoseconds: the sum over its threads of /proc/PID/task/TID/schedstat's
// time on a processor (a Go server's threads live as long as it does).
// Where schedstat is missing it is procCPU.
func threadsCPU(pid int) (time.Duration, error) {
	if _, err := os.Stat("/proc/self/schedstat"); err != nil {
		return procCPU(pid)
	}
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(filepath.Join(dir, t.Name(), "schedstat"))
		if err != nil {
			continue // the thread has ended since ReadDir
		}
		run, _, _ := strings.Cut(string(data), " ")
		ns, err := strconv.ParseInt(run, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s/%s/schedstat: %v", dir, t.Name(), err)
		}
		total += time.Duration(ns)
	}
	return total, nil
}

// procCPU is the processor time process pid has used so far (user and
// system, all its threads, in hundredths of a second).
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name (which ends with ')'): utime and stime are the 12th and 13th.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var total time.Duration
	for _, i := range []int{11, 12} {
		ticks, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %v", pid, err)
		}
		total += time.Duration(ticks) * time.Second / 100 // USER_HZ
	}
	return total, nil
}
