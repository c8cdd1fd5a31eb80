package engine

import (
	"net"
	"net/netip"
	"strings"
)

// ListenOverlaps reports whether listening on a and on b (host:port each)
// would claim the same port of the same address, so that the second
// cannot listen while the first does. Ports must be equal and not 0 (port
// 0 is any free port). Hosts overlap when they are the same address, when
// either listens on every address ("" or "::"; "0.0.0.0" on every IPv4
// address, and so on whatever a host name names), or when one is
// "localhost" and the other a loopback address. Other host names are
// compared as names: telling whether a name and an address meet would
// need the resolver, and the address a name stands for may change.
func ListenOverlaps(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	return hostsOverlap(listenHostOf(ha), listenHostOf(hb))
}

// listenHost is a listen address's host as ListenOverlaps compares it:
// the addresses it stands for, or a host name.
type listenHost struct {
	all   bool // every address, IPv4 and IPv6
	all4  bool // every IPv4 address
	addrs []netip.Addr
	name  string // a host name other than localhost, lower case
}

var loopbacks = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}

func listenHostOf(host string) listenHost {
	if host == "" {
		return listenHost{all: true}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap().WithZone("")
		switch {
		case ip == netip.IPv6Unspecified():
			return listenHost{all: true}
		case ip == netip.IPv4Unspecified():
			return listenHost{all4: true}
		}
		return listenHost{addrs: []netip.Addr{ip}}
	}
	if strings.EqualFold(host, "localhost") {
		return listenHost{addrs: loopbacks}
	}
	return listenHost{name: strings.ToLower(host)}
}

func hostsOverlap(a, b listenHost) bool {
	switch {
	case a.all || b.all, a.all4 && b.all4:
		return true
	case a.all4:
		return b.name != "" || anyIPv4(b.addrs) // a name most likely has an IPv4 address
	case b.all4:
		return a.name != "" || anyIPv4(a.addrs)
	case a.name != "" || b.name != "":
		return a.name == b.name
	}
	for _, x := range a.addrs {
		for _, y := range b.addrs {
			if x == y {
				return true
			}
		}
	}
	return false
}

func anyIPv4(addrs []netip.Addr) bool {
	for _, a := range addrs {
		if a.Is4() {
			return true
		}
	}
	return false
}
