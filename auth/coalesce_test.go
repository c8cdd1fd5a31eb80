package auth

import (
	"context"
	"errors"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestBurstOfOneCredential: 200 clients starting at once with the same
// correct password all log in through a gate of one worker and no queue:
// they share one comparison (each on its own would find the gate full).
func TestBurstOfOneCredential(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost+4)
	if err != nil {
		t.Fatal(err)
	}
	u := NewUsers(User{Name: "agent", PasswordHash: string(hash), Role: Reader})
	u.LimitHashing(1, 0)
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Go(func() { _, errs[i] = u.Authenticate(context.Background(), "agent", "right") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("client %d with the right password: %v", i, err)
		}
	}
}

// TestThrottleBurstOfOneCredential: 200 logins at once from one address
// with the same correct password pass the throttle (they are one check),
// while 30 different wrong passwords from another address at once are
// never let in, and leave that address refused.
func TestThrottleBurstOfOneCredential(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost+4)
	if err != nil {
		t.Fatal(err)
	}
	users := NewUsers(User{Name: "agent", PasswordHash: string(hash), Role: Reader})
	th := NewThrottle(users, ThrottleOptions{})
	from := func(addr string) context.Context { return WithClient(context.Background(), addr, "api") }
	var wg sync.WaitGroup
	right := make([]error, 200)
	wrong := make([]error, 30)
	for i := range right {
		wg.Go(func() { _, right[i] = th.Authenticate(from("10.0.0.1:1234"), "agent", "right") })
	}
	for i := range wrong {
		wg.Go(func() { _, wrong[i] = th.Authenticate(from("10.0.0.2:1234"), "agent", "wrong-"+string(rune('a'+i))) })
	}
	wg.Wait()
	for i, err := range right {
		if err != nil {
			t.Fatalf("login %d with the right password: %v", i, err)
		}
	}
	for i, err := range wrong {
		if err == nil {
			t.Fatalf("wrong password %d was let in", i)
		}
	}
	if _, err := th.Authenticate(from("10.0.0.2:1234"), "agent", "right"); err == nil {
		t.Error("the address that guessed 30 times is not refused")
	}
}

// TestUnknownUsersCostTheSame: an unknown user's password is compared
// against a hash of the same bcrypt cost as HashPassword's, so the answer
// takes as long as for a real user.
func TestUnknownUsersCostTheSame(t *testing.T) {
	real, err := HashPassword("x")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := bcrypt.Cost([]byte(real))
	if got, err := bcrypt.Cost(dummyHash()); err != nil || got != want {
		t.Errorf("the unknown users' hash has cost %d (%v), real passwords %d", got, err, want)
	}
	if _, err := NewUsers().Authenticate(context.Background(), "nobody", "x"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("unknown user: %v", err)
	}
}
