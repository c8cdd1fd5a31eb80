package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"

	"github.com/redset/redset/store"
	"golang.org/x/crypto/bcrypt"
)

// User is one account: a name, a bcrypt password hash and a role.
type User struct {
	Name         string `json:"name"`
	PasswordHash string `json:"passwordHash"`
	Role         Role   `json:"role"`
}

// HashPassword returns the bcrypt hash of password at the default cost.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: hashing password: %w", err)
	}
	return string(h), nil
}

// Users is an in-memory user table implementing Authenticator. Users
// made by Bootstrap also write their changes (Create, SetPassword, Delete)
// to the store, hashed; those made by NewUsers keep them in memory.
//
// bcrypt is deliberately slow (tens of milliseconds), and management clients
// send credentials with every request. So after a password has been verified
// once, Users remembers a keyed digest of it (HMAC-SHA256 under a random key
// that lives only in this process) and checks later requests against that
// digest in constant time. Changing a user forgets the digest.
//
// The bcrypt comparisons run through a gate: at most one per CPU at once,
// a bounded queue waiting, and further checks refused at once with a
// ThrottledError (see LimitHashing). A password that matches the
// remembered digest never waits for the gate, so a flood of wrong
// passwords slows only the checks that need bcrypt.
type Users struct {
	write    sync.Mutex // serializes Create, SetPassword and Delete
	st       store.Store
	mu       sync.RWMutex
	users    map[string]User
	sources  map[string]string // user -> SourceBootstrap or SourceConfig; absent means SourceStored
	verified map[string][]byte // user -> HMAC of the last verified password
	key      []byte
	gate     atomic.Pointer[gate]
	checks   flights[bool] // identical checks under way at once share one comparison
	macs     sync.Pool     // of hash.Hash: HMAC-SHA256 under key, used again by digest
}

// dummyHash is compared against for unknown users, at the cost real
// passwords are hashed with, so that the time of an answer does not tell
// whether the user exists. It is made once per process, on first use.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)
	return h
})

// NewUsers returns a table holding users.
func NewUsers(users ...User) *Users {
	u := &Users{users: map[string]User{}, sources: map[string]string{}, verified: map[string][]byte{}, key: make([]byte, 32)}
	if _, err := rand.Read(u.key); err != nil {
		panic("auth: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	for _, usr := range users {
		u.users[usr.Name] = usr
	}
	u.gate.Store(newGate(0, DefaultHashQueue))
	return u
}

// LimitHashing sets how many bcrypt comparisons run at once (workers; 0
// means one per CPU Go uses) and how many may wait for one (queue; a
// negative queue means DefaultHashQueue). Checks under way finish under
// the previous limits.
func (u *Users) LimitHashing(workers, queue int) {
	u.gate.Store(newGate(workers, queue))
}

// Put adds or replaces a user.
func (u *Users) Put(usr User) error {
	if usr.Name == "" || !usr.Role.Valid() {
		return fmt.Errorf("auth: user %q: a name and a role (reader, operator, admin) are required", usr.Name)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.users[usr.Name] = usr
	delete(u.verified, usr.Name)
	return nil
}

// Get returns the named user.
func (u *Users) Get(name string) (User, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	usr, ok := u.users[name]
	return usr, ok
}

// Authenticate checks user's password; a wrong or unknown one is
// ErrUnauthorized. When the bcrypt gate's queue is full, or ctx ends while
// the check waits for the gate, the answer is a ThrottledError.
func (u *Users) Authenticate(ctx context.Context, user, password string) (Identity, error) {
	u.mu.RLock()
	usr, ok := u.users[user]
	seen := u.verified[user]
	u.mu.RUnlock()
	digest := u.digest(password)
	if ok && seen != nil && subtle.ConstantTimeCompare(seen, digest) == 1 {
		return Identity{User: user, Role: usr.Role}, nil
	}
	hash := dummyHash()
	if ok {
		hash = []byte(usr.PasswordHash)
	}
	key := user + "\x00" + string(hash) + "\x00" + string(digest)
	match, err := u.checks.do(ctx, key, func(ctx context.Context) (bool, error) { return u.compare(ctx, hash, password) })
	if err != nil {
		return Identity{}, err
	}
	if !ok || !match {
		return Identity{}, ErrUnauthorized
	}
	u.remember(usr, digest)
	return Identity{User: user, Role: usr.Role}, nil
}

// Verified tells at once whether password is the one user last logged in
// with (no bcrypt comparison); false when that is not known, the full
// check of Authenticate then decides.
func (u *Users) Verified(user, password string) (Identity, bool) {
	u.mu.RLock()
	usr, ok := u.users[user]
	seen := u.verified[user]
	u.mu.RUnlock()
	if !ok || seen == nil || subtle.ConstantTimeCompare(seen, u.digest(password)) != 1 {
		return Identity{}, false
	}
	return Identity{User: user, Role: usr.Role}, true
}

// compare checks password against a bcrypt hash, through the gate.
func (u *Users) compare(ctx context.Context, hash []byte, password string) (bool, error) {
	g := u.gate.Load()
	if err := g.enter(ctx); err != nil {
		return false, err
	}
	defer g.leave()
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil, nil
}

// remember records a verified password digest, unless the user changed
// meanwhile.
func (u *Users) remember(usr User, digest []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if cur, ok := u.users[usr.Name]; ok && cur.PasswordHash == usr.PasswordHash {
		u.verified[usr.Name] = digest
	}
}

func (u *Users) digest(password string) []byte {
	m, ok := u.macs.Get().(hash.Hash)
	if ok {
		m.Reset()
	} else {
		m = hmac.New(sha256.New, u.key)
	}
	_, _ = io.WriteString(m, password)
	sum := m.Sum(nil)
	u.macs.Put(m)
	return sum
}
