package wsman

import (
	"testing"
)

// BenchmarkEncodeEvent writes one pushed event with an embedded instance.
func BenchmarkEncodeEvent(b *testing.B) {
	p := Push{To: EndpointRef{Address: "http://127.0.0.1:9/e", Parameters: `<n0:Sink xmlns:n0="urn:example:sink">sink-1</n0:Sink>`},
		Mode: DeliverPushWithAck, ResourceURI: uriFailoverInd}
	evs := []Event{testEvent()}
	b.ReportAllocs()
	for b.Loop() {
		_ = EncodeEvents(p, evs, 0, "7", "uuid:m1")
	}
}

// BenchmarkEventPull serves a Pull of 20 events through the handler.
func BenchmarkEventPull(b *testing.B) {
	f := &fakeEventing{}
	for range 20 {
		f.events = append(f.events, testEvent())
	}
	h := newTestHandler(newFake(1), Options{Eventing: f})
	body := eventingFixture(b, "pull.xml")
	b.ReportAllocs()
	for b.Loop() {
		if rec := serve(h, soapRequest("admin", body)); rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
