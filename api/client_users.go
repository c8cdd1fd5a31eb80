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
