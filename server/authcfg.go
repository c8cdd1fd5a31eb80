package server

import (
	"errors"
	"log/slog"
	"time"

	"github.com/redset/redset/auth"
)

// AuthCfg sets how logins are defended: the throttle on failed logins and
// the bound on bcrypt work. Only a restart changes it.
type AuthCfg struct {
	Throttle ThrottleCfg `yaml:"throttle"`
	Bcrypt   BcryptCfg   `yaml:"bcrypt"`
}

// ThrottleCfg: after UserFailures failed logins of one user from one
// address, that user is refused from that address; after AddressFailures
// from one address (any users), every login from it is refused. A refusal
// lasts Delay, doubled by each further failure up to MaxDelay, and is
// answered 429 with Retry-After. Counters untouched for Forget are
// forgotten; at most MaxTracked are kept.
type ThrottleCfg struct {
	UserFailures    int `yaml:"userFailures"`
	AddressFailures int `yaml:"addressFailures"`
	Delay           Dur `yaml:"delay"`
	MaxDelay        Dur `yaml:"maxDelay"`
	Forget          Dur `yaml:"forget"`
	MaxTracked      int `yaml:"maxTracked"`
}

// BcryptCfg bounds the password checks that need bcrypt: Workers at once
// (0: one per CPU), Queue more waiting; beyond, a login is answered 429 at
// once.
type BcryptCfg struct {
	Workers int `yaml:"workers"`
	Queue   int `yaml:"queue"`
}

func (a *AuthCfg) defaults() {
	t := &a.Throttle
	fillZero(&t.UserFailures, auth.DefaultUserFailures)
	fillZero(&t.AddressFailures, auth.DefaultAddressFailures)
	fillZero(&t.MaxTracked, auth.DefaultThrottleTracked)
	fillZero(&t.Delay, Dur(auth.DefaultThrottleDelay))
	fillZero(&t.MaxDelay, Dur(auth.DefaultThrottleMax))
	fillZero(&t.Forget, Dur(auth.DefaultThrottleForget))
	fillZero(&a.Bcrypt.Queue, auth.DefaultHashQueue)
}

// fillZero sets a field left out (zero) to def; negative values stay, for
// Validate to refuse.
func fillZero[T int | Dur](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

func (c *Config) validateAuth() error {
	t, b := c.Auth.Throttle, c.Auth.Bcrypt
	var errs []error
	for _, f := range []struct {
		name   string
		v, min int
	}{
		{"auth.throttle.userFailures", t.UserFailures, 1},
		{"auth.throttle.addressFailures", t.AddressFailures, 1},
		{"auth.throttle.maxTracked", t.MaxTracked, 2},
		{"auth.bcrypt.workers", b.Workers, 0},
		{"auth.bcrypt.queue", b.Queue, 0},
	} {
		if f.v < f.min {
			errs = append(errs, c.fieldErr(f.name, "must be at least %d (got %d)", f.min, f.v))
		}
	}
	for _, f := range []struct {
		name string
		v    Dur
	}{{"auth.throttle.delay", t.Delay}, {"auth.throttle.forget", t.Forget}} {
		if f.v < Dur(time.Millisecond) {
			errs = append(errs, c.fieldErr(f.name, "must be at least 1ms (got %s)", f.v.D()))
		}
	}
	if t.MaxDelay < t.Delay {
		errs = append(errs, c.fieldErr("auth.throttle.maxDelay", "must be at least the delay (%s)", t.Delay.D()))
	}
	return errors.Join(errs...)
}

// authenticator puts the throttle and the bcrypt bound of cfg in front of
// users.
func authenticator(cfg AuthCfg, users *auth.Users, log *slog.Logger) *auth.Throttle {
	users.LimitHashing(cfg.Bcrypt.Workers, cfg.Bcrypt.Queue)
	t := cfg.Throttle
	return auth.NewThrottle(users, auth.ThrottleOptions{
		UserFailures: t.UserFailures, AddressFailures: t.AddressFailures,
		Delay: t.Delay.D(), MaxDelay: t.MaxDelay.D(), Forget: t.Forget.D(), MaxTracked: t.MaxTracked,
		Logger: log,
	})
}
