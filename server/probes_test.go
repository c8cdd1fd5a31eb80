package server

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/health"
)

// TestProbeOptionsReachTheProber checks that every probe option of the
// configuration survives the trip through the engine's stored member and
// arrives in the health checker's spec.
func TestProbeOptionsReachTheProber(t *testing.T) {
	hc := HealthCfg{Interval: Dur(2 * time.Second), Timeout: Dur(time.Second)}
	tests := []struct {
		name  string
		probe Probe
		want  health.Spec
	}{
		{"tcp", Probe{Type: "tcp", Address: "127.0.0.1:5432"},
			health.Spec{Type: "tcp", Address: "127.0.0.1:5432", Interval: 2 * time.Second, Timeout: time.Second}},
		{"http with every option", Probe{Type: "http", URL: "https://10.0.0.6:8008/health", Expect: "200-299",
			BodyMatch: "ok", BodyRegexp: "^role: (primary|replica)$", Headers: map[string]string{"X-Check": "redset"},
			InsecureSkipVerify: true, CAFile: "/etc/ca.pem", Interval: Dur(500 * time.Millisecond)},
			health.Spec{Type: "http", URL: "https://10.0.0.6:8008/health", Expect: "200-299", BodyMatch: "ok",
				BodyRegexp: "^role: (primary|replica)$", Headers: map[string]string{"X-Check": "redset"},
				InsecureSkipVerify: true, CAFile: "/etc/ca.pem", Interval: 500 * time.Millisecond, Timeout: 500 * time.Millisecond}},
		{"exec with env", Probe{Type: "exec", Command: []string{"/bin/check", "--quick"}, Env: map[string]string{"PGHOST": "db"}},
			health.Spec{Type: "exec", Command: []string{"/bin/check", "--quick"}, Env: map[string]string{"PGHOST": "db"},
				Interval: 2 * time.Second, Timeout: time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := engineMember(Member{Name: "m", Probe: tc.probe}, hc)
			got, ok := probeSpec(m.Probe)
			if !ok {
				t.Fatalf("probeSpec refused the stored probe %+v", m.Probe)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProbeSpecRefusesMalformedParams(t *testing.T) {
	m := engineMember(Member{Name: "m", Probe: Probe{Type: "http", URL: "http://x/", Headers: map[string]string{"a": "b"}}}, HealthCfg{})
	m.Probe.Params["headers"] = "{not json"
	if _, ok := probeSpec(m.Probe); ok {
		t.Error("probeSpec accepted malformed headers")
	}
}
