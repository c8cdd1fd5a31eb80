package api

import (
	"context"
	"net/http"
)

// DrainMember takes an in-service member of an N+1 or Load Balanced set
// out of service and returns the set (operator).
func (c *Client) DrainMember(ctx context.Context, setID, member string) (Set, error) {
	var out Set
	err := c.do(ctx, http.MethodPost, "/sets/"+esc(setID)+"/members/"+esc(member)+"/drain", nil, &out)
	return out, err
}

// ListUsers returns every user in name order, without passwords (admin).
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	var out UserList
	err := c.do(ctx, http.MethodGet, "/users", nil, &out)
	return out.Users, err
}

// CreateUser adds a user with a role and a password (admin).
func (c *Client) CreateUser(ctx context.Context, name, role, password string) (User, error) {
	var out User
	err := c.do(ctx, http.MethodPost, "/users", NewUser{Name: name, Role: role, Password: password}, &out)
	return out, err
}

// SetUserPassword replaces a user's password (admin).
func (c *Client) SetUserPassword(ctx context.Context, name, password string) error {
	return c.do(ctx, http.MethodPut, "/users/"+esc(name)+"/password", PasswordChange{Password: password}, nil)
}

// DeleteUser removes a user (admin).
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/users/"+esc(name), nil, nil)
}

// ListSubscriptions returns the subscriptions to indications the caller
// may see: an administrator every one, others their own.
func (c *Client) ListSubscriptions(ctx context.Context) ([]IndicationSubscription, error) {
	var out IndicationSubscriptionList
	err := c.do(ctx, http.MethodGet, "/subscriptions", nil, &out)
	return out.Subscriptions, err
}

// DeleteSubscription ends a subscription to indications (the caller's
// own; an administrator's any).
func (c *Client) DeleteSubscription(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/subscriptions/"+esc(id), nil, nil)
}
