package indication

import (
	"bytes"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func sendOne(t *testing.T, s *HTTPSender, addr string) error {
	t.Helper()
	d := Delivery{Indication: testSource(t.Context(), failoverRecord(1, "redset:a"))[0], Subscription: "s"}
	return s.Send(t.Context(), Destination{ID: addr, Protocol: "test", Address: addr}, []Delivery{d})
}

func TestHTTPSenderPostsTheEncodersMessage(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		body = buf.Bytes()
	}))
	defer srv.Close()
	s := NewHTTPSender(testEncoding(5), SendOptions{})
	if err := sendOne(t, s, srv.URL+"/listener"); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/listener" || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s %v", got.Method, got.URL, got.Header)
	}
	if !strings.Contains(string(body), `"seq":0`) || !strings.Contains(string(body), `"set":"redset:a"`) {
		t.Errorf("body %s", body)
	}
	if s.MaxBatch() != 5 {
		t.Errorf("MaxBatch = %d", s.MaxBatch())
	}
}

func TestHTTPSenderFailures(t *testing.T) {
	var reached bool
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<ERROR CODE=\"1\"/>"))
	}))
	defer refuse.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	enc := testEncoding(1)
	enc.Check = func(a Answer) error {
		if bytes.Contains(a.Body, []byte("<ERROR")) {
			return errors.New("the listener answered an ERROR")
		}
		return nil
	}
	s := NewHTTPSender(enc, SendOptions{Timeout: 5 * time.Second})
	tests := []struct {
		name      string
		addr      string
		permanent bool
		want      string
	}{
		{"redirect", redirect.URL, false, "redirects are not followed"},
		{"error in a 200 answer", refuse.URL, false, "answered an ERROR"},
		{"500", failing.URL, false, "answered 500"},
		{"not http", "ftp://127.0.0.1/x", true, "not an http or https URL"},
		{"no host", "http:///x", true, "needs a host"},
		{"user information", "http://u:p@127.0.0.1/", true, "no user information"},
		{"not a URL", "http://[::1", true, "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sendOne(t, s, tt.addr)
			if err == nil || !strings.Contains(err.Error(), tt.want) || IsPermanent(err) != tt.permanent {
				t.Errorf("Send = %v (permanent %v), want %q (permanent %v)", err, IsPermanent(err), tt.want, tt.permanent)
			}
		})
	}
	if reached {
		t.Error("the redirect was followed")
	}
}

func TestHTTPSenderCapsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 1<<20))
	}))
	defer srv.Close()
	var read int
	enc := testEncoding(1)
	enc.Check = func(a Answer) error { read = len(a.Body); return nil }
	s := NewHTTPSender(enc, SendOptions{MaxAnswerBytes: 1000})
	if err := sendOne(t, s, srv.URL); err != nil {
		t.Fatal(err)
	}
	if read != 1000 {
		t.Errorf("read %d bytes of the answer, want 1000", read)
	}
}

func TestHTTPSenderVerifiesHTTPS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	if err := sendOne(t, NewHTTPSender(testEncoding(1), SendOptions{RootCAs: pool}), srv.URL); err != nil {
		t.Errorf("with the listener's CA: %v", err)
	}
	err := sendOne(t, NewHTTPSender(testEncoding(1), SendOptions{}), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("with the system's pool: %v, want a certificate error", err)
	}
}

func TestHTTPSenderTimesOut(t *testing.T) {
	stuck := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-stuck }))
	defer srv.Close()
	defer close(stuck)
	err := sendOne(t, NewHTTPSender(testEncoding(1), SendOptions{Timeout: 50 * time.Millisecond}), srv.URL)
	if err == nil || IsPermanent(err) {
		t.Errorf("Send = %v, want a timeout to retry", err)
	}
}
