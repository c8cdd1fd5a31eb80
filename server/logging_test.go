package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestLoggerWritesDurationsInSeconds(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		var buf syncBuffer
		NewLogger(&buf, LogConfig{Format: "json", Level: "info"}).Info("probe", "duration", 1500*time.Millisecond)
		var rec map[string]any
		if err := json.Unmarshal([]byte(buf.String()), &rec); err != nil {
			t.Fatalf("not one JSON record: %q (%v)", buf.String(), err)
		}
		if rec["duration"] != 1.5 {
			t.Errorf("duration = %v (%T), want 1.5 seconds", rec["duration"], rec["duration"])
		}
	})
	t.Run("text, also in groups", func(t *testing.T) {
		var buf syncBuffer
		NewLogger(&buf, LogConfig{Format: "text", Level: "info"}).WithGroup("hook").Info("x", "timeout", 250*time.Millisecond)
		if !strings.Contains(buf.String(), "hook.timeout=0.25") {
			t.Errorf("got %q, want hook.timeout=0.25", buf.String())
		}
	})
	t.Run("level", func(t *testing.T) {
		var buf syncBuffer
		log := NewLogger(&buf, LogConfig{Format: "text", Level: "warn"})
		log.Info("hidden")
		log.Warn("shown")
		if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
			t.Errorf("at level warn got %q", buf.String())
		}
	})
}
