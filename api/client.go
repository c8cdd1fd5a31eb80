package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxAnswer caps an answer body the Client reads (64 MiB).
const maxAnswer = 64 << 20

// Client calls a redset server's JSON API. Errors the server answers are
// returned as *Problem (use errors.As); transport errors as they come.
//
// Concurrency: a Client is safe for concurrent use. Events ignores the
// http.Client's Timeout (it would cut the stream); the context ends a
// stream instead.
type Client struct {
	base     string // scheme://host[/path], without a trailing slash
	user     string
	password string
	hc       *http.Client
}

// NewClient returns a client of the server at baseURL (its root, e.g.
// "http://127.0.0.1:5988"; the client adds /api/v1). An empty user sends no
// credentials. A nil httpClient means http.DefaultClient.
func NewClient(baseURL, user, password string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("api: server address %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: server address %q: want http://host:port or https://host:port", baseURL)
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	u.RawQuery, u.Fragment = "", ""
	base := strings.TrimSuffix(u.String(), "/")
	return &Client{base: base, user: user, password: password, hc: httpClient}, nil
}

// ListSets returns every set in InstanceID order.
func (c *Client) ListSets(ctx context.Context) ([]Set, error) {
	var out SetList
	err := c.do(ctx, http.MethodGet, "/sets", nil, &out)
	return out.Sets, err
}

// GetSet returns one set.
func (c *Client) GetSet(ctx context.Context, id string) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodGet, "/sets/"+esc(id), nil, &out)
	return out, err
}

// CreateSet creates a set (admin).
func (c *Client) CreateSet(ctx context.Context, spec SetSpec) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodPost, "/sets", spec, &out)
	return out, err
}

// UpdateSet replaces every writable property of a set (admin). Set.Spec
// gives the spec of a set read before.
func (c *Client) UpdateSet(ctx context.Context, id string, spec SetSpec) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodPut, "/sets/"+esc(id), spec, &out)
	return out, err
}

// PatchSet applies a JSON merge patch (RFC 7396) to a set: patch is
// marshalled as the patch document, e.g. map[string]any{"caption": "x"}; a
// nil value removes (resets) a field. Writing only loadBalanceAlgorithm and
// otherLoadBalanceAlgorithm needs an operator, anything else an admin.
func (c *Client) PatchSet(ctx context.Context, id string, patch any) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodPatch, "/sets/"+esc(id), patch, &out)
	return out, err
}

// SetLoadBalance sets a set's LoadBalanceAlgorithm and its description
// (non-empty exactly when alg is 1, Other) (operator).
func (c *Client) SetLoadBalance(ctx context.Context, id string, alg uint16, other string) (Set, error) {
	return c.PatchSet(ctx, id, map[string]any{"loadBalanceAlgorithm": alg, "otherLoadBalanceAlgorithm": other})
}

// DeleteSet deletes a set; its members stay (admin).
func (c *Client) DeleteSet(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/sets/"+esc(id), nil, nil)
}

// PutSetMember gives a member a role in a set and returns the set (admin).
func (c *Client) PutSetMember(ctx context.Context, setID, member string, role RoleSpec) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodPut, "/sets/"+esc(setID)+"/members/"+esc(member), role, &out)
	return out, err
}

// RemoveSetMember takes a member out of a set and returns the set (admin).
func (c *Client) RemoveSetMember(ctx context.Context, setID, member string) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodDelete, "/sets/"+esc(setID)+"/members/"+esc(member), nil, &out)
	return out, err
}

// EnableMember returns a drained member to service and returns the set
// (operator).
func (c *Client) EnableMember(ctx context.Context, setID, member string) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodPost, "/sets/"+esc(setID)+"/members/"+esc(member)+"/enable", nil, &out)
	return out, err
}

// Failover asks the set to fail over from one member to another
// (operator). Refusals are not errors: they come back with their
// ReturnValue and Reason.
func (c *Client) Failover(ctx context.Context, setID, from, to string) (FailoverResult, error) {
	var out FailoverResult
	err := c.do(ctx, http.MethodPost, "/sets/"+esc(setID)+"/failover", FailoverRequest{From: from, To: to}, &out)
	return out, err
}

// CheckFailover asks what Failover would answer now, changing nothing
// (operator): a dry run.
func (c *Client) CheckFailover(ctx context.Context, setID, from, to string) (FailoverResult, error) {
	var out FailoverResult
	req := FailoverRequest{From: from, To: to, DryRun: true}
	err := c.do(ctx, http.MethodPost, "/sets/"+esc(setID)+"/failover", req, &out)
	return out, err
}

// ScheduleFailover schedules a failover at a time in the future
// (operator).
func (c *Client) ScheduleFailover(ctx context.Context, setID string, req ScheduleRequest) (ScheduledFailover, error) {
	var out ScheduledFailover
	err := c.do(ctx, http.MethodPost, "/sets/"+esc(setID)+"/scheduled", req, &out)
	return out, err
}

// ScheduledFailovers lists the pending scheduled failovers of a set, or of
// every set when setID is empty, by time.
func (c *Client) ScheduledFailovers(ctx context.Context, setID string) ([]ScheduledFailover, error) {
	path := "/scheduled"
	if setID != "" {
		path = "/sets/" + esc(setID) + "/scheduled"
	}
	var out ScheduledList
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out.Scheduled, err
}

// CancelScheduledFailover cancels a pending scheduled failover (operator).
func (c *Client) CancelScheduledFailover(ctx context.Context, setID string, id uint64) error {
	return c.do(ctx, http.MethodDelete, "/sets/"+esc(setID)+"/scheduled/"+strconv.FormatUint(id, 10), nil, nil)
}

