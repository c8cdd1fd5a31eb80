package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStoreForms(t *testing.T) {
	tests := []struct {
		name, text string
		want       StoreCfg
	}{
		{"left out", "orgID: x\n", StoreCfg{}},
		{"null", "store: ~\n", StoreCfg{}},
		{"bolt URL", "store: bolt:///var/lib/redset/r.db\n", StoreCfg{URL: "bolt:///var/lib/redset/r.db"}},
		{"etcd URL", "store: etcd://h1:2379,h2:2379/prod\n", StoreCfg{URL: "etcd://h1:2379,h2:2379/prod"}},
		{"etcd mapping", `store:
  etcd:
    endpoints: [h1:2379, "https://h2:2379"]
    prefix: /prod
    dialTimeout: 3s
    tls: {ca: ca.pem, cert: c.pem, key: k.pem}
    username: redset
    password: pw
`, StoreCfg{Etcd: &EtcdConfig{
			Endpoints: []string{"h1:2379", "https://h2:2379"}, Prefix: "/prod", DialTimeout: Dur(3 * time.Second),
			TLS: EtcdTLS{CA: "ca.pem", Cert: "c.pem", Key: "k.pem"}, Username: "redset", Password: "pw",
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig("test.yaml", []byte(tc.text))
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if diff := cmp.Diff(tc.want, cfg.Store); diff != "" {
				t.Errorf("Store (-want +got):\n%s", diff)
			}
			cfg.Default()
			cfg.Cluster.Secret = "s" // an etcd store needs one
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestStoreEtcdOptions(t *testing.T) {
	opts, ok, err := etcdOptions(StoreCfg{URL: "etcd://h1:2379,h2:2379/prod"})
	if !ok || err != nil || !cmp.Equal(opts.Endpoints, []string{"h1:2379", "h2:2379"}) || opts.Prefix != "/prod" {
		t.Errorf("etcdOptions(URL) = %+v, %v, %v", opts, ok, err)
	}
	opts, ok, err = etcdOptions(StoreCfg{Etcd: &EtcdConfig{Endpoints: []string{"h:1"}, DialTimeout: Dur(time.Second), TLS: EtcdTLS{CA: "ca.pem"}, Username: "u", Password: "p"}})
	if !ok || err != nil || opts.DialTimeout != time.Second || opts.TLS.CA != "ca.pem" || opts.Username != "u" || opts.Password != "p" {
		t.Errorf("etcdOptions(mapping) = %+v, %v, %v", opts, ok, err)
	}
	if _, ok, _ := etcdOptions(StoreCfg{URL: "bolt:///x"}); ok {
		t.Error("etcdOptions(bolt URL) says etcd")
	}
}

func TestStoreParseErrors(t *testing.T) {
	tests := []struct {
		name, text string
		field, msg string
	}{
		{"unknown store key", "store:\n  consul: {} #@\n", "store.consul", `unknown field "consul"`},
		{"unknown etcd key", "store:\n  etcd:\n    endpoint: [h:1] #@\n", "store.etcd.endpoint", `unknown field "endpoint"`},
		{"unknown tls key", "store:\n  etcd:\n    endpoints: [h:1]\n    tls:\n      ca_file: x #@\n", "store.etcd.tls.ca_file", `unknown field "ca_file"`},
		{"endpoints not a list", "store:\n  etcd:\n    endpoints: {a: b} #@\n", "store.etcd.endpoints", "cannot unmarshal"},
		{"bad dial timeout", "store:\n  etcd:\n    endpoints: [h:1]\n    dialTimeout: soon #@\n", "store.etcd.dialTimeout", "not a duration"},
		{"store as a list", "store: [a] #@\n", "store", "URL"},
		{"mapping without etcd", "store: {} #@\n", "store", "needs etcd settings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("test.yaml", []byte(tc.text))
			wantErrorAt(t, err, tc.text, tc.field, tc.msg)
		})
	}
}

func TestStoreValidateRules(t *testing.T) {
	tests := []struct {
		name, text string
		field, msg string
	}{
		{"unknown scheme", "store: consul://h:1 #@\n", "store", "neither bolt"},
		{"bolt without path", "store: bolt:// #@\n", "store", "needs a file path"},
		{"etcd URL without host", "store: etcd:///prefix #@\n", "store", "not host:port"},
		{"etcd URL bad port", "store: etcd://h:99999 #@\n", "store", "port"},
		{"etcd URL with password", "store: etcd://u:p@h:1 #@\n", "store", "configuration file"},
		{"no endpoints", "store:\n  etcd: #@\n    prefix: /x\n", "store.etcd.endpoints", "at least one"},
		{"bad endpoint", "store:\n  etcd:\n    endpoints:\n      - h:1\n      - nohost #@\n", "store.etcd.endpoints[1]", "host:port"},
		{"negative dial timeout", "store:\n  etcd:\n    endpoints: [h:1]\n    dialTimeout: -1s #@\n", "store.etcd.dialTimeout", "negative"},
		{"cert without key", "store:\n  etcd:\n    endpoints: [h:1]\n    tls: #@\n      cert: c.pem\n", "store.etcd.tls", "go together"},
		{"username without password", "store:\n  etcd:\n    endpoints: [h:1]\n    username: u #@\n", "store.etcd.username", "go together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErrorAt(t, validate(t, tc.text), tc.text, tc.field, tc.msg)
		})
	}
}

// wantErrorAt wants err to be exactly one FieldError at the marked line
// of text, naming field and saying msg.
func wantErrorAt(t *testing.T, err error, text, field, msg string) {
	t.Helper()
	got := fieldErrors(t, err)
	want := []FieldError{{File: "test.yaml", Line: markedLine(t, text), Field: field}}
	if diff := cmp.Diff(want, got, cmp.Comparer(sameField)); diff != "" {
		t.Fatalf("errors (-want +got):\n%s\nerror: %v", diff, err)
	}
	prefix := fmt.Sprintf("test.yaml:%d: %s: ", want[0].Line, field)
	if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q: want it to start with %q and say %q", err, prefix, msg)
	}
}

// The README's etcd store example is valid.
func TestREADMEStoreExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Skipf("no README: %v", err)
	}
	_, block, found := strings.Cut(string(data), "```yaml\nstore:\n")
	block, _, closed := strings.Cut(block, "```")
	if !found || !closed {
		t.Fatal("the README has no yaml block that starts with store:")
	}
	if err := validate(t, "store:\n"+block); err != nil {
		t.Errorf("the README's store example does not validate:\n%v", err)
	}
}

// A reload of the same file keeps the store; a changed store is named as
// needing a restart.
func TestStoreEqual(t *testing.T) {
	parse := func(text string) StoreCfg {
		cfg, err := ParseConfig("test.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Store
	}
	mapping := "store:\n  etcd: {endpoints: [h1:2379, h2:2379], prefix: /p, tls: {ca: ca.pem}}\n"
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"same mapping", mapping, mapping, true},
		{"same URL", "store: etcd://h:1/p\n", "store: etcd://h:1/p\n", true},
		{"both left out", "", "", true},
		{"another endpoint", mapping, strings.Replace(mapping, "h2", "h3", 1), false},
		{"another CA", mapping, strings.Replace(mapping, "ca.pem", "other.pem", 1), false},
		{"URL and mapping", "store: etcd://h1:2379,h2:2379/p\n", mapping, false},
		{"left out and a URL", "", "store: bolt:///x.db\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parse(tc.a).Equal(parse(tc.b)); got != tc.want {
				t.Errorf("Equal = %v, want %v", got, tc.want)
			}
		})
	}
}
