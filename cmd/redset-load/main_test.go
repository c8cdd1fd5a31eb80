package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redset/redset/redsettest"
)

// TestRunAgainstServer runs the tool for two seconds with a few clients
// against a real server: every kind of operation is issued and counted,
// none fails, and the tool's sets are gone afterwards.
func TestRunAgainstServer(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{})
	cfg, rep, _ := runAgainst(t, srv, "-clients", "6", "-subscribers", "1", "-duration", "2s", "-sets", "3",
		"-pull-max", "2")
	for o := range numOps {
		s := rep.ops[o]
		if s.lat.n == 0 || s.ok == 0 {
			t.Errorf("%s: %d answered, %d completed; want every kind of operation issued and completed", o, s.lat.n, s.ok)
		}
		if s.errors != 0 {
			t.Errorf("%s: %d errors: %q", o, s.errors, rep.errTexts[o])
		}
	}
	if rep.ownSets != 3 || rep.sets != 3 {
		t.Errorf("sets: %d read, %d of its own; want 3 and 3", rep.sets, rep.ownSets)
	}
	if rep.events == 0 {
		t.Error("no event was read from the event streams, though sets were failed over")
	}
	if rep.start.err != nil || rep.start.goroutines == 0 || rep.start.rss == 0 || rep.start.heap == 0 {
		t.Errorf("the server's start sample: %+v; want its RSS, heap and goroutines", rep.start)
	}
	if len(rep.samples) == 0 {
		t.Error("no sample of the server under load")
	}
	if f := rep.failures(cfg); len(f) != 0 {
		t.Errorf("failures: %q", f)
	}
	assertNoSetsLeft(t, srv.URL)
}

func assertNoSetsLeft(t *testing.T, base string) {
	t.Helper()
	for _, path := range []string{"/api/v1/sets", "/api/v1/members"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.SetBasicAuth("admin", redsettest.AdminPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		var list map[string][]json.RawMessage
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		for key, items := range list {
			if len(items) != 0 {
				t.Errorf("GET %s: %d %s left after the run; want the tool's own deleted", path, len(items), key)
			}
		}
	}
}

// TestExitStatus checks the exit status for a run that cannot start (a
// wrong password) and for bad flags.
func TestExitStatus(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{})
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"wrong password", []string{"-server", srv.URL, "-password", "wrong", "-duration", "1s", "-sets", "1"}, 2},
		{"no password", []string{"-server", srv.URL, "-password", ""}, 2},
		{"bad mix", []string{"-server", srv.URL, "-password", "x", "-mix", "cim.nothing=1"}, 2},
		{"help", []string{"-h"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("REDSET_PASSWORD", "")
			var stderr bytes.Buffer
			if got := realMain(tc.args, io.Discard, &stderr); got != tc.want {
				t.Errorf("exit status %d, want %d; stderr: %s", got, tc.want, stderr.String())
			}
		})
	}
}

func TestParseMix(t *testing.T) {
	mix, err := parseMix("cim.get=3, api.sets=0,wsman.failover=1")
	if err != nil {
		t.Fatalf("parseMix: %v", err)
	}
	if mix[cimGet] != 3 || mix[apiSets] != 0 || mix[wsmanFailover] != 1 || mix[cimEnumerate] != 0 {
		t.Errorf("mix = %v", mix)
	}
	for _, bad := range []string{"cim.get", "cim.get=-1", "wsman.pull=1", "nothing=2", "cim.get=0", "api.sets=x"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q) accepted it", bad)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.quantile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.05 {
			t.Errorf("quantile(%v) = %v, want %v within 5 %% above", tc.q, got, tc.want)
		}
	}
	var empty hist
	if empty.quantile(0.5) != 0 {
		t.Error("the quantile of no samples is not 0")
	}
}

func TestFailoverResult(t *testing.T) {
	p := &pair{id: "redset:x", members: [2]string{"a", "b"}}
	for rv, want := range map[string]string{"0": "", "3": "refused", "4": "refused", "1": "returned 1", "2": "returned 2", "x": "malformed"} {
		err := failoverResult(rv, p, 0)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) || (want == "" && err != nil) {
			t.Errorf("failoverResult(%q) = %v, want %q", rv, err, want)
		}
	}
}

