package etcd

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ErrBadURL: a store URL that is not etcd://host:port[,host:port...][/prefix].
var ErrBadURL = errors.New("etcd: bad store URL")

// Scheme starts every etcd store URL.
const Scheme = "etcd://"

// ParseURL reads a store URL, etcd://host:port[,host:port...][/prefix],
// into the endpoints and the key prefix ("/prefix"; empty when the URL has
// none, for the default). The URL carries no credentials or TLS settings:
// those belong in the configuration file.
func ParseURL(s string) (Options, error) {
	rest, ok := strings.CutPrefix(s, Scheme)
	if !ok {
		return Options{}, fmt.Errorf("%w: %q does not start with %s", ErrBadURL, s, Scheme)
	}
	hosts, path, _ := strings.Cut(rest, "/")
	if strings.Contains(hosts, "@") {
		return Options{}, fmt.Errorf("%w: %q: put the username and password in the configuration file, not in the URL", ErrBadURL, s)
	}
	var opts Options
	for h := range strings.SplitSeq(hosts, ",") {
		if err := checkHostPort(h); err != nil {
			return Options{}, fmt.Errorf("%w: %q: %w", ErrBadURL, s, err)
		}
		opts.Endpoints = append(opts.Endpoints, h)
	}
	if err := checkPrefix(path); err != nil {
		return Options{}, fmt.Errorf("%w: %q: %w", ErrBadURL, s, err)
	}
	if path != "" {
		opts.Prefix = "/" + path
	}
	return opts, nil
}

// CheckEndpoint tells whether an endpoint is host:port or
// http(s)://host:port.
func CheckEndpoint(ep string) error {
	if rest, ok := strings.CutPrefix(ep, "http://"); ok {
		ep = rest
	} else if rest, ok := strings.CutPrefix(ep, "https://"); ok {
		ep = rest
	}
	return checkHostPort(ep)
}

func checkHostPort(h string) error {
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		return fmt.Errorf("endpoint %q is not host:port", h)
	}
	if host == "" || strings.ContainsAny(host, "/?#@ \t\r\n") {
		return fmt.Errorf("endpoint %q has no valid host", h)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("endpoint %q: port %q is not a number from 1 to 65535", h, port)
	}
	return nil
}

// checkPrefix refuses prefixes that cannot be meant: control characters, a
// query or fragment, empty path segments.
func checkPrefix(p string) error {
	if strings.ContainsAny(p, "?#") || strings.Contains(p, "//") {
		return fmt.Errorf("prefix %q must be a plain path", "/"+p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("prefix %q holds a control character", "/"+p)
		}
	}
	return nil
}
