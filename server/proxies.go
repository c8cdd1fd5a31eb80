package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// proxyList is the trusted reverse proxies (trustedProxies): the peers
// whose X-Forwarded-For header is believed. Every prefix is masked and
// holds plain IPv4 or IPv6 addresses (an IPv4-mapped IPv6 prefix is kept
// as its IPv4 prefix), so that it matches the unmapped addresses compared
// with it.
type proxyList []netip.Prefix

// parseProxies reads the trustedProxies entries: each an address
// (192.0.2.7, 2001:db8::7) or a CIDR prefix (10.0.0.0/8, fd00::/8). The
// error names the first entry that is neither, by its index.
func parseProxies(list []string) (proxyList, error) {
	out := make(proxyList, 0, len(list))
	for i, s := range list {
		p, err := parseProxy(s)
		if err != nil {
			return nil, fmt.Errorf("trustedProxies[%d]: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseProxy(s string) (netip.Prefix, error) {
	bad := fmt.Errorf("%q is neither an IP address nor a CIDR prefix (like 10.0.0.0/8)", s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, bad
		}
		return unmapPrefix(p.Masked()), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, bad
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// unmapPrefix turns ::ffff:a.b.c.d/n (n >= 96) into a.b.c.d/(n-96).
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if !p.Addr().Is4In6() || p.Bits() < 96 {
		return p
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked()
}

// trusts reports whether a (unmapped) is a trusted proxy.
func (l proxyList) trusts(a netip.Addr) bool {
	for _, p := range l {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// client returns the address of the client a request comes from, given
// its TCP peer (host:port, as http.Request.RemoteAddr gives it) and its
// X-Forwarded-For header lines. Only a trusted peer's header is read:
// walking its entries from the right (the one the peer wrote), the client
// is the first that is not itself a trusted proxy; when every entry is
// trusted, the left-most. An entry that is not an address (with or
// without a port, IPv6 with or without brackets) stops the walk, and the
// peer stays the client: what the proxies did not vouch for is not
// believed. ok is false when the peer stays the client.
//
// The client's address is written host:port, the port the entry gave or
// 0, so that it reads like any remote address.
func (l proxyList) client(peer string, xff []string) (addr string, ok bool) {
	if len(l) == 0 || len(xff) == 0 {
		return "", false
	}
	p, err := netip.ParseAddrPort(peer)
	if err != nil || !l.trusts(p.Addr().Unmap()) {
		return "", false
	}
	var last netip.AddrPort // the left-most entry read so far
	for i := len(xff) - 1; i >= 0; i-- {
		line := xff[i]
		for {
			cut := strings.LastIndexByte(line, ',')
			e, found := parseForwardedFor(line[cut+1:])
			if !found {
				return "", false
			}
			if !l.trusts(e.Addr()) {
				return e.String(), true
			}
			last = e
			if cut < 0 {
				break
			}
			line = line[:cut]
		}
	}
	return last.String(), true
}

// parseForwardedFor reads one X-Forwarded-For entry: an IPv4 or IPv6
// address, bracketed or not, with or without a port; surrounding spaces
// and tabs are allowed. The address comes back unmapped, without a zone
// (an entry with one is refused), with the entry's port or 0.
func parseForwardedFor(s string) (netip.AddrPort, bool) {
	s = strings.Trim(s, " \t")
	if s == "" {
		return netip.AddrPort{}, false
	}
	var a netip.Addr
	var port uint16
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a, port = ap.Addr(), ap.Port()
	} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		a, err = netip.ParseAddr(s[1 : len(s)-1])
		if err != nil || !a.Is6() {
			return netip.AddrPort{}, false
		}
	} else if a, err = netip.ParseAddr(s); err != nil {
		return netip.AddrPort{}, false
	}
	if a.Zone() != "" {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), port), true
}

// setProxies makes l the trusted proxies; an empty list trusts nobody.
func (s *Server) setProxies(l proxyList) {
	if len(l) == 0 {
		s.proxies.Store(nil)
		return
	}
	s.proxies.Store(&l)
}

// forwardedClient stands in front of every path: a request whose TCP peer
// is a trusted proxy and which carries X-Forwarded-For gets its client's
// address (see proxyList.client) as its remote address, so that the door,
// the login throttle, the audit, the history and the cluster's forwarding
// see the client rather than the proxy. The per-address connection cap is
// not concerned: it counts connections, by their peer. Any other request
// passes unchanged, its X-Forwarded-For ignored. The list is read on every
// request, so that a reload changes it.
func (s *Server) forwardedClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := s.proxies.Load()
		if l == nil {
			next.ServeHTTP(w, r)
			return
		}
		addr, ok := l.client(r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
		if ok {
			r = r.WithContext(r.Context())
			r.RemoteAddr = addr
		}
		next.ServeHTTP(w, r)
	})
}
