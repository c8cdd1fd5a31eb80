package etcd_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/store/etcd"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url       string
		endpoints []string
		prefix    string
	}{
		{"etcd://127.0.0.1:2379", []string{"127.0.0.1:2379"}, ""},
		{"etcd://127.0.0.1:2379/", []string{"127.0.0.1:2379"}, ""},
		{"etcd://h1:2379,h2:2379,h3:22379/prod", []string{"h1:2379", "h2:2379", "h3:22379"}, "/prod"},
		{"etcd://[::1]:2379/a/b/", []string{"[::1]:2379"}, "/a/b/"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			opts, err := etcd.ParseURL(tc.url)
			if err != nil {
				t.Fatalf("ParseURL error = %v", err)
			}
			if diff := cmp.Diff(tc.endpoints, opts.Endpoints); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
			if opts.Prefix != tc.prefix {
				t.Errorf("prefix = %q, want %q", opts.Prefix, tc.prefix)
			}
		})
	}
}

func TestParseURLRefuses(t *testing.T) {
	tests := []struct{ url, why string }{
		{"bolt:///x", "does not start with"},
		{"etcd://", "not host:port"},
		{"etcd:///prefix", "not host:port"},
		{"etcd://h1", "not host:port"},
		{"etcd://h1:2379,", "not host:port"},
		{"etcd://h1:0", "port"},
		{"etcd://h1:99999", "port"},
		{"etcd://h1:http", "port"},
		{"etcd://:2379", "no valid host"},
		{"etcd://user:pw@h1:2379", "configuration file"},
		{"etcd://h1:2379/a?b=c", "plain path"},
		{"etcd://h1:2379/a//b", "plain path"},
		{"etcd://h1:2379/a\nb", "control character"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			_, err := etcd.ParseURL(tc.url)
			if !errors.Is(err, etcd.ErrBadURL) || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("ParseURL(%q) error = %v, want ErrBadURL saying %q", tc.url, err, tc.why)
			}
		})
	}
}

// FuzzParseURL: any text either fails with ErrBadURL or gives endpoints
// that are each host:port, and a URL rebuilt from the result parses the
// same.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"etcd://h:1", "etcd://a:2379,b:2379/p/q", "etcd://[::1]:2379/", "etcd://x", "etcd://u@h:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opts, err := etcd.ParseURL(s)
		if err != nil {
			if !errors.Is(err, etcd.ErrBadURL) {
				t.Fatalf("ParseURL(%q) error = %v, want ErrBadURL", s, err)
			}
			return
		}
		if len(opts.Endpoints) == 0 {
			t.Fatalf("ParseURL(%q) gave no endpoints", s)
		}
		for _, ep := range opts.Endpoints {
			if err := etcd.CheckEndpoint(ep); err != nil {
				t.Fatalf("ParseURL(%q) endpoint %q: %v", s, ep, err)
			}
		}
		again, err := etcd.ParseURL(etcd.Scheme + strings.Join(opts.Endpoints, ",") + opts.Prefix)
		if err != nil {
			t.Fatalf("rebuilt URL of %q does not parse: %v", s, err)
		}
		if diff := cmp.Diff(opts, again); diff != "" {
			t.Fatalf("rebuilt URL of %q parses differently (-first +again):\n%s", s, diff)
		}
	})
}
