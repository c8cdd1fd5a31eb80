package engine

import "github.com/redset/redset/internal/clock"

// Clock is the engine's source of time (see package clock); tests give a
// hand-moved one.
type Clock = clock.Clock

// Timer is a pending AfterFunc call.
type Timer = clock.Timer
