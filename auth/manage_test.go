package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/store/bolt"
)

// bootUsers opens a bolt store at path and bootstraps its users with the
// admin password "pw".
func bootUsers(t *testing.T, path string) (*Users, func()) {
	t.Helper()
	st, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	users, _, err := Bootstrap(context.Background(), st, "pw")
	if err != nil {
		t.Fatal(err)
	}
	return users, func() { st.Close() }
}

func TestManageUsers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "redset.db")
	users, closeStore := bootUsers(t, path)
	if err := users.Configure(cheapUser(t, "cfg", "cfgpw", Reader)); err != nil {
		t.Fatal(err)
	}
	if err := users.Create(ctx, "ops", Operator, "opspw"); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := users.Authenticate(ctx, "ops", "opspw"); err != nil {
		t.Errorf("the new user cannot log in: %v", err)
	}
	want := []UserInfo{{"admin", Admin, SourceBootstrap}, {"cfg", Reader, SourceConfig}, {"ops", Operator, SourceStored}}
	if diff := cmp.Diff(want, users.List()); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if err := users.SetPassword(ctx, "ops", "newpw"); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Authenticate(ctx, "ops", "opspw"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("the old password still works after SetPassword: %v", err)
	}

	refusals := []struct {
		name string
		do   func() error
		want error
	}{
		{"create existing", func() error { return users.Create(ctx, "ops", Reader, "x") }, ErrUserExists},
		{"create over a configured user", func() error { return users.Create(ctx, "cfg", Reader, "x") }, ErrUserExists},
		{"bad name", func() error { return users.Create(ctx, "a:b", Reader, "x") }, ErrUserInvalid},
		{"bad role", func() error { return users.Create(ctx, "x", Role("root"), "x") }, ErrUserInvalid},
		{"empty password", func() error { return users.Create(ctx, "x", Reader, "") }, ErrUserInvalid},
		{"password over 72 bytes", func() error { return users.Create(ctx, "x", Reader, strings.Repeat("p", 73)) }, ErrUserInvalid},
		{"passwd of a configured user", func() error { return users.SetPassword(ctx, "cfg", "x") }, ErrUserFixed},
		{"passwd of nobody", func() error { return users.SetPassword(ctx, "nobody", "x") }, ErrUserNotFound},
		{"delete a configured user", func() error { return users.Delete(ctx, "cfg") }, ErrUserFixed},
		{"delete nobody", func() error { return users.Delete(ctx, "nobody") }, ErrUserNotFound},
		{"delete the last admin", func() error { return users.Delete(ctx, "admin") }, ErrLastAdmin},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			before := users.List()
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if diff := cmp.Diff(before, users.List()); diff != "" {
				t.Errorf("a refusal changed the users (-before +after):\n%s", diff)
			}
		})
	}

	// Users survive a restart; the configured one is not stored.
	closeStore()
	users, closeStore = bootUsers(t, path)
	defer closeStore()
	if _, err := users.Authenticate(ctx, "ops", "newpw"); err != nil {
		t.Errorf("after a restart ops cannot log in with the new password: %v", err)
	}
	if _, ok := users.Get("cfg"); ok {
		t.Error("the configured user was written to the store")
	}

	// With a second admin the built-in one may go, and stays gone.
	if err := users.Create(ctx, "boss", Admin, "bosspw"); err != nil {
		t.Fatal(err)
	}
	if err := users.Delete(ctx, "admin"); err != nil {
		t.Fatalf("deleting admin beside another admin: %v", err)
	}
	if err := users.Delete(ctx, "boss"); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("deleting the only admin left: err = %v, want ErrLastAdmin", err)
	}
	closeStore()
	st, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	again, generated, err := Bootstrap(ctx, st, "")
	if err != nil || generated != "" {
		t.Fatalf("restart without a password: generated %q, err %v; want none (boss is an admin)", generated, err)
	}
	if _, ok := again.Get("admin"); ok {
		t.Error("the deleted admin came back without REDSET_ADMIN_PASSWORD")
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"ops", "a:b", "", "x@y.z", "-x", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateName(name) != nil {
			return
		}
		if strings.ContainsAny(name, ": \t\r\n") || name == "" || len(name) > 64 {
			t.Errorf("ValidateName accepted %q", name)
		}
	})
}
