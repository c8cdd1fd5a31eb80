package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/web"
)

// BenchmarkPage renders the dashboard of 100 sets of 5 members with a
// timeline of 50 events.
func BenchmarkPage(b *testing.B) {
	src := &fakeSource{}
	for i := range 100 {
		s := api.Set{InstanceID: fmt.Sprintf("redset:set-%d", i), ElementName: fmt.Sprintf("set %d", i),
			RedundancyStatus: uint16(2 + i%4), TypeOfSet: []uint16{2}, MinNumberNeeded: 3, LoadBalanceAlgorithm: 2}
		for j := range 5 {
			s.Members = append(s.Members, api.SetMember{Name: fmt.Sprintf("m-%d-%d", i, j), Role: api.RoleInService,
				Health: api.Health{State: "OK", Detail: "status 200", Since: time.Unix(1e9, 0)}})
		}
		src.sets = append(src.sets, s)
	}
	for i := range 50 {
		src.events = append(src.events, api.Event{Seq: uint64(i + 1), Time: time.Unix(1e9, 0), Kind: "HealthChanged",
			Member: "m-1-1", Health: &api.HealthChange{From: "OK", To: "Failed", Detail: "refused"}})
	}
	h := web.NewHandler(src, web.Options{Auth: testAuth})
	req := httptest.NewRequest("GET", "/", nil)
	req.SetBasicAuth(testUser, testPassword)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
