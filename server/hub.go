package server

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redset/redset/event"
	"github.com/redset/redset/indication"
	"github.com/redset/redset/mof"
	"github.com/redset/redset/schema"
)

// IndicationDelivery is how indications are delivered (config section
// `indications:`): DeliveryRetryAttempts and DeliveryRetryInterval of the
// indication service (DSP1054), the bound of each destination's queue,
// the CA file HTTPS listeners are verified against (default: the system's
// pool) and the timeout of one delivery.
type IndicationDelivery struct {
	// DeliveryRetryAttempts: how many times a failed delivery is tried
	// again before the subscription's OnFatalErrorPolicy acts; default 3.
	DeliveryRetryAttempts *int   `yaml:"deliveryRetryAttempts"`
	DeliveryRetryInterval Dur    `yaml:"deliveryRetryInterval"` // default 20s
	QueueSize             int    `yaml:"queueSize"`             // deliveries queued per destination; default 1000
	CAFile                string `yaml:"caFile"`
	SendTimeout           Dur    `yaml:"sendTimeout"` // default 10s
	// MaxSubscriptionsPerUser bounds the filters, listener destinations
	// and subscriptions of root/interop one user may own, each kind
	// apart; default 100.
	MaxSubscriptionsPerUser int `yaml:"maxSubscriptionsPerUser"`
}

// Defaults and bounds of IndicationDelivery.
const (
	DefaultDeliveryRetryAttempts = 3
	maxDeliveryRetryAttempts     = 100
	maxIndicationQueue           = 1_000_000
	maxSubscriptionsPerUser      = 100_000
	maxDeliveryWait              = time.Hour
)

func (d *IndicationDelivery) defaults() {
	if d.DeliveryRetryAttempts == nil {
		n := DefaultDeliveryRetryAttempts
		d.DeliveryRetryAttempts = &n
	}
	if d.DeliveryRetryInterval <= 0 {
		d.DeliveryRetryInterval = Dur(indication.DefaultRetryInterval)
	}
	if d.QueueSize <= 0 {
		d.QueueSize = indication.DefaultQueueSize
	}
	if d.SendTimeout <= 0 {
		d.SendTimeout = Dur(indication.DefaultSendTimeout)
	}
	if d.MaxSubscriptionsPerUser <= 0 {
		d.MaxSubscriptionsPerUser = indication.DefaultMaxPerUser
	}
}

// validateIndicationDelivery checks the delivery settings (after
// defaults).
func (c *Config) validateIndicationDelivery() error {
	d := c.Indications
	var errs []error
	if n := d.DeliveryRetryAttempts; n != nil && (*n < 0 || *n > maxDeliveryRetryAttempts) {
		errs = append(errs, c.fieldErr("indications.deliveryRetryAttempts", "must be between 0 and %d", maxDeliveryRetryAttempts))
	}
	if d.DeliveryRetryInterval.D() > maxDeliveryWait {
		errs = append(errs, c.fieldErr("indications.deliveryRetryInterval", "must be at most %v", maxDeliveryWait))
	}
	if d.SendTimeout.D() > maxDeliveryWait {
		errs = append(errs, c.fieldErr("indications.sendTimeout", "must be at most %v", maxDeliveryWait))
	}
	if d.MaxSubscriptionsPerUser > maxSubscriptionsPerUser {
		errs = append(errs, c.fieldErr("indications.maxSubscriptionsPerUser", "must be at most %d", maxSubscriptionsPerUser))
	}
	if d.QueueSize > maxIndicationQueue {
		errs = append(errs, c.fieldErr("indications.queueSize", "must be at most %d", maxIndicationQueue))
	}
	if d.CAFile != "" {
		if _, err := d.rootCAs(); err != nil {
			errs = append(errs, c.fieldErr("indications.caFile", "%v", err))
		}
	}
	return errors.Join(errs...)
}

// rootCAs reads CAFile; nil (the system's pool) without one.
func (d IndicationDelivery) rootCAs() (*x509.CertPool, error) {
	if d.CAFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(d.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", d.CAFile)
	}
	return pool, nil
}

