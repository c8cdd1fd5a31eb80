package api

import "github.com/redset/redset/auth"

// CallerOf describes an authenticated identity for clients, with the
// abilities auth.Allow grants its role: the one permission table decides,
// this only reports it.
func CallerOf(id auth.Identity) Caller {
	return Caller{User: id.User, Role: string(id.Role), Can: Abilities{
		Failover:    auth.Allow(id.Role, auth.ActionFailover),
		LoadBalance: auth.Allow(id.Role, auth.ActionLoadBalance),
		Configure:   auth.Allow(id.Role, auth.ActionConfigure),
	}}
}
