package redsettest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
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
