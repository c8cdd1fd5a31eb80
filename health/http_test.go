package health

import (
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseStatusRanges(t *testing.T) {
	tests := []struct {
		text    string
		want    StatusRanges
		wantStr string
	}{
		{"200-399", StatusRanges{{200, 399}}, "200-399"},
		{"200", StatusRanges{{200, 200}}, "200"},
		{"2xx", StatusRanges{{200, 299}}, "200-299"},
		{"5XX", StatusRanges{{500, 599}}, "500-599"},
		{" 200 , 204,300 - 304 ", StatusRanges{{200, 200}, {204, 204}, {300, 304}}, "200,204,300-304"},
		{"100-599", StatusRanges{{100, 599}}, "100-599"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			got, err := ParseStatusRanges(tc.text)
			if err != nil {
				t.Fatalf("ParseStatusRanges(%q) error %v, want nil", tc.text, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseStatusRanges(%q) mismatch (-want +got):\n%s", tc.text, diff)
			}
			if s := got.String(); s != tc.wantStr {
				t.Errorf("String() = %q, want %q", s, tc.wantStr)
			}
		})
	}
}

func TestParseStatusRangesErrors(t *testing.T) {
	tests := []struct {
		text       string
		wantReason string
	}{
		{"", "empty"},
		{"  ", "empty"},
		{"20", `"20" is not a three-digit status code`},
		{"2000", `"2000" is not a three-digit status code`},
		{"abc", `"abc" is not a three-digit status code`},
		{"+20", `"+20" is not a three-digit status code`},
		{"099", "99 is outside 100-599"},
		{"600", "600 is outside 100-599"},
		{"6xx", `"6xx" is not a three-digit status code`},
		{"399-200", `range "399-200" runs backwards`},
		{"200-", `"" is not a three-digit status code`},
		{"200,,300", `"" is not a three-digit status code`},
		{"200-300-400", `"300-400" is not a three-digit status code`},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			got, err := ParseStatusRanges(tc.text)
			rangeErr, ok := err.(*StatusRangeError)
			if !ok {
				t.Fatalf("ParseStatusRanges(%q) = %v, %v; want a *StatusRangeError", tc.text, got, err)
			}
			if rangeErr.Reason != tc.wantReason || rangeErr.Text != tc.text {
				t.Errorf("error = %+v, want reason %q for text %q", rangeErr, tc.wantReason, tc.text)
			}
		})
	}
}

func TestStatusRangesContains(t *testing.T) {
	ranges := StatusRanges{{200, 204}, {304, 304}}
	tests := []struct {
		code int
		want bool
	}{{199, false}, {200, true}, {204, true}, {205, false}, {304, true}, {500, false}}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			if got := ranges.Contains(tc.code); got != tc.want {
				t.Errorf("Contains(%d) = %v, want %v", tc.code, got, tc.want)
			}
		})
	}
}

func FuzzParseStatusRanges(f *testing.F) {
	for _, seed := range []string{"200-399", "2xx", "200,204", " 300 - 304 ", "", "399-200", "1xx,5XX", "200-300-400", "0-9"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ranges, err := ParseStatusRanges(text)
		if err != nil {
			return
		}
		again, err := ParseStatusRanges(ranges.String())
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", text, ranges.String(), err)
		}
		if diff := cmp.Diff(ranges, again); diff != "" {
			t.Errorf("round trip of %q changed the ranges (-first +second):\n%s", text, diff)
		}
		for _, r := range ranges {
			if r.Lo < 100 || r.Hi > 599 || r.Lo > r.Hi {
				t.Errorf("ParseStatusRanges(%q) gave the bad range %+v", text, r)
			}
		}
	})
}

// testHandler serves the paths the HTTP probe tests use.
func testHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "all good") })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host=%s check=%s agent=%s", r.Host, r.Header.Get("X-Check"), r.UserAgent())
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	return mux
}

