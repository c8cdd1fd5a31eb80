package etcd_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run when goroutines of the store, the etcd client or
// the embedded etcd outlive the tests: every store and member must be
// closed cleanly.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leftovers(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leftovers waits up to within for the goroutines of interest to end and
// returns the stacks of those still running.
func leftovers(within time.Duration) string {
	deadline := time.Now().Add(within)
	for {
		var found []string
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for g := range strings.SplitSeq(string(buf), "\n\n") {
			if ours(g) {
				found = append(found, g)
			}
		}
		if len(found) == 0 || time.Now().After(deadline) {
			return strings.Join(found, "\n\n")
		}
		time.Sleep(50 * time.Millisecond) // polling the goroutine list; there is nothing to wait on
	}
}

func ours(stack string) bool {
	for _, mark := range []string{"redset/store/etcd", "go.etcd.io/etcd/", "go.etcd.io/raft/", "google.golang.org/grpc"} {
		if strings.Contains(stack, mark) {
			return !strings.Contains(stack, "TestMain") && !strings.Contains(stack, "leftovers")
		}
	}
	return false
}
