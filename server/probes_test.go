package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/health"
	"github.com/redset/redset/store"
	"github.com/redset/redset/store/bolt"
	"go.yaml.in/yaml/v3"
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
			InsecureSkipVerify: true, CAFile: "/etc/ca.pem", Interval: engine.Duration(500 * time.Millisecond)},
			health.Spec{Type: "http", URL: "https://10.0.0.6:8008/health", Expect: "200-299", BodyMatch: "ok",
				BodyRegexp: "^role: (primary|replica)$", Headers: map[string]string{"X-Check": "redset"},
				InsecureSkipVerify: true, CAFile: "/etc/ca.pem", Interval: 500 * time.Millisecond, Timeout: 500 * time.Millisecond}},
		{"exec with env", Probe{Type: "exec", Command: []string{"/bin/check", "--quick"}, Env: map[string]string{"PGHOST": "db"}},
			health.Spec{Type: "exec", Command: []string{"/bin/check", "--quick"}, Env: map[string]string{"PGHOST": "db"},
				Interval: 2 * time.Second, Timeout: time.Second}},
		{"heartbeat", Probe{Type: "heartbeat", TTL: engine.Duration(time.Minute)},
			health.Spec{Type: "heartbeat", TTL: time.Minute, Interval: 2 * time.Second, Timeout: time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := engineMember(Member{Name: "m", Probe: tc.probe}, hc)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			var stored engine.Member
			if err := json.Unmarshal(data, &stored); err != nil {
				t.Fatalf("the stored form %s does not read back: %v", data, err)
			}
			if diff := cmp.Diff(tc.want, healthSpec(stored.Probe, hc)); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

// A probe written in YAML and the same probe written in JSON decode to
// the same value, and each encodes back to the same field names.
func TestProbeYAMLAndJSONAgree(t *testing.T) {
	yamlText := `type: http
url: https://h/health
expect: 200-299
bodyMatch: ok
bodyRegexp: ^ok
headers: {X-Check: redset}
caFile: /ca.pem
interval: 1.5s
timeout: 500ms
ttl: 1m0s
rise: 2
fall: 3
`
	jsonText := `{"type":"http","url":"https://h/health","expect":"200-299","bodyMatch":"ok","bodyRegexp":"^ok",` +
		`"headers":{"X-Check":"redset"},"caFile":"/ca.pem","interval":"1.5s","timeout":"500ms","ttl":"1m0s","rise":2,"fall":3}`
	var fromYAML, fromJSON Probe
	dec := yaml.NewDecoder(strings.NewReader(yamlText))
	dec.KnownFields(true)
	if err := dec.Decode(&fromYAML); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	if err := json.Unmarshal([]byte(jsonText), &fromJSON); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if diff := cmp.Diff(fromYAML, fromJSON); diff != "" {
		t.Errorf("YAML and JSON differ (-yaml +json):\n%s", diff)
	}
	if fromJSON.Interval.D() != 1500*time.Millisecond {
		t.Errorf("interval = %v, want 1.5s", fromJSON.Interval)
	}
	asJSON, _ := json.Marshal(fromYAML)
	if string(asJSON) != jsonText {
		t.Errorf("the YAML probe as JSON\n got %s\nwant %s", asJSON, jsonText)
	}
	asYAML, err := yaml.Marshal(fromJSON)
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := yaml.Unmarshal(asYAML, &tree); err != nil {
		t.Fatal(err)
	}
	var jsonTree map[string]any
	_ = json.Unmarshal([]byte(jsonText), &jsonTree)
	for k, v := range jsonTree {
		if _, isNum := v.(float64); isNum {
			continue // YAML reads back ints, JSON floats
		}
		if !cmp.Equal(tree[k], v) {
			t.Errorf("the JSON probe as YAML: %s = %#v, want %#v\n%s", k, tree[k], v, asYAML)
		}
	}
	if len(tree) != len(jsonTree) {
		t.Errorf("the JSON probe as YAML has %d fields, want %d:\n%s", len(tree), len(jsonTree), asYAML)
	}
}

func TestProbeValidatorNamesTheField(t *testing.T) {
	validate := probeValidator(HealthCfg{Interval: Dur(2 * time.Second), Timeout: Dur(time.Second)})
	tests := []struct {
		name  string
		probe Probe
		field string
	}{
		{"none", Probe{Rise: 2}, ""},
		{"tcp", Probe{Type: "tcp", Address: "h:1"}, ""},
		{"heartbeat", Probe{Type: "heartbeat", TTL: engine.Duration(time.Second)}, ""},
		{"misspelt type", Probe{Type: "htpp", URL: "http://h/"}, "probe.type"},
		{"icmp", Probe{Type: "icmp", Address: "h:1"}, "probe.type"},
		{"no type", Probe{Address: "h:1"}, "probe.type"},
		{"bad url", Probe{Type: "http", URL: "ftp://h/"}, "probe.url"},
		{"bad header", Probe{Type: "http", URL: "http://h/", Headers: map[string]string{"X Bad": "1"}}, "probe.headers"},
		{"exec without command", Probe{Type: "exec"}, "probe.command"},
		{"heartbeat without ttl", Probe{Type: "heartbeat"}, "probe.ttl"},
		{"timeout beyond the default interval", Probe{Type: "tcp", Address: "h:1", Timeout: engine.Duration(3 * time.Second)}, "probe.timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validate(tc.probe)
			got := ""
			if ve, ok := err.(*engine.ValidationError); ok {
				got = ve.Field
			} else if err != nil {
				t.Fatalf("error %v (%T) is not an *engine.ValidationError", err, err)
			}
			if got != tc.field {
				t.Errorf("field = %q (%v), want %q", got, err, tc.field)
			}
		})
	}
}

// problemOf reads a problem+json answer.
func problemOf(t *testing.T, code int, body string) api.Problem {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("answer %d %q is not a problem: %v", code, body, err)
	}
	return p
}

