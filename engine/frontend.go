package engine

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"
)

// Frontend is a set's one stable traffic address: redset listens on Listen
// and hands every new connection to one of the set's operational in-service
// members, chosen by the set's LoadBalanceAlgorithm (see Balancer), so that
// a failover moves the users' traffic as well as the roles.
type Frontend struct {
	// Listen is host:port; port 0 takes a free port (see FrontendStatus).
	Listen string `json:"listen" yaml:"listen"`
	// Mode is "tcp", the only mode and the default.
	Mode string `json:"mode,omitempty" yaml:"mode,omitempty"`
	// Drain is how long a connection to a member that left service stays
	// open: nil leaves it open until it ends, 0 closes it at once.
	Drain *Duration `json:"drain,omitempty" yaml:"drain,omitempty"`
	// ProxyProtocol "v2" sends the PROXY protocol v2 header to the member
	// before the client's bytes; "off" or "" sends nothing.
	ProxyProtocol string `json:"proxyProtocol,omitempty" yaml:"proxyProtocol,omitempty"`
	// MaxConnections open at once; 0 means DefaultMaxConnections.
	MaxConnections int `json:"maxConnections,omitempty" yaml:"maxConnections,omitempty"`
	// DialTimeout bounds each dial of a member; 0 means DefaultDialTimeout.
	DialTimeout Duration `json:"dialTimeout,omitempty" yaml:"dialTimeout,omitempty"`
	// PassiveFailures failed dials of one member in a row report it Failed
	// (source "traffic"), as a passive health check; 0 turns that off.
	PassiveFailures int `json:"passiveFailures,omitempty" yaml:"passiveFailures,omitempty"`
}

// Frontend defaults and bounds.
const (
	FrontendTCP           = "tcp"
	ProxyProtocolV2       = "v2"
	ProxyProtocolOff      = "off"
	DefaultMaxConnections = 10000
	MaxMaxConnections     = 1 << 20
	DefaultDialTimeout    = 2 * time.Second
	maxDialTimeout        = time.Minute
	maxDrain              = 24 * time.Hour
	maxPassiveFailures    = 1000
)

// Limit returns MaxConnections with its default applied.
func (f Frontend) Limit() int {
	if f.MaxConnections == 0 {
		return DefaultMaxConnections
	}
	return f.MaxConnections
}

// Timeout returns DialTimeout with its default applied.
func (f Frontend) Timeout() time.Duration {
	if f.DialTimeout == 0 {
		return DefaultDialTimeout
	}
	return f.DialTimeout.D()
}

// Clone returns a copy of f that shares nothing with it; nil for nil.
func (f *Frontend) Clone() *Frontend {
	if f == nil {
		return nil
	}
	c := *f
	if f.Drain != nil {
		d := *f.Drain
		c.Drain = &d
	}
	return &c
}

// validateFrontend checks a set's frontend, when it has one.
func validateFrontend(f *Frontend) error {
	if f == nil {
		return nil
	}
	if err := checkHostPort("frontend.listen", f.Listen, true); err != nil {
		return err
	}
	if f.Mode != "" && f.Mode != FrontendTCP {
		return invalid("frontend.mode", `must be "tcp"`, f.Mode)
	}
	if f.ProxyProtocol != "" && f.ProxyProtocol != ProxyProtocolOff && f.ProxyProtocol != ProxyProtocolV2 {
		return invalid("frontend.proxyProtocol", `must be "v2" or "off"`, f.ProxyProtocol)
	}
	if f.MaxConnections < 0 || f.MaxConnections > MaxMaxConnections {
		return invalid("frontend.maxConnections", fmt.Sprintf("must be between 0 (default) and %d", MaxMaxConnections), f.MaxConnections)
	}
	if f.DialTimeout < 0 || f.DialTimeout.D() > maxDialTimeout {
		return invalid("frontend.dialTimeout", "must be between 0 (default) and 1m", f.DialTimeout.String())
	}
	if f.Drain != nil && (*f.Drain < 0 || f.Drain.D() > maxDrain) {
		return invalid("frontend.drain", "must be between 0 and 24h", f.Drain.String())
	}
	if f.PassiveFailures < 0 || f.PassiveFailures > maxPassiveFailures {
		return invalid("frontend.passiveFailures", fmt.Sprintf("must be between 0 (off) and %d", maxPassiveFailures), f.PassiveFailures)
	}
	return nil
}

// checkHostPort checks host:port, the port a number (0 allowed when
// zeroPort), the host empty (every address), an IP or a name.
func checkHostPort(field, s string, zeroPort bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return invalid(field, "must be host:port", s)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || (n == 0 && !zeroPort) {
		return invalid(field, "must end in a port number", s)
	}
	if !printable(host) || len(host) > 253 {
		return invalid(field, "must name a host", s)
	}
	return nil
}

// TrafficAddress is where a frontend sends the member's connections: its
// Address, or else its TCP probe's address or its HTTP probe's host and
// port; "" when none of these is known.
func (m Member) TrafficAddress() string {
	switch {
	case m.Address != "":
		return m.Address
	case m.Probe.Type == ProbeTCP:
		return m.Probe.Address
	case m.Probe.Type == ProbeHTTP:
		return urlHostPort(m.Probe.URL)
	}
	return ""
}

func urlHostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// FrontendStatus is what a set's frontend is doing on this server.
type FrontendStatus struct {
	Listen  string `json:"listen"`            // as configured
	Address string `json:"address,omitempty"` // where it listens, when it does
	Error   string `json:"error,omitempty"`   // why it does not listen
	Open    int64  `json:"open"`              // client connections open now
	// Refused counts connections turned away at MaxConnections or for want
	// of a member that could take them.
	Refused uint64          `json:"refused"`
	Members []MemberTraffic `json:"members"`
	// Stopped: the set's frontend was removed, and the connections it had
	// are still open (left to end, or to a drain still running).
	Stopped bool `json:"stopped,omitempty"`
}

// MemberTraffic is one member's share of a frontend's traffic.
type MemberTraffic struct {
	Name       string `json:"name"`
	Address    string `json:"address"`            // where its connections go
	Open       int64  `json:"open"`               // connections open now
	Total      uint64 `json:"total"`              // connections made since the frontend started
	DialErrors uint64 `json:"dialErrors"`         // dials that failed
	BytesIn    uint64 `json:"bytesIn"`            // from clients to the member
	BytesOut   uint64 `json:"bytesOut"`           // from the member to clients
	Draining   int64  `json:"draining,omitempty"` // open connections the frontend will close (the member left service)
}

// checkListenFree refuses a frontend whose listen address overlaps another
// set's frontend's (see ListenOverlaps; port 0 excepted: every such
// frontend gets its own port).
func (e *Engine) checkListenFree(set *Set) error {
	if set.Frontend == nil || isPortZero(set.Frontend.Listen) {
		return nil
	}
	for _, s := range e.sortedSets() {
		if s.id == set.InstanceID {
			continue
		}
		s.mu.Lock()
		var other string
		if f := s.set.Frontend; f != nil && !s.gone {
			other = f.Listen
		}
		s.mu.Unlock()
		if other != "" && ListenOverlaps(other, set.Frontend.Listen) {
			return newError(KindInUse, "frontend.listen %q overlaps %q, the frontend of set %q", set.Frontend.Listen, other, s.id)
		}
	}
	return nil
}

func isPortZero(hostport string) bool {
	_, port, err := net.SplitHostPort(hostport)
	return err == nil && port == "0"
}
