package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/indication"
	"github.com/redset/redset/protocol/cimxml"
	"github.com/redset/redset/wql"
)

// failoverSource indicates one Msvm_FailoverIndication per completed
// failover (a stand-in for the provider's Source), perRecord times.
func failoverSource(perRecord int) indication.Source {
	return func(_ context.Context, r event.Record) []indication.Indication {
		if r.Kind != event.KindFailoverSucceeded {
			return nil
		}
		inst := cim.Instance{ClassName: "Msvm_FailoverIndication", Properties: []cim.PropertyValue{
			{Name: "FailoverFrom", Value: cim.NewString(r.Failover.From)},
			{Name: "FailoverTo", Value: cim.NewString(r.Failover.To)},
			{Name: "Made", Value: cim.NewString(strconv.FormatInt(r.Time.UnixNano(), 10))},
		}}
		out := make([]indication.Indication, perRecord)
		for i := range out {
			out[i] = indication.Indication{Seq: r.Seq, Time: r.Time, Namespace: "root/hypervcluster/v2", Instance: inst}
		}
		return out
	}
}

// got is one delivery as the test listener read it.
type got struct {
	Seq  int64  `json:"seq"`
	To   string `json:"to"`
	Made int64  `json:"made"` // the record's time, Unix nanoseconds
}

// jsonEncoding writes deliveries as a JSON array of got.
var jsonEncoding = indication.Encoding{Encode: func(_ indication.Destination, ds []indication.Delivery) (indication.Message, error) {
	out := make([]got, len(ds))
	for i, d := range ds {
		to, _ := d.Instance.Get("FailoverTo")
		out[i] = got{Seq: d.SequenceNumber, To: to.Str(), Made: d.Time.UnixNano()}
	}
	body, err := json.Marshal(out)
	return indication.Message{Header: http.Header{"Content-Type": {"application/json"}}, Body: body}, err
}}

// sink is a loopback listener that keeps what it receives and when.
type sink struct {
	srv    *httptest.Server
	status int
	delay  time.Duration
	mu     sync.Mutex
	got    []got
	at     []time.Time
	// arrived gets a value for each request (when there is room).
	arrived chan struct{}
}

func newSink(t testing.TB, status int) *sink {
	k := &sink{status: status, arrived: make(chan struct{}, 1)}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		if k.delay > 0 {
			time.Sleep(k.delay) // the slow listener's own work, not a wait for a condition
		}
		var gs []got
		_ = json.Unmarshal(body, &gs)
		k.mu.Lock()
		for _, g := range gs {
			k.got = append(k.got, g)
			k.at = append(k.at, now)
		}
		k.mu.Unlock()
		select {
		case k.arrived <- struct{}{}:
		default:
		}
		w.WriteHeader(k.status)
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *sink) received() []got {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.got)
}

// withHub gives the server a stand-in Source and the "test" encoding.
func withHub(s *Server, perRecord int) {
	s.indications.source = failoverSource(perRecord)
	s.indications.encodings["test"] = jsonEncoding
}

func subscribeTo(t testing.TB, s *Server, id, addr string, policy indication.Policy) {
	t.Helper()
	subscribeOver(t, s, "test", id, addr, policy)
}

func subscribeOver(t testing.TB, s *Server, protocol, id, addr string, policy indication.Policy) {
	t.Helper()
	q, err := wql.Parse("SELECT * FROM CIM_Indication")
	if err != nil {
		t.Fatal(err)
	}
	s.indications.hub.Put(indication.Subscription{ID: id, Owner: "admin", SequenceContext: "ctx-" + id, OnFatalError: policy,
		Filter:      indication.Filter{Name: "all", Query: q},
		Destination: indication.Destination{ID: addr, Protocol: protocol, Address: addr}})
}

