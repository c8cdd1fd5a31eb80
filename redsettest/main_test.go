package redsettest_test

import (
	"os"
	"testing"
)

// TestMain runs the package's tests, then removes the redset binary the
// cluster tests built (once for all of them). Started with
// REDSET_FLOOR_ANSWERS set, the test binary is instead the floor server of
// BenchmarkFloor (floor_server_test.go).
func TestMain(m *testing.M) {
	if path := os.Getenv(floorAnswersEnv); path != "" {
		os.Exit(runFloor(path))
	}
	code := m.Run()
	removeClusterBinary()
	os.Exit(code)
}
