package health

import (
	"context"
	"net"
)

// TCPProbe checks that a TCP connection to Address ("host:port") can be
// opened. The connection is closed at once; nothing is sent.
type TCPProbe struct {
	Address string
}

// Check dials Address within ctx: OK when the connection opens, Failed with
// the dial error otherwise.
func (p TCPProbe) Check(ctx context.Context) Outcome {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.Address)
	if err != nil {
		return Outcome{State: Failed, Detail: err.Error()}
	}
	remote := conn.RemoteAddr().String()
	conn.Close()
	return Outcome{State: OK, Detail: "connected to " + remote}
}
