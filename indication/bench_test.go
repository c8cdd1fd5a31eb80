package indication

import (
	"testing"
	"time"
)

// BenchmarkHubThroughput measures indications delivered per second to
// loopback listeners: one destination, and 100 destinations (each
// indication goes to all of them), one indication per request and in
// batches of up to 100.
func BenchmarkHubThroughput(b *testing.B) {
	for _, tc := range []struct {
		name         string
		destinations int
		batch        int
	}{{"1-destination", 1, 1}, {"1-destination-batch100", 1, 100}, {"100-destinations", 100, 1}} {
		b.Run(tc.name, func(b *testing.B) {
			f := newHub(b, func(o *HubOptions) {
				o.QueueSize = b.N + 1
				o.Senders = map[string]Sender{"test": NewHTTPSender(testEncoding(tc.batch), SendOptions{Timeout: 30 * time.Second})}
			})
			listeners := make([]*listener, tc.destinations)
			for i := range listeners {
				listeners[i] = newListener(b, nil)
				f.hub.Put(testSub("s"+itoa(i), listeners[i].url(), PolicyIgnore))
			}
			want := uint64(b.N * tc.destinations)
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				f.hub.Handle(failoverRecord(uint64(i+1), "redset:a"))
			}
			eventually(b, "every delivery", func() bool {
				st := f.hub.Stats()
				return len(st) == 1 && st[0].Delivered == want
			})
			b.StopTimer()
			b.ReportMetric(float64(want)/time.Since(start).Seconds(), "indications/s")
		})
	}
}

// BenchmarkHubHandle measures Handle alone: matching one indication
// against 100 subscriptions and queueing it for each (no send: the
// destinations' queues are full).
func BenchmarkHubHandle(b *testing.B) {
	stuck := make(chan struct{})
	defer close(stuck)
	f := newHub(b, func(o *HubOptions) {
		o.QueueSize = 1
		o.Senders = map[string]Sender{"test": senderFunc(func() { <-stuck })}
	})
	for i := range 100 {
		f.hub.Put(testSub("s"+itoa(i), "http://127.0.0.1:1/"+itoa(i), PolicyIgnore))
	}
	r := failoverRecord(1, "redset:a")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f.hub.Handle(r)
	}
}
