package auth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSetConfigured(t *testing.T) {
	ctx := context.Background()
	users, closeStore := bootUsers(t, filepath.Join(t.TempDir(), "redset.db"))
	defer closeStore()
	if err := users.Create(ctx, "shared", Operator, "stored-pw"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []User{cheapUser(t, "old", "oldpw", Reader), cheapUser(t, "kept", "keptpw", Reader), cheapUser(t, "shared", "cfgpw", Admin)} {
		if err := users.Configure(u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := users.Authenticate(ctx, "kept", "keptpw"); err != nil {
		t.Fatal(err)
	}
	next := []User{cheapUser(t, "kept", "keptpw2", Operator), cheapUser(t, "new", "newpw", Reader)}
	if err := users.SetConfigured(ctx, next); err != nil {
		t.Fatalf("SetConfigured: %v", err)
	}
	want := []UserInfo{{"admin", Admin, SourceBootstrap}, {"kept", Operator, SourceConfig}, {"new", Reader, SourceConfig}, {"shared", Operator, SourceStored}}
	if diff := cmp.Diff(want, users.List()); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	logins := []struct {
		user, pw string
		ok       bool
	}{
		{"old", "oldpw", false}, {"kept", "keptpw", false}, {"kept", "keptpw2", true}, {"new", "newpw", true},
		{"shared", "cfgpw", false}, {"shared", "stored-pw", true},
	}
	for _, l := range logins {
		_, err := users.Authenticate(ctx, l.user, l.pw)
		if (err == nil) != l.ok {
			t.Errorf("login %s/%s: %v, want success %v", l.user, l.pw, err, l.ok)
		}
	}
	t.Run("an invalid user changes nothing", func(t *testing.T) {
		err := users.SetConfigured(ctx, []User{{Name: "x", Role: "boss"}})
		if err == nil {
			t.Fatal("a user with an unknown role was accepted")
		}
		if diff := cmp.Diff(want, users.List()); diff != "" {
			t.Errorf("List changed (-want +got):\n%s", diff)
		}
	})
	t.Run("configured users stay fixed for the API", func(t *testing.T) {
		if err := users.Delete(ctx, "new"); !errors.Is(err, ErrUserFixed) {
			t.Errorf("Delete of a configured user: %v, want ErrUserFixed", err)
		}
	})
}
