package indication

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Defaults of SendOptions.
const (
	DefaultSendTimeout    = 10 * time.Second
	DefaultMaxAnswerBytes = 64 << 10
)

// Message is one HTTP request body a protocol's encoder wrote, with the
// headers it needs (Content-Type, CIMExport, SOAPAction ...).
type Message struct {
	Header http.Header
	Body   []byte
}

// Answer is what a destination answered, its body read up to the
// sender's cap.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Encoding is what one destination protocol gives the HTTP sender: how to
// write deliveries as a request, and how to read the answer.
type Encoding struct {
	// Encode writes the deliveries (at most MaxBatch of them) as one
	// request to dest.
	Encode func(dest Destination, ds []Delivery) (Message, error)
	// Check judges a 2xx answer: nil when the deliveries were accepted
	// (a CIM-XML EXPMETHODRESPONSE without ERROR, say). nil Check: every
	// 2xx answer is accepted.
	Check func(Answer) error
	// MaxBatch is how many deliveries one request may carry; below 1: one.
	MaxBatch int
}

// SendOptions configure an HTTPSender.
type SendOptions struct {
	// Client sends the requests; nil: a client of its own made by
	// NewClient(RootCAs, Timeout). Share one client between the senders
	// of one TLS configuration.
	Client         *http.Client
	RootCAs        *x509.CertPool // HTTPS destinations are verified against it; nil: the system's
	Timeout        time.Duration  // of one request, answer included; 0: DefaultSendTimeout
	MaxAnswerBytes int64          // of the answer read; 0: DefaultMaxAnswerBytes
}

// HTTPSender is the Sender of HTTP(S) destinations: it POSTs the
// encoder's message to Destination.Address and takes a 2xx answer that
// passes the encoding's Check as delivered. It does not follow redirects
// (a redirect is a failure), refuses addresses that are not http or https
// URLs (a permanent failure: no retry) and reads at most MaxAnswerBytes of
// an answer.
type HTTPSender struct {
	enc     Encoding
	client  *http.Client
	timeout time.Duration
	max     int64
}

// NewHTTPSender returns the sender of one protocol.
func NewHTTPSender(enc Encoding, o SendOptions) *HTTPSender {
	if o.Timeout <= 0 {
		o.Timeout = DefaultSendTimeout
	}
	if o.MaxAnswerBytes <= 0 {
		o.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if o.Client == nil {
		o.Client = NewClient(o.RootCAs, o.Timeout)
	}
	return &HTTPSender{enc: enc, client: o.Client, timeout: o.Timeout, max: o.MaxAnswerBytes}
}

// NewClient returns the HTTP client of indication senders: HTTPS verified
// against roots (nil: the system's pool), no redirects followed, no proxy
// from the environment, each request bounded by timeout.
func NewClient(roots *x509.CertPool, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: timeout,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// MaxBatch is the encoding's MaxBatch (at least 1).
func (s *HTTPSender) MaxBatch() int { return max(s.enc.MaxBatch, 1) }

// Send posts ds to dest.Address as one request.
func (s *HTTPSender) Send(ctx context.Context, dest Destination, ds []Delivery) error {
	if _, err := CheckAddress(dest.Address); err != nil {
		return Permanent(err)
	}
	msg, err := s.enc.Encode(dest, ds)
	if err != nil {
		return Permanent(fmt.Errorf("indication: encoding for %s: %w", dest.Address, err))
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	a, err := Post(ctx, s.client, dest.Address, msg, s.max)
	if err != nil {
		return err
	}
	return Judge(dest.Address, a, s.enc.Check)
}

// Post sends msg to addr (an http or https URL, else a Permanent error)
// with client and returns the answer, its body read up to maxAnswer
// bytes. Judging the answer is the caller's (Judge).
func Post(ctx context.Context, client *http.Client, addr string, msg Message, maxAnswer int64) (Answer, error) {
	u, err := CheckAddress(addr)
	if err != nil {
		return Answer{}, Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(msg.Body))
	if err != nil {
		return Answer{}, Permanent(err)
	}
	for k, v := range msg.Header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("indication: sending to %s: %w", addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Answer{}, fmt.Errorf("indication: reading the answer of %s: %w", addr, err)
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Judge takes an answer of addr as an acceptance: a 2xx status (a
// redirect is a failure: it is not followed) that passes check (nil:
// every 2xx answer passes).
func Judge(addr string, a Answer, check func(Answer) error) error {
	switch {
	case a.Status >= 300 && a.Status < 400:
		return fmt.Errorf("indication: %s answered %d redirecting to %q; redirects are not followed", addr, a.Status, a.Header.Get("Location"))
	case a.Status < 200 || a.Status >= 300:
		return fmt.Errorf("indication: %s answered %d", addr, a.Status)
	case check != nil:
		if err := check(a); err != nil {
			return fmt.Errorf("indication: %s refused the delivery: %w", addr, err)
		}
	}
	return nil
}

// CheckAddress parses a destination address: an absolute http or https
// URL with a host and no user information.
func CheckAddress(addr string) (*url.URL, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("indication: destination %q is not a URL", addr)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("indication: destination %q is not an http or https URL", addr)
	}
	if u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("indication: destination %q needs a host and no user information", addr)
	}
	return u, nil
}

// permanentError is a failure trying again cannot mend.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that trying again cannot mend: the Hub
// does not retry it and applies the subscription's policy at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