// Probes the health checker could not run are refused where they enter
// through the API, naming the field, and change nothing.
func TestAPIRefusesProbesThatCannotRun(t *testing.T) {
	s := startServer(t, "", nil)
	base := "http://" + s.Addrs()[0] + "/api/v1/members"
	tests := []struct {
		name, probe, field string
	}{
		{"misspelt type", `{"type":"htpp","url":"http://127.0.0.1:1/"}`, "probe.type"},
		{"icmp", `{"type":"icmp","address":"127.0.0.1:1"}`, "probe.type"},
		{"exec with a string command", `{"type":"exec","command":"true"}`, "probe.command"},
		{"http with a bad url", `{"type":"http","url":"ftp://127.0.0.1/"}`, "probe.url"},
		{"bad header name", `{"type":"http","url":"http://127.0.0.1:1/","headers":{"X Bad":"1"}}`, "probe.headers"},
		{"headers as a JSON string", `{"type":"http","url":"http://127.0.0.1:1/","headers":"{not json"}`, "probe.headers"},
		{"address without a type", `{"address":"127.0.0.1:1"}`, "probe.type"},
		{"heartbeat without ttl", `{"type":"heartbeat"}`, "probe.ttl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, req := range []struct{ method, url string }{{http.MethodPost, base}, {http.MethodPut, base + "/x"}} {
				body := `{"name":"x","probe":` + tc.probe + `}`
				code, answer := call(t, httpClient, req.method, req.url, "admin", testPassword, strings.NewReader(body),
					"Content-Type", "application/json")
				p := problemOf(t, code, answer)
				if code != http.StatusBadRequest || p.Field != tc.field {
					t.Errorf("%s = %d %s, want 400 naming %s", req.method, code, answer, tc.field)
				}
			}
			if _, err := s.Engine().GetMember("x"); err == nil {
				t.Errorf("a refused probe stored member x")
			}
		})
	}
	t.Run("a refused replacement keeps the member as it was", func(t *testing.T) {
		good := `{"name":"y","probe":{"type":"tcp","address":"127.0.0.1:1"}}`
		if code, body := call(t, httpClient, http.MethodPut, base+"/y", "admin", testPassword, strings.NewReader(good), "Content-Type", "application/json"); code != 200 {
			t.Fatalf("PUT a good probe = %d %s", code, body)
		}
		before, _ := s.Engine().GetMember("y")
		bad := `{"name":"y","probe":{"type":"htpp","address":"127.0.0.1:1"}}`
		if code, _ := call(t, httpClient, http.MethodPut, base+"/y", "admin", testPassword, strings.NewReader(bad), "Content-Type", "application/json"); code != 400 {
			t.Errorf("PUT a bad probe over a good one = %d, want 400", code)
		}
		after, _ := s.Engine().GetMember("y")
		if !cmp.Equal(before, after) {
			t.Errorf("the refused PUT changed the member: %+v -> %+v", before, after)
		}
	})
}

