package auth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/redset/redset/store/bolt"
	"golang.org/x/crypto/bcrypt"
)

func TestAllow(t *testing.T) {
	tests := []struct {
		role   Role
		action Action
		want   bool
	}{
		{Reader, ActionRead, true},
		{Reader, ActionFailover, false},
		{Reader, ActionLoadBalance, false},
		{Reader, ActionConfigure, false},
		{Operator, ActionRead, true},
		{Operator, ActionFailover, true},
		{Operator, ActionLoadBalance, true},
		{Operator, ActionConfigure, false},
		{Admin, ActionConfigure, true},
		{Admin, ActionFailover, true},
		{Role("root"), ActionRead, false},
		{Admin, Action("reboot"), false},
	}
	for _, tc := range tests {
		t.Run(string(tc.role)+"/"+string(tc.action), func(t *testing.T) {
			if got := Allow(tc.role, tc.action); got != tc.want {
				t.Errorf("Allow(%q, %q) = %v, want %v", tc.role, tc.action, got, tc.want)
			}
		})
	}
}

func cheapUser(t *testing.T, name, password string, role Role) User {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return User{Name: name, PasswordHash: string(h), Role: role}
}

func TestAuthenticate(t *testing.T) {
	u := NewUsers(cheapUser(t, "ops", "right", Operator))
	ctx := context.Background()
	tests := []struct {
		name, user, pass string
		wantErr          bool
	}{
		{"right password", "ops", "right", false},
		{"right again, from the remembered digest", "ops", "right", false},
		{"wrong password", "ops", "wrong", true},
		{"wrong password after a right one", "ops", "righ", true},
		{"unknown user", "nobody", "right", true},
		{"empty", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := u.Authenticate(ctx, tc.user, tc.pass)
			if tc.wantErr {
				if !errors.Is(err, ErrUnauthorized) {
					t.Errorf("Authenticate(%q, %q) err = %v, want ErrUnauthorized", tc.user, tc.pass, err)
				}
				return
			}
			if err != nil || id != (Identity{User: "ops", Role: Operator}) {
				t.Errorf("Authenticate = %+v, %v; want ops/operator", id, err)
			}
		})
	}
}

func TestPutForgetsTheOldPassword(t *testing.T) {
	u := NewUsers(cheapUser(t, "ops", "old", Operator))
	ctx := context.Background()
	if _, err := u.Authenticate(ctx, "ops", "old"); err != nil {
		t.Fatal(err)
	}
	if err := u.Put(cheapUser(t, "ops", "new", Reader)); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Authenticate(ctx, "ops", "old"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("old password after Put: err = %v, want ErrUnauthorized", err)
	}
	id, err := u.Authenticate(ctx, "ops", "new")
	if err != nil || id.Role != Reader {
		t.Errorf("new password: %+v, %v; want role reader", id, err)
	}
	if err := u.Put(User{Name: "x", Role: "boss"}); err == nil {
		t.Error("Put with an unknown role succeeded")
	}
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "redset.db")
	open := func() *bolt.Store {
		st, err := bolt.Open(path, bolt.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	login := func(users *Users, pass string) error {
		_, err := users.Authenticate(ctx, AdminUser, pass)
		return err
	}

	st := open()
	users, generated, err := Bootstrap(ctx, st, "")
	if err != nil || len(generated) < 20 {
		t.Fatalf("first start: generated %q, err %v; want a long password", generated, err)
	}
	if err := login(users, generated); err != nil {
		t.Errorf("the generated password does not work: %v", err)
	}
	st.Close()

	st = open()
	users, again, err := Bootstrap(ctx, st, "")
	if err != nil || again != "" {
		t.Fatalf("second start: generated %q, err %v; want none", again, err)
	}
	if err := login(users, generated); err != nil {
		t.Errorf("the stored password no longer works: %v", err)
	}
	st.Close()

	st = open()
	defer st.Close()
	users, _, err = Bootstrap(ctx, st, "chosen")
	if err != nil {
		t.Fatal(err)
	}
	if login(users, "chosen") != nil || login(users, generated) == nil {
		t.Error("a given password must replace the stored one")
	}
}

func TestTLSConfigMissingFiles(t *testing.T) {
	if _, err := TLSConfig("/nonexistent/cert.pem", "/nonexistent/key.pem"); err == nil {
		t.Error("TLSConfig with missing files succeeded")
	}
}

// Once a password has been verified, Users knows it at once, again and
// again (the digest is the same each time), and knows no other.
func TestVerifiedAfterALogin(t *testing.T) {
	u := NewUsers(cheapUser(t, "ops", "right", Operator))
	if _, ok := u.Verified("ops", "right"); ok {
		t.Fatal("Verified before any login")
	}
	if _, err := u.Authenticate(context.Background(), "ops", "right"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if id, ok := u.Verified("ops", "right"); !ok || id.Role != Operator {
			t.Fatalf("Verified(ops, right) = %v, %v after the login; want Operator, true", id, ok)
		}
		if _, ok := u.Verified("ops", "wrong"); ok {
			t.Fatal("Verified(ops, wrong) = true")
		}
	}
}
