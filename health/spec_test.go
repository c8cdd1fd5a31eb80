package health

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name       string
		spec       Spec
		wantField  string
		wantReason string
	}{
		{"tcp", Spec{Type: "tcp", Address: "db-1:5432"}, "", ""},
		{"tcp ipv6", Spec{Type: "tcp", Address: "[::1]:80", Interval: time.Second, Timeout: time.Second}, "", ""},
		{"http", Spec{Type: "http", URL: "http://web-a/health", Expect: "2xx", BodyMatch: "ok"}, "", ""},
		{"https with CA", Spec{Type: "http", URL: "https://web-a/", CAFile: "/etc/ca.pem", Headers: map[string]string{"X-Token": "t"}}, "", ""},
		{"https skip verify", Spec{Type: "http", URL: "https://web-a/", InsecureSkipVerify: true, BodyRegexp: "^ok"}, "", ""},
		{"exec", Spec{Type: "exec", Command: []string{"check_disk", "-w", "10%"}}, "", ""},

		{"no type", Spec{Address: "a:1"}, "type", "missing (address is set); want tcp, http, exec or heartbeat"},
		{"no probe", Spec{Interval: time.Second}, "", ""},
		{"unknown type", Spec{Type: "udp"}, "type", `"udp" is not tcp, http, exec or heartbeat`},
		{"misspelt type", Spec{Type: "htpp", URL: "http://a/"}, "type", `"htpp" is not tcp, http, exec or heartbeat`},
		{"heartbeat", Spec{Type: "heartbeat", TTL: time.Minute}, "", ""},
		{"heartbeat without ttl", Spec{Type: "heartbeat"}, "ttl", "a heartbeat needs a ttl after which the member counts as failed"},
		{"heartbeat with address", Spec{Type: "heartbeat", TTL: time.Minute, Address: "a:1"}, "address", "not used by heartbeat probes"},
		{"negative ttl", Spec{Type: "tcp", Address: "a:1", TTL: -time.Second}, "ttl", "-1s is negative"},
		{"tcp without address", Spec{Type: "tcp"}, "address", "missing; want host:port"},
		{"tcp address without port", Spec{Type: "tcp", Address: "db-1"}, "address", `"db-1" is not host:port`},
		{"tcp address without host", Spec{Type: "tcp", Address: ":80"}, "address", `":80" has no host`},
		{"tcp port zero", Spec{Type: "tcp", Address: "db:0"}, "address", `port "0" is not a number from 1 to 65535`},
		{"tcp port named", Spec{Type: "tcp", Address: "db:http"}, "address", `port "http" is not a number from 1 to 65535`},
		{"tcp with url", Spec{Type: "tcp", Address: "a:1", URL: "http://a/"}, "url", "not used by tcp probes"},
		{"http without url", Spec{Type: "http"}, "url", "missing"},
		{"http with ftp url", Spec{Type: "http", URL: "ftp://a/"}, "url", `"ftp://a/" is not an http or https URL`},
		{"http url without host", Spec{Type: "http", URL: "http:///x"}, "url", `"http:///x" has no host`},
		{"http url broken", Spec{Type: "http", URL: "http://[::1"}, "url", `"http://[::1" does not parse`},
		{"http bad expect", Spec{Type: "http", URL: "http://a/", Expect: "600"}, "expect", "600 is outside 100-599"},
		{"http bad regexp", Spec{Type: "http", URL: "http://a/", BodyRegexp: "("}, "bodyRegexp", "error parsing regexp: missing closing ): `(`"},
		{"http bad header name", Spec{Type: "http", URL: "http://a/", Headers: map[string]string{"X Bad": "1"}}, "headers", `"X Bad" is not a valid header name`},
		{"http header value with newline", Spec{Type: "http", URL: "http://a/", Headers: map[string]string{"X-A": "1\r\nX-B: 2"}}, "headers", "the value of X-A contains a line break or NUL"},
		{"http with command", Spec{Type: "http", URL: "http://a/", Command: []string{"x"}}, "command", "not used by http probes"},
		{"skip verify on http", Spec{Type: "http", URL: "http://a/", InsecureSkipVerify: true}, "insecureSkipVerify", "only used with https URLs"},
		{"CA file on http", Spec{Type: "http", URL: "http://a/", CAFile: "/ca.pem"}, "caFile", "only used with https URLs"},
		{"CA file and skip verify", Spec{Type: "http", URL: "https://a/", CAFile: "/ca.pem", InsecureSkipVerify: true}, "caFile", "has no effect with insecureSkipVerify"},
		{"exec without command", Spec{Type: "exec"}, "command", "missing; want the program and its arguments"},
		{"exec empty program", Spec{Type: "exec", Command: []string{""}}, "command", "missing; want the program and its arguments"},
		{"exec NUL", Spec{Type: "exec", Command: []string{"x", "a\x00b"}}, "command", "entry 1 contains a NUL byte"},
		{"exec env", Spec{Type: "exec", Command: []string{"x"}, Env: map[string]string{"A": "1"}}, "", ""},
		{"exec env bad name", Spec{Type: "exec", Command: []string{"x"}, Env: map[string]string{"A=B": "1"}}, "env", `"A=B" is not a valid variable name`},
		{"exec env empty name", Spec{Type: "exec", Command: []string{"x"}, Env: map[string]string{"": "1"}}, "env", `"" is not a valid variable name`},
		{"exec env NUL value", Spec{Type: "exec", Command: []string{"x"}, Env: map[string]string{"A": "\x00"}}, "env", "the value of A contains a NUL byte"},
		{"tcp with env", Spec{Type: "tcp", Address: "a:1", Env: map[string]string{"A": "1"}}, "env", "not used by tcp probes"},
		{"exec with expect", Spec{Type: "exec", Command: []string{"x"}, Expect: "200"}, "expect", "not used by exec probes"},
		{"interval too short", Spec{Type: "tcp", Address: "a:1", Interval: time.Millisecond}, "interval", "1ms is below the minimum 50ms"},
		{"interval negative", Spec{Type: "tcp", Address: "a:1", Interval: -time.Second}, "interval", "-1s is below the minimum 50ms"},
		{"timeout negative", Spec{Type: "tcp", Address: "a:1", Timeout: -time.Second}, "timeout", "-1s is negative"},
		{"timeout over interval", Spec{Type: "tcp", Address: "a:1", Interval: time.Second, Timeout: 2 * time.Second}, "timeout", "2s exceeds the interval 1s"},
		{"default timeout over interval", Spec{Type: "tcp", Address: "a:1", Timeout: 6 * time.Second}, "timeout", "6s exceeds the interval 5s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			if got := fieldOf(err); got != tc.wantField {
				t.Fatalf("Validate() = %v, want field %q", err, tc.wantField)
			}
			if err != nil && err.(*FieldError).Reason != tc.wantReason {
				t.Errorf("reason = %q, want %q", err.(*FieldError).Reason, tc.wantReason)
			}
		})
	}
}

func TestSpecWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want Spec
	}{
		{"all defaults", Spec{Type: "http"}, Spec{Type: "http", Expect: DefaultExpect, Interval: DefaultInterval, Timeout: DefaultTimeout}},
		{"short interval caps timeout", Spec{Type: "tcp", Interval: time.Second}, Spec{Type: "tcp", Interval: time.Second, Timeout: time.Second}},
		{"explicit values stay", Spec{Type: "http", Expect: "200", Interval: time.Minute, Timeout: 10 * time.Second},
			Spec{Type: "http", Expect: "200", Interval: time.Minute, Timeout: 10 * time.Second}},
		{"no expect outside http", Spec{Type: "exec"}, Spec{Type: "exec", Interval: DefaultInterval, Timeout: DefaultTimeout}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.spec.WithDefaults()); diff != "" {
				t.Errorf("WithDefaults mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecProbe(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want Probe
	}{
		{"tcp", Spec{Type: "tcp", Address: "db-1:5432"}, TCPProbe{Address: "db-1:5432"}},
		{"exec", Spec{Type: "exec", Command: []string{"check", "-v"}}, ExecProbe{Command: []string{"check", "-v"}}},
		{"exec with env", Spec{Type: "exec", Command: []string{"check"}, Env: map[string]string{"B": "2", "A": "1"}},
			ExecProbe{Command: []string{"check"}, Env: []string{"A=1", "B=2"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.spec.Probe()
			if err != nil {
				t.Fatalf("Probe() error %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Probe() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecProbeHTTP(t *testing.T) {
	spec := Spec{Type: "http", URL: "http://a/h", BodyMatch: "up", BodyRegexp: "v[0-9]", Headers: map[string]string{"x-token": "t"}}
	got, err := spec.Probe()
	if err != nil {
		t.Fatalf("Probe() error %v", err)
	}
	p, ok := got.(*HTTPProbe)
	if !ok {
		t.Fatalf("Probe() = %T, want *HTTPProbe", got)
	}
	if p.URL != spec.URL || p.Contains != "up" || p.Match.String() != "v[0-9]" || p.Header.Get("X-Token") != "t" {
		t.Errorf("probe = %+v, want the spec's URL, body match, regexp and header", p)
	}
	if diff := cmp.Diff(StatusRanges{{200, 399}}, p.Expect); diff != "" {
		t.Errorf("Expect mismatch (-want +got):\n%s", diff)
	}
	if p.Client == nil {
		t.Errorf("Client is nil, want a client of its own")
	}
}

func TestSpecProbeCAFile(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		caFile     string
		wantReason string
	}{
		{"missing file", filepath.Join(dir, "none.pem"), "no such file"},
		{"no certificate", garbage, "holds no PEM certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Spec{Type: "http", URL: "https://a/", CAFile: tc.caFile}.Probe()
			if fieldOf(err) != "caFile" || !strings.Contains(err.Error(), tc.wantReason) {
				t.Errorf("Probe() = %v, want a caFile error containing %q", err, tc.wantReason)
			}
		})
	}
}

func TestSpecTask(t *testing.T) {
	got, err := Spec{Type: "tcp", Address: "a:1", Interval: time.Second}.Task("web-a")
	if err != nil {
		t.Fatalf("Task() error %v", err)
	}
	want := Task{Member: "web-a", Name: "tcp", Probe: TCPProbe{Address: "a:1"}, Interval: time.Second, Timeout: time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Task() mismatch (-want +got):\n%s", diff)
	}
	if _, err := (Spec{Type: "tcp"}).Task("web-a"); fieldOf(err) != "address" {
		t.Errorf("Task() of a bad spec = %v, want an address error", err)
	}
	for _, s := range []Spec{{Type: "heartbeat", TTL: time.Second}, {}} {
		if _, err := s.Task("web-a"); fieldOf(err) != "type" {
			t.Errorf("Task() of %+v, which the scheduler does not run, = %v; want a type error", s, err)
		}
	}
}

func FuzzSpecValidate(f *testing.F) {
	f.Add("http", "", "http://a/", "200-399", "^ok", "X-A", "1", "", int64(time.Second), int64(0))
	f.Add("tcp", "a:1", "", "", "", "", "", "", int64(0), int64(0))
	f.Add("exec", "", "", "", "", "", "", "/bin/true", int64(-1), int64(5))
	f.Fuzz(func(t *testing.T, typ, address, url, expect, re, hname, hvalue, program string, interval, timeout int64) {
		spec := Spec{Type: typ, Address: address, URL: url, Expect: expect, BodyRegexp: re,
			Interval: time.Duration(interval), Timeout: time.Duration(timeout)}
		if hname != "" {
			spec.Headers = map[string]string{hname: hvalue}
		}
		if program != "" {
			spec.Command = []string{program}
		}
		err := spec.Validate()
		if err != nil {
			if fieldOf(err) == "" || strings.HasPrefix(fieldOf(err), "not a FieldError") {
				t.Fatalf("Validate() = %v, want a *FieldError", err)
			}
			return
		}
		if _, err := spec.Task("m"); spec.Scheduled() && err != nil {
			t.Fatalf("Validate() passed but Task() = %v", err)
		}
	})
}
