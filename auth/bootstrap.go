package auth

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redset/redset/store"
	"golang.org/x/crypto/bcrypt"
)

// AdminUser is the bootstrap administrator's name.
const AdminUser = "admin"

// userPrefix is where stored users live in the store, as JSON User values.
const userPrefix = "auth/users/"

// Bootstrap makes sure the administrator exists and loads every stored user.
//
//   - password set (from REDSET_ADMIN_PASSWORD): the admin's password is set
//     to it, stored hashed (only rewritten when it differs).
//   - password empty and an admin is stored: the stored one stands.
//   - password empty and no admin yet (first start): a random password is
//     generated, stored hashed, and returned so the caller prints it once.
//     "No admin" means no stored administrator at all: once another admin
//     exists, the built-in one may be deleted (Users.Delete) and stays
//     deleted until a start with a password recreates it.
func Bootstrap(ctx context.Context, st store.Store, password string) (users *Users, generated string, err error) {
	stored, err := loadUsers(ctx, st)
	if err != nil {
		return nil, "", err
	}
	admin, ok := stored[AdminUser]
	switch {
	case password == "" && (ok || hasAdmin(stored)):
	case password == "":
		generated = randomPassword()
		admin, err = storeAdmin(ctx, st, generated, true)
		if errors.Is(err, store.ErrConflict) { // another server of the cluster made it first
			return Bootstrap(ctx, st, "")
		}
		if err != nil {
			return nil, "", err
		}
		stored[AdminUser] = admin
	case !ok || bcrypt.CompareHashAndPassword([]byte(admin.PasswordHash), []byte(password)) != nil:
		if admin, err = storeAdmin(ctx, st, password, false); err != nil {
			return nil, "", err
		}
		stored[AdminUser] = admin
	}
	users = NewUsers()
	users.st = st
	for _, u := range stored {
		users.users[u.Name] = u
	}
	if _, ok := stored[AdminUser]; ok {
		users.sources[AdminUser] = SourceBootstrap
	}
	return users, generated, nil
}

// hasAdmin reports whether any stored user is an administrator.
func hasAdmin(stored map[string]User) bool {
	for _, u := range stored {
		if u.Role == Admin {
			return true
		}
	}
	return false
}

func loadUsers(ctx context.Context, st store.Store) (map[string]User, error) {
	kvs, _, err := st.List(ctx, userPrefix)
	if err != nil {
		return nil, fmt.Errorf("auth: reading users: %w", err)
	}
	users := map[string]User{}
	for _, kv := range kvs {
		var u User
		if err := json.Unmarshal(kv.Value, &u); err != nil {
			return nil, fmt.Errorf("auth: stored user %s: %w", kv.Key, err)
		}
		users[u.Name] = u
	}
	return users, nil
}

// storeAdmin writes the administrator with password. create writes it only
// where no administrator is stored (servers of a cluster starting
// together for the first time each generate a password; one is kept) and
// returns store.ErrConflict when one is.
func storeAdmin(ctx context.Context, st store.Store, password string, create bool) (User, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	u := User{Name: AdminUser, PasswordHash: hash, Role: Admin}
	data, _ := json.Marshal(u)
	txn := store.Txn{Ops: []store.Op{{Key: userPrefix + AdminUser, Value: data}}}
	if create {
		txn.Compares = []store.Compare{{Key: userPrefix + AdminUser, ModRevision: 0}}
	}
	_, err = st.Commit(ctx, txn)
	switch {
	case errors.Is(err, store.ErrConflict):
		return User{}, err
	case err != nil:
		return User{}, fmt.Errorf("auth: storing the admin user: %w", err)
	}
	return u, nil
}

// randomPassword returns 26 random base32 characters (130 bits).
func randomPassword() string { return rand.Text() }
