package auth

import (
	"errors"
	"log/slog"
	"net/http"
)

// Challenge is the WWW-Authenticate header of every 401 answer, on every
// protocol.
const Challenge = `Basic realm="redset", charset="UTF-8"`

// Refusal writes the body of a refused request in one protocol's form.
// The door has already set the headers the status needs (WWW-Authenticate
// on 401, Retry-After on 429); status is 401, 403, 429 or 503, and err
// says why.
type Refusal func(w http.ResponseWriter, r *http.Request, status int, err error)

// Gate is one protocol's place behind the door.
type Gate struct {
	// Protocol names the protocol in logs and in the client of the
	// Authenticate call ("cimxml", "wsman", "api", "web", "metrics").
	Protocol string
	// Operation names the operation of a request whose method and path
	// tell it; the door then authorizes it (Authorize) before the handler
	// runs. Nil, or "" for a request, leaves authorization to the handler,
	// after it has decoded the request.
	Operation func(*http.Request) Operation
	// Anonymous reports whether a request without credentials passes
	// without a caller, whatever its operation needs (the handler then
	// authorizes what it decodes). Nil: only the operations the table
	// makes public pass without credentials.
	Anonymous func(*http.Request) bool
	// Refuse writes refusals; nil writes them as plain text.
	Refuse Refusal
}

// Door is the one HTTP edge of every protocol: see Guard.
type Door struct {
	auth Authenticator
	log  *slog.Logger
}

// NewDoor returns the door checking credentials with a. A nil logger
// discards.
func NewDoor(a Authenticator, log *slog.Logger) *Door {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Door{auth: a, log: log}
}

// Guard puts next behind the door. Before anything else of a request is
// read, the door establishes the caller from the HTTP Basic credentials:
//
//   - no credentials: the request passes without a caller when its
//     operation is public or the gate's Anonymous says so; else 401;
//   - wrong credentials: 401, logged once at warn with the user, the
//     address and the protocol;
//   - an Authenticator's *ThrottledError: 429 with Retry-After (whole
//     seconds, rounded up);
//   - any other Authenticator error: 503, logged at error (the
//     credentials could not be checked; a retry may succeed).
//
// A 401 carries Challenge. Authenticate is called with the client
// (WithClient) in its context. The caller goes into the request's context
// (IdentityFrom); when the gate names the operation, it is authorized
// there and then, and a refusal is 403.
func (d *Door) Guard(g Gate, next http.Handler) http.Handler {
	if g.Refuse == nil {
		g.Refuse = plainRefusal
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := withLogger(WithClient(r.Context(), r.RemoteAddr, g.Protocol), d.log)
		var op Operation
		if g.Operation != nil {
			op = g.Operation(r)
		}
		user, password, hasCredentials := r.BasicAuth()
		if !hasCredentials {
			if public(op) || (g.Anonymous != nil && g.Anonymous(r)) {
				next.ServeHTTP(w, r.WithContext(ctx))
				return
			}
			d.refuse(w, r, g, ErrUnauthorized)
			return
		}
		if d.auth == nil {
			d.refuse(w, r, g, ErrUnauthorized)
			return
		}
		id, err := d.auth.Authenticate(ctx, user, password)
		if err != nil {
			d.loginFailed(g, r, user, err)
			d.refuse(w, r, g, err)
			return
		}
		ctx = WithIdentity(ctx, id)
		if op != "" {
			if err := Authorize(ctx, op); err != nil {
				d.refuse(w, r, g, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func public(op Operation) bool {
	return op != "" && permissions[op] == ActionPublic
}

// loginFailed logs a refused login once.
func (d *Door) loginFailed(g Gate, r *http.Request, user string, err error) {
	var throttled *ThrottledError
	switch {
	case errors.Is(err, ErrUnauthorized):
		d.log.Warn("login failed", "user", user, "remote", r.RemoteAddr, "protocol", g.Protocol)
	case errors.As(err, &throttled):
		d.log.Debug("login throttled", "user", user, "remote", r.RemoteAddr, "protocol", g.Protocol,
			"retryAfter", throttled.RetryAfter.Seconds())
	default:
		d.log.Error("credentials could not be checked", "user", user, "remote", r.RemoteAddr,
			"protocol", g.Protocol, "err", err)
	}
}

// refuse answers a refusal with its status and headers, the body in the
// gate's form.
//
// A refusal before the caller is known tells the request's body so, when
// the body can be told (the server's body cap: see Unadmitted), so that
// little of what an unknown client sends is read after the answer.
func (d *Door) refuse(w http.ResponseWriter, r *http.Request, g Gate, err error) {
	status := StatusOf(err)
	if b, ok := r.Body.(Unadmitted); ok && status != http.StatusForbidden {
		b.Unadmitted()
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", Challenge)
	case http.StatusTooManyRequests:
		retry, _ := Throttled(err)
		w.Header().Set("Retry-After", retry)
	}
	g.Refuse(w, r, status, err)
}

// Unadmitted is a request body that is told when the door refused the
// request before its caller was known (no, wrong or throttled
// credentials): it then reads and drops less of itself after the answer.
type Unadmitted interface {
	Unadmitted()
}

// StatusOf is the HTTP status of a refusal: 401 for ErrUnauthorized, 403
// for a *DeniedError, 429 for a *ThrottledError, else 503.
func StatusOf(err error) int {
	var denied *DeniedError
	var throttled *ThrottledError
	switch {
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.As(err, &denied):
		return http.StatusForbidden
	case errors.As(err, &throttled):
		return http.StatusTooManyRequests
	}
	return http.StatusServiceUnavailable
}

// plainRefusal writes a refusal as one line of text.
func plainRefusal(w http.ResponseWriter, _ *http.Request, status int, err error) {
	http.Error(w, RefusalText(status, err), status)
}

// RefusalText is a refusal in words, the same on every protocol.
func RefusalText(status int, err error) string {
	switch status {
	case http.StatusUnauthorized:
		return "valid HTTP Basic credentials are required"
	case http.StatusTooManyRequests:
		return "too many failed logins; retry later"
	case http.StatusServiceUnavailable:
		return "the credentials could not be checked; retry later"
	}
	return err.Error()
}