// keepIndicationDelivery sets the delivery settings only a restart
// changes (queueSize, caFile, sendTimeout, maxSubscriptionsPerUser) to their running values and
// names those that differed; the retry settings change on a reload.
func (c *Config) keepIndicationDelivery(running Config) []string {
	var changed []string
	d, r := &c.Indications, running.Indications
	if d.QueueSize != r.QueueSize {
		changed, d.QueueSize = append(changed, "indications.queueSize"), r.QueueSize
	}
	if d.CAFile != r.CAFile {
		changed, d.CAFile = append(changed, "indications.caFile"), r.CAFile
	}
	if d.SendTimeout != r.SendTimeout {
		changed, d.SendTimeout = append(changed, "indications.sendTimeout"), r.SendTimeout
	}
	if d.MaxSubscriptionsPerUser != r.MaxSubscriptionsPerUser {
		changed, d.MaxSubscriptionsPerUser = append(changed, "indications.maxSubscriptionsPerUser"), r.MaxSubscriptionsPerUser
	}
	return changed
}

// reload applies the retry settings of a reloaded configuration.
func (w *hubWiring) reload(d IndicationDelivery) {
	if w.hub != nil {
		w.hub.SetRetry(*d.DeliveryRetryAttempts, d.DeliveryRetryInterval.D())
	}
}

// hubWiring runs the indication Hub: it exists from New (so that what
// makes subscriptions can Put them into it), follows the engine's events
// from Start to Close, delivers while this server leads, records delivery
// failures in the history and exports the Hub's counters as metrics.
// What other parts give it before Start: the Source of indications, the
// encodings of the destination protocols (by Destination.Protocol) and
// who is told of subscriptions the Hub ended.
type hubWiring struct {
	source    indication.Source
	observe   func(context.Context, event.Record) // the Source's HubOptions.Observe
	encodings map[string]indication.Encoding
	onEnded   []func(id string, why indication.EndReason)
	repo      *mof.Repository // class ancestry for filters

	hub     *indication.Hub
	senders map[string]indication.Sender // the Hub's; filled by Start, before any record
	// client posts every indication (HTTPS verified against
	// indications.caFile, each request bounded by sendTimeout, no
	// redirects followed); made by Start.
	client *http.Client
	feed   *feed
}

// hubFeedBuffer is how far the Hub may fall behind the engine's events.
const hubFeedBuffer = 8192

// buildHub makes the Hub; it delivers nothing before startHub.
func (s *Server) buildHub(repo *mof.Repository) {
	w := &s.indications
	d := s.cfg.Indications
	w.repo = repo
	w.senders = map[string]indication.Sender{}
	if w.encodings == nil {
		w.encodings = map[string]indication.Encoding{}
	}
	w.encodings[protocolCIMXML] = cimxmlEncoding()
	w.hub = indication.NewHub(indication.HubOptions{
		Source: w.indications, Observe: w.observed, Senders: w.senders, Store: s.st, Isa: w.isa, Active: s.eng.Leading,
		RetryAttempts: *d.DeliveryRetryAttempts, RetryInterval: d.DeliveryRetryInterval.D(), QueueSize: d.QueueSize,
		Ended: w.ended, Record: s.eng.RecordIndicationDelivery, Logger: s.log.With("part", "indication"),
	})
}

// startHub makes the senders of the encodings given and starts the Hub on
// the engine's events.
func (s *Server) startHub() error {
	w := &s.indications
	d := s.cfg.Indications
	roots, err := d.rootCAs()
	if err != nil {
		return fmt.Errorf("indications: %w", err)
	}
	w.client = indication.NewClient(roots, d.SendTimeout.D())
	for proto, enc := range w.encodings {
		w.senders[proto] = indication.NewHTTPSender(enc, indication.SendOptions{Client: w.client, Timeout: d.SendTimeout.D()})
	}
	if err := s.metrics.reg.Register(&hubCollector{hub: w.hub}); err != nil {
		return fmt.Errorf("indications: %w", err)
	}
	log := s.log.With("part", "indication")
	w.feed = startFeed(s.eng.Bus(), feedOptions{name: "indications", log: log, filter: indicates, handle: w.hub.Handle, buffer: hubFeedBuffer})
	return nil
}

