package server

import (
	"io"
	"log/slog"
)

// NewLogger makes the server's logger from the log section: text or JSON
// records at the configured level, written to w. Every duration is
// written as a number of seconds (0.25, not 250ms or 250000000), the unit
// of the API and the metrics.
func NewLogger(w io.Writer, lc LogConfig) *slog.Logger {
	level, err := parseLevel(lc.Level)
	if err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: durationsInSeconds}
	if lc.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func durationsInSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.Float64Value(a.Value.Duration().Seconds())
	}
	return a
}
