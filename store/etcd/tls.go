package etcd

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// loadTLS builds the client's TLS configuration from PEM files.
func loadTLS(f TLSFiles) (*tls.Config, error) {
	if (f.Cert == "") != (f.Key == "") {
		return nil, fmt.Errorf("%w: tls cert and key go together", ErrBadOptions)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.Cert != "" {
		cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: tls cert and key: %w", ErrBadOptions, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("%w: tls ca: %w", ErrBadOptions, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: tls ca: %s holds no PEM certificate", ErrBadOptions, f.CA)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
