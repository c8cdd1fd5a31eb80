package proc

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestCappedBuffer(t *testing.T) {
	b := &CappedBuffer{Limit: 5}
	for _, chunk := range []string{"abc", "defg", "hij"} {
		n, err := b.Write([]byte(chunk))
		if n != len(chunk) || err != nil {
			t.Errorf("Write(%q) = %d, %v; want %d, nil", chunk, n, err, len(chunk))
		}
	}
	if got := b.String(); got != "abcde" {
		t.Errorf("String() = %q, want %q", got, "abcde")
	}
}

// TestKillGroupOnCancel checks that cancelling kills a shell's background
// child too: the pipe the child holds closes, so Wait returns promptly.
func TestKillGroupOnCancel(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "sh", "-c", "sleep 30 & echo started; wait")
	out := &CappedBuffer{Limit: 100}
	cmd.Stdout = out
	KillGroupOnCancel(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(out.String(), "started") {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("the command did not start")
		}
	}
	cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return: the background child kept the output pipe open")
	}
}
