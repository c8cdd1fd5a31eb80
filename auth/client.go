package auth

import "context"

type clientKey struct{}

type client struct{ addr, protocol string }

// WithClient returns ctx carrying the address (host:port, as
// http.Request.RemoteAddr gives it) and the protocol of the client whose
// credentials are checked; the throttle counts failed logins by it.
func WithClient(ctx context.Context, addr, protocol string) context.Context {
	return context.WithValue(ctx, clientKey{}, client{addr, protocol})
}

// ClientFrom returns the client's address and protocol carried by ctx.
func ClientFrom(ctx context.Context) (addr, protocol string, ok bool) {
	c, ok := ctx.Value(clientKey{}).(client)
	return c.addr, c.protocol, ok
}
