package body

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// ReadAll reads the whole body whatever size the request announced, and
// passes on a read error after what it read.
func TestReadAll(t *testing.T) {
	const body = "<CIM>the whole body</CIM>"
	for _, size := range []int64{-1, 0, 1, 10, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 5, MaxPresized + 1} {
		got, err := ReadAll(iotest.HalfReader(strings.NewReader(body)), size)
		if err != nil || string(got) != body {
			t.Errorf("size %d: ReadAll = %q, %v; want the body", size, got, err)
		}
	}
	broken := errors.New("connection reset")
	for _, size := range []int64{4, int64(len(body)) + 5} {
		got, err := ReadAll(io.MultiReader(strings.NewReader(body), iotest.ErrReader(broken)), size)
		if !errors.Is(err, broken) || string(got) != body {
			t.Errorf("size %d: ReadAll of a broken body = %q, %v; want the body and %v", size, got, err, broken)
		}
	}
}
