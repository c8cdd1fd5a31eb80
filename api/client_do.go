package api

import "context"

// Do sends one request to a path under /api/v1 (e.g. "/demo/members/web-a/fail")
// with body encoded as JSON when not nil, and decodes a JSON answer into out
// when not nil. Problems come back as *Problem. It reaches routes the typed
// methods do not cover, such as the demo's.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	return c.do(ctx, method, path, body, out)
}
