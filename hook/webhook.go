package hook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Payload is the JSON document a webhook receives. Its shape is stable:
// fields may be added, never renamed or removed. Exactly one of Failover
// (events "failover" and "refused") and Status (event "status") is present.
type Payload struct {
	Event    string           `json:"event"`
	Hook     string           `json:"hook"`
	Seq      uint64           `json:"seq"`
	Time     time.Time        `json:"time"`
	Set      string           `json:"set"`
	Failover *FailoverPayload `json:"failover,omitempty"`
	Status   *StatusPayload   `json:"status,omitempty"`
}

// FailoverPayload describes a failover outcome. Code is the CIM return value
// of Failover (0 completed, 1 not supported, 2 error, 3 busy, 4 parameter
// error); Reason explains every non-zero Code. Planned is false for
// automatic failovers.
type FailoverPayload struct {
	Planned    bool   `json:"planned"`
	From       string `json:"from"`
	To         string `json:"to"`
	Code       uint32 `json:"code"`
	Reason     string `json:"reason"`
	DurationMS int64  `json:"durationMs"`
}

// StatusPayload is a change of RedundancyStatus (CIM values 0..5).
type StatusPayload struct {
	From uint16 `json:"from"`
	To   uint16 `json:"to"`
}

// responseSnippet is how much of an unsuccessful answer's body is kept for
// the Delivery's error; drainLimit is how much is read to reuse the
// connection.
const (
	responseSnippet = 256
	drainLimit      = 64 << 10
)

// payloadOf builds the document of a post-event notice.
func payloadOf(hookName string, n notice) Payload {
	p := Payload{Event: n.event, Hook: hookName, Seq: n.seq, Time: n.time.UTC(), Set: n.set}
	if f := n.failover; f != nil {
		p.Failover = &FailoverPayload{Planned: f.Planned, From: f.From, To: f.To,
			Code: f.Code, Reason: f.Reason, DurationMS: f.Duration.Milliseconds()}
	}
	if s := n.status; s != nil {
		p.Status = &StatusPayload{From: s.From, To: s.To}
	}
	return p
}

// webhookAttempt POSTs body to the hook's URL once, within the hook's
// timeout. Transport errors, 408, 429 and 5xx answers may be retried; other
// non-2xx answers are final.
func (r *Runner) webhookAttempt(ctx context.Context, h *hook, body []byte, attempt int) attemptResult {
	ctx, cancel := context.WithTimeout(ctx, h.spec.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.spec.Webhook, bytes.NewReader(body))
	if err != nil {
		return attemptResult{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "redset-hook")
	req.Header.Set("X-Redset-Hook", h.spec.Name)
	req.Header.Set("X-Redset-Attempt", strconv.Itoa(attempt))
	resp, err := r.client.Do(req)
	if err != nil {
		return attemptResult{err: transportError(ctx, h.spec.timeout(), err), retryable: true}
	}
	defer resp.Body.Close()
	return answerResult(resp)
}

// answerResult judges a webhook's answer and drains its body.
func answerResult(resp *http.Response) attemptResult {
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, responseSnippet))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	res := attemptResult{code: resp.StatusCode}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return res
	}
	msg := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "\uFFFD"))
	res.err = errors.New(joinOutput(fmt.Sprintf("HTTP %d", resp.StatusCode), msg))
	res.retryable = resp.StatusCode == http.StatusRequestTimeout ||
		resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return res
}

// transportError describes a failed request without its URL, which may
// carry a secret (webhook URLs often embed a token) and would otherwise end
// up in logs and the history.
func transportError(ctx context.Context, timeout time.Duration, err error) error {
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%w after %s", ErrTimeout, timeout)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
