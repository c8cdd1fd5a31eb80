package redsettest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// The floor server of BenchmarkFloor: the test binary started again with
// floorAnswersEnv naming a file of recorded answers. It is the least any
// Go HTTP server can do for a request: read the whole body, then write the
// answer redset gave to the same request (status, headers, body), chosen
// by the request's floorAnswerHeader. It prints "listening ADDR" on its
// standard output once it accepts connections.

// floorAnswersEnv names the recorded answers of a floor server.
const floorAnswersEnv = "REDSET_FLOOR_ANSWERS"

// floorAnswerHeader names, in each benchmark request, the recorded answer
// the floor server writes back; redset ignores it.
const floorAnswerHeader = "X-Floor-Answer"

// floorAnswer is one recorded answer.
type floorAnswer struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"` // Date left out: net/http writes its own
	Body   []byte      `json:"body"`
}

// runFloor serves the answers of file path on a free loopback port until
// the process is killed, and returns the exit status if it cannot.
func runFloor(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var answers map[string]floorAnswer
	if err := json.Unmarshal(data, &answers); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("listening %s\n", ln.Addr())
	err = http.Serve(ln, floorHandler(answers))
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// floorHandler reads the request and writes back its recorded answer.
func floorHandler(answers map[string]floorAnswer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		a, ok := answers[r.Header.Get(floorAnswerHeader)]
		if !ok {
			http.Error(w, "no recorded answer", http.StatusNotFound)
			return
		}
		h := w.Header()
		for k, v := range a.Header {
			h[k] = v
		}
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	})
}

// TestFloorHandler: the floor server writes back the recorded answer named
// by the request (status, headers, body), and 404 for a name it lacks.
func TestFloorHandler(t *testing.T) {
	h := floorHandler(map[string]floorAnswer{"get": {Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"application/xml"}, "Cimoperation": {"MethodResponse"}}, Body: []byte("<CIM/>")}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		key, wantBody, wantType string
		wantStatus              int
	}{
		{"get", "<CIM/>", "application/xml", http.StatusOK},
		{"other", "no recorded answer\n", "text/plain; charset=utf-8", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("<request/>"))
		req.Header.Set(floorAnswerHeader, tc.key)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.wantStatus || string(body) != tc.wantBody || resp.Header.Get("Content-Type") != tc.wantType {
			t.Errorf("%s: HTTP %d %q %q, want %d %q %q", tc.key, resp.StatusCode, resp.Header.Get("Content-Type"), body,
				tc.wantStatus, tc.wantType, tc.wantBody)
		}
	}
}
