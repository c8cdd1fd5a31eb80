package server

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/engine"
)

// frontendBase declares a Sparing set with a frontend and members with and
// without a traffic address of their own.
const frontendBase = `members:
  - {name: a, address: "127.0.0.1:7001", probe: {type: heartbeat, ttl: 1h}}
  - {name: b, probe: {type: tcp, address: "127.0.0.1:7002"}}
sets:
  - id: pg
    typeOfSet: [4]
    minNumberNeeded: 1
    frontend: {listen: "127.0.0.1:15432", mode: tcp, drain: 30s, proxyProtocol: v2, maxConnections: 100, dialTimeout: 1s, passiveFailures: 3}
    members:
      - {name: a}
      - {name: b, role: spare}
`

func TestParseFrontend(t *testing.T) {
	cfg, err := ParseConfig("test.yaml", []byte(frontendBase))
	if err != nil {
		t.Fatal(err)
	}
	drain := engine.Duration(30 * time.Second)
	want := &Frontend{Listen: "127.0.0.1:15432", Mode: "tcp", Drain: &drain, ProxyProtocol: "v2",
		MaxConnections: 100, DialTimeout: engine.Duration(time.Second), PassiveFailures: 3}
	if diff := cmp.Diff(want, cfg.Sets[0].Frontend); diff != "" {
		t.Errorf("frontend (-want +got):\n%s", diff)
	}
	if cfg.Members[0].Address != "127.0.0.1:7001" || cfg.Members[1].Address != "" {
		t.Errorf("addresses %q, %q; want 127.0.0.1:7001 and none", cfg.Members[0].Address, cfg.Members[1].Address)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// A drain of 0s closes at once and differs from no drain (left open).
func TestParseFrontendDrainZero(t *testing.T) {
	cfg, err := ParseConfig("test.yaml", []byte("sets:\n  - id: a\n    frontend: {listen: \"127.0.0.1:0\", drain: 0s}\n  - id: b\n    frontend: {listen: \"127.0.0.1:0\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cfg.Sets[0].Frontend.Drain; d == nil || *d != 0 {
		t.Errorf("drain 0s = %v, want a zero duration", d)
	}
	if d := cfg.Sets[1].Frontend.Drain; d != nil {
		t.Errorf("no drain = %v, want none", *d)
	}
}

func TestFrontendErrorsNameTheirLine(t *testing.T) {
	head := "members:\n  - name: a\nsets:\n  - id: s\n    typeOfSet: [4]\n    minNumberNeeded: 1\n"
	tests := []struct {
		name, text string
		field      string
		msg        string
	}{
		{"listen not host:port", head + "    frontend:\n      listen: nowhere #@\n", "sets[0].frontend.listen", "host:port"},
		{"mode", head + "    frontend:\n      listen: \"127.0.0.1:1\"\n      mode: udp #@\n", "sets[0].frontend.mode", `"tcp"`},
		{"proxy protocol", head + "    frontend:\n      listen: \"127.0.0.1:1\"\n      proxyProtocol: v1 #@\n", "sets[0].frontend.proxyProtocol", `"v2" or "off"`},
		{"max connections", head + "    frontend:\n      listen: \"127.0.0.1:1\"\n      maxConnections: -1 #@\n", "sets[0].frontend.maxConnections", "between 0"},
		{"dial timeout", head + "    frontend:\n      listen: \"127.0.0.1:1\"\n      dialTimeout: 2h #@\n", "sets[0].frontend.dialTimeout", "between 0"},
		{"drain", head + "    frontend:\n      listen: \"127.0.0.1:1\"\n      drain: 48h #@\n", "sets[0].frontend.drain", "between 0 and 24h"},
		{"passive failures", head + "    frontend:\n      listen: \"127.0.0.1:1\"\n      passiveFailures: -2 #@\n", "sets[0].frontend.passiveFailures", "between 0"},
		{"member address", "members:\n  - name: a\n    address: \"h:0\" #@\n", "members[0].address", "port"},
		{"two sets, one listen address", head + "    frontend: {listen: \"127.0.0.1:1\"}\n  - id: t\n    frontend: {listen: \"127.0.0.1:1\"} #@\n",
			"sets[1].frontend.listen", "overlaps the address of sets[0].frontend"},
		{"localhost and the loopback address", head + "    frontend: {listen: \"localhost:1\"}\n  - id: t\n    frontend: {listen: \"127.0.0.1:1\"} #@\n",
			"sets[1].frontend.listen", "overlaps the address of sets[0].frontend (localhost:1)"},
		{"every address and one", "listen: [\":5988\"]\n" + head + "    frontend: {listen: \"127.0.0.1:5988\"} #@\n",
			"sets[0].frontend.listen", "the server's own"},
		{"the server's own address", "listen: [\"127.0.0.1:5988\"]\n" + head + "    frontend: {listen: \"127.0.0.1:5988\"} #@\n",
			"sets[0].frontend.listen", "the server's own"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validate(t, tc.text)
			got := fieldErrors(t, err)
			want := []FieldError{{File: "test.yaml", Line: markedLine(t, tc.text), Field: tc.field}}
			if diff := cmp.Diff(want, got, cmp.Comparer(sameField)); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\nerror: %v", diff, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
	t.Run("an unknown frontend field", func(t *testing.T) {
		text := head + "    frontend:\n      listen: \"127.0.0.1:1\"\n      drian: 1s #@\n"
		_, err := ParseConfig("test.yaml", []byte(text))
		got := fieldErrors(t, err)
		want := []FieldError{{File: "test.yaml", Line: markedLine(t, text), Field: "sets[0].frontend.drian"}}
		if diff := cmp.Diff(want, got, cmp.Comparer(sameField)); diff != "" {
			t.Errorf("errors (-want +got):\n%s\nerror: %v", diff, err)
		}
	})
	t.Run("port 0 may repeat", func(t *testing.T) {
		text := head + "    frontend: {listen: \"127.0.0.1:0\"}\n  - id: t\n    frontend: {listen: \"127.0.0.1:0\"}\n"
		if err := validate(t, text); err != nil {
			t.Errorf("two frontends on port 0: %v", err)
		}
	})
}

// The file's frontends and addresses reach the engine; a reload changes a
// frontend, then removes it, and says so.
func TestReloadChangesAndRemovesAFrontend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frontend.yaml")
	writeFile(t, path, frontendBase)
	s := fileServer(t, path)
	ctx := context.Background()

	v := mustSet(t, s.Engine(), "redset:pg")
	if v.Frontend == nil || v.Frontend.Listen != "127.0.0.1:15432" || v.Frontend.Drain == nil || v.Frontend.Drain.D() != 30*time.Second {
		t.Fatalf("frontend after start = %+v", v.Frontend)
	}
	a, err := s.Engine().GetMember("a")
	if err != nil || a.Address != "127.0.0.1:7001" || a.TrafficAddress() != "127.0.0.1:7001" {
		t.Errorf("member a: address %q (%v)", a.Address, err)
	}
	b, err := s.Engine().GetMember("b")
	if err != nil || b.Address != "" || b.TrafficAddress() != "127.0.0.1:7002" {
		t.Errorf("member b: address %q, traffic address %q (%v); want its probe's", b.Address, b.TrafficAddress(), err)
	}

	changed := strings.Replace(frontendBase, `listen: "127.0.0.1:15432", mode: tcp, drain: 30s`, `listen: "127.0.0.1:15433", drain: 0s`, 1)
	changed = strings.Replace(changed, `address: "127.0.0.1:7001", `, `address: "127.0.0.1:7011", `, 1)
	writeFile(t, path, changed)
	rep, err := s.Reload(ctx)
	if err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if diff := cmp.Diff([]string{"member a", "set redset:pg"}, rep.Updated); diff != "" {
		t.Errorf("Updated (-want +got):\n%s", diff)
	}
	v = mustSet(t, s.Engine(), "redset:pg")
	if f := v.Frontend; f == nil || f.Listen != "127.0.0.1:15433" || f.Mode != "" || f.Drain == nil || *f.Drain != 0 {
		t.Errorf("frontend after the change = %+v", f)
	}
	if a, _ := s.Engine().GetMember("a"); a.Address != "127.0.0.1:7011" {
		t.Errorf("member a's address after the change = %q", a.Address)
	}

	writeFile(t, path, strings.Replace(changed, "    frontend: {listen: \"127.0.0.1:15433\", drain: 0s, proxyProtocol: v2, maxConnections: 100, dialTimeout: 1s, passiveFailures: 3}\n", "", 1))
	rep, err = s.Reload(ctx)
	if err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if want := "updated set redset:pg"; rep.Summary() != want {
		t.Errorf("summary %q, want %q", rep.Summary(), want)
	}
	if v = mustSet(t, s.Engine(), "redset:pg"); v.Frontend != nil {
		t.Errorf("frontend after its removal = %+v", v.Frontend)
	}
	rep, err = s.Reload(ctx)
	if err != nil || rep.Changed() {
		t.Errorf("the same file again: %+v, %v; want nothing changed", rep, err)
	}
}

// A declared frontend on the address of a stored set's frontend that the
// file does not declare is refused before anything is written.
func TestReloadRefusesAFrontendAStoredSetHolds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frontend.yaml")
	writeFile(t, path, frontendBase)
	s := fileServer(t, path)
	ctx := context.Background()
	other := engine.Set{InstanceID: "redset:other", TypeOfSet: []uint16{2}, OtherTypeOfSet: []string{""},
		LoadBalanceAlgorithm: engine.LBNone, Frontend: &engine.Frontend{Listen: "127.0.0.1:15999"}}
	if _, err := s.Engine().CreateSet(ctx, other); err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(frontendBase, "127.0.0.1:15432", "127.0.0.1:15999", 1) + "    caption: moved\n"
	writeFile(t, path, text)
	_, err := s.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "sets[0].frontend.listen: 127.0.0.1:15999 is the frontend of set redset:other") {
		t.Fatalf("Reload = %v, want a refusal naming the field and the other set", err)
	}
	if v := mustSet(t, s.Engine(), "redset:pg"); v.Frontend.Listen != "127.0.0.1:15432" || v.Caption != "" {
		t.Errorf("the refused reload changed the set: %+v, caption %q", v.Frontend, v.Caption)
	}
}

func mustSet(t *testing.T, eng *engine.Engine, id string) engine.SetView {
	t.Helper()
	v, err := eng.GetSet(id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