func startHubServer(t testing.TB, cfgText string, edit func(*Config), perRecord int) *Server {
	t.Helper()
	s := newServer(t, heartbeatPair+cfgText, edit)
	withHub(s, perRecord)
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	for _, m := range []string{"a", "b"} {
		if err := s.eng.ReportHealth(m, engine.Report{State: engine.HealthOK, Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func failover(t testing.TB, s *Server, from, to string) {
	t.Helper()
	if res := s.eng.Failover(context.Background(), "redset:pair", from, to); res.Code != 0 {
		t.Fatalf("Failover %s -> %s = %d %s", from, to, res.Code, res.Reason)
	}
}

func TestHubDeliversAFailover(t *testing.T) {
	s := startHubServer(t, "", nil, 1)
	k := newSink(t, http.StatusOK)
	subscribeTo(t, s, "sub", k.srv.URL, indication.PolicyIgnore)
	failover(t, s, "a", "b")
	eventually(t, 10*time.Second, "the indication", func() bool { return len(k.received()) == 1 })
	if g := k.received()[0]; g.Seq != 0 || g.To != "b" {
		t.Errorf("received %+v", g)
	}
	pollMetrics(t, "http://"+s.Addrs()[0], `redset_indications_delivered_total{protocol="test"} 1`,
		`redset_indication_queue_depth{protocol="test"} 0`)
}

func TestHubRecordsFailuresInTheHistory(t *testing.T) {
	s := startHubServer(t, "indications: {deliveryRetryAttempts: 0}\n", nil, 1)
	k := newSink(t, http.StatusServiceUnavailable)
	subscribeTo(t, s, "sub", k.srv.URL, indication.PolicyDisable)
	failover(t, s, "a", "b")
	var recs []event.Record
	eventually(t, 10*time.Second, "the record", func() bool {
		recs, _ = s.eng.QueryHistory(context.Background(), engine.HistoryFilter{Kinds: []event.Kind{event.KindIndication}})
		return len(recs) == 1
	})
	d := recs[0].Indication
	if d.Outcome != event.IndicationDisabled || d.Subscription != "sub" || d.Protocol != "test" || !strings.Contains(d.Error, "503") {
		t.Errorf("recorded %+v", d)
	}
	pollMetrics(t, "http://"+s.Addrs()[0], `redset_indications_failed_total{protocol="test"} 1`)
	if st := s.indications.hub.Status(); len(st) != 1 || st[0].State != "disabled" {
		t.Errorf("status %+v", st)
	}
}

func TestHubSequenceNumbersSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	k := newSink(t, http.StatusOK)
	keep := func(c *Config) { c.Data = dir }
	s := startHubServer(t, "", keep, 1)
	subscribeTo(t, s, "sub", k.srv.URL, indication.PolicyIgnore)
	failover(t, s, "a", "b")
	eventually(t, 10*time.Second, "the first indication", func() bool { return len(k.received()) == 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startHubServer(t, "", keep, 1)
	subscribeTo(t, s, "sub", k.srv.URL, indication.PolicyIgnore)
	failover(t, s, "b", "a")
	eventually(t, 10*time.Second, "the second indication", func() bool { return len(k.received()) == 2 })
	if got := k.received()[1].Seq; got != 1 {
		t.Errorf("after a restart, sequence number %d, want 1", got)
	}
}

func TestIndicationDeliveryConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ text, want string }{
		{"indications: {deliveryRetryAttempts: -1}", "deliveryRetryAttempts"},
		{"indications: {deliveryRetryAttempts: 101}", "deliveryRetryAttempts"},
		{"indications: {deliveryRetryInterval: 2h}", "deliveryRetryInterval"},
		{"indications: {sendTimeout: 2h}", "sendTimeout"},
		{"indications: {queueSize: 2000000}", "queueSize"},
		{"indications: {caFile: " + ca + "}", "no PEM certificate"},
		{"indications: {caFile: /nonexistent/ca.pem}", "reading the CA file"},
	}
	for _, tt := range tests {
		cfg, err := ParseConfig("test.yaml", []byte(tt.text))
		if err == nil {
			cfg.Default()
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error naming %s", tt.text, err, tt.want)
		}
	}
	if d := defaultIndicationDelivery(); *d.DeliveryRetryAttempts != 3 || d.DeliveryRetryInterval.D() != 20*time.Second ||
		d.QueueSize != 1000 || d.SendTimeout.D() != 10*time.Second {
		t.Errorf("defaults %+v", d)
	}
}

func defaultIndicationDelivery() IndicationDelivery {
	var d IndicationDelivery
	d.defaults()
	return d
}

// exportSink is a CIM-XML listener (cimxml.Listener) on loopback that
// keeps the indications it takes and when each arrived.
type exportSink struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []cim.Instance
	at      []time.Time
	arrived chan struct{}
}

func newExportSink(t testing.TB) *exportSink {
	k := &exportSink{arrived: make(chan struct{}, 1)}
	k.srv = httptest.NewServer(cimxml.Listener(func(x cimxml.ExportedIndication) {
		now := time.Now()
		k.mu.Lock()
		k.got, k.at = append(k.got, x.Instance), append(k.at, now)
		k.mu.Unlock()
		select {
		case k.arrived <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *exportSink) received() []cim.Instance {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.got)
}

func TestHubDeliversACIMXMLExport(t *testing.T) {
	s := startHubServer(t, "", nil, 1)
	k := newExportSink(t)
	subscribeOver(t, s, "cimxml", "sub", k.srv.URL+"/cimlistener", indication.PolicyIgnore)
	failover(t, s, "a", "b")
	failover(t, s, "b", "a")
	eventually(t, 10*time.Second, "two indications", func() bool { return len(k.received()) == 2 })
	for i, in := range k.received() {
		seq, _ := in.Get("SequenceNumber")
		ctx, _ := in.Get("SequenceContext")
		filter, _ := in.Get("IndicationFilterName")
		to, _ := in.Get("FailoverTo")
		if in.ClassName != "Msvm_FailoverIndication" || seq.Sint() != int64(i) || ctx.Str() != "ctx-sub" ||
			filter.Str() != "all" || to.Str() != []string{"b", "a"}[i] {
			t.Errorf("indication %d: %+v", i, in)
		}
	}
	pollMetrics(t, "http://"+s.Addrs()[0], `redset_indications_delivered_total{protocol="cimxml"} 2`)
}

func TestHubCIMXMLListenerErrorIsAFailure(t *testing.T) {
	s := startHubServer(t, "indications: {deliveryRetryAttempts: 0}\n", nil, 1)
	answer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0">`+
			`<MESSAGE ID="0" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="ExportIndication">`+
			`<ERROR CODE="1" DESCRIPTION="not today"/></EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE></CIM>`)
	}))
	defer answer.Close()
	subscribeOver(t, s, "cimxml", "sub", answer.URL, indication.PolicyIgnore)
	failover(t, s, "a", "b")
	eventually(t, 10*time.Second, "the failure", func() bool {
		st := s.indications.hub.Status()
		return len(st) == 1 && st[0].Failed == 1
	})
	if st := s.indications.hub.Status()[0]; !strings.Contains(st.LastError, "not today") {
		t.Errorf("last error %q, want the listener's", st.LastError)
	}
}

// BenchmarkIndicationLatency fails over back and forth and measures how
// long each Msvm_FailoverIndication takes to reach a loopback CIM-XML
// listener (until it has decoded the ExportIndication request): from the
// failover's record, made just before its durable commit
// (record-to-listener, so the commit's fsync included), and from Failover
// returning once the commit is done (commit-to-listener; 0 when the
// indication arrived first). "provider" builds the indications with the
// server's own Source (provider.Indications), "stand-in" with a minimal
// one, to tell the Source's share.
func BenchmarkIndicationLatency(b *testing.B) {
	b.Run("provider", func(b *testing.B) { benchIndicationLatency(b, true) })
	b.Run("stand-in", func(b *testing.B) { benchIndicationLatency(b, false) })
}

func benchIndicationLatency(b *testing.B, provider bool) {
	s := newServer(b, heartbeatPair, nil)
	if !provider {
		withHub(s, 1)
	}
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, m := range []string{"a", "b"} {
		if err := s.eng.ReportHealth(m, engine.Report{State: engine.HealthOK, Source: "test"}); err != nil {
			b.Fatal(err)
		}
	}
	k := newExportSink(b)
	subscribeOver(b, s, "cimxml", "sub", k.srv.URL, indication.PolicyIgnore)
	from, to := "a", "b"
	returned := make([]time.Time, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		failover(b, s, from, to)
		returned = append(returned, time.Now())
		from, to = to, from
		k.waitFor(b, i+1)
	}
	b.StopTimer()
	fromRecord, fromReturn := k.latencies(b, returned)
	reportPercentiles(b, fromRecord, "record-to-listener")
	reportPercentiles(b, fromReturn, "commit-to-listener")
}

// waitFor waits until the sink has n failover indications.
func (k *exportSink) waitFor(b *testing.B, n int) {
	for k.failovers() < n {
		select {
		case <-k.arrived:
		case <-time.After(10 * time.Second):
			b.Fatalf("indication %d did not arrive", n-1)
		}
	}
}

func (k *exportSink) failovers() int {
	n := 0
	for _, in := range k.received() {
		if in.ClassName == "Msvm_FailoverIndication" {
			n++
		}
	}
	return n
}

// latencies gives, for each failover indication, the time from its record
// (the stand-in's Made, else IndicationTime) and from its Failover
// returning to its arrival.
func (k *exportSink) latencies(b *testing.B, returned []time.Time) (fromRecord, fromReturn []time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := 0
	for j, in := range k.got {
		if in.ClassName != "Msvm_FailoverIndication" || i >= len(returned) {
			continue
		}
		fromRecord = append(fromRecord, k.at[j].Sub(recordTime(b, in)))
		fromReturn = append(fromReturn, max(k.at[j].Sub(returned[i]), 0))
		i++
	}
	return fromRecord, fromReturn
}

func recordTime(b *testing.B, in cim.Instance) time.Time {
	if made, ok := in.Get("Made"); ok {
		ns, _ := strconv.ParseInt(made.Str(), 10, 64)
		return time.Unix(0, ns)
	}
	v, _ := in.Get("IndicationTime")
	t, ok := v.Time().Time()
	if !ok {
		b.Fatalf("IndicationTime %v is no time", v)
	}
	return t
}

func reportPercentiles(b *testing.B, lat []time.Duration, what string) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), what+"-p50-ms")
	b.ReportMetric(at(0.99), what+"-p99-ms")
}

