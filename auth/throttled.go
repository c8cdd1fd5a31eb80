package auth

import "time"

// ThrottledError refuses a login without checking its password. Protocols
// answer it with HTTP 429 and a Retry-After header of RetryAfter.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return "auth: too many login attempts; retry after " + e.RetryAfter.String()
}
