package health

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct {
	Lo, Hi int
}

// StatusRanges is a list of accepted HTTP status codes, written like
// "200-399", "200,204", "2xx" or "200-299, 304".
type StatusRanges []StatusRange

// DefaultExpect is the status range an HTTP probe accepts unless told
// otherwise: success and redirection (redirects are not followed).
const DefaultExpect = "200-399"

var defaultRanges = StatusRanges{{200, 399}}

// StatusRangeError reports text that is not a valid StatusRanges.
type StatusRangeError struct {
	Text   string
	Reason string
}

func (e *StatusRangeError) Error() string {
	return fmt.Sprintf("health: status range %q: %s", e.Text, e.Reason)
}

// ParseStatusRanges parses a comma-separated list of status codes (100 to
// 599), inclusive ranges "lo-hi" and classes "1xx".."5xx". Spaces around
// items are ignored.
func ParseStatusRanges(text string) (StatusRanges, error) {
	if strings.TrimSpace(text) == "" {
		return nil, &StatusRangeError{Text: text, Reason: "empty"}
	}
	var out StatusRanges
	for item := range strings.SplitSeq(text, ",") {
		r, reason := parseStatusRange(strings.TrimSpace(item))
		if reason != "" {
			return nil, &StatusRangeError{Text: text, Reason: reason}
		}
		out = append(out, r)
	}
	return out, nil
}

func parseStatusRange(item string) (StatusRange, string) {
	if len(item) == 3 && strings.EqualFold(item[1:], "xx") && item[0] >= '1' && item[0] <= '5' {
		lo := int(item[0]-'0') * 100
		return StatusRange{lo, lo + 99}, ""
	}
	loText, hiText, isRange := strings.Cut(item, "-")
	lo, reason := parseStatusCode(loText)
	if reason != "" || !isRange {
		return StatusRange{lo, lo}, reason
	}
	hi, reason := parseStatusCode(hiText)
	if reason == "" && hi < lo {
		reason = fmt.Sprintf("range %q runs backwards", item)
	}
	return StatusRange{lo, hi}, reason
}

func parseStatusCode(text string) (int, string) {
	text = strings.TrimSpace(text)
	if len(text) != 3 || strings.Trim(text, "0123456789") != "" {
		return 0, fmt.Sprintf("%q is not a three-digit status code", text)
	}
	code, _ := strconv.Atoi(text)
	if code < 100 || code > 599 {
		return 0, fmt.Sprintf("%d is outside 100-599", code)
	}
	return code, ""
}

// Contains reports whether code is in one of the ranges.
func (rs StatusRanges) Contains(code int) bool {
	for _, r := range rs {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}

// String writes the ranges in the form ParseStatusRanges reads.
func (rs StatusRanges) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = strconv.Itoa(r.Lo)
		if r.Hi != r.Lo {
			parts[i] += "-" + strconv.Itoa(r.Hi)
		}
	}
	return strings.Join(parts, ",")
}

// BodyLimit is how much of a response body an HTTP probe reads to match it.
const BodyLimit = 64 << 10

// HTTPProbe checks a member with one HTTP(S) GET of URL.
//
// The check is OK when the response status is in Expect (DefaultExpect when
// empty) and, if set, the first BodyLimit bytes of the body contain Contains
// and match Match. Header is sent with the request (a "Host" entry sets the
// request's host). Client nil means NewHTTPClient(nil).
type HTTPProbe struct {
	URL      string
	Expect   StatusRanges
	Contains string
	Match    *regexp.Regexp
	Header   http.Header
	Client   *http.Client
}

// NewHTTPClient returns the client HTTP probes use: every check opens a fresh
// connection (no keep-alive), ignores proxy settings, does not follow
// redirects, and uses tlsConfig (nil: the system's roots).
func NewHTTPClient(tlsConfig *tls.Config) *http.Client {
	transport := &http.Transport{
		DialContext:       (&net.Dialer{}).DialContext,
		TLSClientConfig:   tlsConfig,
		DisableKeepAlives: true,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Check performs the GET within ctx.
func (p *HTTPProbe) Check(ctx context.Context) Outcome {
	req, err := p.request(ctx)
	if err != nil {
		return Outcome{State: Failed, Detail: err.Error()}
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return Outcome{State: Failed, Detail: err.Error()}
	}
	defer resp.Body.Close()
	expect := p.Expect
	if len(expect) == 0 {
		expect = defaultRanges
	}
	if !expect.Contains(resp.StatusCode) {
		return Outcome{State: Failed, Detail: fmt.Sprintf("status %d, want %s", resp.StatusCode, expect)}
	}
	if reason := p.checkBody(resp.Body); reason != "" {
		return Outcome{State: Failed, Detail: fmt.Sprintf("status %d, %s", resp.StatusCode, reason)}
	}
	return Outcome{State: OK, Detail: fmt.Sprintf("status %d", resp.StatusCode)}
}

func (p *HTTPProbe) request(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "redset-health")
	for name, values := range p.Header {
		req.Header[http.CanonicalHeaderKey(name)] = values
	}
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
		req.Header.Del("Host")
	}
	return req, nil
}

func (p *HTTPProbe) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return defaultClient
}

var defaultClient = NewHTTPClient(nil)

// checkBody returns why the body does not match, or "".
func (p *HTTPProbe) checkBody(body io.Reader) string {
	if p.Contains == "" && p.Match == nil {
		return ""
	}
	data, err := io.ReadAll(io.LimitReader(body, BodyLimit))
	if err != nil {
		return "reading body: " + err.Error()
	}
	if p.Contains != "" && !bytes.Contains(data, []byte(p.Contains)) {
		return fmt.Sprintf("body does not contain %q", p.Contains)
	}
	if p.Match != nil && !p.Match.Match(data) {
		return fmt.Sprintf("body does not match %q", p.Match.String())
	}
	return ""
}
