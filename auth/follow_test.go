package auth

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/store/bolt"
)

// sameAs polls until b holds name as a holds it (or, when a holds no
// such user, until b holds none either).
func sameAs(t *testing.T, a, b *Users, name string) {
	t.Helper()
	want, wantOK := a.Get(name)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, ok := b.Get(name)
		if ok == wantOK && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("user %s: the other server holds %+v (%v), want %+v (%v)", name, got, ok, want, wantOK)
		}
		time.Sleep(10 * time.Millisecond) // polling the watch's progress
	}
}

// TestFollowStoredUsers: two servers share one store (as the servers of
// a cluster share etcd); a user created, given a new password and deleted
// through one is created, changed and deleted on the other, while the
// other's users of its configuration file stay its own.
func TestFollowStoredUsers(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "redset.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	a, _, err := Bootstrap(ctx, st, "admin-pw")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Bootstrap(ctx, st, "admin-pw")
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := HashPassword("file-pw")
	if err := b.Configure(User{Name: "carol", PasswordHash: hash, Role: Reader}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { b.Follow(ctx, slog.New(slog.DiscardHandler)) })
	defer func() { cancel(); wg.Wait() }()

	if err := a.Create(ctx, "bob", Operator, "bob-pw-1"); err != nil {
		t.Fatal(err)
	}
	sameAs(t, a, b, "bob")
	if _, err := b.Authenticate(ctx, "bob", "bob-pw-1"); err != nil {
		t.Fatalf("bob created on the other server cannot log in here: %v", err)
	}
	if err := a.SetPassword(ctx, "bob", "bob-pw-2"); err != nil {
		t.Fatal(err)
	}
	sameAs(t, a, b, "bob")
	if _, err := b.Authenticate(ctx, "bob", "bob-pw-1"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("bob's old password still works here: %v", err)
	}
	if err := a.Delete(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	sameAs(t, a, b, "bob")
	if _, err := b.Authenticate(ctx, "bob", "bob-pw-2"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("the deleted bob still logs in here: %v", err)
	}
	if err := a.Create(ctx, "carol", Admin, "stored-pw"); err != nil {
		t.Fatal(err)
	}
	if err := a.Create(ctx, "dave", Reader, "dave-pw"); err != nil {
		t.Fatal(err)
	}
	sameAs(t, a, b, "dave") // the watch has passed carol's creation
	if id, err := b.Authenticate(ctx, "carol", "file-pw"); err != nil || id.Role != Reader {
		t.Errorf("carol of the configuration file: role %s, %v; want reader", id.Role, err)
	}
	if _, err := b.Authenticate(ctx, "carol", "stored-pw"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("the stored carol replaced the configured one: %v", err)
	}
}

// TestBootstrapTogether: servers starting together on an empty store each
// generate a password, but one administrator is kept and only the server
// whose password was kept prints one.
func TestBootstrapTogether(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "redset.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 3
	tables := make([]*Users, n)
	passwords := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { tables[i], passwords[i], errs[i] = Bootstrap(context.Background(), st, "") })
	}
	wg.Wait()
	var printed []string
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("server %d: %v", i, errs[i])
		}
		if passwords[i] != "" {
			printed = append(printed, passwords[i])
		}
	}
	if len(printed) != 1 {
		t.Fatalf("%d servers printed a generated password, want exactly 1", len(printed))
	}
	for i := range n {
		if _, err := tables[i].Authenticate(context.Background(), AdminUser, printed[0]); err != nil {
			t.Errorf("server %d refuses the printed password: %v", i, err)
		}
	}
}