// BenchmarkFailoverDuringIndicationBurst measures the engine's Failover
// latency with no subscriber, and while every failover makes 1,000
// indications for a listener that takes 1 ms each (its queue stays full
// and drops).
func BenchmarkFailoverDuringIndicationBurst(b *testing.B) {
	for _, tc := range []struct {
		name      string
		perRecord int
	}{{"quiet", 0}, {"burst", 1000}} {
		b.Run(tc.name, func(b *testing.B) {
			s := startHubServer(b, "", nil, max(tc.perRecord, 1))
			if tc.perRecord > 0 {
				k := newSink(b, http.StatusOK)
				k.delay = time.Millisecond
				subscribeTo(b, s, "sub", k.srv.URL, indication.PolicyIgnore)
			}
			from, to := "a", "b"
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				failover(b, s, from, to)
				lat = append(lat, time.Since(start))
				from, to = to, from
			}
			b.StopTimer()
			reportPercentiles(b, lat, "failover")
		})
	}
}

func TestReloadOfIndicationDelivery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reload.yaml")
	writeFile(t, path, reloadBase)
	s := fileServer(t, path)
	writeFile(t, path, "indications: {deliveryRetryAttempts: 5, deliveryRetryInterval: 3s, queueSize: 7}\n"+reloadBase)
	rep, err := s.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Restart, []string{"indications.queueSize"}) {
		t.Errorf("Restart = %v, want the queue size alone", rep.Restart)
	}
	if n, d := s.indications.hub.Retry(); n != 5 || d != 3*time.Second {
		t.Errorf("after the reload the Hub retries %d times %v apart, want 5 times 3s apart", n, d)
	}
}
