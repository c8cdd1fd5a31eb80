package engine

import (
	"context"

	"github.com/redset/redset/event"
)

// Actor is who asks the engine for something: the authenticated user, the
// address the request came from and the protocol it came by. Every record
// the engine makes carries the actor of the context it was made in; a
// context without one stands for the engine itself (ProtocolEngine).
type Actor = event.Actor

// The protocols an Actor names.
const (
	ProtocolCIMXML = "cimxml" // CIM-XML, POST /cimom
	ProtocolWSMan  = "wsman"  // WS-Management, POST /wsman
	ProtocolAPI    = "api"    // the JSON API
	ProtocolWeb    = "web"    // the dashboard, through the JSON API
	ProtocolConfig = "config" // the configuration file applied at start
	ProtocolEngine = "engine" // redset by itself
)

type actorKey struct{}

// WithActor returns a context carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	if ctx == nil {
		return Actor{}, false
	}
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// actorOf is the actor a record made in ctx carries.
func actorOf(ctx context.Context) *Actor {
	if a, ok := ActorFrom(ctx); ok {
		return &a
	}
	return &Actor{Protocol: ProtocolEngine}
}
