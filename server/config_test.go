package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
)

// markedLine is the 1-based line of text that carries the marker comment
// "#@", the line a test expects an error to name.
func markedLine(t *testing.T, text string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "#@") {
			return i + 1
		}
	}
	t.Fatalf("no #@ marker in\n%s", text)
	return 0
}

// fieldErrors flattens the FieldErrors of a (joined) error; any other error
// fails the test.
func fieldErrors(t *testing.T, err error) []FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []FieldError
		for _, e := range j.Unwrap() {
			out = append(out, fieldErrors(t, e)...)
		}
		return out
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %q (%T) is not a *FieldError", err, err)
	}
	return []FieldError{*fe}
}

// validate parses, defaults and validates a configuration as server.New
// does.
func validate(t *testing.T, text string) error {
	t.Helper()
	cfg, err := ParseConfig("test.yaml", []byte(text))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	cfg.Default()
	return cfg.Validate()
}

// testHash is the hash of "reader-password", made once: hashing is slow
// on purpose.
var testHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword("reader-password")
	if err != nil {
		panic(err)
	}
	return h
})

// fullConfig uses every section of the configuration: listeners, TLS,
// users, health defaults, members with each probe type, sets with roles and
// policy, and hooks.
func fullConfig(hash string) string {
	return `# a complete configuration
listen: ["127.0.0.1:0", "[::1]:0"]
data: /tmp/redset-full
orgID: acme
tls:
  cert: /etc/redset/cert.pem
  key: /etc/redset/key.pem
log: {format: json, level: debug}
history: 500
limits: {maxBodyBytes: 1048576, maxEnumerations: 10, enumerationExpiry: 1m}
health: {interval: 2s, timeout: 1s, rise: 2, fall: 3, workers: 8}
users:
  - name: viewer
    role: reader
    passwordHash: "` + hash + `"
  - name: oncall
    role: operator
    passwordHash: "` + hash + `"
members:
  - name: web-1
    displayName: Web one
    labels: {zone: a}
    probe: {type: http, url: "http://127.0.0.1:8080/health", expect: "200-299", bodyMatch: ok, interval: 500ms, rise: 1, fall: 2}
  - name: web-2
    probe: {type: tcp, address: "127.0.0.1:8081"}
  - name: web-3
    probe: {type: exec, command: [/bin/true], timeout: 300ms}
  - name: agent
    probe: {type: heartbeat, ttl: 30s}
  - name: manual
sets:
  - id: web
    caption: Web front ends
    description: Two web servers and a spare
    elementName: web
    typeOfSet: [4]
    minNumberNeeded: 1
    maxNumberSupported: 4
    vendorIdentifyingInfo: acme web
    policy: {autoFailover: true, maxFailovers: 2, period: 10m, failback: true}
    members:
      - {name: web-1, role: inService}
      - {name: web-2, role: spare, spareStatus: hot, failoverSupported: both, priority: 10}
      - {name: web-3, role: spare, spareStatus: cold, failoverSupported: manual}
  - instanceID: "other:pool"
    typeOfSet: [1, 3]
    otherTypeOfSet: ["custom pool", ""]
    minNumberNeeded: 1
    loadBalanceAlgorithm: 1
    otherLoadBalanceAlgorithm: weighted by CPU
    policy: {autoFailover: false, autoReturn: true}
    members:
      - {name: agent}
      - {name: manual, role: drained}
hooks:
  - name: page
    on: [failover, status]
    exec: [/usr/local/bin/page-oncall]
    timeout: 5s
    retries: 2
  - name: chat
    webhook: "https://chat.example/hook"
  - name: veto
    pre: true
    exec: [/usr/local/bin/may-fail-over]
`
}

