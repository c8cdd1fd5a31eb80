package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// Defaults of the limits section.
const (
	DefaultMaxBodyBytes           = 16 << 20
	DefaultMaxDrainBytes          = 64 << 20
	DefaultMaxEnumerations        = 1000
	DefaultMaxEnumerationsPerUser = 500
	DefaultEnumerationExpiry      = time.Minute
	DefaultMaxConnsPerAddress     = 512
	DefaultMaxOperations          = 256
	DefaultHeaderTimeout          = 10 * time.Second
	DefaultBodyTimeout            = 30 * time.Second
	DefaultWriteTimeout           = 2 * time.Minute
	DefaultIdleTimeout            = 2 * time.Minute
)

// fill sets every limit left zero to its default. Negative values are
// kept for Validate to refuse.
func (l *Limits) fill() {
	zeroTo(&l.MaxBodyBytes, DefaultMaxBodyBytes)
	zeroTo(&l.MaxDrainBytes, DefaultMaxDrainBytes)
	zeroTo(&l.MaxEnumerations, DefaultMaxEnumerations)
	zeroTo(&l.MaxEnumerationsPerUser, min(DefaultMaxEnumerationsPerUser, l.MaxEnumerations))
	zeroTo(&l.EnumerationExpiry, Dur(DefaultEnumerationExpiry))
	zeroTo(&l.MaxConnsPerAddress, DefaultMaxConnsPerAddress)
	zeroTo(&l.MaxOperations, DefaultMaxOperations)
	zeroTo(&l.MaxReads, defaultMaxReads())
	zeroTo(&l.HeaderTimeout, Dur(DefaultHeaderTimeout))
	zeroTo(&l.BodyTimeout, Dur(DefaultBodyTimeout))
	zeroTo(&l.WriteTimeout, Dur(DefaultWriteTimeout))
	zeroTo(&l.IdleTimeout, Dur(DefaultIdleTimeout))
}

func zeroTo[T int | int64 | Dur](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// validateLimits checks that every limit is positive and that the
// per-user cap of enumeration contexts fits in the total.
func (c *Config) validateLimits() error {
	l := c.Limits
	var errs []error
	positive := func(field string, v int64) {
		if v <= 0 {
			errs = append(errs, c.fieldErr("limits."+field, "must be positive (got %d)", v))
		}
	}
	positive("maxBodyBytes", l.MaxBodyBytes)
	positive("maxDrainBytes", l.MaxDrainBytes)
	positive("maxEnumerations", int64(l.MaxEnumerations))
	positive("maxEnumerationsPerUser", int64(l.MaxEnumerationsPerUser))
	positive("maxConnsPerAddress", int64(l.MaxConnsPerAddress))
	positive("maxOperations", int64(l.MaxOperations))
	positive("maxReads", int64(l.MaxReads))
	durations := []struct {
		field string
		d     Dur
	}{{"enumerationExpiry", l.EnumerationExpiry}, {"headerTimeout", l.HeaderTimeout}, {"bodyTimeout", l.BodyTimeout},
		{"writeTimeout", l.WriteTimeout}, {"idleTimeout", l.IdleTimeout}}
	for _, d := range durations {
		if d.d < Dur(time.Millisecond) {
			errs = append(errs, c.fieldErr("limits."+d.field, "must be at least 1ms (got %s)", d.d.D()))
		}
	}
	if l.MaxEnumerationsPerUser > l.MaxEnumerations && l.MaxEnumerations > 0 {
		errs = append(errs, c.fieldErr("limits.maxEnumerationsPerUser", "%d is more than limits.maxEnumerations (%d)",
			l.MaxEnumerationsPerUser, l.MaxEnumerations))
	}
	return errors.Join(errs...)
}

// gate admits at most its capacity of operations at once: CIM operations
// (CIM-XML and WS-Man alike) and JSON API requests share it. Beyond it an
// operation waits up to wait for a place, then is refused: CIM answers
// CIM_ERR_SERVER_LIMITS_EXCEEDED (WS-Man's fault table makes that
// wsman:QuotaLimit) and the API 503 with Retry-After.
type gate struct {
	slots chan struct{}
	wait  time.Duration
}

// gateWait is how long an operation beyond the cap waits for a place.
const gateWait = time.Second

func newGate(n int) *gate { return &gate{slots: make(chan struct{}, n), wait: gateWait} }

func (g *gate) enter(ctx context.Context) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

func (g *gate) leave() { <-g.slots }

// cimMiddleware refuses a CIM operation beyond the gate's capacity.
func (g *gate) cimMiddleware(next cimom.Handler) cimom.Handler {
	return cimom.HandlerFunc(func(ctx context.Context, req *cimom.Request) (*cimom.Response, error) {
		if !g.enter(ctx) {
			return nil, cim.Errorf(cim.StatusServerLimitsExceeded,
				"%d operations are in progress, the limit; retry shortly", cap(g.slots))
		}
		defer g.leave()
		return next.Handle(ctx, req)
	})
}

// apiMiddleware refuses a JSON API request beyond the gate's capacity
// with 503 and Retry-After. The event stream, which lasts, is not
// counted.
func (g *gate) apiMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == api.Prefix+"/events" {
			next.ServeHTTP(w, r)
			return
		}
		if !g.enter(r.Context()) {
			w.Header().Set("Retry-After", "1")
			api.WriteProblem(w, r, &api.Problem{Type: api.ProblemUnavailable, Title: "Unavailable", Status: http.StatusServiceUnavailable,
				Detail: fmt.Sprintf("%d requests are in progress, the limit; retry shortly", cap(g.slots))})
			return
		}
		defer g.leave()
		next.ServeHTTP(w, r)
	})
}

// maxHeaderBytes caps a request's header lines (431 beyond).
const maxHeaderBytes = 64 << 10
