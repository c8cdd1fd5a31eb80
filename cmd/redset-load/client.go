package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxAnswer bounds the body of one answer the tool reads.
const maxAnswer = 64 << 20

// conn holds what every request of a run shares: the HTTP clients and the
// credentials.
type conn struct {
	base   string // the server's URL, without a trailing slash
	auth   string // the Authorization header value
	client *http.Client
	stream *http.Client // event streams: no overall timeout
}

func newConn(cfg config) *conn {
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * cfg.clients,
		MaxIdleConnsPerHost:   2 * cfg.clients,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: cfg.timeout,
	}
	cred := base64.StdEncoding.EncodeToString([]byte(cfg.user + ":" + cfg.password))
	return &conn{
		base:   cfg.server,
		auth:   "Basic " + cred,
		client: &http.Client{Transport: tr, Timeout: cfg.timeout},
		stream: &http.Client{Transport: tr},
	}
}

// answer is one HTTP answer, its body read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request with the credentials and the given headers (name,
// value pairs) and reads the answer into buf, which is reused.
func (c *conn) do(ctx context.Context, method, path, body string, buf *bytes.Buffer, headers ...string) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", c.auth)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxAnswer)); err != nil {
		return answer{}, fmt.Errorf("reading the answer: %w", err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()}, nil
}

// httpError describes an answer with an unexpected HTTP status.
func httpError(a answer) error {
	msg := fmt.Sprintf("HTTP %d", a.status)
	if e := a.header.Get("CIMError"); e != "" {
		msg += " (CIMError: " + e + ")"
	}
	if s := snippet(a.body); s != "" {
		msg += ": " + s
	}
	return fmt.Errorf("%s", msg)
}

// snippet is the start of a body, on one line, for error texts.
func snippet(b []byte) string {
	const n = 200
	s := strings.Join(strings.Fields(string(b[:min(len(b), n)])), " ")
	if len(b) > n {
		s += " ..."
	}
	return s
}

// between returns the text after the first open and before the next
// close that follows it.
func between(b []byte, open, close string) (string, bool) {
	_, rest, ok := bytes.Cut(b, []byte(open))
	if !ok {
		return "", false
	}
	v, _, ok := bytes.Cut(rest, []byte(close))
	return string(v), ok
}