func TestValidFullConfig(t *testing.T) {
	cfg, err := ParseConfig("full.yaml", []byte(fullConfig(testHash())))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	t.Run("sets", func(t *testing.T) {
		var got []engine.Set
		for _, s := range cfg.Sets {
			es, err := cfg.engineSet(s)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, es)
		}
		want := []engine.Set{{
			InstanceID: "acme:web", Caption: "Web front ends", Description: "Two web servers and a spare",
			ElementName: "web", TypeOfSet: []uint16{4}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1,
			MaxNumberSupported: 4, VendorIdentifyingInfo: "acme web", LoadBalanceAlgorithm: engine.LBNone,
			Policy: engine.Policy{MaxFailovers: 2, Period: 10 * time.Minute, Failback: true},
		}, {
			InstanceID: "other:pool", TypeOfSet: []uint16{1, 3}, OtherTypeOfSet: []string{"custom pool", ""},
			MinNumberNeeded: 1, LoadBalanceAlgorithm: engine.LBOther, OtherLoadBalanceAlgorithm: "weighted by CPU",
			Policy: engine.Policy{DisableAutoFailover: true, AutoReturn: true,
				MaxFailovers: engine.DefaultMaxFailovers, Period: engine.DefaultFlapPeriod},
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("engine sets (-want +got):\n%s", diff)
		}
	})
	t.Run("members", func(t *testing.T) {
		var got []engine.Probe
		for _, m := range cfg.Members {
			got = append(got, engineMember(m, cfg.Health).Probe)
		}
		sec := engine.Duration(time.Second)
		want := []engine.Probe{
			{Type: "http", URL: "http://127.0.0.1:8080/health", Expect: "200-299", BodyMatch: "ok",
				Interval: sec / 2, Timeout: sec / 2, Rise: 1, Fall: 2},
			{Type: "tcp", Address: "127.0.0.1:8081", Interval: 2 * sec, Timeout: sec, Rise: 2, Fall: 3},
			{Type: "exec", Command: []string{"/bin/true"}, Interval: 2 * sec, Timeout: sec * 3 / 10, Rise: 2, Fall: 3},
			{Type: "heartbeat", Rise: 2, Fall: 3, TTL: 30 * sec},
			{Rise: 2, Fall: 3},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("engine probes (-want +got):\n%s", diff)
		}
	})
	t.Run("roles", func(t *testing.T) {
		var got []engine.Role
		for _, m := range cfg.Sets[0].Members {
			r, err := engineRole(m)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		want := []engine.Role{
			{Kind: engine.RoleInService},
			{Kind: engine.RoleSpare, Spare: engine.SpareSettings{SpareStatus: engine.SpareHot, FailoverSupported: engine.FailoverBoth, Priority: 10}},
			{Kind: engine.RoleSpare, Spare: engine.SpareSettings{SpareStatus: engine.SpareCold, FailoverSupported: engine.FailoverManual}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
	})
}

func TestDefault(t *testing.T) {
	t.Run("zero", func(t *testing.T) {
		var got Config
		got.Default()
		want := Config{
			Listen: DefaultListen, Data: DefaultData, OrgID: DefaultOrgID, Log: LogConfig{Format: "text", Level: "info"},
			History: DefaultHistory, Limits: defaultLimits(),
			Health: HealthCfg{Interval: Dur(DefaultProbeInterval), Timeout: Dur(DefaultProbeTimeout)},
			Auth: AuthCfg{Throttle: ThrottleCfg{UserFailures: 5, AddressFailures: 20, Delay: Dur(time.Second),
				MaxDelay: Dur(5 * time.Minute), Forget: Dur(15 * time.Minute), MaxTracked: 10000}, Bcrypt: BcryptCfg{Queue: 32}},
			Cluster:       ClusterCfg{Name: hostname(t), LeaseTTL: Dur(3 * time.Second), HealthQuorum: "majority"},
			DemoFrontends: DemoFrontends{Web: DefaultDemoWeb, LB: DefaultDemoLB},
			Indications:   defaultIndicationDelivery(),
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Config{})); diff != "" {
			t.Errorf("Default of the zero Config (-want +got):\n%s", diff)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("the defaults do not validate: %v", err)
		}
	})
	t.Run("keeps what is set", func(t *testing.T) {
		cfg := Config{Listen: []string{"127.0.0.1:1"}, Data: "d", OrgID: "o", Log: LogConfig{Format: "json", Level: "warn"},
			History: 5, Limits: func() Limits { l := defaultLimits(); l.MaxBodyBytes = 9; return l }(), Health: HealthCfg{Interval: Dur(time.Minute), Timeout: Dur(time.Second)},
			Cluster: ClusterCfg{Name: "n", LeaseTTL: Dur(time.Minute), HealthQuorum: "any"},
			Auth: AuthCfg{Throttle: ThrottleCfg{UserFailures: 1, AddressFailures: 2, Delay: Dur(time.Millisecond),
				MaxDelay: Dur(time.Second), Forget: Dur(time.Hour), MaxTracked: 3}, Bcrypt: BcryptCfg{Workers: 1, Queue: 1}},
			DemoFrontends: DemoFrontends{Web: "127.0.0.1:1", LB: "[::1]:2"},
			Indications: IndicationDelivery{DeliveryRetryAttempts: new(0), DeliveryRetryInterval: Dur(time.Second), QueueSize: 7, SendTimeout: Dur(time.Minute),
				MaxSubscriptionsPerUser: 2}}
		want := cfg
		cfg.Default()
		if diff := cmp.Diff(want, cfg, cmp.AllowUnexported(Config{})); diff != "" {
			t.Errorf("Default changed set fields (-want +got):\n%s", diff)
		}
	})
	t.Run("does not share DefaultListen", func(t *testing.T) {
		var cfg Config
		cfg.Default()
		cfg.Listen[0] = "changed:1"
		if DefaultListen[0] == "changed:1" {
			t.Errorf("Default aliases DefaultListen")
		}
	})
}

func hostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Skipf("no host name: %v", err)
	}
	return h
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, text string
		field      string // want exactly one FieldError at the marked line
		msg        string // in its message
	}{
		{"unknown top-level field", "lisen: [\"127.0.0.1:0\"] #@\n", "lisen", `unknown field "lisen"`},
		{"unknown field of a set", "sets:\n  - id: a\n    captoin: x #@\n", "sets[0].captoin", `unknown field "captoin"`},
		{"unknown field of a probe", "members:\n  - name: a\n    probe:\n      type: tcp\n      adress: x #@\n",
			"members[0].probe.adress", `unknown field "adress"`},
		{"wrong type", "sets:\n  - id: a\n    minNumberNeeded: many #@\n", "sets[0].minNumberNeeded", "cannot unmarshal"},
		{"bad duration", "health:\n  interval: 5 sec #@\n", "health.interval", `"5 sec" is not a duration`},
		{"bad probe duration", "members:\n  - name: a\n    probe:\n      type: tcp\n      timeout: 5 sec #@\n",
			"members[0].probe.timeout", `"5 sec" is not a duration`},
		{"probe duration as a number", "members:\n  - name: a\n    probe:\n      ttl: 30 #@\n",
			"members[0].probe.ttl", `"30" is not a duration`},
		{"probe command as a string", "members:\n  - name: a\n    probe:\n      type: exec\n      command: /bin/true #@\n",
			"members[0].probe.command", "cannot unmarshal"},
		{"old probe field", "members:\n  - name: a\n    probe:\n      kind: tcp #@\n", "members[0].probe.kind", `unknown field "kind"`},
		{"list for a map", "log: [text] #@\n", "log", "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("test.yaml", []byte(tc.text))
			got := fieldErrors(t, err)
			want := []FieldError{{File: "test.yaml", Line: markedLine(t, tc.text), Field: tc.field}}
			if diff := cmp.Diff(want, got, cmp.Comparer(sameField)); diff != "" {
				t.Fatalf("ParseConfig errors (-want +got):\n%s\nerror: %v", diff, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			prefix := fmt.Sprintf("test.yaml:%d: %s: ", want[0].Line, tc.field)
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
		})
	}
	t.Run("every type error is reported", func(t *testing.T) {
		text := "history: lots\nsets:\n  - id: a\n    minNumberNeeded: many\n"
		_, err := ParseConfig("test.yaml", []byte(text))
		var got []string
		for _, fe := range fieldErrors(t, err) {
			got = append(got, fmt.Sprintf("%d %s", fe.Line, fe.Field))
		}
		if diff := cmp.Diff([]string{"1 history", "4 sets[0].minNumberNeeded"}, got); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
	})
	t.Run("syntax error names the file and a line", func(t *testing.T) {
		_, err := ParseConfig("test.yaml", []byte("sets:\n  - id: a\n   bad: [\n"))
		fes := fieldErrors(t, err)
		if len(fes) != 1 || fes[0].File != "test.yaml" || fes[0].Line == 0 {
			t.Errorf("got %+v (%v), want one error in test.yaml with a line", fes, err)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		cfg, err := ParseConfig("empty.yaml", nil)
		if err != nil {
			t.Fatalf("ParseConfig of an empty file: %v", err)
		}
		cfg.Default()
		if err := cfg.Validate(); err != nil {
			t.Errorf("the empty configuration does not validate: %v", err)
		}
	})
}

// An unknown key of a one-line mapping is reported at its own path, not at
// a known key of the same name deeper on the line. The paths are searched
// in a map, so each case is parsed many times: a lucky iteration order
// must not hide a wrong choice.
func TestUnknownFieldInOneLineMapping(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // fields, in the order of the errors
	}{
		{"the member's key, the probe's is known",
			"members:\n  - {name: a}\n  - {name: b}\n  - {name: c, url: \"http://127.0.0.1:1/\", probe: {type: http, url: \"http://127.0.0.1:2/\"}}\n",
			[]string{"members[2].url"}},
		{"the probe's key, the member's is known",
			"members:\n  - {name: c, probe: {type: tcp, name: x}}\n",
			[]string{"members[0].probe.name"}},
		{"two unknown keys of one name on one line",
			"members:\n  - {name: c, bogus: 1, probe: {type: tcp, bogus: 2}}\n",
			[]string{"members[0].bogus", "members[0].probe.bogus"}},
		{"a set member's key in a flow sequence",
			"sets:\n  - {id: s, members: [{name: a, role: spare, rol: x}], caption: c}\n",
			[]string{"sets[0].members[0].rol"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 30 {
				_, err := ParseConfig("test.yaml", []byte(tc.text))
				var got []string
				for _, fe := range fieldErrors(t, err) {
					got = append(got, fe.Field)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Fatalf("fields of the errors (-want +got):\n%s\nerror: %v", diff, err)
				}
			}
		})
	}
}

