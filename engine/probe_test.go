package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redset/redset/store"
)

// onlyTCP stands in for the health checker's rules: it accepts tcp probes
// and probes with no type, and refuses the rest like the real validator
// does (a *ValidationError under probe), or with a plain error for "plain".
func onlyTCP(p Probe) error {
	switch p.Type {
	case "", ProbeTCP:
		return nil
	case "plain":
		return errors.New("no such prober")
	}
	return &ValidationError{Field: "probe.type", Rule: "not tcp", Value: p.Type}
}

func TestPutMemberRunsTheProbeValidator(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ValidateProbe = onlyTCP })
	ctx := context.Background()
	if _, err := h.e.PutMember(ctx, Member{Name: "m", Probe: Probe{Type: ProbeTCP, Address: "127.0.0.1:1"}}); err != nil {
		t.Fatalf("a probe the validator accepts: %v", err)
	}
	tests := []struct {
		name, typ, field, rule string
	}{
		{"validation error passed on", "htpp", "probe.type", "not tcp"},
		{"other error made a validation error", "plain", "probe", "no such prober"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.dump()
			_, err := h.e.PutMember(ctx, Member{Name: "m", Probe: Probe{Type: tc.typ}})
			wantValidation(t, err, tc.field, tc.rule)
			h.assertUnchanged(before)
		})
	}
	t.Run("shape is checked before the validator", func(t *testing.T) {
		_, err := h.e.PutMember(ctx, Member{Name: "m", Probe: Probe{Type: "htpp", Rise: -1}})
		wantValidation(t, err, "probe.rise", "between")
	})
}

// putRaw writes a member record as an older redset did, bypassing the
// engine.
func putRaw(t *testing.T, st store.Store, name, record string) {
	t.Helper()
	txn := store.Txn{Ops: []store.Op{{Key: memberKey(name), Value: []byte(record)}}}
	if _, err := st.Commit(context.Background(), txn); err != nil {
		t.Fatalf("writing the old record of %s: %v", name, err)
	}
}

// Records written before probes had typed fields (kind, target, params,
// durations in nanoseconds) load into the typed form after a restart on
// the same bolt file.
func TestOldMemberRecordsLoad(t *testing.T) {
	logs := &bytes.Buffer{}
	h := newHarness(t, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	old := map[string]string{
		"tcp": `{"name":"tcp","probe":{"kind":"tcp","target":"10.0.0.5:5432","interval":1000000000,"timeout":500000000,"rise":2,"fall":3}}`,
		"http": `{"name":"http","displayName":"H","labels":{"zone":"a"},"probe":{"kind":"http","target":"https://h:8008/health",` +
			`"interval":2000000000,"timeout":1000000000,"rise":2,"fall":3,"params":{"expect":"200-299","bodyMatch":"running",` +
			`"bodyRegexp":"^ok","caFile":"/etc/ca.pem","headers":"{\"X-Check\":\"redset\"}"}}}`,
		"exec": `{"name":"exec","probe":{"kind":"exec","target":"/bin/check --quick","interval":2000000000,"timeout":300000000,` +
			`"rise":2,"fall":3,"params":{"command":"[\"/bin/check\",\"--quick\"]","env":"{\"PGHOST\":\"db\"}"}}}`,
		"beat":    `{"name":"beat","probe":{"kind":"heartbeat","interval":2000000000,"timeout":1000000000,"rise":2,"fall":3,"ttl":30000000000}}`,
		"none":    `{"name":"none","probe":{"interval":2000000000,"timeout":1000000000,"rise":2,"fall":3}}`,
		"bare":    `{"name":"bare","probe":{}}`,
		"typo":    `{"name":"typo","probe":{"kind":"htpp","target":"http://x/"}}`,
		"strexec": `{"name":"strexec","probe":{"kind":"exec","target":"true","interval":100000000}}`,
		"badhdr":  `{"name":"badhdr","probe":{"kind":"http","target":"http://x/","params":{"headers":"{not json","k":"v"}}}`,
	}
	for name, rec := range old {
		putRaw(t, h.st, name, rec)
	}
	h.restart()
	sec := Duration(time.Second)
	want := map[string]Member{
		"tcp": {Name: "tcp", Probe: Probe{Type: ProbeTCP, Address: "10.0.0.5:5432", Interval: sec, Timeout: sec / 2, Rise: 2, Fall: 3}},
		"http": {Name: "http", DisplayName: "H", Labels: map[string]string{"zone": "a"}, Probe: Probe{
			Type: ProbeHTTP, URL: "https://h:8008/health", Expect: "200-299", BodyMatch: "running", BodyRegexp: "^ok",
			CAFile: "/etc/ca.pem", Headers: map[string]string{"X-Check": "redset"}, Interval: 2 * sec, Timeout: sec, Rise: 2, Fall: 3}},
		"exec": {Name: "exec", Probe: Probe{Type: ProbeExec, Command: []string{"/bin/check", "--quick"},
			Env: map[string]string{"PGHOST": "db"}, Interval: 2 * sec, Timeout: sec * 3 / 10, Rise: 2, Fall: 3}},
		"beat":    {Name: "beat", Probe: Probe{Type: ProbeHeartbeat, Interval: 2 * sec, Timeout: sec, Rise: 2, Fall: 3, TTL: 30 * sec}},
		"none":    {Name: "none", Probe: Probe{Interval: 2 * sec, Timeout: sec, Rise: 2, Fall: 3}},
		"bare":    {Name: "bare"},
		"typo":    {Name: "typo", Probe: Probe{Type: "htpp"}},
		"strexec": {Name: "strexec", Probe: Probe{Type: ProbeExec, Interval: sec / 10}},
		"badhdr":  {Name: "badhdr", Probe: Probe{Type: ProbeHTTP, URL: "http://x/"}},
	}
	for name, w := range want {
		got, err := h.e.GetMember(name)
		if err != nil {
			t.Errorf("GetMember(%s) after the restart: %v", name, err)
			continue
		}
		if diff := cmp.Diff(w, got.Member); diff != "" {
			t.Errorf("member %s from its old record (-want +got):\n%s", name, diff)
		}
	}
	t.Run("what had no place is logged", func(t *testing.T) {
		for _, s := range []string{`member=strexec`, `target \"true\" was never run`, `member=typo`,
			`params.headers \"{not json\"`, `params.k \"v\" is not used`} {
			if !strings.Contains(logs.String(), s) {
				t.Errorf("the load log does not say %s:\n%s", s, logs)
			}
		}
	})
	t.Run("written back in the typed form", func(t *testing.T) {
		m, _ := h.e.GetMember("tcp")
		if _, err := h.e.PutMember(context.Background(), m.Member); err != nil {
			t.Fatal(err)
		}
		kv, err := h.st.Get(context.Background(), memberKey("tcp"))
		if err != nil {
			t.Fatal(err)
		}
		wantJSON := `{"name":"tcp","probe":{"type":"tcp","address":"10.0.0.5:5432","interval":"1s","timeout":"500ms","rise":2,"fall":3}}`
		if string(kv.Value) != wantJSON {
			t.Errorf("stored record = %s\nwant %s", kv.Value, wantJSON)
		}
		h.restart()
		again, err := h.e.GetMember("tcp")
		if err != nil || !cmp.Equal(again.Member, want["tcp"]) {
			t.Errorf("the typed record read back = %+v, %v; want %+v", again.Member, err, want["tcp"])
		}
	})
	t.Run("a record in neither form is refused", func(t *testing.T) {
		putRaw(t, h.st, "broken", `{"name":"broken","probe":{"type":"tcp","interval":5}}`)
		h.close()
		h.st = openBolt(t, h.path, true)
		opts := h.opts
		opts.Store = h.st
		if _, err := New(context.Background(), opts); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "broken") {
			t.Errorf("New over a malformed member record = %v, want ErrInvalid naming it", err)
		}
	})
}