// A probe written through the API is run: the member turns OK against a
// real loopback listener.
func TestAPIProbeRuns(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	s := startServer(t, "", nil)
	body := `{"name":"db","probe":{"type":"tcp","address":"` + ln.Addr().String() + `","interval":"100ms","timeout":"100ms","rise":1,"fall":1}}`
	code, answer := call(t, httpClient, http.MethodPut, "http://"+s.Addrs()[0]+"/api/v1/members/db", "admin", testPassword,
		strings.NewReader(body), "Content-Type", "application/json")
	if code != http.StatusOK {
		t.Fatalf("PUT = %d %s", code, answer)
	}
	eventually(t, 10*time.Second, "db OK", func() bool {
		m, err := s.Engine().GetMember("db")
		return err == nil && m.Health.State == engine.HealthOK && m.Health.Source == "tcp"
	})
}

// putOldRecords writes member records as redset wrote them before probes
// had typed fields, into the bolt file a server on dir opens.
func putOldRecords(t *testing.T, dir string, records map[string]string) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(dir, "redset.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ops []store.Op
	for name, rec := range records {
		ops = append(ops, store.Op{Key: "members/" + name, Value: []byte(rec)})
	}
	if _, err := st.Commit(context.Background(), store.Txn{Ops: ops}); err != nil {
		t.Fatal(err)
	}
}

// Old member records still load and run; one whose probe cannot run is
// logged once at warn level instead of staying Unknown in silence.
func TestOldRecordsRunOrWarn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dir := t.TempDir()
	putOldRecords(t, dir, map[string]string{
		"old-tcp": `{"name":"old-tcp","probe":{"kind":"tcp","target":"` + ln.Addr().String() +
			`","interval":100000000,"timeout":100000000,"rise":1,"fall":1}}`,
		"old-exec": `{"name":"old-exec","probe":{"kind":"exec","target":"true","interval":100000000,"timeout":100000000,` +
			`"rise":1,"fall":1,"params":{"command":"[\"true\"]"}}}`,
		"typo": `{"name":"typo","probe":{"kind":"htpp","target":"http://127.0.0.1:1/","interval":100000000}}`,
	})
	logs := &syncBuffer{}
	cfg := Config{Data: dir, Listen: []string{"127.0.0.1:0"}, AdminPassword: testPassword}
	cfg.Default()
	s, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("New over old records: %v", err)
	}
	defer s.Close()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"old-tcp", "old-exec"} {
		eventually(t, 10*time.Second, name+" OK", func() bool {
			m, err := s.Engine().GetMember(name)
			return err == nil && m.Health.State == engine.HealthOK
		})
	}
	var warned []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "member=typo") && strings.Contains(line, "part=health") {
			warned = append(warned, line)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "not run") || !strings.Contains(warned[0], `htpp`) {
		t.Errorf("warnings about member typo = %q, want one saying its probe is not run", warned)
	}
}
