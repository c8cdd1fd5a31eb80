package server

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
)

// metrics is redset's Prometheus registry. Set status and member health are
// read from the engine at scrape time, so they are never stale; counters
// and histograms are fed as things happen. Label values never hold spaces
// (see labelValue), so queries need no quoting beyond the usual.
type metrics struct {
	reg          *prometheus.Registry
	failovers    *prometheus.CounterVec
	hooks        *prometheus.CounterVec
	probeLatency *prometheus.HistogramVec
	cimOps       *prometheus.HistogramVec
	httpRequests *prometheus.HistogramVec
	forwards     *prometheus.CounterVec
}

func newMetrics(eng *engine.Engine, extra ...prometheus.Collector) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.failovers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "redset_failovers_total",
		Help: "Failover outcomes by set, kind (planned or unplanned) and CIM return code.",
	}, []string{"set", "kind", "code"})
	m.hooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "redset_hook_deliveries_total",
		Help: "Deliveries of events to hooks, by hook and outcome (ok, failed, dropped, vetoed).",
	}, []string{"hook", "outcome"})
	m.probeLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "redset_probe_duration_seconds", Help: "How long health probes took, by member and probe type.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
	}, []string{"member", "probe"})
	m.cimOps = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "redset_cim_operation_duration_seconds", Help: "CIM operations (CIM-XML and WS-Man) by operation and CIM status.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 4, 9),
	}, []string{"operation", "status"})
	m.httpRequests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "redset_http_request_duration_seconds", Help: "HTTP requests by handler (cimxml, wsman, api, web) and status code.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 4, 9),
	}, []string{"handler", "code"})
	m.forwards = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "redset_forwarded_requests_total",
		Help: "Writes a follower handled, by protocol and outcome (forwarded, unreachable, no_leader), and forwarded requests received with a wrong, stale or replayed signature (rejected).",
	}, []string{"protocol", "outcome"})
	m.reg.MustRegister(m.forwards)
	m.reg.MustRegister(m.failovers, m.hooks, m.probeLatency, m.cimOps, m.httpRequests, &engineCollector{eng: eng},
		buildInfo(), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(extra...)
	return m
}

// buildInfo is the constant redset_build_info gauge: 1, with the version,
// the VCS revision the binary was built from ("unknown" when the build
// recorded none, as in tests) and the Go version.
func buildInfo() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "redset_build_info",
		Help: "Always 1; the labels say which build of redset is running.",
		ConstLabels: prometheus.Labels{
			"version": labelValue(Version), "revision": revision(), "goversion": labelValue(runtime.Version()),
		},
	})
	g.Set(1)
	return g
}

// revision is the VCS revision recorded in the binary, or "unknown".
func revision() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return labelValue(s.Value)
			}
		}
	}
	return "unknown"
}

// labelValue makes a word of a label value: spaces become underscores
// ("in service" -> "in_service"), and an empty value "unknown".
func labelValue(s string) string {
	return cmp.Or(strings.Join(strings.Fields(s), "_"), "unknown")
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// observeProbe records a probe's latency.
func (m *metrics) observeProbe(member, probe string, seconds float64) {
	m.probeLatency.WithLabelValues(member, probe).Observe(seconds)
}

// follow counts failover outcomes and hook deliveries from the engine's
// events.
func (m *metrics) follow(bus *event.Bus, log *slog.Logger) *feed {
	counted := func(r event.Record) bool { return r.Failover != nil || r.Hook != nil }
	return startFeed(bus, feedOptions{name: "metrics", log: log, filter: counted, handle: m.count})
}

func (m *metrics) count(r event.Record) {
	switch {
	case r.Failover != nil:
		m.countFailover(r.SetID, r.Failover)
	case r.Hook != nil:
		m.hooks.WithLabelValues(r.Hook.Hook, labelValue(r.Hook.Outcome)).Inc()
	}
}

func (m *metrics) countFailover(setID string, f *event.Failover) {
	kind := "unplanned"
	if f.Planned {
		kind = "planned"
	}
	m.failovers.WithLabelValues(setID, kind, strconv.FormatUint(uint64(f.Code), 10)).Inc()
}

// cimMiddleware times every CIM operation.
func (m *metrics) cimMiddleware(next cimom.Handler) cimom.Handler {
	return cimom.HandlerFunc(func(ctx context.Context, req *cimom.Request) (*cimom.Response, error) {
		start := time.Now()
		resp, err := next.Handle(ctx, req)
		status := "CIM_ERR_OK"
		if err != nil {
			status = statusName(err)
		}
		m.cimOps.WithLabelValues(req.Op.String(), status).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

// instrument times the requests of one HTTP handler.
func (m *metrics) instrument(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		m.httpRequests.WithLabelValues(name, strconv.Itoa(rec.code)).Observe(time.Since(start).Seconds())
	})
}

// statusRecorder remembers the status code a handler wrote. It passes
// Flush through so that streamed answers (SSE, large enumerations) stream.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// engineCollector exports each set's RedundancyStatus and each member's
// health at scrape time.
type engineCollector struct{ eng *engine.Engine }

var (
	statusDesc = prometheus.NewDesc("redset_set_redundancy_status",
		"RedundancyStatus of each set (0 Unknown, 2 Fully Redundant, 3 Degraded, 4 Redundancy Lost, 5 Overall Failure).",
		[]string{"set"}, nil)
	healthDesc = prometheus.NewDesc("redset_member_health",
		"Counted health of each member (0 Unknown, 1 OK, 2 Degraded, 3 Failed).", []string{"member"}, nil)
	inServiceDesc = prometheus.NewDesc("redset_set_members",
		"Members of each set by role.", []string{"set", "role"}, nil)
	pausedDesc = prometheus.NewDesc("redset_automatic_failover_paused",
		"1 while automatic failover of the set is paused (by the set's own pause or the server's), else 0.",
		[]string{"set"}, nil)
	flapDesc = prometheus.NewDesc("redset_flap_guard_tripped",
		"1 while the set's flap guard has stopped its automatic failover, else 0.", []string{"set"}, nil)
)

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- statusDesc
	ch <- healthDesc
	ch <- inServiceDesc
	ch <- pausedDesc
	ch <- flapDesc
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	sets, _ := c.eng.ListSets()
	for _, s := range sets {
		ch <- prometheus.MustNewConstMetric(statusDesc, prometheus.GaugeValue, float64(s.RedundancyStatus), s.InstanceID)
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, flag(s.AutomaticPaused()), s.InstanceID)
		ch <- prometheus.MustNewConstMetric(flapDesc, prometheus.GaugeValue, flag(s.FlapGuardTripped), s.InstanceID)
		roles := map[string]int{"in_service": 0, "spare": 0, "drained": 0}
		for _, m := range s.Members {
			roles[labelValue(m.Role.Kind.String())]++
		}
		for role, n := range roles {
			ch <- prometheus.MustNewConstMetric(inServiceDesc, prometheus.GaugeValue, float64(n), s.InstanceID, role)
		}
	}
	members, _ := c.eng.ListMembers()
	for _, m := range members {
		ch <- prometheus.MustNewConstMetric(healthDesc, prometheus.GaugeValue, float64(m.Health.State), m.Name)
	}
}
