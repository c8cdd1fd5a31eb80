// Package auth holds redset's users, their hashed passwords and roles, the
// door every HTTP request passes, the permission table, and the TLS
// helpers.
//
// The Door is the one HTTP edge in front of every protocol (CIM-XML,
// WS-Man, the JSON API, the dashboard, the demo routes and the metrics):
// it establishes the caller from the HTTP Basic credentials before
// anything else of the request is read, answers missing or wrong ones
// with 401 and the one Challenge, and puts the caller in the request's
// context (IdentityFrom). Authorize then decides each operation by the
// permission table, the only place permissions live: the door itself for
// the routes whose path names the operation, the CIM protocols through
// the object manager's authorization middleware once the request is
// decoded. Each protocol only writes a refusal in its own form.
//
// Roles are ordered: a reader may read; an operator may also fail over
// and change a set's load-balancing algorithm; an admin may also change
// configuration.
//
// Users checks passwords with bcrypt through a bounded gate (one check per
// CPU at once, a bounded queue, ThrottledError beyond it); a password
// verified before is checked against a digest in memory and never waits.
// Throttle, in front of Users, counts failed logins per client address and
// per user at an address (the client comes in the context: WithClient)
// and refuses with a ThrottledError while a count is over its limit. No
// count of a user alone refuses, so nobody can lock a user out from
// another address; see Throttle for the rules.
package auth

import (
	"context"
	"errors"
)

// Role is a user's level of authority.
type Role string

// The roles, from least to most authority.
const (
	Reader   Role = "reader"
	Operator Role = "operator"
	Admin    Role = "admin"
)

// Action is something a caller asks to do.
type Action string

// The actions Allow decides on.
const (
	ActionRead        Action = "read"        // any read of sets, members, classes, history, events
	ActionFailover    Action = "failover"    // Failover, returning a drained member to service
	ActionLoadBalance Action = "loadbalance" // changing LoadBalanceAlgorithm / OtherLoadBalanceAlgorithm
	ActionConfigure   Action = "configure"   // creating, changing or deleting sets, members, users
	ActionSubscribe   Action = "subscribe"   // creating, changing or deleting one's own indication subscriptions
	ActionPublic      Action = "public"      // anyone, without credentials: what holds no data
)

// Identity is an authenticated caller.
type Identity struct {
	User string
	Role Role
}

// ErrUnauthorized: the credentials are missing or wrong. Protocols answer it
// with HTTP 401 and a WWW-Authenticate challenge.
var ErrUnauthorized = errors.New("auth: missing or wrong credentials")

// Authenticator checks a user's password. Implementations are safe for
// concurrent use and take time independent of whether the user exists.
type Authenticator interface {
	Authenticate(ctx context.Context, user, password string) (Identity, error)
}

// rank orders the roles; an unknown role ranks below every real one.
func (r Role) rank() int {
	switch r {
	case Reader:
		return 1
	case Operator:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// needs gives the least role that may perform each action.
var needs = map[Action]Role{
	ActionRead:        Reader,
	ActionFailover:    Operator,
	ActionLoadBalance: Operator,
	ActionConfigure:   Admin,
	ActionSubscribe:   Operator,
}

// Allow reports whether a caller with role may perform action. Unknown roles
// and unknown actions are refused; ActionPublic is allowed to everyone.
func Allow(role Role, action Action) bool {
	if action == ActionPublic {
		return true
	}
	need, ok := needs[action]
	return ok && role.rank() >= need.rank()
}

// describe says in words what an action allows, for refusals.
func (a Action) describe() string {
	switch a {
	case ActionRead:
		return "read"
	case ActionFailover:
		return "fail over, drain or return members, pause automatic failover, or report health"
	case ActionLoadBalance:
		return "change the load-balancing algorithm"
	case ActionConfigure:
		return "change the configuration or manage users"
	case ActionSubscribe:
		return "create, change or delete indication subscriptions"
	}
	return string(a)
}