func TestReadEventsOrder(t *testing.T) {
	stream := func(lines ...string) *bufio.Reader {
		return bufio.NewReader(strings.NewReader(strings.Join(lines, "\n") + "\n"))
	}
	ev := func(id, set string) string {
		return "event: FailoverSucceeded\nid: " + id + "\ndata: {\"seq\":" + id + ",\"setId\":\"" + set + "\"}\n"
	}
	r := &runner{}
	var last uint64
	err := r.readEvents(stream(": stream open", "", ev("5", "s1"), ev("3", "s2"), ev("6", "s2")), &last)
	if !strings.Contains(err.Error(), "ended") || last != 6 || r.events.Load() != 3 {
		t.Errorf("in order per set: err %v, last %d, %d events; want the end of the stream, 6, 3", err, last, r.events.Load())
	}
	last = 0
	if err := r.readEvents(stream(ev("5", "s1"), ev("4", "s1")), &last); !strings.Contains(err.Error(), "after id 5") {
		t.Errorf("out of order within a set: %v", err)
	}
	if err := r.readEvents(stream("event: lagged", "data: {}"), &last); !strings.Contains(err.Error(), "fell behind") {
		t.Errorf("lagged: %v", err)
	}
}

func TestMetricValue(t *testing.T) {
	page := []byte("# HELP go_goroutines x\n# TYPE go_goroutines gauge\ngo_goroutines 42\ngo_goroutines_other 1\nprocess_resident_memory_bytes 1.2345e+07\n")
	if v, ok := metricValue(page, "go_goroutines"); !ok || v != 42 {
		t.Errorf("go_goroutines = %v, %v", v, ok)
	}
	if v, ok := metricValue(page, "process_resident_memory_bytes"); !ok || v != 12345000 {
		t.Errorf("process_resident_memory_bytes = %v, %v", v, ok)
	}
	if _, ok := metricValue(page, "missing"); ok {
		t.Error("a missing metric was found")
	}
}

func TestFailuresCountLimits(t *testing.T) {
	cfg := config{maxP99Failover: 10 * time.Millisecond, maxGrowth: 10}
	var r report
	r.ops[cimFailover].lat.add(50 * time.Millisecond)
	r.ops[apiSet].errors = 1
	r.samples = []sample{{rss: 100, goroutines: 10}, {rss: 130, goroutines: 10}}
	got := strings.Join(r.failures(cfg), "\n")
	for _, want := range []string{"1 errors", "cim.failover p99", "grew under load"} {
		if !strings.Contains(got, want) {
			t.Errorf("failures %q lack %q", got, want)
		}
	}
}

// TestRemoveRetriesBusy checks that the cleanup tries a delete again while
// the server answers 409 Busy, and reports a refusal of another kind.
func TestRemoveRetriesBusy(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/sets/forbidden":
			http.Error(w, "no", http.StatusForbidden)
		case calls.Add(1) <= 2:
			http.Error(w, "busy", http.StatusConflict)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	r := newRunner(config{server: srv.URL, user: "u", password: "p", clients: 1, timeout: 5 * time.Second})
	if err := r.remove(context.Background(), "/api/v1/sets/busy"); err != nil || calls.Load() != 3 {
		t.Errorf("remove: %v after %d calls; want success on the third", err, calls.Load())
	}
	if err := r.remove(context.Background(), "/api/v1/sets/forbidden"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("remove of a forbidden set: %v; want the 403", err)
	}
}

// TestGrowthFollowsTheTrend checks that growth compares the medians of the
// first and last thirds of the samples: a single busy sample at either end
// does not count as growth, and a steady rise does.
func TestGrowthFollowsTheTrend(t *testing.T) {
	flat := func(rss ...float64) []sample {
		out := make([]sample, len(rss))
		for i, v := range rss {
			out[i] = sample{rss: v, goroutines: 100}
		}
		return out
	}
	cases := []struct {
		name    string
		samples []sample
		want    float64
	}{
		{"flat with a busy last sample", flat(100, 100, 100, 100, 100, 100, 100, 100, 100, 150), 0},
		{"flat with a quiet first sample", flat(50, 100, 100, 100, 100, 100, 100, 100, 100, 100), 0},
		{"a steady rise", flat(100, 100, 100, 110, 110, 110, 120, 120, 120), 20},
		{"two samples", flat(100, 130), 30},
	}
	for _, c := range cases {
		r := report{samples: c.samples}
		rss, g, ok := r.growth()
		if !ok || rss != c.want || g != 0 {
			t.Errorf("%s: growth = %v %%, goroutines %v %%, %v; want %v %%, 0 %%", c.name, rss, g, ok, c.want)
		}
	}
}

