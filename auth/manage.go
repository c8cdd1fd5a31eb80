package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/redset/redset/store"
)

// Kinds of user-management errors (match with errors.Is).
var (
	ErrUserExists   = errors.New("auth: user already exists")
	ErrUserNotFound = errors.New("auth: no such user")
	ErrUserInvalid  = errors.New("auth: invalid user")
	ErrUserFixed    = errors.New("auth: user is declared in the configuration file")
	ErrLastAdmin    = errors.New("auth: the last administrator cannot be removed")
)

// UserError is a user-management error: Kind is one of the errors above,
// Detail says what happened in words an operator can act on.
type UserError struct {
	Kind   error
	Detail string
}

func (e *UserError) Error() string { return "auth: " + e.Detail }
func (e *UserError) Unwrap() error { return e.Kind }

func userErr(kind error, format string, args ...any) error {
	return &UserError{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Where a user comes from.
const (
	SourceBootstrap = "bootstrap" // the built-in admin (REDSET_ADMIN_PASSWORD or generated)
	SourceStored    = "stored"    // added through the API, kept in the store
	SourceConfig    = "config"    // declared under users: in the configuration file
)

// UserInfo is a user as listed: never the password hash.
type UserInfo struct {
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	Source string `json:"source"`
}

// MaxPasswordBytes is bcrypt's limit: longer passwords are refused rather
// than cut short silently.
const MaxPasswordBytes = 72

// ValidateName checks a user name: 1 to 64 letters, digits, '.', '_', '-'
// or '@', starting with a letter or digit (so it fits HTTP Basic, which
// cannot carry a colon in a user name).
func ValidateName(name string) error {
	if name == "" || len(name) > 64 {
		return userErr(ErrUserInvalid, "a user name has 1 to 64 characters (got %d)", len(name))
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			i > 0 && (r == '.' || r == '_' || r == '-' || r == '@')
		if !ok {
			return userErr(ErrUserInvalid, "user name %q: only letters, digits and . _ - @ (not first) are allowed", name)
		}
	}
	return nil
}

// ValidatePassword checks a new password: not empty, at most
// MaxPasswordBytes bytes.
func ValidatePassword(password string) error {
	switch {
	case password == "":
		return userErr(ErrUserInvalid, "the password is empty")
	case len(password) > MaxPasswordBytes:
		return userErr(ErrUserInvalid, "the password has %d bytes; at most %d are allowed", len(password), MaxPasswordBytes)
	}
	return nil
}

// Configure adds a user declared in the configuration file. Such users
// cannot be changed or deleted through Create, SetPassword or Delete; a
// stored user of the same name is hidden by it.
func (u *Users) Configure(usr User) error {
	if err := u.Put(usr); err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sources[usr.Name] = SourceConfig
	return nil
}

// List returns every user in name order, without hashes.
func (u *Users) List() []UserInfo {
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]UserInfo, 0, len(u.users))
	for name, usr := range u.users {
		out = append(out, UserInfo{Name: name, Role: usr.Role, Source: u.sourceOf(name)})
	}
	slices.SortFunc(out, func(a, b UserInfo) int { return cmpString(a.Name, b.Name) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sourceOf says where a user comes from; u.mu is held.
func (u *Users) sourceOf(name string) string {
	if s, ok := u.sources[name]; ok {
		return s
	}
	return SourceStored
}

// Create adds a user with a password (stored as a bcrypt hash) and a role.
// The change is durable before Create returns; without a store (NewUsers)
// it is kept in memory only.
func (u *Users) Create(ctx context.Context, name string, role Role, password string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if !role.Valid() {
		return userErr(ErrUserInvalid, "role %q is not reader, operator or admin", role)
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	u.write.Lock()
	defer u.write.Unlock()
	if _, ok := u.Get(name); ok {
		return userErr(ErrUserExists, "user %q already exists", name)
	}
	usr := User{Name: name, PasswordHash: hash, Role: role}
	if err := u.save(ctx, usr, true); err != nil {
		return err
	}
	u.install(usr, SourceStored)
	return nil
}

// SetPassword replaces a user's password. Users of the configuration file
// keep theirs (ErrUserFixed): change their passwordHash there. The
// bootstrap admin's new password lasts until a start with
// REDSET_ADMIN_PASSWORD set to another one.
func (u *Users) SetPassword(ctx context.Context, name, password string) error {
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	u.write.Lock()
	defer u.write.Unlock()
	usr, src, err := u.changeable(name)
	if err != nil {
		return err
	}
	usr.PasswordHash = hash
	if err := u.save(ctx, usr, false); err != nil {
		return err
	}
	u.install(usr, src)
	return nil
}

// Delete removes a user. Users of the configuration file stay
// (ErrUserFixed), and the last administrator cannot be removed
// (ErrLastAdmin).
func (u *Users) Delete(ctx context.Context, name string) error {
	u.write.Lock()
	defer u.write.Unlock()
	usr, _, err := u.changeable(name)
	if err != nil {
		return err
	}
	if usr.Role == Admin && u.admins() == 1 {
		return userErr(ErrLastAdmin, "user %q is the last administrator; add another admin first", name)
	}
	if u.st != nil {
		_, err := u.st.Commit(ctx, store.Txn{Ops: []store.Op{{Key: userPrefix + name, Delete: true}}})
		if err != nil {
			return fmt.Errorf("auth: deleting user %s: %w", name, err)
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.users, name)
	delete(u.verified, name)
	delete(u.sources, name)
	return nil
}

// changeable returns a user the API may change, with its source.
func (u *Users) changeable(name string) (User, string, error) {
	u.mu.RLock()
	usr, ok := u.users[name]
	src := u.sourceOf(name)
	u.mu.RUnlock()
	switch {
	case !ok:
		return usr, src, userErr(ErrUserNotFound, "user %q does not exist", name)
	case src == SourceConfig:
		return usr, src, userErr(ErrUserFixed, "user %q is declared in the configuration file; change it there", name)
	}
	return usr, src, nil
}

func (u *Users) admins() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	n := 0
	for _, usr := range u.users {
		if usr.Role == Admin {
			n++
		}
	}
	return n
}

// save writes usr to the store; create demands that the key is new.
func (u *Users) save(ctx context.Context, usr User, create bool) error {
	if u.st == nil {
		return nil
	}
	data, err := json.Marshal(usr)
	if err != nil {
		return err
	}
	txn := store.Txn{Ops: []store.Op{{Key: userPrefix + usr.Name, Value: data}}}
	if create {
		txn.Compares = []store.Compare{{Key: userPrefix + usr.Name, ModRevision: 0}}
	}
	_, err = u.st.Commit(context.WithoutCancel(ctx), txn)
	if errors.Is(err, store.ErrConflict) {
		return userErr(ErrUserExists, "user %q already exists", usr.Name)
	}
	if err != nil {
		return fmt.Errorf("auth: storing user %s: %w", usr.Name, err)
	}
	return nil
}

// install puts a saved user in the table and forgets its old digest.
func (u *Users) install(usr User, source string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.users[usr.Name] = usr
	delete(u.verified, usr.Name)
	u.sources[usr.Name] = source
}