// ResetFlapGuard re-enables automatic failover of a set whose flap guard
// tripped and returns the set (operator).
func (c *Client) ResetFlapGuard(ctx context.Context, setID string) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodPost, "/sets/"+esc(setID)+"/flap-guard/reset", nil, &out)
	return out, err
}

// PauseSet pauses automatic failover of a set and returns the set
// (operator). Requested and scheduled failovers still run.
func (c *Client) PauseSet(ctx context.Context, setID string) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodPost, "/sets/"+esc(setID)+"/pause", nil, &out)
	return out, err
}

// ResumeSet ends a set's pause of automatic failover and returns the set
// (operator).
func (c *Client) ResumeSet(ctx context.Context, setID string) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodPost, "/sets/"+esc(setID)+"/resume", nil, &out)
	return out, err
}

// Maintenance returns the server-wide pause and the paused sets.
func (c *Client) Maintenance(ctx context.Context) (Maintenance, error) {
	var out Maintenance
	err := c.do(ctx, http.MethodGet, "/maintenance", nil, &out)
	return out, err
}

// PauseServer pauses automatic failover of every set (operator).
func (c *Client) PauseServer(ctx context.Context) (Maintenance, error) {
	var out Maintenance
	err := c.do(ctx, http.MethodPost, "/pause", nil, &out)
	return out, err
}

// ResumeServer ends the server-wide pause (operator); sets paused on their
// own stay paused.
func (c *Client) ResumeServer(ctx context.Context) (Maintenance, error) {
	var out Maintenance
	err := c.do(ctx, http.MethodPost, "/resume", nil, &out)
	return out, err
}

// ListMembers returns every member in name order.
func (c *Client) ListMembers(ctx context.Context) ([]Member, error) {
	var out MemberList
	err := c.do(ctx, http.MethodGet, "/members", nil, &out)
	return out.Members, err
}

// GetMember returns one member.
func (c *Client) GetMember(ctx context.Context, name string) (Member, error) {
	var out Member
	err := c.do(ctx, http.MethodGet, "/members/"+esc(name), nil, &out)
	return out, err
}

// CreateMember creates a member; an existing name is a conflict (admin).
func (c *Client) CreateMember(ctx context.Context, spec MemberSpec) (Member, error) {
	var out Member
	err := c.do(ctx, http.MethodPost, "/members", spec, &out)
	return out, err
}

// PutMember creates or replaces a member's definition (admin).
func (c *Client) PutMember(ctx context.Context, spec MemberSpec) (Member, error) {
	var out Member
	err := c.do(ctx, http.MethodPut, "/members/"+esc(spec.Name), spec, &out)
	return out, err
}

// DeleteMember deletes a member that belongs to no set (admin).
func (c *Client) DeleteMember(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/members/"+esc(name), nil, nil)
}

// ReportHealth pushes one health report or heartbeat and returns the
// member with its health after it (operator).
func (c *Client) ReportHealth(ctx context.Context, name string, report HealthReport) (Member, error) {
	var out Member
	err := c.do(ctx, http.MethodPost, "/members/"+esc(name)+"/health", report, &out)
	return out, err
}

// HistoryQuery selects history records: at most Limit (0: the server's
// default of 100) of the most recent that pass every filter given: of set
// SetID, naming Member, of one of Kinds, caused by User, at or after Since
// and before Until. Event streams use SetID, Member, Kinds and User.
type HistoryQuery struct {
	Limit  int
	SetID  string
	Member string
	Kinds  []string
	User   string
	Since  time.Time
	Until  time.Time
}

func (q HistoryQuery) values() url.Values {
	v := url.Values{}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	for name, s := range map[string]string{"setId": q.SetID, "member": q.Member, "user": q.User} {
		if s != "" {
			v.Set(name, s)
		}
	}
	if len(q.Kinds) > 0 {
		v.Set("kind", strings.Join(q.Kinds, ","))
	}
	for name, t := range map[string]time.Time{"since": q.Since, "until": q.Until} {
		if !t.IsZero() {
			v.Set(name, t.Format(time.RFC3339Nano))
		}
	}
	return v
}

// History returns stored events, oldest first.
func (c *Client) History(ctx context.Context, q HistoryQuery) ([]Event, error) {
	v := q.values()
	path := "/history"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out EventList
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out.Events, err
}

// OpenAPI returns the server's OpenAPI document.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	var raw json.RawMessage
	err := c.do(ctx, http.MethodGet, "/openapi.json", nil, &raw)
	return raw, err
}

func esc(s string) string { return url.PathEscape(s) }

// do sends one request (body, when not nil, as JSON) and decodes a
// successful answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return readProblem(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(out); err != nil {
		return fmt.Errorf("api: %s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("api: encoding the request: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+Prefix+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", mediaJSON)
		if method == http.MethodPatch {
			req.Header.Set("Content-Type", mediaMergePatch)
		}
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	return req, nil
}

// readProblem turns an error answer into a *Problem; an answer that is not
// a problem document gets one made from its status.
func readProblem(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	p := &Problem{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	isJSON := mt == "application/problem+json" || mt == mediaJSON
	if !isJSON || json.Unmarshal(data, p) != nil || p.Status == 0 {
		p = &Problem{Type: "about:blank", Title: http.StatusText(resp.StatusCode), Status: resp.StatusCode,
			Detail: strings.TrimSpace(string(data))}
		if len(p.Detail) > 200 {
			p.Detail = strings.ToValidUTF8(p.Detail[:200], "")
		}
	}
	return p
}
