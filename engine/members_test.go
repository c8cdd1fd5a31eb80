package engine

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/event"
)

// A member is in place when the record of its creation or change is
// published: a subscriber that looks it up on the record (the server's
// probe scheduler does) finds it, and finds it as the record says. The
// lookup runs in the subscription's filter, which the bus calls while it
// publishes.
func TestMemberInPlaceWhenItsRecordIsPublished(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	var got []string
	h.bus.Subscribe(16, func(r event.Record) bool {
		if r.Kind != event.KindConfigChanged || r.SetID != "" || r.Member == "" {
			return false
		}
		m, err := h.e.GetMember(r.Member)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%s %s: %q %v", r.Config.Action, r.Member, m.DisplayName, err))
		return false
	})
	h.member("a")
	if _, err := h.e.PutMember(t.Context(), Member{Name: "a", DisplayName: "renamed", Probe: Probe{Rise: 1, Fall: 1}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{`member created a: "" <nil>`, `member updated a: "renamed" <nil>`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("what a subscriber found on each record (-want +got):\n%s", diff)
	}
}
