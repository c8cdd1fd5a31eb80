package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"sync/atomic"

	"github.com/redset/redset/auth"
)

// Check fills the defaults and checks the whole configuration as a start
// does before it touches anything: every rule of Validate, and the TLS
// certificate and key and the cluster's secret file must load. It binds
// no listener and opens no store, so `redset config check` can run it
// anywhere.
func (c *Config) Check() error {
	c.Default()
	if err := c.Validate(); err != nil {
		return err
	}
	if _, err := c.loadCertificate(); err != nil {
		return err
	}
	_, err := c.clusterSecret()
	return err
}

// listenAll binds every configured address, or none: after a failure the
// listeners already bound are closed, and the error names the entry.
func (c *Config) listenAll() ([]net.Listener, error) {
	var lns []net.Listener
	for i, addr := range c.Listen {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll(lns)
			fe := c.fieldErr(fmt.Sprintf("listen[%d]", i), "cannot listen on %s: %v", addr, unwrapOp(err))
			fe.Err = err
			return nil, fe
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// unwrapOp shortens a *net.OpError ("listen tcp 127.0.0.1:1: bind: address
// already in use") to its cause ("bind: address already in use").
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		_ = ln.Close()
	}
}

// loadCertificate reads the configured certificate and key (nil without
// TLS). An error names tls.key when the key file is what failed to open,
// else tls.cert.
func (c *Config) loadCertificate() (*tls.Certificate, error) {
	if c.TLS.Cert == "" {
		return nil, nil
	}
	loaded, err := auth.TLSConfig(c.TLS.Cert, c.TLS.Key)
	if err != nil {
		field := "tls.cert"
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == c.TLS.Key && pe.Path != c.TLS.Cert {
			field = "tls.key"
		}
		fe := c.fieldErr(field, "%v", err)
		fe.Err = err
		return nil, fe
	}
	return &loaded.Certificates[0], nil
}

// certificate is the TLS certificate the listeners serve; a reload
// replaces it without dropping connections.
type certificate struct {
	cur atomic.Pointer[tls.Certificate]
}

// tlsConfig is the listeners' TLS configuration, serving the current
// certificate (TLS 1.2 at least, as auth.TLSConfig) over HTTP/1.1: every
// protocol served is HTTP/1.1, and net/http would not see an HTTP/2
// connection through admission's wrapping.
func (c *certificate) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.cur.Load(), nil }}
}
