package auth

import "context"

type identityKey struct{}

// WithIdentity returns a context carrying an authenticated caller. The door
// puts it in every request it lets through with credentials.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the authenticated caller of ctx; false when the
// request carried no credentials (an operation anyone may perform).
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}
