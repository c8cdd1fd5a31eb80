package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redset/redset/store"
)

// BenchmarkCommitSerial: one Commit at a time, fsynced; ns/op is the
// latency of a lone commit, also reported as p50 and p99.
func BenchmarkCommitSerial(b *testing.B) {
	s := openTest(b, Options{})
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		mustCommit(b, s, put(fmt.Sprintf("k/%08d", i), "value"))
		lat = append(lat, time.Since(start))
		i++
	}
	reportPercentiles(b, lat)
}

// BenchmarkCommitParallel: many goroutines committing at once share
// fsyncs; txns/batch shows the grouping.
func BenchmarkCommitParallel(b *testing.B) {
	var batches, txns atomic.Int64
	s := openTest(b, Options{OnBatch: func(n int) { batches.Add(1); txns.Add(int64(n)) }})
	var next atomic.Int64
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			txn := store.Txn{Ops: []store.Op{put(fmt.Sprintf("k/%08d", next.Add(1)), "value")}}
			if _, err := s.Commit(context.Background(), txn); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if n := batches.Load(); n > 0 {
		b.ReportMetric(float64(txns.Load())/float64(n), "txns/batch")
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkOpen300k: reopen a store of 100,000 sets x 3 members and list
// everything, as a server start does. The file is built once; freelist=sync
// shows the cost of the bbolt setting this package does not use.
func BenchmarkOpen300k(b *testing.B) {
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("freelistSync=%t", sync), func(b *testing.B) {
			opts := Options{NoSync: true}
			opts.freelistSync = sync
			path := build300k(b, opts)
			for b.Loop() {
				s := mustOpen(b, path, opts)
				kvs, _, err := s.List(context.Background(), "")
				if err != nil || len(kvs) != 300_000 {
					b.Fatalf("List() = %d keys, %v; want 300000", len(kvs), err)
				}
				s.Close()
			}
		})
	}
}

// build300k writes 100,000 sets of 3 members, with values the size of a
// member record, and returns the file path.
func build300k(b *testing.B, opts Options) string {
	path := filepath.Join(b.TempDir(), "store.db")
	s := mustOpen(b, path, opts)
	defer s.Close()
	value := strings.Repeat("m", 200)
	var txn store.Txn
	for set := range 100_000 {
		for m := range 3 {
			txn.Ops = append(txn.Ops, put(fmt.Sprintf("members/set-%06d/member-%d", set, m), value))
		}
		if len(txn.Ops) >= 3000 {
			if _, err := s.Commit(context.Background(), txn); err != nil {
				b.Fatal(err)
			}
			txn.Ops = nil
		}
	}
	return path
}
