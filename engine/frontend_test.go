package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/event"
)

func TestFrontendValidation(t *testing.T) {
	d := func(v time.Duration) *Duration { x := Duration(v); return &x }
	tests := []struct {
		name  string
		f     Frontend
		field string
		rule  string
	}{
		{"no port", Frontend{Listen: "127.0.0.1"}, "frontend.listen", "host:port"},
		{"port not a number", Frontend{Listen: "127.0.0.1:http"}, "frontend.listen", "port"},
		{"port too big", Frontend{Listen: "127.0.0.1:65536"}, "frontend.listen", "port"},
		{"control in host", Frontend{Listen: "a\nb:80"}, "frontend.listen", "host"},
		{"udp", Frontend{Listen: ":80", Mode: "udp"}, "frontend.mode", "tcp"},
		{"proxy v1", Frontend{Listen: ":80", ProxyProtocol: "v1"}, "frontend.proxyProtocol", "v2"},
		{"negative limit", Frontend{Listen: ":80", MaxConnections: -1}, "frontend.maxConnections", "between"},
		{"huge limit", Frontend{Listen: ":80", MaxConnections: MaxMaxConnections + 1}, "frontend.maxConnections", "between"},
		{"negative dial timeout", Frontend{Listen: ":80", DialTimeout: -1}, "frontend.dialTimeout", "between"},
		{"dial timeout 2m", Frontend{Listen: ":80", DialTimeout: Duration(2 * time.Minute)}, "frontend.dialTimeout", "between"},
		{"negative drain", Frontend{Listen: ":80", Drain: d(-time.Second)}, "frontend.drain", "between"},
		{"drain 25h", Frontend{Listen: ":80", Drain: d(25 * time.Hour)}, "frontend.drain", "between"},
		{"negative passive", Frontend{Listen: ":80", PassiveFailures: -1}, "frontend.passiveFailures", "between"},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sparingSet("redset:x", 1)
			s.Frontend = &tt.f
			before := h.dump()
			_, err := h.e.CreateSet(context.Background(), s)
			wantValidation(t, err, tt.field, tt.rule)
			h.assertUnchanged(before)
		})
	}
}

func TestFrontendStoredAndCopied(t *testing.T) {
	h := newHarness(t)
	drain := Duration(30 * time.Second)
	s := sparingSet("redset:web", 1)
	s.Frontend = &Frontend{Listen: "127.0.0.1:15432", Mode: FrontendTCP, Drain: &drain, ProxyProtocol: ProxyProtocolV2}
	want := *s.Frontend.Clone()
	h.set(s)
	*s.Frontend.Drain = 0 // the caller's copy is not the engine's
	h.restart()
	got := h.view("redset:web").Frontend
	if got == nil {
		t.Fatal("frontend lost across a restart")
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("frontend after restart (-want +got):\n%s", diff)
	}
	v, err := h.e.UpdateSet(context.Background(), "redset:web", func(s *Set) error { s.Frontend = nil; return nil })
	if err != nil || v.Frontend != nil {
		t.Errorf("removing the frontend: %v, frontend %+v", err, v.Frontend)
	}
}

func TestFrontendListenTakenByAnotherSet(t *testing.T) {
	h := newHarness(t)
	a := sparingSet("redset:a", 1)
	a.Frontend = &Frontend{Listen: "127.0.0.1:15432"}
	h.set(a)
	b := sparingSet("redset:b", 1)
	b.Frontend = &Frontend{Listen: "127.0.0.1:15432"}
	before := h.dump()
	if _, err := h.e.CreateSet(context.Background(), b); !errors.Is(err, ErrInUse) {
		t.Errorf("second frontend on one address: err = %v, want ErrInUse", err)
	}
	h.assertUnchanged(before)
	b.Frontend.Listen = "127.0.0.1:0"
	h.set(b)
	if _, err := h.e.UpdateSet(context.Background(), "redset:b", func(s *Set) error {
		s.Frontend.Listen = "127.0.0.1:15432"
		return nil
	}); !errors.Is(err, ErrInUse) {
		t.Errorf("update onto a taken address: err = %v, want ErrInUse", err)
	}
	for _, overlapping := range []string{"localhost:15432", "0.0.0.0:15432", ":15432"} {
		if _, err := h.e.UpdateSet(context.Background(), "redset:b", func(s *Set) error {
			s.Frontend.Listen = overlapping
			return nil
		}); !errors.Is(err, ErrInUse) {
			t.Errorf("update onto %s, which overlaps a taken address: err = %v, want ErrInUse", overlapping, err)
		}
	}
	if _, err := h.e.UpdateSet(context.Background(), "redset:a", func(s *Set) error {
		s.Frontend.ProxyProtocol = ProxyProtocolV2
		return nil
	}); err != nil {
		t.Errorf("a set keeping its own address: %v", err)
	}
}

func TestTrafficAddress(t *testing.T) {
	tests := []struct {
		name string
		m    Member
		want string
	}{
		{"own address", Member{Address: "10.0.0.1:5432", Probe: Probe{Type: ProbeTCP, Address: "10.0.0.1:22"}}, "10.0.0.1:5432"},
		{"tcp probe", Member{Probe: Probe{Type: ProbeTCP, Address: "10.0.0.1:22"}}, "10.0.0.1:22"},
		{"http probe with port", Member{Probe: Probe{Type: ProbeHTTP, URL: "http://127.0.0.1:8080/health"}}, "127.0.0.1:8080"},
		{"http probe", Member{Probe: Probe{Type: ProbeHTTP, URL: "http://web/health"}}, "web:80"},
		{"https probe", Member{Probe: Probe{Type: ProbeHTTP, URL: "https://[::1]/"}}, "[::1]:443"},
		{"exec probe", Member{Probe: Probe{Type: ProbeExec, Command: []string{"true"}}}, ""},
	}
	for _, tt := range tests {
		if got := tt.m.TrafficAddress(); got != tt.want {
			t.Errorf("%s: TrafficAddress() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMemberAddressValidation(t *testing.T) {
	h := newHarness(t)
	for _, addr := range []string{"web", "web:0", "web:x", ":"} {
		_, err := h.e.PutMember(context.Background(), Member{Name: "m", Address: addr})
		wantValidation(t, err, "address", "")
	}
	if _, err := h.e.PutMember(context.Background(), Member{Name: "m", Address: "[::1]:5432"}); err != nil {
		t.Errorf("an IPv6 address: %v", err)
	}
}

func TestFrontendRecordInHistoryAcrossRestart(t *testing.T) {
	h := newHarness(t)
	sub := h.e.Bus().Subscribe(8, nil)
	defer sub.Close()
	f := event.FrontendChanged{Listen: "127.0.0.1:15432", State: event.FrontendFailed, Error: "address already in use"}
	h.e.RecordFrontend("redset:web", f)
	got := <-sub.C()
	if got.Kind != event.KindFrontend || got.Frontend == nil || *got.Frontend != f || got.SetID != "redset:web" || got.Validate() != nil {
		t.Errorf("published %+v, want a FrontendChanged record of %+v for redset:web", got, f)
	}
	h.settle()
	h.restart()
	hist, err := h.e.History(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Frontend == nil || *hist[0].Frontend != f {
		t.Errorf("history after restart = %+v, want the frontend record", hist)
	}
}
