package server

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redset/redset/engine"
)

// frontendCollector exports the frontends' traffic at scrape time, from
// what statuses reports (the traffic manager's counters, by set).
type frontendCollector struct {
	statuses func() map[string]engine.FrontendStatus
}

var (
	frontendOpenDesc = prometheus.NewDesc("redset_frontend_connections",
		"Connections open now through each set's frontend, by member.", []string{"set", "member"}, nil)
	frontendTotalDesc = prometheus.NewDesc("redset_frontend_connections_total",
		"Connections made through each set's frontend to each member since the frontend started.", []string{"set", "member"}, nil)
	frontendBytesDesc = prometheus.NewDesc("redset_frontend_bytes_total",
		"Bytes through each set's frontend, by member and direction (in: client to member, out: member to client).",
		[]string{"set", "member", "direction"}, nil)
	frontendDialDesc = prometheus.NewDesc("redset_frontend_dial_errors_total",
		"Failed dials of each member by each set's frontend.", []string{"set", "member"}, nil)
	frontendRefusedDesc = prometheus.NewDesc("redset_frontend_refused_total",
		"Client connections a frontend closed at once: over its maxConnections, or no member could take them.", []string{"set"}, nil)
	frontendUpDesc = prometheus.NewDesc("redset_frontend_listening",
		"1 while the set's frontend listens, 0 while it cannot (see the FrontendChanged events).", []string{"set"}, nil)
)

func (c *frontendCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{frontendOpenDesc, frontendTotalDesc, frontendBytesDesc,
		frontendDialDesc, frontendRefusedDesc, frontendUpDesc} {
		ch <- d
	}
}

func (c *frontendCollector) Collect(ch chan<- prometheus.Metric) {
	all := c.statuses()
	ids := make([]string, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		st := all[id]
		ch <- prometheus.MustNewConstMetric(frontendUpDesc, prometheus.GaugeValue, flag(st.Address != "" && st.Error == ""), id)
		ch <- prometheus.MustNewConstMetric(frontendRefusedDesc, prometheus.CounterValue, float64(st.Refused), id)
		for _, m := range st.Members {
			collectMemberTraffic(ch, id, m)
		}
	}
}

func collectMemberTraffic(ch chan<- prometheus.Metric, set string, m engine.MemberTraffic) {
	ch <- prometheus.MustNewConstMetric(frontendOpenDesc, prometheus.GaugeValue, float64(m.Open), set, m.Name)
	ch <- prometheus.MustNewConstMetric(frontendTotalDesc, prometheus.CounterValue, float64(m.Total), set, m.Name)
	ch <- prometheus.MustNewConstMetric(frontendDialDesc, prometheus.CounterValue, float64(m.DialErrors), set, m.Name)
	ch <- prometheus.MustNewConstMetric(frontendBytesDesc, prometheus.CounterValue, float64(m.BytesIn), set, m.Name, "in")
	ch <- prometheus.MustNewConstMetric(frontendBytesDesc, prometheus.CounterValue, float64(m.BytesOut), set, m.Name, "out")
}