func TestDurationJSON(t *testing.T) {
	type probeOnly struct {
		Probe Probe `json:"probe"`
	}
	t.Run("written as a Go duration string", func(t *testing.T) {
		data, err := json.Marshal(Probe{Interval: Duration(1500 * time.Millisecond), TTL: Duration(time.Minute)})
		if err != nil || string(data) != `{"interval":"1.5s","ttl":"1m0s"}` {
			t.Errorf("Marshal = %s, %v", data, err)
		}
	})
	tests := []struct {
		in, field, value string
	}{
		{`{"probe":{"interval":5}}`, "probe.interval", "number"},
		{`{"probe":{"timeout":"5 sec"}}`, "probe.timeout", `string "5 sec"`},
		{`{"probe":{"ttl":true}}`, "probe.ttl", "bool"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var v probeOnly
			err := json.Unmarshal([]byte(tc.in), &v)
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) || te.Field != tc.field || te.Value != tc.value {
				t.Errorf("Unmarshal error = %v (%#v), want a type error at %s about %s", err, te, tc.field, tc.value)
			}
		})
	}
	t.Run("reads strings", func(t *testing.T) {
		var v probeOnly
		if err := json.Unmarshal([]byte(`{"probe":{"interval":"250ms"}}`), &v); err != nil || v.Probe.Interval.D() != 250*time.Millisecond {
			t.Errorf("Unmarshal = %v, %v; want 250ms", v.Probe.Interval, err)
		}
	})
}

func TestProbeTarget(t *testing.T) {
	tests := []struct {
		p    Probe
		want string
	}{
		{Probe{Type: ProbeTCP, Address: "h:1"}, "h:1"},
		{Probe{Type: ProbeHTTP, URL: "http://h/"}, "http://h/"},
		{Probe{Type: ProbeExec, Command: []string{"/bin/sh", "-c", "exit 1", ""}}, `/bin/sh -c "exit 1" ""`},
		{Probe{Type: ProbeHeartbeat}, ""},
	}
	for _, tc := range tests {
		if got := tc.p.Target(); got != tc.want {
			t.Errorf("%+v.Target() = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func FuzzDecodeMember(f *testing.F) {
	f.Add([]byte(`{"name":"a","probe":{"kind":"exec","target":"x","params":{"command":"[\"x\"]"}}}`))
	f.Add([]byte(`{"name":"a","probe":{"type":"http","url":"http://h/","interval":"1s"}}`))
	f.Add([]byte(`{"name":"a","probe":{"kind":"http","params":{"headers":"[1]"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := decodeMember(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("decodeMember error %v is not ErrInvalid", err)
			}
			return
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := decodeMember(out)
		if err != nil || !cmp.Equal(m, again, cmpopts.EquateEmpty()) {
			t.Fatalf("re-encoded record %s reads back as %+v, %v; want %+v", out, again, err, m)
		}
	})
}
