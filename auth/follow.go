package auth

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/redset/redset/store"
)

// Follow keeps the table current with the users stored by every server of
// a cluster: a user created, changed or deleted through another server is
// known here within the watch's delay, so a deleted user or an old
// password stops working everywhere. Users of the configuration file are
// this server's own and are left as they are. It returns when ctx ends;
// a broken watch is started again and the stored users read afresh.
func (u *Users) Follow(ctx context.Context, log *slog.Logger) {
	if u.st == nil {
		return
	}
	store.Follow(ctx, u.st, userPrefix, store.Follower{
		Reload: u.reloadStored,
		Apply:  func(ev store.Event) { u.applyStored(ev, log) },
		Failed: func(err error) { log.Warn("users: reading the stored users failed; trying again", "err", err) },
		Ended:  func(err error) { log.Warn("users: the store watch ended; reading the users again", "err", err) },
	})
}

// reloadStored makes the stored users of the table those of the store.
func (u *Users) reloadStored(ctx context.Context) error {
	stored, err := loadUsers(ctx, u.st)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for name := range u.users {
		if _, ok := stored[name]; !ok && u.sourceOf(name) != SourceConfig {
			u.forgetLocked(name)
		}
	}
	for _, usr := range stored {
		u.takeLocked(usr)
	}
	return nil
}

// applyStored applies one watched change of a stored user.
func (u *Users) applyStored(ev store.Event, log *slog.Logger) {
	name := strings.TrimPrefix(ev.KV.Key, userPrefix)
	u.mu.Lock()
	defer u.mu.Unlock()
	if ev.Delete {
		if u.sourceOf(name) != SourceConfig {
			u.forgetLocked(name)
		}
		return
	}
	var usr User
	if err := json.Unmarshal(ev.KV.Value, &usr); err != nil || usr.Name != name {
		log.Warn("users: a stored user could not be read; ignored", "key", ev.KV.Key, "err", err)
		return
	}
	u.takeLocked(usr)
}

// takeLocked installs a stored user unless the configuration file declares
// that name; an unchanged user keeps its verified digest. u.mu is held.
func (u *Users) takeLocked(usr User) {
	if u.sourceOf(usr.Name) == SourceConfig {
		return
	}
	if cur, ok := u.users[usr.Name]; ok && cur == usr {
		return
	}
	u.users[usr.Name] = usr
	delete(u.verified, usr.Name)
	if usr.Name == AdminUser {
		u.sources[usr.Name] = SourceBootstrap
	} else {
		delete(u.sources, usr.Name) // stored
	}
}

// forgetLocked removes a user from the table; u.mu is held.
func (u *Users) forgetLocked(name string) {
	delete(u.users, name)
	delete(u.verified, name)
	delete(u.sources, name)
}