func TestHTTPProbe(t *testing.T) {
	srv := httptest.NewServer(testHandler())
	t.Cleanup(srv.Close)
	down := httptest.NewServer(testHandler())
	downURL := down.URL
	down.Close()

	tests := []struct {
		name       string
		spec       Spec
		wantState  State
		wantDetail string
	}{
		{"2xx is OK", Spec{URL: srv.URL + "/ok"}, OK, "status 200"},
		{"503 is Failed", Spec{URL: srv.URL + "/fail"}, Failed, "status 503, want 200-399"},
		{"503 expected is OK", Spec{URL: srv.URL + "/fail", Expect: "5xx"}, OK, "status 503"},
		{"redirect is not followed", Spec{URL: srv.URL + "/redirect"}, OK, "status 302"},
		{"redirect outside expect is Failed", Spec{URL: srv.URL + "/redirect", Expect: "200"}, Failed, "status 302, want 200"},
		{"body contains", Spec{URL: srv.URL + "/ok", BodyMatch: "good"}, OK, "status 200"},
		{"body lacks", Spec{URL: srv.URL + "/ok", BodyMatch: "bad"}, Failed, `body does not contain "bad"`},
		{"body matches", Spec{URL: srv.URL + "/ok", BodyRegexp: `^all\s+good$`}, OK, "status 200"},
		{"body does not match", Spec{URL: srv.URL + "/ok", BodyRegexp: `^good`}, Failed, `body does not match "^good"`},
		{"headers are sent", Spec{URL: srv.URL + "/echo", Headers: map[string]string{"x-check": "abc", "Host": "svc.example"},
			BodyMatch: "host=svc.example check=abc agent=redset-health"}, OK, "status 200"},
		{"server down is Failed", Spec{URL: downURL + "/ok"}, Failed, "refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Type = TypeHTTP
			probe, err := tc.spec.Probe()
			if err != nil {
				t.Fatalf("Probe() error %v", err)
			}
			got := probe.Check(t.Context())
			if got.State != tc.wantState || !strings.Contains(got.Detail, tc.wantDetail) {
				t.Errorf("Check = %v %q, want %v containing %q", got.State, got.Detail, tc.wantState, tc.wantDetail)
			}
		})
	}
}

func TestHTTPProbeTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(testHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		spec       Spec
		wantState  State
		wantDetail string
	}{
		{"unknown authority is Failed", Spec{}, Failed, "certificate"},
		{"skip verify is OK", Spec{InsecureSkipVerify: true}, OK, "status 200"},
		{"CA file is OK", Spec{CAFile: caFile}, OK, "status 200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Type, tc.spec.URL = TypeHTTP, srv.URL+"/ok"
			probe, err := tc.spec.Probe()
			if err != nil {
				t.Fatalf("Probe() error %v", err)
			}
			got := probe.Check(t.Context())
			if got.State != tc.wantState || !strings.Contains(got.Detail, tc.wantDetail) {
				t.Errorf("Check = %v %q, want %v containing %q", got.State, got.Detail, tc.wantState, tc.wantDetail)
			}
		})
	}
}

func TestHTTPProbeTimeout(t *testing.T) {
	srv := httptest.NewServer(testHandler())
	t.Cleanup(srv.Close)
	probe := &HTTPProbe{URL: srv.URL + "/hang"}
	got := Run(t.Context(), SystemClock{}, Task{Member: "m", Probe: probe, Timeout: 200 * time.Millisecond})
	if got.State != Failed || !strings.HasPrefix(got.Detail, "timed out after 200ms") {
		t.Errorf("Run = %v %q, want Failed timed out after 200ms", got.State, got.Detail)
	}
	if got.Latency < 200*time.Millisecond {
		t.Errorf("Latency = %v, want at least the timeout", got.Latency)
	}
}

func TestHTTPProbeBadURL(t *testing.T) {
	got := (&HTTPProbe{URL: "http://[::1"}).Check(t.Context())
	if got.State != Failed || got.Detail == "" {
		t.Errorf("Check = %v %q, want Failed with a reason", got.State, got.Detail)
	}
}