// TestMain lets the test binary act as the probe process, which runProbe
// starts as os.Executable().
func TestMain(m *testing.M) {
	if os.Getenv(probeChildEnv) == "1" {
		os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestProbeAgainstServer runs the load with a probe against a real
// server: the probe process fails its own set over on both protocols
// while the load runs, its figures reach the report, and its set is
// deleted with the load's.
func TestProbeAgainstServer(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{})
	cfg, rep, out := runAgainst(t, srv, "-clients", "3", "-subscribers", "1", "-duration", "4s", "-sets", "1",
		"-probe-rate", "20", "-max-p99-failover", "1h")
	if rep.probe == nil {
		t.Fatalf("no probe figures: %v", rep.probeErr)
	}
	for _, name := range []string{"cim.failover", "wsman.failover"} {
		s := rep.probe.Ops[name]
		if s.Count == 0 || s.Errors != 0 || s.P99 <= 0 || s.Max < s.P99 {
			t.Errorf("probe %s: %+v; want failovers without errors", name, s)
		}
		if !strings.Contains(out, "probe."+name) {
			t.Errorf("the report lacks probe.%s", name)
		}
	}
	if f := rep.failures(cfg); len(f) != 0 {
		t.Errorf("failures: %q", f)
	}
	assertNoSetsLeft(t, srv.URL)
}

// TestMaxP99FailoverJudgesTheProbe: with a probe, -max-p99-failover
// judges the probe's failovers, not the clients' own; a probe that gave
// nothing fails the run.
func TestMaxP99FailoverJudgesTheProbe(t *testing.T) {
	cfg := config{maxP99Failover: 20 * time.Millisecond, probeRate: 10}
	var r report
	r.ops[cimFailover].lat.add(500 * time.Millisecond)
	r.probe = &probeResult{Ops: map[string]probeStats{"cim.failover": {Count: 9, P99: 5 * time.Millisecond}}}
	if f := r.failures(cfg); len(f) != 0 {
		t.Errorf("a fast probe: failures %q, want none", f)
	}
	r.probe.Ops["wsman.failover"] = probeStats{Count: 9, P99: 30 * time.Millisecond, Errors: 1}
	got := strings.Join(r.failures(cfg), "\n")
	for _, want := range []string{"the probe's Failover p99 30.00ms", "1 errors"} {
		if !strings.Contains(got, want) {
			t.Errorf("failures %q lack %q", got, want)
		}
	}
	r.probe, r.probeErr = nil, errors.New("no server")
	if got := strings.Join(r.failures(cfg), "\n"); !strings.Contains(got, "the probe gave no figures (no server)") {
		t.Errorf("failures %q, want the missing probe named", got)
	}
	cfg.probeRate = 0
	if got := strings.Join(r.failures(cfg), "\n"); !strings.Contains(got, "cim.failover p99") {
		t.Errorf("without a probe: failures %q, want the clients' own p99 judged", got)
	}
}

// runAgainst runs the tool against srv as the administrator with args
// (heartbeats of 4 s, requests of at most 30 s) and returns its
// configuration, its report and the report's text.
func runAgainst(t *testing.T, srv *redsettest.Server, args ...string) (config, *report, string) {
	t.Helper()
	cfg, err := parseFlags(append([]string{
		"-server", srv.URL, "-user", "admin", "-password", redsettest.AdminPassword,
		"-heartbeat-ttl", "4s", "-timeout", "30s",
	}, args...), io.Discard)
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	rep, err := run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var out bytes.Buffer
	rep.write(&out)
	t.Log(out.String())
	return cfg, rep, out.String()
}
