package wsman

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads the whole body whatever size the request announced, and
// passes on a read error.
func TestReadAll(t *testing.T) {
	const body = "<s:Envelope>the whole body</s:Envelope>"
	for _, size := range []int64{-1, 0, 1, 10, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 5, maxPresized + 1} {
		got, err := readAll(iotest.HalfReader(strings.NewReader(body)), size)
		if err != nil || string(got) != body {
			t.Errorf("size %d: readAll = %q, %v; want the body", size, got, err)
		}
	}
	broken := errors.New("connection reset")
	if _, err := readAll(io.MultiReader(strings.NewReader(body), iotest.ErrReader(broken)), int64(len(body))+5); !errors.Is(err, broken) {
		t.Errorf("readAll of a broken body: %v, want %v", err, broken)
	}
	if _, err := readAll(io.MultiReader(strings.NewReader(body), iotest.ErrReader(broken)), 4); !errors.Is(err, broken) {
		t.Errorf("readAll of a broken body longer than said: %v, want %v", err, broken)
	}
}
