package redsettest_test

import (
	"os"
	"testing"
)

// TestMain runs the package's tests, then removes the redset binary the
// cluster tests built (once for all of them).
func TestMain(m *testing.M) {
	code := m.Run()
	removeClusterBinary()
	os.Exit(code)
}