// protocolCIMXML is the Destination.Protocol of
// CIM_ListenerDestinationCIMXML destinations.
const protocolCIMXML = "cimxml"

// cimxmlEncoding delivers to CIM-XML listeners: one ExportIndication
// request per delivery (exportBody), taken when the listener answers an
// EXPMETHODRESPONSE without ERROR (exportCheck).
func cimxmlEncoding() indication.Encoding {
	return indication.Encoding{
		MaxBatch: 1,
		Encode: func(_ indication.Destination, ds []indication.Delivery) (indication.Message, error) {
			if len(ds) != 1 {
				return indication.Message{}, fmt.Errorf("cimxml: %d deliveries in one export request, want 1", len(ds))
			}
			header, body := exportBody(ds[0])
			return indication.Message{Header: header, Body: body}, nil
		},
		Check: func(a indication.Answer) error {
			return exportCheck(&http.Response{StatusCode: a.Status, Status: strconv.Itoa(a.Status) + " " + http.StatusText(a.Status), Header: a.Header}, a.Body)
		},
	}
}

// indications is the Hub's Source: the one given, or none.
func (w *hubWiring) indications(ctx context.Context, r event.Record) []indication.Indication {
	if w.source == nil {
		return nil
	}
	return w.source(ctx, r)
}

// observed gives the Source's Observe a record nobody subscribed to.
func (w *hubWiring) observed(ctx context.Context, r event.Record) {
	if w.observe != nil {
		w.observe(ctx, r)
	}
}

// indicates picks the records the Hub reads: not its own.
func indicates(r event.Record) bool { return r.Kind != event.KindIndication }

// isa answers class ancestry in the namespace of redset's classes.
func (w *hubWiring) isa(sub, super string) bool {
	name := sub
	for range 64 {
		if strings.EqualFold(name, super) {
			return true
		}
		if w.repo == nil {
			return false
		}
		cl, ok := w.repo.Class(schema.Namespace, name)
		if !ok || cl.SuperClass == "" {
			return false
		}
		name = cl.SuperClass
	}
	return false
}

func (w *hubWiring) ended(id string, why indication.EndReason) {
	for _, f := range w.onEnded {
		f(id, why)
	}
}

// close stops following events, then closes the Hub, which stores each
// subscription's next sequence number.
func (w *hubWiring) close(log *slog.Logger) {
	if w.feed != nil {
		w.feed.close()
	}
	if w.hub != nil {
		if err := w.hub.Close(); err != nil {
			log.Warn("storing the indication sequence numbers", "err", err)
		}
	}
}

// hubCollector exports the Hub's counters at scrape time.
type hubCollector struct{ hub *indication.Hub }

var (
	indDeliveredDesc = prometheus.NewDesc("redset_indications_delivered_total",
		"Indications delivered, by destination protocol.", []string{"protocol"}, nil)
	indFailedDesc = prometheus.NewDesc("redset_indications_failed_total",
		"Indications dropped because their destination still failed after the retries, by destination protocol.", []string{"protocol"}, nil)
	indDroppedDesc = prometheus.NewDesc("redset_indications_dropped_total",
		"Indications dropped without a try (the destination's queue was full, or this server stopped leading), by destination protocol.", []string{"protocol"}, nil)
	indQueuedDesc = prometheus.NewDesc("redset_indication_queue_depth",
		"Indications waiting in the destinations' queues, by destination protocol.", []string{"protocol"}, nil)
)

func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- indDeliveredDesc
	ch <- indFailedDesc
	ch <- indDroppedDesc
	ch <- indQueuedDesc
}

func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.hub.Stats() {
		p := labelValue(st.Protocol)
		ch <- prometheus.MustNewConstMetric(indDeliveredDesc, prometheus.CounterValue, float64(st.Delivered), p)
		ch <- prometheus.MustNewConstMetric(indFailedDesc, prometheus.CounterValue, float64(st.Failed), p)
		ch <- prometheus.MustNewConstMetric(indDroppedDesc, prometheus.CounterValue, float64(st.Dropped), p)
		ch <- prometheus.MustNewConstMetric(indQueuedDesc, prometheus.GaugeValue, float64(st.Queued), p)
	}
}
