package api

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redset/redset/event"
)

func sampleRecords() []event.Record {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return []event.Record{
		{Seq: 1, Time: at, Kind: event.KindFailoverSucceeded, SetID: "s", Member: "b",
			Actor:    &event.Actor{User: "admin", Address: "127.0.0.1", Protocol: "cimxml"},
			Failover: &event.Failover{Planned: true, From: "a", To: "b", Duration: 3 * time.Millisecond}},
		{Seq: 2, Time: at, Kind: event.KindStatusChanged, SetID: "s", Status: &event.StatusChanged{From: 2, To: 3}},
		{Seq: 3, Time: at, Kind: event.KindConfigChanged, Config: &event.ConfigChanged{Action: "reload", Detail: "line\nbreak \"quoted\""}},
		{Seq: 0, Time: at, Kind: event.KindHealthChanged, Member: "a", Health: &event.HealthChanged{Detail: "unnumbered"}},
	}
}

// TestEventJSONAsMarshal: the kept JSON of a record, and a history page
// built from it, are the bytes json.Marshal writes for them, on first use
// and when kept.
func TestEventJSONAsMarshal(t *testing.T) {
	var c eventJSON
	for round := range 2 {
		for _, r := range sampleRecords() {
			got, err := c.of(r)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(eventFrom(r))
			if string(got) != string(want) {
				t.Errorf("round %d, seq %d: got %s, want %s", round, r.Seq, got, want)
			}
		}
	}
	for _, recs := range [][]event.Record{nil, sampleRecords()[:1], sampleRecords()} {
		got := httptest.NewRecorder()
		if err := c.writeList(got, recs); err != nil {
			t.Fatal(err)
		}
		want := httptest.NewRecorder()
		if err := writeJSON(want, 200, EventList{Events: eventsFrom(recs)}); err != nil {
			t.Fatal(err)
		}
		if got.Body.String() != want.Body.String() || got.Code != want.Code ||
			got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%d records: got %d %q %s, want %d %q %s", len(recs), got.Code, got.Header().Get("Content-Type"), got.Body,
				want.Code, want.Header().Get("Content-Type"), want.Body)
		}
	}
}

// TestEventJSONBounded: past keptEventJSON records the oldest are
// forgotten, and unnumbered records are never kept.
func TestEventJSONBounded(t *testing.T) {
	var c eventJSON
	for seq := uint64(0); seq <= keptEventJSON+10; seq++ {
		if _, err := c.of(event.Record{Seq: seq, Kind: event.KindConfigChanged}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.bySeq); n != keptEventJSON {
		t.Errorf("%d records kept, want %d", n, keptEventJSON)
	}
	for _, seq := range []uint64{0, 1, 10} {
		if _, ok := c.bySeq[seq]; ok {
			t.Errorf("seq %d still kept", seq)
		}
	}
	for _, seq := range []uint64{11, keptEventJSON + 10} {
		if _, ok := c.bySeq[seq]; !ok {
			t.Errorf("seq %d not kept", seq)
		}
	}
}
