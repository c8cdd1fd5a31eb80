package auth

import (
	"context"
	"fmt"
)

// SetConfigured makes list the users declared in the configuration file,
// as a reload of the file does: users of the file that list no longer
// names are removed (a stored user of the same name, which the file's had
// hidden, comes back from the store), the others are added or replaced.
// Nothing is written to the store. If a user of list lacks a name or a
// valid role, nothing changes.
func (u *Users) SetConfigured(ctx context.Context, list []User) error {
	declared := map[string]bool{}
	for _, usr := range list {
		if usr.Name == "" || !usr.Role.Valid() {
			return fmt.Errorf("auth: user %q: a name and a role (reader, operator, admin) are required", usr.Name)
		}
		declared[usr.Name] = true
	}
	u.write.Lock()
	defer u.write.Unlock()
	gone := u.configuredExcept(declared)
	hidden := map[string]User{}
	if u.st != nil && len(gone) > 0 {
		stored, err := loadUsers(ctx, u.st)
		if err != nil {
			return err
		}
		for _, name := range gone {
			if usr, ok := stored[name]; ok {
				hidden[name] = usr
			}
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, name := range gone {
		delete(u.users, name)
		delete(u.verified, name)
		delete(u.sources, name)
		if usr, ok := hidden[name]; ok {
			u.users[name] = usr
		}
	}
	for _, usr := range list {
		if old, ok := u.users[usr.Name]; !ok || old != usr {
			delete(u.verified, usr.Name)
		}
		u.users[usr.Name] = usr
		u.sources[usr.Name] = SourceConfig
	}
	return nil
}

// configuredExcept names the users of the configuration file not in keep.
func (u *Users) configuredExcept(keep map[string]bool) []string {
	u.mu.RLock()
	defer u.mu.RUnlock()
	var out []string
	for name, src := range u.sources {
		if src == SourceConfig && !keep[name] {
			out = append(out, name)
		}
	}
	return out
}
