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

// timedBatcher is a timedStore over a store that can batch transactions
// (etcd): the wrapper keeps the capability, so that the engine's group
// commit of automatic failovers still reaches the store. A batch is timed
// as one commit.
type timedBatcher struct {
	timedStore
	b store.Batcher
}

// CommitBatch commits txns in few writes and records how long it took.
func (t timedBatcher) CommitBatch(ctx context.Context, txns []store.Txn) []store.Result {
	start := t.now()
	res := t.b.CommitBatch(ctx, txns)
	t.seconds.Observe(t.now().Sub(start).Seconds())
	return res
}

// timed wraps st so that its commits are timed, keeping its ability to
// batch.
func timed(st store.Store, seconds prometheus.Observer) store.Store {
	t := timedStore{Store: st, seconds: seconds, now: time.Now}
	if b, ok := st.(store.Batcher); ok {
		return timedBatcher{timedStore: t, b: b}
	}
	return t
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
