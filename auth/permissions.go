package auth

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// Operation names one thing a caller may ask of redset, as the permission
// table knows it: "cim GetInstance", "cim InvokeMethod Failover",
// "wsman Identify", "api POST /api/v1/sets/{id}/failover", "web GET /{$}",
// "metrics GET /metrics". Each protocol names the operation of a request;
// the table alone says who may perform it.
type Operation string

// permissions is the permission table: the action each operation needs.
// It is the only place permissions live. Every CIM operation is here by
// its DSP0200 name (WS-Man's Get, Put, Create, Delete, Enumerate, Pull,
// Release and custom actions become the same operations); extrinsic
// methods by name ("cim InvokeMethod Failover"), any other method being
// "cim InvokeMethod". ModifyInstance needs loadbalance because the only
// writable properties are LoadBalanceAlgorithm and
// OtherLoadBalanceAlgorithm. In root/interop the writes are of indication
// filters, destinations and subscriptions ("cim CreateInstance
// root/interop"): an operator may make them (each user's own; admins
// see and delete everyone's), a reader may not subscribe at all.
var permissions = map[Operation]Action{
	"cim GetClass":                    ActionRead,
	"cim EnumerateClasses":            ActionRead,
	"cim EnumerateClassNames":         ActionRead,
	"cim GetInstance":                 ActionRead,
	"cim EnumerateInstances":          ActionRead,
	"cim EnumerateInstanceNames":      ActionRead,
	"cim ModifyInstance":              ActionLoadBalance,
	"cim CreateInstance":              ActionConfigure,
	"cim DeleteInstance":              ActionConfigure,
	"cim CreateInstance root/interop": ActionSubscribe,
	"cim ModifyInstance root/interop": ActionSubscribe,
	"cim DeleteInstance root/interop": ActionSubscribe,
	"cim Associators":                 ActionRead,
	"cim AssociatorNames":             ActionRead,
	"cim References":                  ActionRead,
	"cim ReferenceNames":              ActionRead,
	"cim InvokeMethod Failover":       ActionFailover,
	"cim InvokeMethod":                ActionConfigure,
	"cim ExecQuery":                   ActionRead,
	"cim GetQualifier":                ActionRead,
	"cim EnumerateQualifiers":         ActionRead,
	"cim OpenEnumerateInstances":      ActionRead,
	"cim OpenEnumerateInstancePaths":  ActionRead,
	"cim OpenAssociatorInstances":     ActionRead,
	"cim OpenAssociatorInstancePaths": ActionRead,
	"cim OpenReferenceInstances":      ActionRead,
	"cim OpenReferenceInstancePaths":  ActionRead,
	"cim OpenQueryInstances":          ActionRead,
	"cim PullInstancesWithPath":       ActionRead,
	"cim PullInstancePaths":           ActionRead,
	"cim PullInstances":               ActionRead,
	"cim CloseEnumeration":            ActionRead,
	"cim EnumerationCount":            ActionRead,

	"wsman Identify": ActionRead,
	// MS-WSMV 3.1.4.1.28: an Identify sent with the header
	// "WSMANIDENTIFY: unauthenticated" is answered without credentials
	// (without version and profiles).
	"wsman Identify unauthenticated": ActionPublic,
	// WS-Eventing: a subscription reads events, which a reader may
	// already follow (api GET /api/v1/events), so subscribing needs read
	// only. A subscription belongs to its maker: only the maker or an
	// admin renews, reads, pulls or ends it (the subscription manager's
	// check, on top of this row).
	"wsman Subscribe":   ActionRead,
	"wsman Renew":       ActionRead,
	"wsman GetStatus":   ActionRead,
	"wsman Unsubscribe": ActionRead,
	"wsman EventPull":   ActionRead,

	"api GET /api/v1/openapi.json":                      ActionPublic,
	"api GET /api/v1/sets":                              ActionRead,
	"api POST /api/v1/sets":                             ActionConfigure,
	"api GET /api/v1/sets/{id}":                         ActionRead,
	"api PUT /api/v1/sets/{id}":                         ActionConfigure,
	"api PATCH /api/v1/sets/{id}":                       ActionLoadBalance,
	"api PATCH /api/v1/sets/{id} beyond load balancing": ActionConfigure,
	"api DELETE /api/v1/sets/{id}":                      ActionConfigure,
	"api PUT /api/v1/sets/{id}/members/{name}":          ActionConfigure,
	"api DELETE /api/v1/sets/{id}/members/{name}":       ActionConfigure,
	"api POST /api/v1/sets/{id}/members/{name}/enable":  ActionFailover,
	"api POST /api/v1/sets/{id}/members/{name}/drain":   ActionFailover,
	"api POST /api/v1/sets/{id}/failover":               ActionFailover,
	"api POST /api/v1/sets/{id}/flap-guard/reset":       ActionFailover,
	"api GET /api/v1/sets/{id}/scheduled":               ActionRead,
	"api POST /api/v1/sets/{id}/scheduled":              ActionFailover,
	"api GET /api/v1/sets/{id}/scheduled/{sid}":         ActionRead,
	"api DELETE /api/v1/sets/{id}/scheduled/{sid}":      ActionFailover,
	"api GET /api/v1/scheduled":                         ActionRead,
	"api POST /api/v1/sets/{id}/pause":                  ActionFailover,
	"api POST /api/v1/sets/{id}/resume":                 ActionFailover,
	"api GET /api/v1/maintenance":                       ActionRead,
	"api GET /api/v1/cluster":                           ActionRead,
	"api POST /api/v1/pause":                            ActionFailover,
	"api POST /api/v1/resume":                           ActionFailover,
	"api GET /api/v1/members":                           ActionRead,
	"api POST /api/v1/members":                          ActionConfigure,
	"api GET /api/v1/members/{name}":                    ActionRead,
	"api PUT /api/v1/members/{name}":                    ActionConfigure,
	"api DELETE /api/v1/members/{name}":                 ActionConfigure,
	"api POST /api/v1/members/{name}/health":            ActionFailover,
	"api GET /api/v1/history":                           ActionRead,
	"api GET /api/v1/events":                            ActionRead,
	"api GET /api/v1/users":                             ActionConfigure,
	"api POST /api/v1/users":                            ActionConfigure,
	"api PUT /api/v1/users/{name}/password":             ActionConfigure,
	"api DELETE /api/v1/users/{name}":                   ActionConfigure,
	"api POST /api/v1/config/reload":                    ActionConfigure,
	"api GET /api/v1/subscriptions":                     ActionRead,
	"api DELETE /api/v1/subscriptions/{id}":             ActionRead, // a user's own; an administrator's any
	"api other":                                         ActionRead, // unknown paths (404) and methods (405)
	"demo POST /api/v1/demo/members/{name}/{action}":    ActionFailover,
	"demo other":             ActionRead,
	"web GET /{$}":           ActionRead,
	"web GET /static/{name}": ActionPublic, // assets hold no data
	"web other":              ActionPublic, // the not-found and method pages hold no data
	"metrics GET /metrics":   ActionRead,
}

