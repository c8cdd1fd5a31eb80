package main

import (
	"math"
	"sync"
	"time"
)

// op is one kind of operation the tool counts.
type op int

const (
	cimEnumerate op = iota
	cimGet
	cimFailover
	wsmanEnumerate
	wsmanPull
	wsmanGet
	wsmanFailover
	apiSets
	apiSet
	apiHistory
	apiEvents    // opening an event stream
	apiHeartbeat // the heartbeats that keep the tool's members healthy
	numOps
)

var opNames = [numOps]string{
	cimEnumerate:   "cim.enumerate",
	cimGet:         "cim.get",
	cimFailover:    "cim.failover",
	wsmanEnumerate: "wsman.enumerate",
	wsmanPull:      "wsman.pull",
	wsmanGet:       "wsman.get",
	wsmanFailover:  "wsman.failover",
	apiSets:        "api.sets",
	apiSet:         "api.set",
	apiHistory:     "api.history",
	apiEvents:      "api.events",
	apiHeartbeat:   "api.heartbeat",
}

func (o op) String() string { return opNames[o] }

// clientOp reports whether clients choose o from the mix (the others are
// issued as a part of another operation or by the tool itself).
func (o op) clientOp() bool {
	return o != wsmanPull && o != apiEvents && o != apiHeartbeat
}

func (o op) failover() bool { return o == cimFailover || o == wsmanFailover }

func opByName(name string) (op, bool) {
	for o, n := range opNames {
		if n == name {
			return op(o), true
		}
	}
	return 0, false
}

func clientOpNames() []string {
	var names []string
	for o := range numOps {
		if o.clientOp() {
			names = append(names, o.String())
		}
	}
	return names
}

// Latencies are counted in buckets that grow by 2^(1/16) (about 4.4 %),
// from 1 ns to about 2^40 ns (18 minutes).
const (
	bucketsPerDoubling = 16
	numBuckets         = 40 * bucketsPerDoubling
)

// hist is a latency histogram. It is not safe for concurrent use: each
// client keeps its own and they are merged at the end.
type hist struct {
	counts [numBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

func bucketOf(d time.Duration) int {
	if d <= 1 {
		return 0
	}
	i := int(math.Log2(float64(d)) * bucketsPerDoubling)
	return min(i, numBuckets-1)
}

// bucketTop is the upper bound of bucket i.
func bucketTop(i int) time.Duration {
	return time.Duration(math.Exp2(float64(i+1) / bucketsPerDoubling))
}

func (h *hist) add(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the latency below which a fraction q of the samples
// fall, to the histogram's resolution (never more than the maximum seen).
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(bucketTop(i), h.max)
		}
	}
	return h.max
}

// opStats is what one client counted of one operation. Latencies are of
// answered requests (completed, refused or answered with an error).
type opStats struct {
	lat     hist
	ok      uint64
	refused uint64 // Failovers refused with 3 or 4 (expected under concurrency)
	errors  uint64
}

func (s *opStats) merge(o *opStats) {
	s.lat.merge(&o.lat)
	s.ok += o.ok
	s.refused += o.refused
	s.errors += o.errors
}

// tally is one client's counts of every operation.
type tally [numOps]opStats

// errorLog keeps the first few error texts of each operation; it is shared
// by the clients (errors are rare, so one lock is enough).
type errorLog struct {
	mu    sync.Mutex
	first [numOps][]string
}

const keptErrors = 3

func (l *errorLog) add(o op, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.first[o]) < keptErrors {
		l.first[o] = append(l.first[o], err.Error())
	}
}

func (l *errorLog) texts(o op) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.first[o]...)
}
