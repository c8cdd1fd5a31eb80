package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redset/redset/cluster"
	"github.com/redset/redset/store"
)

// newCommitSeconds is the histogram of store commits: every write the
// engine makes, on bbolt or etcd.
func newCommitSeconds() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "redset_store_commit_seconds", Help: "How long store commits took (bbolt fsync, etcd transaction).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 3, 10),
	})
}

// timedStore is a store whose commits are timed. The engine writes
// through it; the cluster node gets the store itself, whose capabilities
// (an election) the wrapper would hide.
type timedStore struct {
	store.Store
	seconds prometheus.Observer
	now     func() time.Time
}

// Commit commits and records how long it took, whatever the outcome.
func (t timedStore) Commit(ctx context.Context, txn store.Txn) (int64, error) {
	start := t.now()
	rev, err := t.Store.Commit(ctx, txn)
	t.seconds.Observe(t.now().Sub(start).Seconds())
	return rev, err
}

// watchCluster adds the cluster's gauges, read at scrape time from info.
func (m *metrics) watchCluster(info func() cluster.Info) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "redset_cluster_is_leader", Help: "1 while this server leads the cluster (always in single mode), else 0.",
		}, func() float64 {
			if info().IsLeader {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "redset_cluster_leader_changes_total", Help: "Leader changes this server has seen.",
		}, func() float64 { return float64(info().LeaderChanges) }),
	)
}