// Operations returns every operation of the permission table, sorted.
func Operations() []Operation {
	ops := make([]Operation, 0, len(permissions))
	for op := range permissions {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	return ops
}

// Permission returns the action op needs; false when the table lacks op.
func Permission(op Operation) (Action, bool) {
	a, ok := permissions[op]
	return a, ok
}

// CIMOperation names a CIM operation for the table: "cim " and the DSP0200
// name of op; an InvokeMethod of a method the table names is "cim
// InvokeMethod " and the method (matched without regard to case).
func CIMOperation(op, method string) Operation {
	name := Operation("cim " + op)
	if op != "InvokeMethod" {
		return name
	}
	prefix := string(name) + " "
	for known := range permissions {
		if m, ok := strings.CutPrefix(string(known), prefix); ok && strings.EqualFold(m, method) {
			return known
		}
	}
	return name
}

// CIMOperationIn names a CIM operation on namespace ns: "cim OP NS" when
// the table has a row for that operation in that namespace (the
// subscription writes of root/interop), else CIMOperation(op, method).
func CIMOperationIn(ns, op, method string) Operation {
	ns = strings.ToLower(strings.Trim(ns, "/"))
	if name := Operation("cim " + op + " " + ns); ns != "" {
		if _, ok := permissions[name]; ok {
			return name
		}
	}
	return CIMOperation(op, method)
}

// DeniedError is a refused operation: the caller is known and its role may
// not perform it. Protocols answer it in their own form
// (CIM_ERR_ACCESS_DENIED, wsman:AccessDenied, HTTP 403).
type DeniedError struct {
	User      string
	Role      Role
	Operation Operation
	Action    Action // what op needs; "" when the table lacks op
}

func (e *DeniedError) Error() string {
	if e.Action == "" {
		return fmt.Sprintf("%s is not a known operation", e.Operation)
	}
	return fmt.Sprintf("user %s (role %s) may not %s", e.User, e.Role, e.Action.describe())
}

// Authorize decides whether the caller of ctx (IdentityFrom) may perform
// op, by the permission table: nil when it may; ErrUnauthorized when op
// needs credentials and ctx has no caller; else a *DeniedError. An
// operation the table lacks is refused. A refusal is logged here, once,
// with the logger the door put in ctx.
func Authorize(ctx context.Context, op Operation) error {
	action, known := permissions[op]
	if known && action == ActionPublic {
		return nil
	}
	id, ok := IdentityFrom(ctx)
	if !ok {
		return ErrUnauthorized
	}
	if known && Allow(id.Role, action) {
		return nil
	}
	address, protocol, _ := ClientFrom(ctx)
	log := loggerFrom(ctx)
	if !known {
		log.Error("an operation without a permission entry was refused", "operation", op, "user", id.User)
	} else {
		log.Info("access denied", "user", id.User, "role", id.Role, "operation", op,
			"remote", address, "protocol", protocol)
	}
	return &DeniedError{User: id.User, Role: id.Role, Operation: op, Action: action}
}

type loggerKey struct{}

func withLogger(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, log)
}

func loggerFrom(ctx context.Context) *slog.Logger {
	if log, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return log
	}
	return slog.New(slog.DiscardHandler)
}
