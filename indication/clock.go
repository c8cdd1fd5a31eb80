package indication

import "github.com/redset/redset/internal/clock"

// Clock is the Hub's source of time (see package clock): retry intervals,
// expiry and the interval between delivery records. Tests give a
// hand-moved one.
type Clock = clock.Clock

// Timer is a pending AfterFunc call.
type Timer = clock.Timer