// sameField compares where an error is, not its wording.
func sameField(a, b FieldError) bool {
	return a.File == b.File && a.Line == b.Line && a.Field == b.Field
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	t.Run("names the path", func(t *testing.T) {
		path := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(path, []byte("orgID: a\nlistn: []\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path)
		if want := path + ":2: listn: "; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("LoadConfig error = %v, want it to start with %q", err, want)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadConfig(filepath.Join(dir, "absent.yaml"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("LoadConfig of a missing file = %v, want os.ErrNotExist", err)
		}
	})
	t.Run("reads the file", func(t *testing.T) {
		path := filepath.Join(dir, "ok.yaml")
		if err := os.WriteFile(path, []byte("orgID: acme\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err != nil || cfg.OrgID != "acme" {
			t.Errorf("LoadConfig = %q, %v; want orgID acme", cfg.OrgID, err)
		}
	})
}

// Pieces of configurations for the validation table.
const (
	twoMembers = "members:\n  - name: a\n  - name: b\n"
	setHead    = twoMembers + "sets:\n"
)

func TestValidateRules(t *testing.T) {
	hash := testHash()
	tests := []struct {
		name, text string
		field      string // the one error, at the line marked #@
		msg        string
	}{
		// server
		{"listen not host:port", "listen: [\"localhost\"] #@\n", "listen[0]", "not host:port"},
		{"listen twice", "listen:\n  - \"127.0.0.1:5988\"\n  - \"127.0.0.1:5988\" #@\n", "listen[1]", "listed twice (also listen[0])"},
		{"listen twice, written differently", "listen: [\"[::1]:5988\",\n  \"[0:0::1]:5988\"] #@\n", "listen[1]", "listed twice"},
		{"unknown store", "store: zk://x #@\n", "store", "neither bolt"},
		{"etcd store without a host", "store: etcd:///prefix #@\n", "store", "not host:port"},
		{"etcd store without a secret", "store: etcd://127.0.0.1:2379\ncluster: #@\n  name: a\n", "cluster.secret", "needs a cluster secret"},
		// cluster
		{"cluster secret twice", etcdHead + "  secret: s #@\n  secretFile: /f\n", "cluster.secret", "exclude each other"},
		{"cluster lease too short", etcdHead + "  secret: s\n  leaseTTL: 500ms #@\n", "cluster.leaseTTL", "minimum of 1s"},
		{"cluster quorum", etcdHead + "  secret: s\n  healthQuorum: most #@\n", "cluster.healthQuorum", "not majority, any or leader"},
		{"cluster advertise", etcdHead + "  secret: s\n  advertise: 127.0.0.1:80 #@\n", "cluster.advertise", "not an http(s)://host:port URL"},
		{"cluster name", "cluster:\n  name: a b #@\n", "cluster.name", "must not contain spaces"},
		{"tls cert without key", "tls: #@\n  cert: c.pem\n", "tls", "cert and key go together"},
		{"tls key without cert", "tls: #@\n  key: k.pem\n", "tls", "cert and key go together"},
		{"log format", "log:\n  format: xml #@\n", "log.format", "neither text nor json"},
		{"log level", "log:\n  level: loud #@\n", "log.level", "not debug, info"},
		{"orgID with colon", "orgID: a:b #@\n", "orgID", "colon"},
		// limits
		{"negative body cap", "limits:\n  maxBodyBytes: -1 #@\n", "limits.maxBodyBytes", "must be positive"},
		{"negative connection cap", "limits:\n  maxConnsPerAddress: -5 #@\n", "limits.maxConnsPerAddress", "must be positive"},
		{"negative operations cap", "limits:\n  maxOperations: -1 #@\n", "limits.maxOperations", "must be positive"},
		{"negative header timeout", "limits:\n  headerTimeout: -1s #@\n", "limits.headerTimeout", "at least 1ms"},
		{"per-user contexts past the total", "limits:\n  maxEnumerations: 10\n  maxEnumerationsPerUser: 11 #@\n",
			"limits.maxEnumerationsPerUser", "more than limits.maxEnumerations"},
		// users
		{"user without name", "users:\n  - role: reader #@\n    passwordHash: \"" + hash + "\"\n", "users[0].name", "needs a name"},
		{"user named admin", "users:\n  - name: admin #@\n    role: reader\n    passwordHash: \"" + hash + "\"\n", "users[0].name", "declared twice"},
		{"user role", "users:\n  - name: u\n    role: boss #@\n    passwordHash: \"" + hash + "\"\n", "users[0].role", "not reader, operator or admin"},
		{"user plain password", "users:\n  - name: u\n    role: reader\n    passwordHash: secret #@\n", "users[0].passwordHash", "bcrypt"},
		// auth
		{"throttle failures negative", "auth:\n  throttle:\n    userFailures: -1 #@\n", "auth.throttle.userFailures", "at least 1"},
		{"throttle delay negative", "auth:\n  throttle:\n    delay: -1s #@\n", "auth.throttle.delay", "at least 1ms"},
		{"throttle max under delay", "auth:\n  throttle:\n    delay: 10s\n    maxDelay: 1s #@\n", "auth.throttle.maxDelay", "at least the delay"},
		{"throttle tracked too few", "auth:\n  throttle:\n    maxTracked: 1 #@\n", "auth.throttle.maxTracked", "at least 2"},
		{"bcrypt queue negative", "auth:\n  bcrypt:\n    queue: -3 #@\n", "auth.bcrypt.queue", "at least 0"},
		// members and probes
		{"member without name", "members:\n  - displayName: x #@\n", "members[0].name", "needs a name"},
		{"member twice", "members:\n  - name: a\n  - name: a #@\n", "members[1].name", "declared twice"},
		{"member name spaces", "members:\n  - name: \" a\" #@\n", "members[0].name", "spaces"},
		{"probe type", "members:\n  - name: a\n    probe:\n      type: icmp #@\n", "members[0].probe.type", "not tcp, http, exec or heartbeat"},
		{"tcp without address", "members:\n  - name: a\n    probe: #@\n      type: tcp\n", "members[0].probe.address", "host:port"},
		{"tcp bad port", "members:\n  - name: a\n    probe:\n      type: tcp\n      address: h:99999 #@\n", "members[0].probe.address", "port"},
		{"http not a URL", "members:\n  - name: a\n    probe:\n      type: http\n      url: ftp://x/ #@\n", "members[0].probe.url", "http"},
		{"http expect", "members:\n  - name: a\n    probe:\n      type: http\n      url: http://x/\n      expect: nonsense #@\n", "members[0].probe.expect", ""},
		{"tcp with url", "members:\n  - name: a\n    probe:\n      type: tcp\n      address: h:1\n      url: http://x/ #@\n", "members[0].probe.url", "not used by tcp"},
		{"exec without command", "members:\n  - name: a\n    probe: #@\n      type: exec\n", "members[0].probe.command", "missing"},
		{"heartbeat without ttl", "members:\n  - name: a\n    probe: #@\n      type: heartbeat\n", "members[0].probe.ttl", "ttl"},
		{"interval too short", "members:\n  - name: a\n    probe:\n      type: tcp\n      address: h:1\n      interval: 1ms #@\n", "members[0].probe.interval", "minimum"},
		{"timeout over interval", "members:\n  - name: a\n    probe:\n      type: tcp\n      address: h:1\n      interval: 1s\n      timeout: 2s #@\n", "members[0].probe.timeout", "exceeds"},
		{"fall too large", "members:\n  - name: a\n    probe:\n      fall: 5000 #@\n", "members[0].probe.fall", "between 0"},
		// sets: the engine's rules
		{"set without id", setHead + "  - caption: x #@\n", "sets[0].id", "needs an id"},
		{"instanceID form", setHead + "  - instanceID: nocolon #@\n", "sets[0].instanceID", "OrgID:LocalID"},
		{"caption over 64", setHead + "  - id: s\n    caption: " + strings.Repeat("c", 65) + " #@\n", "sets[0].caption", "at most 64"},
		{"caption of 64 runes with accents is fine but 65 is not", setHead + "  - id: s\n    caption: " + strings.Repeat("é", 65) + " #@\n", "sets[0].caption", "at most 64"},
		{"lb other without description", setHead + "  - id: s #@\n    loadBalanceAlgorithm: 1\n", "sets[0].otherLoadBalanceAlgorithm", "required when LoadBalanceAlgorithm is 1"},
		{"lb description without other", setHead + "  - id: s\n    otherLoadBalanceAlgorithm: x #@\n", "sets[0].otherLoadBalanceAlgorithm", "must be empty"},
		{"lb out of range", setHead + "  - id: s\n    loadBalanceAlgorithm: 8 #@\n", "sets[0].loadBalanceAlgorithm", "0..7"},
		{"type other without description", setHead + "  - id: s #@\n    typeOfSet: [1]\n", "sets[0].otherTypeOfSet[0]", "must describe"},
		{"type description without other", setHead + "  - id: s\n    typeOfSet: [2]\n    otherTypeOfSet:\n      - spare pool #@\n", "sets[0].otherTypeOfSet[0]", "must be empty"},
		{"type arrays unpaired", setHead + "  - id: s\n    typeOfSet: [4]\n    otherTypeOfSet: [\"\", \"\"] #@\n", "sets[0].otherTypeOfSet", "as many entries"},
		{"type reserved", setHead + "  - id: s\n    typeOfSet:\n      - 4\n      - 7 #@\n", "sets[0].typeOfSet[1]", "DMTF Reserved"},
		{"limited sparing min", setHead + "  - id: s\n    typeOfSet: [5]\n    minNumberNeeded: 1 #@\n", "sets[0].minNumberNeeded", "Limited Sparing"},
		{"min over max", setHead + "  - id: s\n    minNumberNeeded: 3 #@\n    maxNumberSupported: 2\n", "sets[0].minNumberNeeded", "MaxNumberSupported"},
		{"policy maxFailovers", setHead + "  - id: s\n    policy:\n      maxFailovers: -1 #@\n", "sets[0].policy.maxFailovers", "between 0"},
		{"policy period", setHead + "  - id: s\n    policy:\n      period: -1m #@\n", "sets[0].policy.period", "negative"},
		{"set twice", setHead + "  - id: s\n  - instanceID: \"redset:s\" #@\n", "sets[1].id", "declared twice"},
		{"more members than supported", setHead + "  - id: s\n    maxNumberSupported: 1\n    members: #@\n      - {name: a}\n      - {name: b}\n", "sets[0].members", "maxNumberSupported"},
		// sets: members and roles
		{"undeclared member", setHead + "  - id: s\n    members:\n      - name: c #@\n", "sets[0].members[0].name", "not declared"},
		{"member twice in a set", setHead + "  - id: s\n    members:\n      - name: a\n      - name: a #@\n", "sets[0].members[1].name", "twice"},
		{"role", setHead + "  - id: s\n    members:\n      - name: a\n        role: active #@\n", "sets[0].members[0].role", "not inService, spare or drained"},
		{"spare status", setHead + "  - id: s\n    members:\n      - name: a\n        role: spare\n        spareStatus: warm #@\n", "sets[0].members[0].spareStatus", "cold, hot"},
		{"failover kind", setHead + "  - id: s\n    members:\n      - name: a\n        role: spare\n        failoverSupported: never #@\n", "sets[0].members[0].failoverSupported", "automatic, both, manual"},
		// hooks
		{"hook without action", "hooks:\n  - name: h #@\n", "hooks[0].exec", "needs exec or webhook"},
		{"hook event", "hooks:\n  - name: h\n    exec: [x]\n    on:\n      - failover\n      - reboot #@\n", "hooks[0].on[1]", "not failover, refused or status"},
		{"pre webhook", "hooks:\n  - name: h\n    pre: true #@\n    webhook: http://x/\n", "hooks[0].pre", "only exec hooks"},
		{"hook retries", "hooks:\n  - name: h\n    exec: [x]\n    retries: 11 #@\n", "hooks[0].retries", "between 0 and 10"},
		{"hook webhook URL", "hooks:\n  - name: h\n    webhook: /relative #@\n", "hooks[0].webhook", "absolute"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validate(t, tc.text)
			got := fieldErrors(t, err)
			want := []FieldError{{File: "test.yaml", Line: markedLine(t, tc.text), Field: tc.field}}
			if diff := cmp.Diff(want, got, cmp.Comparer(sameField)); diff != "" {
				t.Fatalf("Validate errors (-want +got):\n%s\nerror: %v", diff, err)
			}
			prefix := fmt.Sprintf("test.yaml:%d: %s: ", want[0].Line, tc.field)
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q: want it to start with %q and say %q", err, prefix, tc.msg)
			}
		})
	}
}

// etcdHead starts a configuration on an etcd store with a cluster
// section to be continued.
const etcdHead = "store: etcd://127.0.0.1:2379\ncluster:\n  name: a\n"

func TestClusterSection(t *testing.T) {
	t.Run("ignored with a bolt store except the name", func(t *testing.T) {
		if err := validate(t, "cluster:\n  name: a\n  leaseTTL: 1ms\n  healthQuorum: most\n"); err != nil {
			t.Fatalf("Validate: %v", err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		cfg, err := ParseConfig("test.yaml", []byte(etcdHead+"  secret: s\n"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Default()
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		host := hostname(t)
		var bare Config
		bare.Default()
		want := ClusterCfg{Name: "a", LeaseTTL: Dur(3 * time.Second), Secret: "s", HealthQuorum: "majority"}
		if cfg.Cluster != want || bare.Cluster.Name != host {
			t.Errorf("cluster = %+v, bare name %q; want %+v and %q", cfg.Cluster, bare.Cluster.Name, want, host)
		}
		if got := cfg.advertiseURL("127.0.0.1:17001", false); got != "http://127.0.0.1:17001" {
			t.Errorf("advertise = %q", got)
		}
		if got := cfg.advertiseURL("[::1]:17001", true); got != "https://[::1]:17001" {
			t.Errorf("advertise with TLS = %q", got)
		}
	})
	t.Run("secret file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(path, []byte("  s3cret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := ParseConfig("test.yaml", []byte(etcdHead+"  secretFile: "+path+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Default()
		if got, err := cfg.clusterSecret(); err != nil || string(got) != "s3cret" {
			t.Errorf("clusterSecret = %q, %v; want s3cret", got, err)
		}
		cfg.Cluster.SecretFile = filepath.Join(t.TempDir(), "missing")
		var fe *FieldError
		if _, err := cfg.clusterSecret(); !errors.As(err, &fe) || fe.Field != "cluster.secretFile" || fe.Line != 4 {
			t.Errorf("missing secret file: %v; want a field error at line 4", err)
		}
	})
}

func TestValidateReportsEveryProblem(t *testing.T) {
	text := "log:\n  format: xml\norgID: a:b\nmembers:\n  - name: a\n    probe: {type: icmp}\nsets:\n  - id: s\n    caption: " +
		strings.Repeat("x", 70) + "\n"
	var got []string
	for _, fe := range fieldErrors(t, validate(t, text)) {
		got = append(got, fmt.Sprintf("%d %s", fe.Line, fe.Field))
	}
	want := []string{"2 log.format", "3 orgID", "6 members[0].probe.type", "9 sets[0].caption"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestFieldErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  FieldError
		want string
	}{
		{"file and line", FieldError{File: "a.yaml", Line: 3, Field: "orgID", Msg: "bad"}, "a.yaml:3: orgID: bad"},
		{"file only", FieldError{File: "a.yaml", Field: "orgID", Msg: "bad"}, "a.yaml: orgID: bad"},
		{"no file", FieldError{Field: "orgID", Msg: "bad"}, "config: orgID: bad"},
		{"no field", FieldError{File: "a.yaml", Line: 1, Msg: "bad"}, "a.yaml:1: bad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(fullConfig("$2a$04$abcdefghijklmnopqrstuu")))
	f.Add([]byte("lisen: [a]\n"))
	f.Add([]byte("sets:\n  - id: a\n    typeOfSet: [1]\n    members: [{name: x, role: spare}]\n"))
	f.Add([]byte("health:\n  interval: 5 sec\n"))
	f.Add([]byte("store: etcd://h1:2379,h2:2379/p\n"))
	f.Add([]byte("store:\n  etcd: {endpoints: [h:1], tls: {ca: x}, dialTimeout: 1s}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("members:\n  - name: a\n    probe: {type: http, url: 'http://x/', expect: 'x'}\n"))
	f.Add([]byte("members:\n  - name: a\n    probe: {type: tcp, address: 'h:1', interval: 5, ttl: 1m, command: x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("parse error %q does not name the file", err)
			}
			return
		}
		cfg.Default()
		if err := cfg.Validate(); err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("validation error %q does not name the file", err)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// applyConfig is the file of the apply tests: heartbeat members (no
// probes run) in two sets.
func applyConfig(caption string, withGone bool) string {
	text := `health: {rise: 1, fall: 1}
members:
  - {name: a, probe: {type: heartbeat, ttl: 1h}}
  - {name: b, probe: {type: heartbeat, ttl: 1h}}
  - {name: c, probe: {type: heartbeat, ttl: 1h}}
sets:
  - id: web
    caption: ` + caption + `
    typeOfSet: [4]
    minNumberNeeded: 1
    members:
      - {name: a, role: inService}
      - {name: b, role: spare, spareStatus: hot, failoverSupported: both}
`
	if withGone {
		text += "  - id: gone\n    typeOfSet: [2]\n    members: [{name: c}]\n"
	}
	return text
}

// newApplied builds (without starting) a server on dir from text.
func newApplied(t *testing.T, dir, text string, log *slog.Logger) *Server {
	t.Helper()
	cfg, err := ParseConfig("apply.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data, cfg.AdminPassword, cfg.Listen = dir, "pw", []string{"127.0.0.1:0"}
	s, err := New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func roles(t *testing.T, eng *engine.Engine, id string) map[string]engine.RoleKind {
	t.Helper()
	v, err := eng.GetSet(id)
	if err != nil {
		t.Fatalf("GetSet(%s): %v", id, err)
	}
	out := map[string]engine.RoleKind{}
	for _, m := range v.Members {
		out[m.Name] = m.Role.Kind
	}
	return out
}

func TestApplyIsDeclarative(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	first := newApplied(t, dir, applyConfig("first", true), nil)
	wantFirst := ApplyReport{Created: []string{"member a", "member b", "member c", "set redset:web", "set redset:gone"},
		Added: []string{"a to set redset:web", "b to set redset:web", "c to set redset:gone"}}
	if diff := cmp.Diff(wantFirst, first.Applied()); diff != "" {
		t.Errorf("first start: ApplyReport (-want +got):\n%s", diff)
	}
	eng := first.Engine()
	for _, m := range []string{"a", "b"} {
		if err := eng.ReportHealth(m, engine.Report{State: engine.HealthOK, Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if res := eng.Failover(ctx, "redset:web", "a", "b"); res.Code != engine.CodeCompleted {
		t.Fatalf("Failover a -> b = %d %s", res.Code, res.Reason)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	logs := &syncBuffer{}
	second := newApplied(t, dir, applyConfig("second", false), slog.New(slog.NewTextHandler(logs, nil)))
	defer second.Close()
	t.Run("report", func(t *testing.T) {
		want := ApplyReport{Updated: []string{"set redset:web"}, WouldDelete: []string{"set redset:gone"}}
		if diff := cmp.Diff(want, second.Applied()); diff != "" {
			t.Errorf("second start: ApplyReport (-want +got):\n%s", diff)
		}
	})
	t.Run("logs what it would delete", func(t *testing.T) {
		if got := logs.String(); !strings.Contains(got, "object=\"set redset:gone\"") || !strings.Contains(got, "level=WARN") {
			t.Errorf("logs do not warn about set redset:gone:\n%s", got)
		}
	})
	t.Run("properties updated", func(t *testing.T) {
		v, err := second.Engine().GetSet("redset:web")
		if err != nil || v.Caption != "second" {
			t.Errorf("caption after the second start = %q (%v), want second", v.Caption, err)
		}
	})
	t.Run("roles kept", func(t *testing.T) {
		want := map[string]engine.RoleKind{"a": engine.RoleSpare, "b": engine.RoleInService}
		if diff := cmp.Diff(want, roles(t, second.Engine(), "redset:web")); diff != "" {
			t.Errorf("roles after the failover and a restart (-want +got):\n%s", diff)
		}
	})
	t.Run("nothing deleted", func(t *testing.T) {
		if _, err := second.Engine().GetSet("redset:gone"); err != nil {
			t.Errorf("the set left out of the file is gone: %v", err)
		}
	})
}

func TestApplyAddsNewMembersAndIgnoresTheDemo(t *testing.T) {
	dir := t.TempDir()
	first := newApplied(t, dir, applyConfig("x", false), nil)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(applyConfig("x", false), "      - {name: b,", "      - {name: c, role: drained}\n      - {name: b,", 1)
	second := newApplied(t, dir, text, nil)
	defer second.Close()
	want := map[string]engine.RoleKind{"a": engine.RoleInService, "b": engine.RoleSpare, "c": engine.RoleDrained}
	if diff := cmp.Diff(want, roles(t, second.Engine(), "redset:web")); diff != "" {
		t.Errorf("roles after adding c to the file (-want +got):\n%s", diff)
	}

	demoDir := t.TempDir()
	cfg, err := ParseConfig("demo.yaml", []byte(applyConfig("x", false)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data, cfg.AdminPassword, cfg.Demo, cfg.Listen = demoDir, "pw", true, []string{"127.0.0.1:0"}
	demo, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("New with the demo and a file: %v", err)
	}
	defer demo.Close()
	if got := demo.Applied().WouldDelete; len(got) != 0 {
		t.Errorf("with --demo and a file, WouldDelete = %v, want nothing (the demo declares its own)", got)
	}
}

// The configuration example of the README is valid.
func TestREADMEConfigExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Skipf("no README: %v", err)
	}
	_, rest, _ := strings.Cut(string(data), "## Configuration")
	_, block, found := strings.Cut(rest, "```yaml\n")
	block, _, closed := strings.Cut(block, "```")
	if !found || !closed {
		t.Fatalf("the README's Configuration section has no yaml block")
	}
	if err := validate(t, block); err != nil {
		t.Errorf("the README's example configuration does not validate:\n%v", err)
	}
}

func TestValidateIndications(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, field string
	}{
		{"negative retries", "indications: {deliveryRetryAttempts: -1}", "indications.deliveryRetryAttempts"},
		{"interval past an hour", "indications: {deliveryRetryInterval: 2h}", "indications.deliveryRetryInterval"},
		{"too many subscriptions", "indications: {maxSubscriptionsPerUser: 200000}", "indications.maxSubscriptionsPerUser"},
		{"huge queue", "indications: {queueSize: 10000000}", "indications.queueSize"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("t.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Default()
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("Validate: %v, want an error naming %s", err, tt.field)
			}
		})
	}
}
