package indication

import (
	"cmp"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/redset/redset/cim"
)

// maxDestinationLength bounds a destination URL.
const maxDestinationLength = 2048

// checkDestination accepts the listener addresses indications may be
// posted to: an absolute http or https URL with a host, and refuses with
// CIM_ERR_INVALID_PARAMETER:
//
//   - other schemes (file:, ftp:, gopher: ...) and relative or opaque
//     URLs: only HTTP carries CIM-XML export requests;
//   - user names and passwords in the URL: they would be shown to every
//     reader of the destination;
//   - fragments, spaces and control characters, and URLs past 2048 bytes;
//   - hosts that reach this server or another address than they seem to:
//     the unspecified addresses 0.0.0.0 and :: (connecting to them
//     reaches this host), IPv4-mapped IPv6 addresses (::ffff:127.0.0.1),
//     IPv6 zones (fe80::1%eth0, naming one of this server's interfaces),
//     multicast addresses, and numeric host names in the short, octal,
//     hexadecimal or whole-number forms some resolvers turn into an
//     address (127.1, 0177.0.0.1, 0x7f000001, 2130706433).
//
// Loopback written plainly (127.0.0.1, [::1], localhost) is accepted: a
// listener on the server's own machine (redset listen) is the first use,
// and who may subscribe is decided by the permission table. The sender
// does not follow redirects, so a listener cannot send deliveries on to
// another address.
func checkDestination(dest string) error {
	bad := func(why string) error {
		return errorf(cim.StatusInvalidParameter, "Destination %q: %s", clip(dest), why)
	}
	switch {
	case dest == "":
		return bad("a listener destination needs the listener's URL")
	case len(dest) > maxDestinationLength:
		return bad("longer than " + strconv.Itoa(maxDestinationLength) + " bytes")
	case strings.ContainsFunc(dest, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return bad("spaces and control characters are not allowed")
	}
	u, err := url.Parse(dest)
	if err != nil {
		return bad("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("only absolute http:// and https:// URLs are accepted")
	case u.Opaque != "" || u.Host == "":
		return bad("the URL has no host")
	case u.User != nil:
		return bad("a user name or password in the URL is refused (it would be shown to every reader)")
	case u.Fragment != "" || strings.Contains(dest, "#"):
		return bad("a fragment (#...) is not part of a listener's address")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("port " + p + " is not 1 to 65535")
		}
	}
	if why := checkHost(u.Hostname()); why != "" {
		return bad(why)
	}
	return nil
}

// checkHost says what is wrong with a URL's host, or "".
func checkHost(host string) string {
	if ip, err := netip.ParseAddr(host); err == nil {
		switch {
		case ip.Zone() != "":
			return "an IPv6 zone names an interface of this server"
		case ip.Is4In6():
			return "write an IPv4-mapped address as the IPv4 address itself"
		case ip.IsUnspecified():
			return "the unspecified address reaches this server under another name"
		case ip.IsMulticast():
			return "a multicast address is no listener"
		}
		return ""
	}
	if len(host) > 253 {
		return "the host name is longer than 253 characters"
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	for _, l := range labels {
		if !validLabel(l) {
			return "host " + strconv.Quote(host) + " is not a host name or an IP address"
		}
	}
	if numeric(labels[len(labels)-1]) {
		return "host " + strconv.Quote(host) + " is an address in a short or numeric form; write it as a.b.c.d"
	}
	return ""
}

// validLabel: 1 to 63 letters, digits, '-' or '_', not starting or
// ending with '-'.
func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// numeric reports whether a label reads as a number (decimal, octal or
// 0x hexadecimal): a host ending in one is an address to resolvers.
func numeric(l string) bool {
	l = strings.ToLower(l)
	if h, ok := strings.CutPrefix(l, "0x"); ok {
		_, err := strconv.ParseUint(cmp.Or(h, "0"), 16, 64)
		return err == nil
	}
	_, err := strconv.ParseUint(l, 10, 64)
	return err == nil
}

// clip shortens what a message quotes.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
